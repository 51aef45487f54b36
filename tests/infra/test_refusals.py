"""Every bad input the issue found ends as ``error:`` + ``hint:``, exit 2, nothing written.

The class is "a file, a number or a race the command cannot use": files given to
``--from-json`` or ``verify-proof`` that are missing, folders, not UTF-8, not JSON or nested
beyond reason; a log position beyond what a store can hold; an output path that cannot be
written; a stored checkpoint re-typed in the database; two writers racing on one activity.
"""

from __future__ import annotations

import sqlite3
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from domain.activity.commands import IssueDirective, Withdraw
from domain.case.values import Actor
from domain.errors import ConcurrentWriteConflict
from infra.scenario.staff import worker
from infra.services.socai import Socai
from infra.settings import Settings
from tests.infra.cli.support import script_token
from tests.infra.cli.test_cli import made_demo, socai

ACTOR = Actor("LDXH-870-01", "labour_social_affairs")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("refusals")
    url = f"sqlite:///{folder / 's.db'}"
    made_demo(url, 3, 4)
    script_token(url)  # the tests' user is registered before anything is compared
    assert socai(url, "audit", "checkpoint").returncode == 0
    return url, folder


def _dump(url: str) -> list[str]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        return list(connection.iterdump())


def _refused(result: object) -> str:
    assert getattr(result, "returncode") == 2, getattr(result, "stderr")  # noqa: B009
    stderr = str(getattr(result, "stderr"))  # noqa: B009
    assert stderr.startswith("error:") or "Invalid value" in stderr, stderr
    assert "Traceback" not in stderr
    return stderr


def _bad_files(folder: Path) -> dict[str, Path]:
    files = {
        "missing": folder / "missing.json",
        "folder": folder,
        "not UTF-8": folder / "latin.json",
        "not JSON": folder / "broken.json",
        "nested": folder / "deep.json",
    }
    windows_1258 = unicodedata.normalize("NFD", '{"person": {"full_name": "Phạm"}}')
    files["not UTF-8"].write_bytes(windows_1258.encode("cp1258"))  # as Vietnamese Windows saves
    files["not JSON"].write_text('{"person": ', encoding="utf-8")
    files["nested"].write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return files


@pytest.mark.parametrize("kind", ["missing", "folder", "not UTF-8", "not JSON", "nested"])
def test_a_from_json_file_that_cannot_be_used(
    store: tuple[str, Path], tmp_path: Path, kind: str
) -> None:
    url, _ = store
    before = _dump(url)
    result = socai(
        url, "case", "receive", "--on", "2024-05-01", "--form", "rescued", "--unit", "29956",
        "--record", "BB-1", "--from-json", str(_bad_files(tmp_path)[kind]),
    )  # fmt: skip
    stderr = _refused(result)
    assert "--from-json" in stderr
    assert _dump(url) == before


@pytest.mark.parametrize("kind", ["missing", "folder", "not UTF-8", "not JSON", "nested"])
def test_a_proof_file_that_cannot_be_used(
    store: tuple[str, Path], tmp_path: Path, kind: str
) -> None:
    url, folder = store
    public = folder / "s.db.signing.pub.pem"
    result = socai(url, "audit", "verify-proof", str(_bad_files(tmp_path)[kind]),
                   "--public-key", str(public))  # fmt: skip
    assert "PROOF" in _refused(result)


@pytest.mark.parametrize("position", ["9223372036854775808", "99999999999999999999999", "0"])
def test_a_position_no_store_can_hold(store: tuple[str, Path], position: str) -> None:
    url, folder = store
    result = socai(url, "audit", "prove", position, "--public-key",
                   str(folder / "s.db.signing.pub.pem"))  # fmt: skip
    _refused(result)


@pytest.mark.parametrize(
    "args",
    [
        ("rollup", "--period", "2020", "--format", "csv", "-o", "/nonexistent/dir/r.csv"),
        ("audit", "prove", "1", "--out", "/nonexistent/dir/p.json"),
        ("audit", "export-checkpoints", "/proc/socai-cannot-write-here"),
    ],
)
def test_an_output_path_that_cannot_be_written(
    store: tuple[str, Path], args: tuple[str, ...]
) -> None:
    url, folder = store
    extra = ("--public-key", str(folder / "s.db.signing.pub.pem")) if args[1] == "prove" else ()
    stderr = _refused(socai(url, *args, *extra))
    assert "hint:" in stderr


@pytest.mark.parametrize("value", ["x'ff00'", "42", "'{not a checkpoint'", "x'7b7d'"])
def test_a_stored_checkpoint_retyped_in_the_database_is_reported(
    store: tuple[str, Path], tmp_path: Path, value: str
) -> None:
    url, folder = store
    copy = tmp_path / "s.db"
    with sqlite3.connect(url.removeprefix("sqlite:///")) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with sqlite3.connect(copy) as connection:
        connection.execute(f"UPDATE ledger_checkpoints SET document = {value}")
    result = socai(f"sqlite:///{copy}", "--key-file", str(folder / "s.db.key"), "audit",
                   "verify", "--public-key", str(folder / "s.db.signing.pub.pem"))  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert "NOT INTACT" in result.stdout and "stored checkpoint" in result.stdout
    assert "Traceback" not in result.stderr


def test_two_writers_withdrawing_one_activity_one_loses_cleanly(tmp_path: Path) -> None:
    from infra.keys import create_key_file

    key = tmp_path / "k.key"
    create_key_file(key)
    app = Socai(Settings.load(f"sqlite:///{tmp_path / 's.db'}", str(key)))
    try:
        command = IssueDirective(occurred_on=date(2024, 3, 1), unit_code="87", documents=1)
        activity_id = app.activities.record(command, worker(app, ACTOR))
        stale = app.activities.get(activity_id)  # the loser read it before the winner wrote
        withdraw = Withdraw(occurred_on=date(2024, 3, 2), reason="ghi nhầm")
        app.activities.withdraw(activity_id, withdraw, worker(app, ACTOR))
        stale.withdraw(withdraw, ACTOR, app.now())
        with pytest.raises(ConcurrentWriteConflict, match="another writer") as lost:
            app.store.save_or_refuse(stale, f"activity {activity_id}")
        assert lost.value.hint
        assert app.activities.get(activity_id).version == 2  # the winner's write alone
    finally:
        app.close()
