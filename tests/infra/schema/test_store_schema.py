"""Schema versions of a store: a new store is initialised, an older or newer one refused with
nothing written, upgrades are atomic and serialised, and the code's own DDL never drifts from
what the migrations build."""

from __future__ import annotations

import shutil
import socket
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from eventsourcing.persistence import InfrastructureFactory
from eventsourcing.utils import Environment

from infra.application import EventStore, store_env
from infra.audit_store import ledger_tables
from infra.key_check import require_store_key
from infra.keys import create_key_file, load_key
from infra.privacy.vault import TABLES as PERSON_KEY_TABLES
from infra.scenario.staff import worker
from infra.schema import store as schema
from infra.schema.identity import IdentityError, StoreIdentity, check_store_id
from infra.schema.store import EVENTS_TABLES, VERSION_TABLE, SchemaMismatch, head, state_of
from infra.services.socai import Socai
from infra.settings import Settings
from streams.positions import PositionStore
from tests.conftest import BORDER_GUARD
from tests.infra.cli.test_cli import socai
from tests.infra.test_key_check import RECEIVE

pytestmark = pytest.mark.integration


@pytest.fixture
def key(tmp_path: Path) -> Path:
    path = tmp_path / "k.key"
    create_key_file(path)
    return path


def _sql(url: str, statement: str, params: dict[str, object] | None = None) -> None:
    engine = sa.create_engine(Settings.load(url).store.sqlalchemy_url())
    with engine.begin() as connection:
        connection.execute(sa.text(statement), params or {})
    engine.dispose()


def _dump(url: str) -> list[tuple[str, list[str]]]:
    engine = sa.create_engine(Settings.load(url).store.sqlalchemy_url())
    with engine.connect() as connection:
        tables = sorted(sa.inspect(connection).get_table_names())
        dump = [
            (t, sorted(repr(tuple(r)) for r in connection.exec_driver_sql(f"SELECT * FROM {t}")))
            for t in tables
        ]
    engine.dispose()
    return dump


def _with_a_case(url: str, key: Path) -> int:
    """A case received by a registered officer; returns the events written (the users' too)."""
    app = Socai(Settings.load(url, str(key)))
    app.cases.receive(RECEIVE, worker(app, BORDER_GUARD))
    written = app.log.head()
    app.close()
    return written


