"""The relay's encoding worker: the same batches as encoding in-process, handed out strictly
after the relay's recorded position, a batch kept until it is done, failures surfaced.

No broker is needed: these tests drive :class:`streams.pipeline.WorkerEncoder` directly, the
way :class:`streams.relay.Relay` does (the relay over Kafka with a worker is in
tests/streams/test_relay.py)."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from infra.services.eventlog import StoreEventLog, opened_event_log
from infra.settings import Settings
from projections.eventlog import EventLog, LogEntry
from streams.contracts.registry import published_internal_topics
from streams.pipeline import (
    DecodedOnly,
    EncodedBatch,
    InlineEncoder,
    RelayEncodingError,
    WorkerEncoder,
    encode_batch,
)

TOPICS = published_internal_topics()


def all_batches(encoder: WorkerEncoder | InlineEncoder) -> list[EncodedBatch]:
    batches, after = [], 0
    while (batch := encoder.batch_after(after)) is not None:
        batches.append(batch)
        encoder.done(batch)
        after = batch.last
    return batches


@contextmanager
def running_worker(
    settings: Settings,
    batch_size: int,
    log: Callable[[Settings], Any] = opened_event_log,
    warm_up: EventLog | None = None,
) -> Iterator[WorkerEncoder]:
    """Two workers encoding the store's log (read through ``log``) in batches of
    ``batch_size`` events, alternate cells each (the default is one: the tests take the
    harder case); with ``warm_up``, encoding that log here while they start (as the relay
    does); closed at the end, whatever happened."""
    worker = WorkerEncoder(
        partial(log, settings),
        "test",
        TOPICS,
        batch_size,
        workers=2,
        warm_up=None if warm_up is None else InlineEncoder(warm_up, "test", TOPICS, batch_size),
    )
    try:
        yield worker
    finally:
        worker.close()


def first_batch_sent(worker: WorkerEncoder) -> EncodedBatch:
    """The worker's first batch, marked done (sent)."""
    first = worker.batch_after(0)
    assert first is not None
    worker.done(first)
    return first


@pytest.fixture
def store(demo_store):  # type: ignore[no-untyped-def]
    app = demo_store.open()
    yield demo_store, app
    app.close()


def test_the_worker_encodes_the_same_batches_byte_for_byte_as_the_relay_process(store) -> None:
    files, app = store
    inline = all_batches(InlineEncoder(app.log, "test", TOPICS, 37))
    with running_worker(files.settings(), 37) as worker:
        assert all_batches(worker) == inline
        assert worker.starts == 1
    head = app.log.head()  # the users' events are covered too, without a message
    assert worker.workers == 2  # cells alternate between two processes
    assert inline[-1].last == head
    assert sum(b.covered for b in inline) == head
    # consecutive: each batch starts where the one before ended
    assert [b.after for b in inline] == [0] + [b.last for b in inline[:-1]]


def test_a_batch_not_done_is_handed_out_again_unchanged(store) -> None:
    """A send that failed leaves the position where it was: the same batch comes back."""
    files, _ = store
    with running_worker(files.settings(), 10) as worker:
        first = worker.batch_after(0)
        assert first is not None
        assert worker.batch_after(0) is first  # not done: the same batch
        worker.done(first)
        second = worker.batch_after(first.last)
        assert second is not None and second.after == first.last
        assert worker.starts == 1


@pytest.mark.parametrize("moved_to", [0, 3, 25])
def test_a_position_moved_under_the_relay_restarts_the_worker_from_it(store, moved_to) -> None:
    """A reset (``streams relay --reset``) or another writer of the position: the worker's
    prefetched batches are dropped and encoding restarts after the recorded position."""
    files, app = store
    with running_worker(files.settings(), 10) as worker:
        first_batch_sent(worker)
        again = worker.batch_after(moved_to)
        assert worker.starts == 2
        assert again == encode_batch(app.log, moved_to, 10, TOPICS, "test")


