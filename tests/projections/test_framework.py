"""The framework's driver-neutral API, as a Kafka consumer uses it: apply a batch and record
a (source, partition) → offset position in one transaction; redelivered batches are skipped;
a failed batch leaves neither rows nor position."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, create_engine, func, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from infra.scenario.builders import StepClock, open_app
from infra.scenario.histories import received_in_866
from projections.case_status import CaseStatusProjection, case_step
from projections.framework import (
    Position,
    _bind_processor,
    apply_batch,
    content_digest,
    create_tables,
    position_of,
    reset,
)


def record_two_steps(app: Any, clock: StepClock) -> Any:
    """A case received and given its demographics: two events; returns the case id."""
    return received_in_866(app, clock, date(2020, 5, 1), "BB-9", "male", 2008)


def _events(tmp_path: Path) -> list:
    clock = StepClock()
    app = open_app(tmp_path, clock)
    cid = record_two_steps(app, clock)
    events = app.cases.events(cid)
    app.close()
    return events


def test_offsets_per_partition_and_redelivery(tmp_path: Path) -> None:
    events = _events(tmp_path)
    projection = CaseStatusProjection()
    engine = create_engine("sqlite://")
    create_tables(engine, [projection])
    with Session(engine) as session, session.begin():
        assert apply_batch(session, projection, events[:1], Position("socai.case", 3, 41))
    with Session(engine) as session, session.begin():
        # redelivered after a rebalance: skipped, nothing applied twice
        assert not apply_batch(session, projection, events[:1], Position("socai.case", 3, 41))
        assert apply_batch(session, projection, events[1:], Position("socai.case", 3, 42))
    with Session(engine) as session:
        assert position_of(session, projection.name, "socai.case", 3) == 42
        assert position_of(session, projection.name, "socai.case", 4) == 0
        assert session.execute(select(func.count()).select_from(case_step)).scalar() == 2


def test_a_failed_batch_leaves_neither_rows_nor_position(tmp_path: Path) -> None:
    events = _events(tmp_path)
    projection = CaseStatusProjection()
    engine = create_engine("sqlite://")
    create_tables(engine, [projection])
    with pytest.raises(AssertionError), Session(engine) as session, session.begin():
        # the same event twice in one batch breaks an invariant: the transaction rolls back
        apply_batch(session, projection, [events[0], events[0]], Position("socai", 0, 1))
    with Session(engine) as session:
        assert position_of(session, projection.name) == 0
        assert session.execute(select(func.count()).select_from(case_step)).scalar() == 0


def test_the_step_cache_never_outlives_a_rollback_or_a_reset(tmp_path: Path) -> None:
    events = _events(tmp_path)
    projection = CaseStatusProjection()  # one instance, so its step cache is reused
    engine = create_engine("sqlite://")
    create_tables(engine, [projection])
    with Session(engine) as session, session.begin():
        apply_batch(session, projection, events[:1], Position("socai", 0, 1))
    with pytest.raises(AssertionError), Session(engine) as session, session.begin():
        apply_batch(session, projection, [events[1], events[1]], Position("socai", 0, 2))
    with Session(engine) as session, session.begin():  # the failed step is not remembered
        apply_batch(session, projection, events[1:], Position("socai", 0, 2))
    expected = content_digest(engine, projection)
    reset(engine, projection)  # tables emptied behind the cache's back, then another
    with Session(engine) as session, session.begin():  # writer applies the first event
        apply_batch(session, CaseStatusProjection(), events[:1], Position("socai", 0, 1))
    with Session(engine) as session, session.begin():  # the stale cache holds both steps
        apply_batch(session, projection, events[1:], Position("socai", 0, 2))
    assert content_digest(engine, projection) == expected


@settings(max_examples=500, deadline=None)
@given(value=st.none() | st.dates() | st.datetimes())
def test_the_sqlite_date_writer_writes_what_sqlalchemy_writes(value: date | None) -> None:
    """``insert_rows`` writes a date on SQLite with ``date.isoformat``: the same text as
    SQLAlchemy's own processor for every date of years 1–9999, a datetime or None."""
    dialect = sqlite.dialect()
    impl = Date().dialect_impl(dialect)
    ours = _bind_processor(impl, dialect)
    assert ours is not None
    assert ours(value) == impl.bind_processor(dialect)(value)


def test_a_wrong_value_in_a_sqlite_date_column_is_refused_as_before() -> None:
    dialect = sqlite.dialect()
    ours = _bind_processor(Date().dialect_impl(dialect), dialect)
    assert ours is not None
    with pytest.raises(TypeError, match="only accepts Python date"):
        ours("2024-01-01")
