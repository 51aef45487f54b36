"""As it stood (theo dữ liệu đã ghi nhận tại thời điểm T): projections as known at a past
record time.

An inspector asks what a report submitted at time T showed and what changed since. The
simple, correct way: build every projection afresh, in a private in-memory database, from
exactly the events whose record time (``timestamp``) is at or before T — corrections and
late entries recorded after T are left out, those recorded before are in. The result is the
same tables a live projection had at T, so the same queries (rollup, case status, KPIs) run
on it unchanged.
"""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import DomainEvent
from sqlalchemy import Engine, create_engine
from sqlalchemy.pool import StaticPool

from domain.time import require_aware
from projections.eventlog import EventLog
from projections.framework import (
    REBUILD_BATCH_SIZE_EVENTS,
    InProcessRunner,
    ProgressCallback,
    Projection,
)
from projections.registry import all_projections


def memory_engine() -> Engine:
    """A private in-memory SQLite database (one connection, usable from any thread)."""
    return create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )


def known_at(
    log: EventLog,
    instant: datetime,
    projections: list[Projection] | None = None,
    progress: ProgressCallback | None = None,
) -> Engine:
    """Projections built from the events recorded at or before ``instant`` (``progress`` is
    told how many notifications each batch covered)."""
    require_aware(instant, "--known-at")
    engine = memory_engine()
    runner = InProcessRunner(
        log,
        engine,
        projections or all_projections(),
        batch_size=REBUILD_BATCH_SIZE_EVENTS,
        accept=lambda event: isinstance(event, DomainEvent) and event.timestamp <= instant,
    )
    runner.run(progress)
    return engine