def test_a_new_store_is_initialised_on_first_open(
    store_url: str, key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCAI_STORE_ID", "an-giang")
    app = Socai(Settings.load(store_url, str(key)))
    try:
        identity = app.store.identity
        assert (identity.store_id, identity.how) == ("an-giang", "init")
        assert app.store.recorder.events_table_name == EVENTS_TABLES[app.settings.store.kind]
    finally:
        app.close()
    assert state_of(Settings.load(store_url)).revision == head()


# -- refusals: every way a store's schema can disagree with the code, nothing written --------

Spoil = Callable[[str, Path], str]


def _newer(url: str, _key: Path) -> str:
    _sql(url, f"UPDATE {VERSION_TABLE} SET version_num = '9999_from_the_future'")
    return "newer than this socai"


def _older_revision(url: str, _key: Path) -> str:
    _sql(url, f"UPDATE {VERSION_TABLE} SET version_num = '0001_baseline'")
    return "socai migrate"


def _unversioned(url: str, _key: Path) -> str:
    _sql(url, f"DROP TABLE {VERSION_TABLE}")
    _sql(url, "DROP TABLE socai_store")
    return "made before schema versions"


def _other_library_series(url: str, _key: Path) -> str:
    _sql(url, "UPDATE socai_store SET eventsourcing = '9.4.12'")
    return "laid out by eventsourcing 9.4.12"


@pytest.mark.parametrize("spoil", [_newer, _older_revision, _unversioned, _other_library_series])
def test_a_store_of_another_schema_is_refused_before_anything_is_written(
    store_url: str, key: Path, spoil: Spoil
) -> None:
    _with_a_case(store_url, key)
    expected = spoil(store_url, key)
    dump = _dump(store_url)
    with pytest.raises(SchemaMismatch, match=expected) as refused:
        Socai(Settings.load(store_url, str(key)))
    assert refused.value.hint
    result = socai(store_url, "--key-file", str(key), "case", "list")
    assert result.returncode == 2
    assert "error:" in result.stderr and "hint:" in result.stderr
    assert _dump(store_url) == dump


def test_the_audit_tools_read_an_older_store_but_refuse_a_newer_one(
    store_url: str, key: Path
) -> None:
    written = _with_a_case(store_url, key)
    _older_revision(store_url, key)
    with ledger_tables(Settings.load(store_url)) as tables:
        assert tables.head().size == written
    _newer(store_url, key)
    with pytest.raises(SchemaMismatch, match="newer"), ledger_tables(Settings.load(store_url)):
        pass


def test_migrate_refuses_a_newer_store_and_records_a_checked_library(
    store_url: str, key: Path
) -> None:
    _with_a_case(store_url, key)
    _other_library_series(store_url, key)
    result = socai(store_url, "migrate")  # no key needed
    assert result.returncode == 0, result.stderr
    Socai(Settings.load(store_url, str(key))).close()
    _newer(store_url, key)
    dump = _dump(store_url)
    refused = socai(store_url, "migrate")
    assert refused.returncode == 2
    assert "newer than this socai" in refused.stderr
    assert _dump(store_url) == dump


def test_migrate_and_init_refuse_a_store_that_is_not_there_or_already_there(
    tmp_path: Path, key: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'none.db'}"
    missing = socai(url, "migrate")
    assert missing.returncode == 2
    assert "no store" in missing.stderr
    assert not (tmp_path / "none.db").exists()

    created = socai(url, "init", "--store-id", "ha-noi")
    assert created.returncode == 0, created.stderr
    assert "identity ha-noi" in created.stdout
    assert (tmp_path / "none.db.key").exists()  # its key, made with it
    again = socai(url, "init", "--store-id", "other")
    assert again.returncode == 2
    assert "already exists" in again.stderr
    app = Socai(Settings.load(url))
    try:
        assert (app.store.identity.store_id, app.store.identity.how) == ("ha-noi", "init")
    finally:
        app.close()


@pytest.mark.parametrize("word", ["", "two words", "a/b", "x" * 65, "tab\there"])
def test_a_malformed_identity_is_refused_and_nothing_is_created(tmp_path: Path, word: str) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    result = socai(url, "init", "--store-id", word) if word else socai(url, "init")
    if not word:  # no --store-id: the default identity
        assert result.returncode == 0
        return
    assert result.returncode == 2
    assert "one word" in result.stderr
    assert not (tmp_path / "s.db").exists()
    with pytest.raises(IdentityError):
        check_store_id(word)


def test_identities_of_any_script_that_were_accepted_before_are_still_accepted() -> None:
    assert check_store_id(" đồng-tháp_1 ") == "đồng-tháp_1"


def test_an_environment_identity_that_names_another_store_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    identity = StoreIdentity("hanoi", "init", "2026-01-01T00:00:00+00:00", "9.5.6")
    monkeypatch.setenv("SOCAI_STORE_ID", "hanoi")
    identity.require_environment_agrees("s")
    monkeypatch.setenv("SOCAI_STORE_ID", "saigon")
    with pytest.raises(IdentityError, match="new public id") as refused:
        identity.require_environment_agrees("s")
    assert refused.value.hint and "hanoi" in refused.value.hint


# -- upgrades: atomic and serialised -------------------------------------------------------


def test_a_failing_revision_leaves_the_store_as_it_was(
    tmp_path: Path, key: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    _with_a_case(url, key)
    _unversioned(url, key)
    dump = _dump(url)
    broken = tmp_path / "migrations"
    shutil.copytree(schema.MIGRATIONS, broken)
    (broken / "versions" / "0003_broken.py").write_text(
        'revision = "0003_broken"\ndown_revision = "0002_store_identity"\n'
        "from alembic import op\n\n"
        "def upgrade():\n"
        '    op.execute("CREATE TABLE half_done (x INTEGER)")\n'
        '    raise RuntimeError("a revision fails half way")\n'
    )
    monkeypatch.setattr(schema, "MIGRATIONS", broken)
    schema.scripts.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="half way"):
            schema.migrate(Settings.load(url), None)
    finally:
        schema.scripts.cache_clear()
    assert _dump(url) == dump  # neither the baseline, nor the identity, nor half of 0003


def test_two_processes_initialising_a_new_store_at_once_initialise_it_once(
    store_url: str, key: Path
) -> None:
    """(Only socai's schema: the library's own first ``CREATE TABLE IF NOT EXISTS`` of its
    events table is not serialised on PostgreSQL, so stores are opened once first.)"""
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def open_it() -> None:
        try:
            barrier.wait()
            schema.require_schema(Settings.load(store_url, str(key)))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    rows = dict(_dump(store_url))
    assert rows[VERSION_TABLE] == [repr((head(),))]
    assert len(rows["socai_store"]) == 1


# -- drift: the tables the code creates are the tables the migrations create ------------------


def _shape(url: str, tables: set[str]) -> dict[str, object]:
    engine = sa.create_engine(Settings.load(url).store.sqlalchemy_url())
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        shape = {
            t: (
                [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(t)],
                inspector.get_pk_constraint(t)["constrained_columns"],
                sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(t)),
            )
            for t in sorted(tables)
        }
    engine.dispose()
    return shape


