"""Schema versions of a store's own tables, migrated with Alembic (di chuyển lược đồ).

A store's database holds the eventsourcing library's ``stored_events`` (the library's own
table: socai records the library version that laid it out, see :mod:`infra.schema.identity`,
and never migrates it) and socai's tables beside it: the ledger (``ledger_*``), the key-check
value, the relay's positions and the identity row. Their schema version is the Alembic
revision in ``socai_schema_version``; the revisions are ``infra/schema/migrations/versions``.

Every open of the store by the application (:class:`infra.application.EventStore`) first
reads that version, before the library creates or touches a table:

- **new** (no database, or no version and no event): initialised on the spot — every
  revision is applied and the identity recorded (the same as ``socai init`` with the default
  identity). So ``socai demo``, ``socai init`` and a first write all work on a new store;
- **current**: opened;
- **older** (a lower revision, or none on a store that holds events — made before schema
  versions): refused with a hint to run ``socai migrate``. Not upgraded on open: a migration
  of an audit store is a deliberate, backed-up step, and on several machines a newly deployed
  process must not change the schema under processes still running the old code;
- **newer** (a revision this code does not know): refused — older code must never write to
  a schema it does not know.

Upgrades run in one transaction that first takes the database's lock (SQLite ``BEGIN
IMMEDIATE``; a PostgreSQL transaction advisory lock), so two processes that open a new store at
once, or two operators who run ``socai migrate`` at once, apply each revision exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from eventsourcing.persistence import OperationalError
from sqlalchemy.pool import NullPool

from domain.errors import SocaiError
from infra.schema.identity import (
    DEFAULT_STORE_ID,
    IDENTITY_TABLE,
    StoreIdentity,
    environment_store_id,
    eventsourcing_series,
)
from infra.settings import Settings, StoreURL

log = logging.getLogger("socai.schema")

VERSION_TABLE = "socai_schema_version"
MIGRATIONS = Path(__file__).with_name("migrations")
#: The library's events table by dialect (its SQLite recorder names it ``stored_events``, its
#: PostgreSQL one after the application, ``socai_events``).
EVENTS_TABLES = {"sqlite": "stored_events", "postgresql": "socai_events"}
#: Seconds a PostgreSQL connection attempt may take (as the application's own).
CONNECT_TIMEOUT_SECONDS = 5
#: Seconds SQLite waits for another writer's lock.
SQLITE_LOCK_TIMEOUT_SECONDS = 30
#: Key of the PostgreSQL advisory lock held while migrating (any fixed 64-bit number).
MIGRATION_LOCK_KEY = 0x50C41_5C4E3A


class SchemaMismatch(SocaiError):
    """The store's schema version is not the one this code runs with."""


class DatabaseUnusable(SocaiError, OperationalError):
    """The store's database does not answer, refuses the login, or is no database. Also the
    library's ``OperationalError``, which the application reports as an unreachable store
    (with ``str()``, the driver's reason alone)."""

    def __init__(self, store_display: str, reason: str) -> None:
        super().__init__(
            f"cannot open the store {store_display}: {reason}",
            hint="check --store / SOCAI_STORE (host, port, database, password, or the file"
            " path), and that the server is running and accepts connections",
        )
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


@cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def head() -> str:
    revision = scripts().get_current_head()
    assert revision is not None, "at least one migration"
    return revision


@dataclass(frozen=True, slots=True)
class SchemaState:
    """What a store's database holds: its revision (None: unversioned) and whether it has
    events."""

    revision: str | None
    has_events: bool

    @property
    def status(self) -> str:
        """``new``, ``current``, ``older`` or ``newer``."""
        if self.revision is None:
            return "older" if self.has_events else "new"
        if self.revision == head():
            return "current"
        try:
            scripts().get_revision(self.revision)
        except CommandError:
            return "newer"
        return "older"

    @property
    def label(self) -> str:
        return self.revision or "none (made before schema versions)"


