"""The relay's encoding pipeline (đường ống mã hoá): stored events become Kafka message bytes
in batches, in this process or in a worker process ahead of the sender.

Reading a batch from the store, decrypting, decompressing and decoding each event, mapping it
to its public contract and writing its CloudEvents JSON is CPU work in Python; sending is the
producer's work (its own thread, under the same interpreter lock). :class:`WorkerEncoder`
moves the first part into a second process that reads and encodes the batches following the
relay's position and hands them over as plain bytes, a few batches ahead, so the relay's
process only sends and records positions. :class:`InlineEncoder` does the same work in the
calling process (no store to reopen: tests, a log without a store behind it).

Both produce the same :class:`EncodedBatch` with :func:`encode_batch`, so the published bytes
do not depend on where they were encoded. Positions stay the relay's: every batch names the
position it was read after, the relay takes only the batch that follows the position it
recorded, and anything else (a reset, a batch left from before a failure) restarts the worker
from the recorded position. A batch is handed out until the relay calls
:meth:`WorkerEncoder.done` with it, so a batch whose send failed is sent again, unchanged.
"""

from __future__ import annotations

import multiprocessing
import queue as queues
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from projections.eventlog import EventLog, LogEntry
from streams.contracts import to_public
from streams.contracts.stored import Message, StoredEncoder, StoredId

#: One stored event as the store holds it: log position, topic, aggregate id, version, and
#: the stored (encrypted, compressed) state.
StoredRow = tuple[int, str, StoredId, int, bytes]
#: How many encoded batches the worker may hold ready ahead of the relay.
WORKER_DEPTH = 4
#: How often an idle worker looks for new events, and how long the relay waits for one answer
#: before checking that the worker still lives (seconds).
WORKER_POLL_SECONDS = 0.2
#: How long the relay waits for a worker to stop before ending it (seconds).
WORKER_STOP_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    """The messages of the stored events after position ``after`` up to ``last``.

    ``covered`` stored events were read; events without a public contract have no message."""

    after: int
    last: int
    covered: int
    messages: list[Message]


@dataclass(frozen=True, slots=True)
class CaughtUp:
    """The worker found nothing after ``after`` (yet)."""

    after: int


@dataclass(frozen=True, slots=True)
class WorkerFailed:
    """The worker stopped on an error (its type and message; the relay raises it)."""

    after: int
    error: str


class RelayEncodingError(RuntimeError):
    """The encoding worker failed: the relay stops at its recorded position."""


@runtime_checkable
class StoredLog(Protocol):
    """An event log that also hands out its stored events undecoded, and decodes a stored
    state to a plain mapping (infra's adapter of the store): what the relay encodes from."""

    def read_stored(self, after: int, limit: int) -> list[StoredRow]:
        """Up to ``limit`` stored events after position ``after``, of every topic, in order."""
        ...

    def state_decoder(self) -> Callable[[StoredRow], dict[str, Any]]:
        """Decrypts, decompresses and decodes a row's state: times, dates and ids revived,
        personal values left :class:`streams.contracts.stored.Sealed`."""
        ...


#: Encoders by store id (a relay publishes one store; each keeps its prepared topics).
_ENCODERS: dict[str, StoredEncoder] = {}


def encode_batch(
    log: EventLog, after: int, limit: int, topics: tuple[str, ...], store_id: str
) -> EncodedBatch | None:
    """The next batch of at most ``limit`` stored events after ``after`` (None: nothing after
    it), with the messages of those of ``topics``. Every stored event is covered, so the
    relay's position reaches the head even when the last events are never public (the users'
    and the access log's: skipped by topic, not decrypted).

    A :class:`StoredLog` is encoded from the stored state (no domain event objects:
    :mod:`streams.contracts.stored`); any other log through its decoded events. The bytes
    are the same (tested)."""
    if isinstance(log, StoredLog):
        return _encode_stored(log, after, limit, topics, store_id)
    items = log.read(after, limit)
    if not items:
        return None
    messages: list[Message] = []
    wanted = frozenset(topics)
    for entry in items:
        if entry.topic not in wanted:
            continue
        message = to_public(entry.event(), store_id)
        if message is not None:
            messages.append((message.topic, message.key, message.value, message.headers))
    return EncodedBatch(after, items[-1].position, len(items), messages)


def _encode_stored(
    log: StoredLog, after: int, limit: int, topics: tuple[str, ...], store_id: str
) -> EncodedBatch | None:
    rows = log.read_stored(after, limit)
    if not rows:
        return None
    encoder = _ENCODERS.get(store_id)
    if encoder is None:
        encoder = _ENCODERS[store_id] = StoredEncoder(store_id)
    decode = log.state_decoder()
    encode = encoder.message
    wanted = frozenset(topics)
    messages: list[Message] = []
    for row in rows:
        if row[1] in wanted:
            message = encode(row[1], row[2], row[3], decode(row))
            if message is not None:
                messages.append(message)
    return EncodedBatch(after, rows[-1][0], len(rows), messages)


class DecodedOnly:
    """``log`` read through its decoded events only (its stored form hidden): what
    :func:`encode_batch` does for a log without a store behind it. Tests and the bench
    compare the two paths with it (the same batches, byte for byte)."""

    def __init__(self, log: EventLog) -> None:
        self.log = log

    def read(self, after: int, limit: int, topics: tuple[str, ...] = ()) -> list[LogEntry]:
        return self.log.read(after, limit, topics)

    def head(self) -> int:
        return self.log.head()


