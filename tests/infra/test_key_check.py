"""A key that is not the store's own is refused before anything is read or written.

The fault: with ``SOCAI_CIPHER_KEY`` holding another store's key, ``case receive`` used to
succeed; the event, encrypted under the wrong key, was chained for good and every reader
failed on it forever. Each way a wrong key can arrive is tried — a wrong key file, a wrong
environment key, an environment key that disagrees with the key file, an old store without a
key-check value — on SQLite and PostgreSQL, in-process and through the CLI, and each time the
store must be exactly as it was.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from domain.case.commands import Receive
from infra.key_check import KCV_TABLE, WrongKey, key_check_value
from infra.keys import KeyError_, create_key_file
from infra.scenario.staff import worker
from infra.services.socai import Socai
from infra.settings import Settings
from tests.conftest import BORDER_GUARD
from tests.infra.cli.test_cli import socai

pytestmark = pytest.mark.integration

RECEIVE = Receive(
    occurred_on=date(2024, 5, 1),
    legal_basis="BB-87-2024-001",
    reception_form="rescued",
    unit_code="29956",
    belongings_checked=True,
    interview_held=True,
    person=None,
)


def _open(url: str, key_file: Path) -> Socai:
    return Socai(Settings.load(url, str(key_file)))


def _event_count(app: Socai) -> int:
    return app.log.head()


def _sqlite_dump(url: str) -> list[str]:
    path = url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


def test_the_key_check_value_identifies_a_key_without_revealing_it(tmp_path: Path) -> None:
    one, two = create_key_file(tmp_path / "a.key"), create_key_file(tmp_path / "b.key")
    assert key_check_value(one) == key_check_value(one)
    assert key_check_value(one) != key_check_value(two)
    assert one not in key_check_value(one) and len(key_check_value(one)) == 64


@pytest.mark.parametrize(
    "store", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_another_stores_key_is_refused_and_nothing_is_written(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path / 's.db'}" if store == "sqlite" else request.getfixturevalue("pg_url")
    )
    own, foreign = tmp_path / "own.key", tmp_path / "foreign.key"
    create_key_file(own)
    create_key_file(foreign)
    app = _open(url, own)
    app.cases.receive(RECEIVE, worker(app, BORDER_GUARD))
    before = _event_count(app)
    app.close()
    dump = _sqlite_dump(url) if store == "sqlite" else None

    with pytest.raises(WrongKey, match="wrong key") as refused:
        _open(url, foreign)
    assert refused.value.hint and "key file" in refused.value.hint

    if dump is not None:
        assert _sqlite_dump(url) == dump
    again = _open(url, own)  # the store's own key still opens it, with nothing added
    assert _event_count(again) == before
    assert len(list(again.cases.ids())) == 1
    again.close()


def test_an_old_store_without_a_check_value_is_judged_by_its_first_event(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    own, foreign = tmp_path / "own.key", tmp_path / "foreign.key"
    create_key_file(own)
    create_key_file(foreign)
    app = _open(url, own)
    app.cases.receive(RECEIVE, worker(app, BORDER_GUARD))
    app.close()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        connection.execute(f"DROP TABLE {KCV_TABLE}")  # as a store made before the check
    dump = _sqlite_dump(url)

    with pytest.raises(WrongKey):
        _open(url, foreign)
    assert _sqlite_dump(url) == dump  # not even the check value of the wrong key was kept

    _open(url, own).close()  # the right key opens it and is recorded from now on
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        (stored,) = connection.execute(f"SELECT check_value FROM {KCV_TABLE}").fetchone()
    assert stored == key_check_value(own.read_text().strip())


def test_a_new_store_takes_the_first_key_and_refuses_the_next(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    first, second = tmp_path / "first.key", tmp_path / "second.key"
    create_key_file(first)
    create_key_file(second)
    _open(url, first).close()  # opened, nothing written yet
    with pytest.raises(WrongKey):
        _open(url, second)


def test_an_environment_key_that_disagrees_with_the_key_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    own = tmp_path / "own.key"
    create_key_file(own)
    other = create_key_file(tmp_path / "other.key")
    monkeypatch.setenv("SOCAI_CIPHER_KEY", other)
    with pytest.raises(KeyError_, match="disagrees with the key file"):
        _open(url, own)
    assert not (tmp_path / "s.db").exists()  # refused before the store was even created
    monkeypatch.setenv("SOCAI_CIPHER_KEY", own.read_text().strip())
    _open(url, own).close()  # the same key twice is no disagreement


def test_the_cli_refuses_a_foreign_environment_key(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    assert socai(store, "keys", "init").returncode == 0
    received = socai(
        store, "case", "receive", "--on", "2024-05-01", "--form", "rescued",
        "--unit", "29956", "--record", "BB-1",
    )  # fmt: skip
    assert received.returncode == 0, received.stderr
    dump = _sqlite_dump(store)
    key_file = Path(store.removeprefix("sqlite:///") + ".key")
    key_file.rename(tmp_path / "moved-away.key")  # the operator's key file is elsewhere
    foreign = create_key_file(tmp_path / "foreign.key")
    refused = socai(
        store, "case", "receive", "--on", "2024-05-02", "--form", "rescued",
        "--unit", "29956", "--record", "BB-2", env={"SOCAI_CIPHER_KEY": foreign},
    )  # fmt: skip
    assert refused.returncode == 2
    assert refused.stderr.startswith("error:") and "wrong key" in refused.stderr
    assert "hint:" in refused.stderr and "Traceback" not in refused.stderr
    assert _sqlite_dump(store) == dump