def schema_engine(url: StoreURL) -> sa.Engine:
    """A short-lived engine on the store's database (no pool: one command, one connection)."""
    if url.sqlite_path is not None:
        url.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(
            url.sqlalchemy_url(),
            poolclass=NullPool,
            connect_args={"timeout": SQLITE_LOCK_TIMEOUT_SECONDS},
        )
    return sa.create_engine(
        url.sqlalchemy_url(),
        poolclass=NullPool,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )


def read_state(engine: sa.Engine) -> SchemaState:
    with engine.connect() as connection:
        revision = MigrationContext.configure(
            connection, opts={"version_table": VERSION_TABLE}
        ).get_current_revision()
        events = EVENTS_TABLES[connection.dialect.name]
        has_events = (
            sa.inspect(connection).has_table(events)
            and connection.exec_driver_sql(f"SELECT 1 FROM {events} LIMIT 1").first() is not None
        )
    return SchemaState(revision, has_events)


def read_identity(engine: sa.Engine) -> StoreIdentity | None:
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(IDENTITY_TABLE):
            return None
        row = connection.exec_driver_sql(
            f"SELECT store_id, how, recorded_at, eventsourcing FROM {IDENTITY_TABLE} WHERE id = 1"
        ).first()
    return None if row is None else StoreIdentity(*(str(value) for value in row))


def upgrade(engine: sa.Engine, store_id: str, how: str) -> tuple[str | None, str]:
    """Apply every revision the store lacks, in one locked transaction; returns (from, to).

    ``store_id`` and ``how`` are the identity the identity revision records, if it runs. The
    row's library version is set to the installed one in the same transaction."""
    attributes = {"store_id": store_id, "how": how, "now": _now(), "eventsourcing": _library()}
    applied: dict[str, str | None] = {}

    def plan(current: Any, _context: MigrationContext) -> Any:
        applied["from"] = current[0] if current else None
        return scripts()._upgrade_revs(head(), current)

    with engine.connect() as connection:
        _lock(connection)
        config = _config(attributes)
        with EnvironmentContext(config, scripts(), fn=plan, destination_rev=head()) as env:
            env.configure(
                connection=connection,
                version_table=VERSION_TABLE,
                render_as_batch=connection.dialect.name == "sqlite",
            )
            env.run_migrations()
        connection.execute(
            sa.text(f"UPDATE {IDENTITY_TABLE} SET eventsourcing = :library WHERE id = 1"),
            {"library": _library()},
        )
        connection.commit()
    return applied.get("from"), head()


def _config(attributes: dict[str, str]) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes.update(attributes)
    return config


