"""The chain is written with the events, in the same transaction, in log order."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder
from hypothesis import given
from hypothesis import strategies as st

from infra.keys import create_key_file
from infra.ledger.audit import verify_store
from infra.ledger.chain import ChainedSQLiteRecorder, Head, link
from infra.ledger.errors import LedgerError
from infra.ledger.hashing import chain_hash, leaf_bytes, leaf_hash
from infra.ledger.store import LedgerTables
from infra.scenario.builders import ledger_receive_command
from infra.scenario.staff import worker
from infra.services.socai import Socai
from infra.settings import Settings
from tests.infra.ledger.support import ACTOR


@pytest.fixture
def app(tmp_path: Path) -> Socai:
    settings = Settings.load(f"sqlite:///{tmp_path / 'socai.db'}")
    create_key_file(settings.key_file)
    opened = Socai(settings)
    yield opened  # type: ignore[misc]
    opened.close()


def test_every_event_is_chained_in_log_order(app: Socai) -> None:
    officer = worker(app, ACTOR)  # the users' events are chained like the cases'
    for _ in range(3):
        app.cases.receive(ledger_receive_command(), officer)
    tables = LedgerTables(app.store.recorder)
    rows = [
        (p, link.leaf_index, link.prev_position)
        for p, _, link in tables.merged()
        if link is not None
    ]
    assert rows == [(p, p - 1, p - 1) for p in range(1, app.log.head() + 1)]
    assert len(rows) > 3
    assert verify_store(tables, None).intact


def test_writes_of_one_event_and_of_several_chain_alike(app: Socai) -> None:
    """Writes of one event and of several, in turn: every leaf links on the one before, with
    no gap, and the whole verifies."""
    recorder = app.store.recorder
    officer = worker(app, ACTOR)
    app.cases.receive(ledger_receive_command(), officer)
    other = uuid4()
    for versions in ((1,), (2, 3, 4), (5,), (6, 7)):
        recorder.insert_events(
            [StoredEvent(other, v, "socai.test:Raw.v1", b"state %d" % v) for v in versions]
        )
    tables = LedgerTables(recorder)
    rows = [(p, link.leaf_index, link.prev_position) for p, _, link in tables.merged() if link]
    assert rows == [(p, p - 1, p - 1) for p in range(1, app.log.head() + 1)]
    assert verify_store(tables, None).intact


def test_reading_an_aggregates_events_gives_the_librarys_rows(app: Socai) -> None:
    """The chained SQLite recorder reads one aggregate's events as one statement (no
    BEGIN/ROLLBACK around it): the same rows as the library's own query, for every filter."""
    officer = worker(app, ACTOR)
    case_id = app.cases.receive(ledger_receive_command(), officer)
    recorder = app.store.recorder
    assert isinstance(recorder, ChainedSQLiteRecorder)
    library = SQLiteApplicationRecorder.select_events
    for aggregate_id in (case_id, officer.user_id, uuid4()):
        for gt, lte, desc, limit in itertools.product(
            (None, 0, 1, 2), (None, 1, 3), (False, True), (None, 1, 5)
        ):
            kwargs = {"gt": gt, "lte": lte, "desc": desc, "limit": limit}
            assert recorder.select_events(aggregate_id, **kwargs) == library(  # type: ignore[arg-type]
                recorder, aggregate_id, **kwargs
            )
    assert len(recorder.select_events(officer.user_id)) >= 3  # registered, granted, tokens


def test_a_write_after_the_tail_was_tampered_is_refused_and_stores_nothing(
    app: Socai, tmp_path: Path
) -> None:
    officer = worker(app, ACTOR)
    for _ in range(3):
        app.cases.receive(ledger_receive_command(), officer)
    last = app.log.head()
    with sqlite3.connect(tmp_path / "socai.db") as raw:  # SQLite reuses the last rowid
        raw.execute("DELETE FROM stored_events WHERE rowid = ?", (last,))
    with pytest.raises(LedgerError, match=f"does not follow the chain head {last}"):
        app.cases.receive(ledger_receive_command(), officer)
    assert app.log.head() == last - 1
    report = verify_store(LedgerTables(app.store.recorder), None)
    assert report.first is not None
    assert (report.first.kind, report.first.position) == ("missing_event", last)


def reference_rows(
    head: Head, positions: list[int], events: list[StoredEvent], recorded_at: str
) -> list[tuple[int, int, int, str, bytes, bytes]]:
    """The chain rows as the ledger defines them, spelled out step by step (the leaf of
    :func:`leaf_bytes`, its RFC 9162 hash, the link to the value before)."""
    rows = []
    previous, index, value = head.position, head.leaf_index, head.chain_hash
    for position, event in zip(positions, events, strict=True):
        leaf = leaf_bytes(
            position,
            str(event.originator_id),
            event.originator_version,
            event.topic,
            event.state,
            recorded_at,
        )
        digest = leaf_hash(leaf)
        value = chain_hash(value, digest)
        index += 1
        rows.append((position, index, previous, recorded_at, digest, value))
        previous = position
    return rows


stored_events = st.builds(
    StoredEvent,
    originator_id=st.uuids(),
    originator_version=st.integers(0, 2**63 - 1),
    topic=st.text(max_size=60),
    state=st.binary(max_size=400),
)


@given(
    head=st.one_of(
        st.just(Head()),
        st.builds(
            Head, st.integers(1, 2**40), st.integers(0, 2**40), st.binary(min_size=32, max_size=32)
        ),
    ),
    events=st.lists(stored_events, min_size=1, max_size=12),
    gaps=st.lists(st.integers(1, 3), min_size=12, max_size=12),
    recorded_at=st.text(max_size=40),
)
def test_the_writer_links_the_leaves_the_ledger_defines(
    head: Head, events: list[StoredEvent], gaps: list[int], recorded_at: str
) -> None:
    """The writer's one-call leaf hashing gives byte for byte the defined rows and head, for
    any events, any positions after the head (with gaps, as PostgreSQL burns ids) and any
    head, the genesis included."""
    positions = []
    position = head.position
    for gap in gaps[: len(events)]:
        position += gap
        positions.append(position)
    rows, new_head = link(head, positions, events, recorded_at)
    expected = reference_rows(head, positions, events, recorded_at)
    assert rows == expected
    assert new_head == Head(positions[-1], expected[-1][1], expected[-1][5])


def test_a_position_at_or_before_the_head_is_refused() -> None:
    event = StoredEvent(originator_id=UUID(int=1), originator_version=1, topic="t", state=b"s")
    for position in (4, 3):
        with pytest.raises(LedgerError, match="does not follow the chain head 4"):
            link(Head(4, 3, bytes(32)), [position], [event], "2026-11-29T10:00:00+00:00")
    with pytest.raises(LedgerError, match="does not follow the chain head 5"):
        link(Head(4, 3, bytes(32)), [5, 5], [event, event], "2026-11-29T10:00:00+00:00")