def test_the_end_of_the_log_is_caught_up_and_new_events_are_found_later(store, tmp_path) -> None:
    files, _ = store
    copy = files.copy_to(tmp_path / "copy")
    with running_worker(copy.settings(), 1_000) as worker, closing(copy.open()) as app:
        batch = first_batch_sent(worker)
        assert worker.batch_after(batch.last) is None  # caught up
        from domain.case.values import Actor
        from infra.scenario.builders import ledger_receive_command
        from infra.scenario.staff import worker as registered_worker

        # new events: an officer registered in this copy (users' events), then a reception
        officer = registered_worker(app, Actor("PIPE-01", "police"))
        app.cases.receive(ledger_receive_command(), officer)
        head = app.log.head()
        found = []
        after = batch.last
        for _ in range(200):  # the worker looks again every poll interval
            more = worker.batch_after(after)
            if more is not None:
                worker.done(more)
                found.append(more)
                after = more.last
            if after == head:
                break
        assert found and found[0].after == batch.last and after == head
        assert worker.starts == 1


@contextmanager
def failing_log(settings: Settings) -> Iterator[EventLog]:
    """A log whose reading fails on the second page (a store gone away, say)."""
    with opened_event_log(settings) as log:
        yield BrokenAfterOnePage(log)


class BrokenAfterOnePage:
    def __init__(self, log: StoreEventLog) -> None:
        self.log = log
        self.pages = 0

    def read(self, after: int, limit: int, topics: tuple[str, ...] = ()) -> list:
        self.pages += 1
        if self.pages > 1:
            raise OSError("disk I/O error")
        return self.log.read(after, limit, topics)

    def head(self) -> int:
        return self.log.head()


def test_a_failing_worker_stops_the_relay_at_its_position_with_the_error(store) -> None:
    """Each worker's log fails on its second page: the relay gets every batch before the
    first failing one, in order, then the error at its own position."""
    files, _ = store
    with running_worker(files.settings(), 10, failing_log) as worker:
        after, failure = until_failure(worker)
    assert after == 10 * worker.workers  # each worker's first cell, then the failure
    assert f"after position {after}: OSError: disk I/O error" in str(failure)


def until_failure(worker: WorkerEncoder) -> tuple[int, RelayEncodingError]:
    """Take the batches in order from position 0 until the worker fails: (the position
    reached, the error)."""
    after = 0
    for _ in range(100):
        try:
            batch = worker.batch_after(after)
        except RelayEncodingError as error:
            return after, error
        assert batch is not None and batch.after == after
        worker.done(batch)
        after = batch.last
    raise AssertionError("the worker never failed")


def drain(worker: WorkerEncoder, after: int) -> None:
    """Take batches until the worker answers otherwise (the ones it had queued come first)."""
    for _ in range(100):
        batch = worker.batch_after(after)
        assert batch is not None
        worker.done(batch)
        after = batch.last


def test_a_worker_killed_from_outside_is_reported_not_waited_for(store) -> None:
    files, _ = store
    with running_worker(files.settings(), 5) as worker:
        first = first_batch_sent(worker)
        process = worker._running[0].process  # the first cell's worker, again needed soon
        os.kill(process.pid, signal.SIGKILL)
        process.join()
        with pytest.raises(RelayEncodingError, match="ended unexpectedly"):
            drain(worker, first.last)


class BurnedIds:
    """The demo log as a store where ``burned`` ids after position ``at`` were never
    committed (refused saves): every later entry's position moved up by ``burned``."""

    def __init__(self, log: EventLog, at: int, burned: int) -> None:
        self.log, self.at, self.burned = log, at, burned

    def moved(self, position: int) -> int:
        return position + self.burned if position > self.at else position

    def read(self, after: int, limit: int, topics: tuple[str, ...] = ()) -> list[LogEntry]:
        original = after if after <= self.at else max(self.at, after - self.burned)
        entries = self.log.read(original, limit, topics)
        return [replace(e, position=self.moved(e.position)) for e in entries]

    def head(self) -> int:
        return self.moved(self.log.head())


