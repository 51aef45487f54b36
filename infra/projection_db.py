"""Where the projections' tables live, and the runner wired to the store's event log.

- SQLite store (embedded default): a separate SQLite file beside the store,
  ``<store>.projections.db`` (e.g. ``socai.db.projections.db``). Read models are disposable
  (``socai projections rebuild``), so they never share a file, a lock or a backup policy with
  the event store; readers of the tables never block writers of events.
- PostgreSQL store: the same PostgreSQL database as the store (tables ``case_status``,
  ``activity_fact``, ``projection_positions``...), so the streams workers, the quality suites
  and reporting tools connect to one database.

``SOCAI_PROJECTIONS_DB`` (a SQLAlchemy URL) overrides both.
"""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL

from infra.settings import Settings
from projections.eventlog import EventLog
from projections.framework import InProcessRunner
from projections.registry import all_projections

#: SQLite page cache per connection, in KiB: rebuilds touch the step table's B-tree at random
#: (case ids are random UUIDs), so a cache far above the 2 MiB default saves most page reads.
SQLITE_CACHE_KIB = 65_536


def projections_url(settings: Settings) -> str | URL:
    override = os.environ.get("SOCAI_PROJECTIONS_DB")
    if override:
        return override
    store = settings.store
    if store.kind == "sqlite":
        assert store.sqlite_path is not None
        path = store.sqlite_path.with_name(store.sqlite_path.name + ".projections.db")
        return f"sqlite:///{path}"
    return store.sqlalchemy_url()  # PostgreSQL: the store's own database


def projections_engine(settings: Settings) -> Engine:
    engine = create_engine(projections_url(settings))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", sqlite_pragmas)
    return engine


def sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.close()


def runner_for(log: EventLog, engine: Engine) -> InProcessRunner:
    return InProcessRunner(log, engine, all_projections())
