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

import functools
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
#: How many encoded batches each worker may hold ready ahead of the relay.
WORKER_DEPTH = 4
#: Encoding worker processes by default. On the reference 2-core machine one is faster than
#: two (docs/PERFORMANCE.md, fifth round: 0.80-0.87 of the raw producer against 0.71-0.77):
#: the sending process needs most of a core for kafka-python's per-message ``send``, and a
#: second worker takes CPU from it and from the broker. Where cores are spare, more workers
#: encode alternate batches (``socai streams relay --encoding-workers``).
ENCODING_WORKERS = 1
#: The most encoding workers a relay starts (each holds ``WORKER_DEPTH`` batches).
MAX_ENCODING_WORKERS = 8
#: How often an idle worker looks for new events, and how long the relay waits for one answer
#: before checking that the worker still lives (seconds).
WORKER_POLL_SECONDS = 0.2
#: How long the relay waits for a worker to stop before ending it (seconds).
WORKER_STOP_SECONDS = 5.0
#: Message keys whose :func:`key_hash` is kept (a key is a case or programme id: ~50 bytes).
KEY_HASHES_KEPT = 32_768


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    """The messages of the stored events after position ``after`` up to ``last``.

    ``covered`` stored events were read; events without a public contract have no message.
    ``key_hashes`` are the messages' :func:`key_hash` values, in the same order."""

    after: int
    last: int
    covered: int
    messages: list[Message]
    key_hashes: list[int]


@functools.lru_cache(maxsize=KEY_HASHES_KEPT)
def key_hash(key: bytes) -> int:
    """What Kafka's default partitioner picks a keyed message's partition by (the Java
    client's, and kafka-python's ``DefaultPartitioner``): the key's murmur2 hash made
    non-negative; the partition is ``sorted(partitions)[key_hash % len(partitions)]``.
    Computed where the message is encoded, so the sending process (kafka-python hashes in
    pure Python, about a fifth of its ``send``) only takes the remainder; kept for the
    most recent keys, since a case's events (keyed by the case) come in runs over time."""
    # kafka-python is the ``streams`` extra: the core imports this module for its row type
    from kafka.partitioner.default import murmur2

    return int(murmur2(key)) & 0x7FFFFFFF