def test_the_codes_own_tables_match_the_migrated_schema(
    make_url: Callable[[], str], key: Path
) -> None:
    migrated, by_code = make_url(), make_url()
    Socai(Settings.load(migrated, str(key))).close()
    PositionStore(sa.create_engine(Settings.load(migrated).store.sqlalchemy_url()))

    settings = Settings.load(by_code, str(key))  # the code's DDL alone, no migration
    env = store_env(settings, load_key(settings))
    factory = InfrastructureFactory.construct(Environment(EventStore.name, env))
    require_store_key(factory.application_recorder(), load_key(settings), "s")
    factory.close()
    PositionStore(sa.create_engine(settings.store.sqlalchemy_url()))

    engine = sa.create_engine(settings.store.sqlalchemy_url())
    code_tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert {"ledger_chain", "ledger_log", "socai_key_check"} <= code_tables
    assert _shape(by_code, code_tables) == _shape(migrated, code_tables)


@pytest.fixture
def make_url(store_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[], str]:
    """Fresh stores of the parametrised kind."""
    made = [0]

    def make() -> str:
        made[0] += 1
        if store_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / f'store{made[0]}.db'}"
        server = request.getfixturevalue("postgres_server")
        return server.create_database(f"drift_{made[0]}_{tmp_path.name[-12:].lower()}")

    return make


def test_sqlite_stores_made_by_init_hold_only_known_tables(tmp_path: Path, key: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    Socai(Settings.load(url, str(key))).close()
    with sqlite3.connect(tmp_path / "s.db") as connection:
        names = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert names == {
        "stored_events",
        "ledger_chain",
        "ledger_nodes",
        "ledger_node_state",
        "ledger_checkpoints",
        "ledger_log",
        "socai_key_check",
        "socai_stream_relay_positions",
        "socai_store",
        VERSION_TABLE,
        *PERSON_KEY_TABLES,
    }


@pytest.mark.parametrize("command", [("migrate",), ("migrate", "--check"), ("init",)])
def test_a_database_that_cannot_be_used_is_a_clear_error(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    garbage = tmp_path / "not-a-store.db"
    garbage.write_bytes(b"a text file, not SQLite\n" * 100)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    for store in (f"sqlite:///{garbage}", f"postgresql://socai:s3cret@127.0.0.1:{port}/socai"):
        result = socai(store, "--key-file", str(tmp_path / "k.key"), *command)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith("error: cannot open the store")
        assert "Traceback" not in result.stderr and "s3cret" not in result.stderr
    assert garbage.read_bytes() == b"a text file, not SQLite\n" * 100