def test_cells_of_burned_ids_are_passed_and_every_event_is_covered_once(store) -> None:
    """Batch boundaries sit on the grid whatever the gaps: a cell cut short by burned ids
    ends at the grid line, a cell of burned ids only is an empty batch that still moves the
    position, and the messages are those of the log without the gap."""
    _, app = store
    log = BurnedIds(DecodedOnly(app.log), at=5, burned=27)
    batches, after = [], 0
    while (batch := encode_batch(log, after, 10, TOPICS, "test")) is not None:
        batches.append(batch)
        after = batch.last
    assert [b.after for b in batches] == [0] + [b.last for b in batches[:-1]]
    assert all(b.last % 10 == 0 for b in batches[:-1]) and after == log.head()
    assert [(b.after, b.last, b.covered) for b in batches[:4]] == [
        (0, 10, 5),  # positions 1-5, then ids 6-32 burned
        (10, 20, 0),
        (20, 30, 0),
        (30, 40, 8),  # 33-40: the events at 6-13 before the gap
    ]
    assert sum(b.covered for b in batches) == app.log.head()
    plain = InlineEncoder(DecodedOnly(app.log), "test", TOPICS, 10)
    expected = [m for b in all_batches(plain) for m in b.messages]
    assert sorted(m for b in batches for m in b.messages) == sorted(expected)


@contextmanager
def log_opened_at(flag: Path, settings: Settings) -> Iterator[EventLog]:
    """The store's log, opened only once ``flag`` exists: a worker slow to start, for as long
    as a test wants."""
    while not flag.exists():
        time.sleep(0.01)
    with opened_event_log(settings) as log:
        yield log


def test_while_the_workers_start_the_batches_are_encoded_here_then_by_them(store, tmp_path) -> None:
    """The relay does not wait for its workers to start: it encodes the first batches itself,
    lets them go after the position it reached, and the bytes are the same."""
    files, app = store
    flag = tmp_path / "open"
    inline = all_batches(InlineEncoder(app.log, "test", TOPICS, 10))
    with running_worker(
        files.settings(), 10, partial(log_opened_at, flag), warm_up=app.log
    ) as worker:
        first = [first_batch_sent(worker)]
        for _ in range(2):
            batch = worker.batch_after(first[-1].last)
            assert batch is not None
            worker.done(batch)
            first.append(batch)
        assert worker.warm_up_batches == 3 and not worker.workers_ready()
        flag.touch()
        deadline = time.monotonic() + 60
        while not worker.workers_ready():
            assert time.monotonic() < deadline, "the workers never got ready"
            time.sleep(0.05)
        rest, after = [], first[-1].last
        while (batch := worker.batch_after(after)) is not None:
            worker.done(batch)
            rest.append(batch)
            after = batch.last
        assert worker.warm_up_batches == 3  # every later batch came from the workers
        assert worker.starts == 1
    assert len(rest) > 0 and first + rest == inline


def next_batch_or_error(worker: WorkerEncoder, after: int) -> EncodedBatch | RelayEncodingError:
    """The batch after ``after``, asked for again while caught up (as a following relay
    does), or the error the encoder raised."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            batch = worker.batch_after(after)
        except RelayEncodingError as error:
            return error
        if batch is not None:
            return batch
        time.sleep(0.05)
    raise AssertionError("neither a batch nor an error")


@contextmanager
def unopenable_log(settings: Settings) -> Iterator[EventLog]:
    raise OSError("unable to open database file")
    yield  # pragma: no cover - never reached


def test_workers_that_cannot_open_the_store_stop_a_warming_relay_with_the_error(store) -> None:
    """Encoding here while workers start must not hide that they failed: the relay gets the
    error at the position it reached, not an endless run without workers."""
    files, app = store
    with running_worker(files.settings(), 10, unopenable_log, warm_up=app.log) as worker:
        after = 0
        while isinstance(answer := next_batch_or_error(worker, after), EncodedBatch):
            assert answer.after == after
            worker.done(answer)
            after = answer.last
    assert f"after position {after}: OSError: unable to open database file" in str(answer)


def test_a_worker_killed_while_it_starts_is_reported(store, tmp_path) -> None:
    files, app = store
    with running_worker(
        files.settings(), 10, partial(log_opened_at, tmp_path / "never"), warm_up=app.log
    ) as worker:
        first = first_batch_sent(worker)  # encoded here: the workers wait for the flag
        assert worker.warm_up_batches == 1
        for running in worker._running:
            os.kill(running.process.pid, signal.SIGKILL)
            running.process.join()
        answer = next_batch_or_error(worker, first.last)
    assert isinstance(answer, RelayEncodingError) and "ended unexpectedly" in str(answer)