def _batch(after: int, last: int, covered: int, messages: list[Message]) -> EncodedBatch:
    return EncodedBatch(after, last, covered, messages, [key_hash(m[1]) for m in messages])


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
    """The next batch of stored events after ``after``, up to the next multiple of ``limit``
    (None: nothing after it yet), with the messages of those of ``topics``. Every stored
    event is covered, so the relay's position reaches the head even when the last events are
    never public (the users' and the access log's: skipped by topic, not decrypted).

    Batches are cells of a fixed grid of positions — (0, limit], (limit, 2·limit], … — so
    where a batch ends does not depend on when it was read: several workers can encode
    alternate cells and agree on every boundary. A cell the log has not filled yet gives the
    events so far (its batch ends at the last of them); a cell whose last positions were
    never committed (a rolled-back write) ends at the cell's end once the head is past it.

    A :class:`StoredLog` is encoded from the stored state (no domain event objects:
    :mod:`streams.contracts.stored`); any other log through its decoded events. The bytes
    are the same (tested)."""
    end = (after // limit + 1) * limit
    if isinstance(log, StoredLog):
        rows = [row for row in log.read_stored(after, end - after) if row[0] <= end]
        last = _batch_end(log, end, rows[-1][0] if rows else None)
        if last is None:
            return None
        return _batch(after, last, len(rows), _stored(log, rows, topics, store_id))
    items = [entry for entry in log.read(after, end - after) if entry.position <= end]
    last = _batch_end(log, end, items[-1].position if items else None)
    if last is None:
        return None
    messages: list[Message] = []
    wanted = frozenset(topics)
    for entry in items:
        if entry.topic not in wanted:
            continue
        message = to_public(entry.event(), store_id)
        if message is not None:
            messages.append((message.topic, message.key, message.value, message.headers))
    return _batch(after, last, len(items), messages)


def _batch_end(log: EventLog, end: int, found: int | None) -> int | None:
    """Where the batch of a cell ending at ``end`` ends, the last position read being
    ``found`` (None: nothing read): the cell's end once the log is past it, else what was
    read."""
    if found == end or log.head() >= end:
        return end
    return found


def _stored(
    log: StoredLog, rows: list[StoredRow], topics: tuple[str, ...], store_id: str
) -> list[Message]:
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
    return messages


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


class StartSignal:
    """How the relay lets its encoding workers go (tín hiệu bắt đầu).

    A spawned worker needs about half a second to import socai, open the store and encode its
    first batch; a relay that waited for it would publish nothing meanwhile. So a worker first
    gets ready (log opened), says so, and waits to be told the position to start after; until
    every worker is ready, the relay encodes in its own process (:class:`WorkerEncoder`'s
    ``warm_up``). The position is only known when the relay lets the workers go, so their
    first batch is exactly the one that follows what the relay has sent.

    Shared between processes (its parts are the spawn context's): a count of ready workers,
    the start position and one event for all."""

    def __init__(self, context: Any) -> None:
        self._ready = context.Value("i", 0)
        self._after = context.Value("q", -1)
        self._go = context.Event()

    def ready_count(self) -> int:
        return int(self._ready.value)

    def release(self, after: int) -> None:
        """(Relay) Let the workers go: their first cell is the one after ``after``."""
        assert after >= 0
        assert not self._go.is_set(), "workers are let go once"
        self._after.value = after
        self._go.set()

    def wait(self, running: Callable[[], bool]) -> int | None:
        """(Worker) Say this worker is ready, then wait to be let go: the position to start
        after (None: told to stop, or the relay is gone, before that)."""
        with self._ready.get_lock():
            self._ready.value += 1
        while running():
            if self._go.wait(WORKER_POLL_SECONDS):
                after = int(self._after.value)
                assert after >= 0
                return after
        return None


class WorkerEncoder:
    """Encodes the batches after the relay's position in worker processes, ahead of it.

    Each worker is a spawned process (no state shared with the relay's process but what it
    is given: the opener, the store id, topics, batch size, its place among the workers and
    the :class:`StartSignal`). With ``workers`` of them, worker ``k`` encodes the cells of
    the batch grid (:func:`encode_batch`) numbered ``k``, ``k + workers``, … into its own
    bounded queue, and the relay takes each batch from the queue of the cell its position is
    in, so the batches come in log order while the encoding runs on several cores. While the
    workers start, batches come from ``warm_up`` (the relay's own :class:`InlineEncoder`),
    if given, and the workers are let go after the position the relay has reached; without
    it they are let go at once and the relay waits for their first batch. At the end
    of the log a worker says so (:class:`CaughtUp`) and looks again every
    :data:`WORKER_POLL_SECONDS`. A worker stops when told, when its parent is gone, or on an
    error, which it reports (:class:`WorkerFailed`); a batch not after the relay's position
    (a reset, a cell some rolled-back positions made a worker run past) restarts them all
    from the recorded position."""

    def __init__(
        self,
        open_log: LogOpener,
        store_id: str,
        topics: tuple[str, ...],
        batch_events: int,
        depth: int = WORKER_DEPTH,
        workers: int = ENCODING_WORKERS,
        warm_up: InlineEncoder | None = None,
    ) -> None:
        assert 1 <= workers <= MAX_ENCODING_WORKERS
        self.open_log = open_log
        self.store_id = store_id
        self.topics = topics
        self.batch_events = batch_events
        self.depth = depth
        self.workers = workers
        self.warm_up = warm_up
        self._context = multiprocessing.get_context("spawn")
        self._running: list[_Worker] = []
        #: The running workers' signal, kept as long as they run (a spawned child reopens its
        #: semaphores by name: dropping them here first would unlink them under it).
        self._signal: StartSignal | None = None
        self._let_go = False
        self._held: EncodedBatch | None = None
        #: How many times the workers were started (the first start and every restart).
        self.starts = 0
        #: How many batches were encoded in this process while workers started.
        self.warm_up_batches = 0

    def batch_after(self, after: int) -> EncodedBatch | None:
        if self._held is not None:
            if self._held.after == after:
                return self._held
            self._held = None
        while True:
            if not self._running:
                self._start()
            if not self._let_go:
                if self.warm_up is not None and not self.workers_ready():
                    self._held = self.warm_up.batch_after(after)
                    self.warm_up_batches += self._held is not None
                    return self._held
                assert self._signal is not None
                self._signal.release(after)
                self._let_go = True
            item = self._next_item(after)
            if item.after != after:
                # not what follows the recorded position (moved by a reset or an earlier run):
                # start again from the recorded position
                self._stop_workers()
                continue
            if isinstance(item, WorkerFailed):
                self._stop_workers()
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
        self._stop_workers()

    def workers_ready(self) -> bool:
        """The running workers are all ready to be let go, or one ended before it was (let
        go then: the relay finds out why from the worker's queue or its exit)."""
        if self._signal is None or self._signal.ready_count() == len(self._running):
            return True
        return not all(worker.process.is_alive() for worker in self._running)

    def _next_item(self, after: int) -> EncodedBatch | CaughtUp | WorkerFailed:
        """The next item of the worker whose cell ``after`` is in."""
        worker = self._running[(after // self.batch_events) % len(self._running)]
        while True:
            try:
                item: EncodedBatch | CaughtUp | WorkerFailed = worker.queue.get(
                    timeout=WORKER_POLL_SECONDS
                )
                return item
            except queues.Empty:
                if not worker.process.is_alive():
                    code = worker.process.exitcode
                    self._stop_workers()
                    raise RelayEncodingError(
                        f"relay: the encoding worker ended unexpectedly (exit code {code})"
                    ) from None

    def _start(self) -> None:
        """Spawn the workers; they get ready and wait to be let go (:class:`StartSignal`)."""
        stop = self._context.Event()
        self._signal, self._let_go = StartSignal(self._context), False
        for index in range(self.workers):
            queue = self._context.Queue(self.depth)
            process = self._context.Process(
                target=run_worker,
                args=(
                    self.open_log,
                    self.store_id,
                    self.topics,
                    self.batch_events,
                    self._signal,
                    queue,
                    stop,
                    index,
                    self.workers,
                ),
                name=f"socai-relay-encoder-{index}",
                daemon=True,
            )
            process.start()
            self._running.append(_Worker(process, queue, stop))
        self.starts += 1

    def _stop_workers(self) -> None:
        if not self._running:
            return
        self._running[0].stop.set()  # one event for all
        # Nothing more is read from the queues: a worker told to stop abandons what it was
        # still writing (``cancel_join_thread``), so a pipe may end in half a message, and a
        # read would wait forever for the rest. Its puts time out, so it sees the flag anyway.
        for worker in self._running:
            worker.process.join(WORKER_STOP_SECONDS)
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(WORKER_STOP_SECONDS)
            if worker.process.is_alive():  # SIGTERM handled and ignored: it only encodes
                worker.process.kill()
            worker.process.join()
            worker.queue.cancel_join_thread()
            worker.queue.close()
        self._running = []
        self._signal, self._let_go = None, False


@dataclass(frozen=True, slots=True)
class _Worker:
    process: Any
    queue: Any
    stop: Any


def run_worker(
    open_log: LogOpener,
    store_id: str,
    topics: tuple[str, ...],
    batch_events: int,
    start: StartSignal,
    out: Any,
    stop: Any,
    index: int = 0,
    workers: int = 1,
) -> None:
    """A worker's loop (in the spawned process): open the log, get ready, and once let go
    encode batch after batch from the position given, only those of the grid cells numbered
    ``index`` modulo ``workers``. A failure before it is let go (the store cannot be opened)
    is reported at the position it is let go at, where the relay waits for it."""
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

    after: int | None = None
    try:
        with open_log() as log:
            after = start.wait(running)
            while after is not None and running():
                cell = after // batch_events
                if cell % workers != index:  # another worker's: on to the next of this one's
                    after = (cell + (index - cell) % workers) * batch_events
                    continue
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
        if after is None:
            after = start.wait(running)
        if after is not None:
            hand_over(WorkerFailed(after, f"{type(error).__name__}: {error}"))
    finally:
        if not running():
            out.cancel_join_thread()  # told to stop: what it queued is not waited for