class BatchEncoder(Protocol):
    """Where the relay takes its next batch from."""

    def batch_after(self, after: int) -> EncodedBatch | None:
        """The batch that follows position ``after`` (None: caught up for now)."""
        ...

    def done(self, batch: EncodedBatch) -> None:
        """``batch`` was acknowledged and its position recorded: hand out the next one."""
        ...

    def close(self) -> None: ...


class InlineEncoder:
    """Encodes each batch in the calling process when asked."""

    def __init__(
        self, log: EventLog, store_id: str, topics: tuple[str, ...], batch_events: int
    ) -> None:
        self.log = log
        self.store_id = store_id
        self.topics = topics
        self.batch_events = batch_events

    def batch_after(self, after: int) -> EncodedBatch | None:
        return encode_batch(self.log, after, self.batch_events, self.topics, self.store_id)

    def done(self, batch: EncodedBatch) -> None:
        """Nothing is held between batches."""

    def close(self) -> None:
        """Nothing to stop."""


#: Opens the event log in the worker process (picklable: a module-level function, or a
#: ``functools.partial`` of one, that infra provides) and closes it at the end.
LogOpener = Callable[[], AbstractContextManager[EventLog]]


class WorkerEncoder:
    """Encodes the batches after the relay's position in a worker process, ahead of it.

    The worker is a spawned process (no state shared with the relay's process but what it is
    given: the opener, the store id, topics, batch size and the position to start after). It
    reads and encodes batch after batch into a bounded queue; at the end of the log it says so
    (:class:`CaughtUp`) and looks again every :data:`WORKER_POLL_SECONDS`. It stops when told,
    when its parent is gone, or on an error, which it reports (:class:`WorkerFailed`)."""

    def __init__(
        self,
        open_log: LogOpener,
        store_id: str,
        topics: tuple[str, ...],
        batch_events: int,
        depth: int = WORKER_DEPTH,
    ) -> None:
        self.open_log = open_log
        self.store_id = store_id
        self.topics = topics
        self.batch_events = batch_events
        self.depth = depth
        self._context = multiprocessing.get_context("spawn")
        self._process: Any = None
        self._queue: Any = None
        self._stop: Any = None
        self._held: EncodedBatch | None = None
        #: How many times a worker was started (the first start and every restart).
        self.starts = 0

    def batch_after(self, after: int) -> EncodedBatch | None:
        if self._held is not None:
            if self._held.after == after:
                return self._held
            self._held = None
        if self._process is None:
            self._start(after)
        while True:
            item = self._next_item()
            if item.after != after:
                # not what follows the recorded position (moved by a reset or an earlier run):
                # start again from the recorded position
                self._stop_worker()
                self._start(after)
                continue
            if isinstance(item, WorkerFailed):
                self._stop_worker()
                raise RelayEncodingError(
                    f"relay: encoding stopped after position {after}: {item.error}"
                )
            if isinstance(item, CaughtUp):
                return None
            self._held = item
            return item

    def done(self, batch: EncodedBatch) -> None:
        assert batch is self._held, "only the batch handed out is done"
        self._held = None

    def close(self) -> None:
        self._held = None
        self._stop_worker()

    def _next_item(self) -> EncodedBatch | CaughtUp | WorkerFailed:
        while True:
            try:
                item: EncodedBatch | CaughtUp | WorkerFailed = self._queue.get(
                    timeout=WORKER_POLL_SECONDS
                )
                return item
            except queues.Empty:
                if not self._process.is_alive():
                    code = self._process.exitcode
                    self._stop_worker()
                    raise RelayEncodingError(
                        f"relay: the encoding worker ended unexpectedly (exit code {code})"
                    ) from None

    def _start(self, after: int) -> None:
        self._queue = self._context.Queue(self.depth)
        self._stop = self._context.Event()
        self._process = self._context.Process(
            target=run_worker,
            args=(
                self.open_log,
                self.store_id,
                self.topics,
                self.batch_events,
                after,
                self._queue,
                self._stop,
            ),
            name="socai-relay-encoder",
            daemon=True,
        )
        self._process.start()
        self.starts += 1

    def _stop_worker(self) -> None:
        if self._process is None:
            return
        self._stop.set()
        # Nothing more is read from the queue: a worker told to stop abandons what it was
        # still writing (``cancel_join_thread``), so the pipe may end in half a message, and a
        # read would wait forever for the rest. Its puts time out, so it sees the flag anyway.
        self._process.join(WORKER_STOP_SECONDS)
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._queue.cancel_join_thread()
        self._queue.close()
        self._process = self._queue = self._stop = None


def run_worker(
    open_log: LogOpener,
    store_id: str,
    topics: tuple[str, ...],
    batch_events: int,
    after: int,
    out: Any,
    stop: Any,
) -> None:
    """The worker's loop (in the spawned process): encode batch after batch from ``after``."""
    parent = multiprocessing.parent_process()

    def running() -> bool:
        return not stop.is_set() and (parent is None or parent.is_alive())

    def hand_over(item: EncodedBatch | CaughtUp | WorkerFailed) -> bool:
        while running():
            try:
                out.put(item, timeout=WORKER_POLL_SECONDS)
                return True
            except queues.Full:
                continue
        return False

    try:
        with open_log() as log:
            while running():
                batch = encode_batch(log, after, batch_events, topics, store_id)
                if batch is None:
                    if not hand_over(CaughtUp(after)):
                        return
                    stop.wait(WORKER_POLL_SECONDS)
                    continue
                if not hand_over(batch):
                    return
                after = batch.last
    except Exception as error:  # reported to the relay, which raises it
        hand_over(WorkerFailed(after, f"{type(error).__name__}: {error}"))
    finally:
        if not running():
            out.cancel_join_thread()  # told to stop: what it queued is not waited for