def _lock(connection: sa.Connection) -> None:
    """Serialise upgrades: the lock is held until the transaction ends."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _library() -> str:
    from importlib.metadata import version

    return version("eventsourcing")


def default_identity() -> str:
    """The identity a store is created with when nobody chose one."""
    return environment_store_id() or DEFAULT_STORE_ID


def require_schema(settings: Settings) -> StoreIdentity:
    """Open-time check of the application: initialise a new store, refuse an older or a newer
    one (before anything is created or written); returns the store's identity.

    A database that cannot be reached raises the library's ``OperationalError``, which the
    application reports as an unreachable store."""
    with _engine_of(settings) as engine:
        state = _state(settings, engine)
        if state.status == "new":
            store_id = default_identity()
            upgrade(engine, store_id, "init")
            log.info("initialised the new store %s as %r", settings.store.display, store_id)
        else:
            refuse_unless_current(settings, state)
        identity = read_identity(engine)
    assert identity is not None, "a current store has its identity row"
    _require_library_series(settings, identity)
    return identity


def initialise(settings: Settings, store_id: str) -> StoreIdentity:
    """``socai init``: make a new store at the newest schema with the identity ``store_id``.
    Refused for a store that already exists (it keeps its identity for life)."""
    with _engine_of(settings) as engine:
        state = _state(settings, engine)
        if state.status == "current":
            existing = read_identity(engine)
            assert existing is not None
            raise SchemaMismatch(
                f"the store {settings.store.display} already exists (identity"
                f" {existing.store_id!r}, schema version {state.revision})",
                hint="a store is initialised once; choose another --store / SOCAI_STORE for a"
                " new one",
            )
        if state.status == "older" and state.has_events:
            raise SchemaMismatch(
                f"the store {settings.store.display} holds events but has no schema version"
                f" ({state.label}): it was made before `socai init`",
                hint="run `socai migrate` (it adopts the identity the store was used with)",
            )
        if state.status != "new":
            refuse_unless_current(settings, state)
        upgrade(engine, store_id, "init")
        identity = read_identity(engine)
    assert identity is not None
    return identity


@dataclass(frozen=True, slots=True)
class Migration:
    """What ``socai migrate`` did: from which revision to which, and the identity (adopted
    by this migration, or kept)."""

    before: str | None
    after: str
    identity: StoreIdentity
    adopted: bool


def migrate(settings: Settings, store_id: str | None) -> Migration:
    """``socai migrate``: bring an existing store to the newest schema. A store without an
    identity adopts ``store_id`` (default: :func:`default_identity`); a store with one keeps
    it, and a different ``store_id`` is refused."""
    with _engine_of(settings) as engine:
        state = _state(settings, engine)
        if state.status == "new":
            raise SchemaMismatch(
                f"there is no store at {settings.store.display} to migrate",
                hint="`socai init` creates one; check --store / SOCAI_STORE",
            )
        if state.status == "newer":
            refuse_unless_current(settings, state)
        before = read_identity(engine)
        if before is not None:
            before.require_environment_agrees(settings.store.display)
            if store_id is not None and before.store_id != store_id:
                raise SchemaMismatch(
                    f"the store {settings.store.display} is {before.store_id!r}, not {store_id!r}",
                    hint="a store keeps its identity for life: drop --store-id",
                )
        upgrade(engine, store_id or default_identity(), "adopted")
        identity = read_identity(engine)
    assert identity is not None
    return Migration(state.revision, head(), identity, adopted=before is None)


def refuse_unless_current(settings: Settings, state: SchemaState) -> None:
    where = settings.store.display
    if state.status == "newer":
        raise SchemaMismatch(
            f"the store {where} has schema version {state.revision}, newer than this socai"
            f" knows (its newest is {head()}): a newer socai migrated it",
            hint="run the socai release that migrated it, or a newer one; older code never"
            " writes to a schema it does not know",
        )
    if state.status == "older":
        raise SchemaMismatch(
            f"the store {where} has schema version {state.label}; this socai needs {head()}",
            hint="back the store up, stop its relay and workers, then run `socai migrate`",
        )


def require_readable(settings: Settings) -> None:
    """For keyless readers of the ledger (``socai audit``): refuse only a newer schema. An
    older store's ledger tables are read as they are (every revision so far keeps them
    readable), so an inspector never has to change the store to verify it."""
    with _engine_of(settings) as engine:
        state = _state(settings, engine)
    if state.status == "newer":
        refuse_unless_current(settings, state)


def _require_library_series(settings: Settings, identity: StoreIdentity) -> None:
    stored, installed = eventsourcing_series(identity.eventsourcing), eventsourcing_series()
    if stored != installed:
        raise SchemaMismatch(
            f"the events of the store {settings.store.display} were laid out by eventsourcing"
            f" {identity.eventsourcing}; this socai runs eventsourcing {_library()}",
            hint="read the library's upgrade notes for stored events; once they are"
            " compatible, `socai migrate` records the new version",
        )


def state_of(settings: Settings) -> SchemaState:
    with _engine_of(settings) as engine:
        return _state(settings, engine)


def _state(settings: Settings, engine: sa.Engine) -> SchemaState:
    path = settings.store.sqlite_path
    if path is not None and not path.exists():
        return SchemaState(None, False)
    return read_state(engine)


@contextmanager
def _engine_of(settings: Settings) -> Iterator[sa.Engine]:
    """An engine disposed on leaving; a database that cannot be used becomes
    :class:`DatabaseUnusable` (with the driver's message, which names no password)."""
    engine = schema_engine(settings.store)
    try:
        yield engine
    except sa.exc.DBAPIError as error:
        raise DatabaseUnusable(settings.store.display, str(error.orig).strip()) from None
    finally:
        engine.dispose()
