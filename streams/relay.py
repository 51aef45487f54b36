"""The relay (bộ chuyển tiếp): from the event store's notification log to Kafka.

It reads stored events after its tracked position through the
:class:`~projections.eventlog.EventLog` port (the same port the projection runner reads), maps
each to its public contract (an event without a contract is skipped: it never leaves),
publishes with kafka-python
(``acks=all``, idempotent producer, keyed by case id so each case stays in order), waits until
the broker acknowledged the whole batch, and only then records the batch's last position.

Reading, decoding and encoding run ahead of the sends in a worker process when the relay is
given ``open_log`` (:mod:`streams.pipeline`; ``socai streams relay`` does): this process then
only sends bytes and records positions, one per acknowledged batch, and the worker's batches
are taken only in order after the recorded position. A batch arrives as messages already
encoded (topic, key, CloudEvents JSON, headers); the relay hands each to the producer and
waits until the broker acknowledged them all. While the worker starts (about half a second:
it imports socai and opens the store), the relay encodes the batches itself.

Delivery is at-least-once: a relay killed after the broker acknowledged and before the
position was saved republishes that batch on restart, with the same stable event ids, and
consumers deduplicate by id. When the broker is away the relay backs off (doubling, capped),
builds a new producer and resumes from its recorded position; nothing is skipped.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kafka import KafkaProducer
from kafka.errors import KafkaError

from projections.eventlog import EventLog
from streams.contracts import PublicMessage
from streams.contracts.audit import checkpoint_contract
from streams.contracts.model import stable_event_id, store_source
from streams.contracts.registry import published_internal_topics
from streams.pipeline import (
    ENCODING_WORKERS,
    BatchEncoder,
    InlineEncoder,
    LogOpener,
    Message,
    WorkerEncoder,
)
from streams.positions import DEFAULT_RELAY_NAME, PositionStore

#: Stored events read and published per batch (one position write per batch).
RELAY_BATCH_EVENTS = 1_000
#: How long to wait for the broker to acknowledge one batch (seconds).
BATCH_ACK_TIMEOUT_SECONDS = 30.0
#: Back-off while the broker is away: first pause and cap (seconds).
BACKOFF_FIRST_SECONDS = 0.2
BACKOFF_MAX_SECONDS = 10.0
#: Pause between polls of the log when following and nothing is new (seconds).
FOLLOW_POLL_SECONDS = 0.2
#: Seconds between progress lines.
PROGRESS_EVERY_SECONDS = 5.0


class CheckpointLog(Protocol):
    """The audit ledger's stored checkpoints (infra adapts the ledger tables)."""

    def after(self, tree_size: int) -> list[dict[str, Any]]:
        """Checkpoint documents (``Checkpoint.to_json()``) of tree size above ``tree_size``,
        smallest first."""
        ...


def make_producer(bootstrap: str, **overrides: Any) -> KafkaProducer:
    """A producer for public events: every replica acknowledges, retries never duplicate or
    reorder within a partition (idempotent), failures surface within seconds."""
    config: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        "batch_size": 256 * 1024,
        "max_in_flight_requests_per_connection": 5,
        "max_block_ms": 10_000,
        "request_timeout_ms": 10_000,
        "delivery_timeout_ms": 25_000,
        "client_id": "socai-relay",
        # the relay backs off itself: the client must fail fast, not wait up to 30 s
        "reconnect_backoff_max_ms": 1_000,
        "bootstrap_timeout_ms": 2_000,
    }
    config.update(overrides)
    return KafkaProducer(**config)


def send_all(
    producer: KafkaProducer,
    messages: Sequence[Message],
    key_hashes: Sequence[int] | None = None,
    timeout_seconds: float = BATCH_ACK_TIMEOUT_SECONDS,
) -> int:
    """Send ``messages`` (topic, key, value, headers) and return only when the broker
    acknowledged every one (else raise); returns how many.

    With ``key_hashes`` (:func:`streams.pipeline.key_hash` of each key, computed by the
    encoder), each message goes to the partition Kafka's default partitioner would pick,
    ``sorted(partitions)[hash % len(partitions)]``, the topic's partitions read from the
    producer's metadata once per call; without them, the producer's partitioner picks."""
    send = producer.send
    if key_hashes is None:
        futures = [
            send(topic, key=key, value=value, headers=list(headers))
            for topic, key, value, headers in messages
        ]
    else:
        known: dict[str, list[int]] = {}
        futures = []
        for (topic, key, value, headers), hashed in zip(messages, key_hashes, strict=True):
            partitions = known.get(topic)
            if partitions is None:
                partitions = known[topic] = sorted(producer.partitions_for(topic))
            partition = partitions[hashed % len(partitions)]
            futures.append(
                send(topic, key=key, value=value, headers=list(headers), partition=partition)
            )
    producer.flush(timeout=timeout_seconds)
    for future in futures:
        future.get(timeout=timeout_seconds)
    return len(futures)


@dataclass
class Progress:
    """Counters for the progress/lag line."""

    published: int = 0
    skipped: int = 0
    checkpoints: int = 0
    position: int = 0
    head: int = 0
    started: float = field(default_factory=time.monotonic)

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        return (
            f"relay: position {self.position} of {self.head} (lag {self.head - self.position}),"
            f" published {self.published} events ({self.published / elapsed:,.0f}/s),"
            f" not published (no public contract) {self.skipped},"
            f" audit checkpoints {self.checkpoints}"
        )


class Relay:
    """Publishes the log to Kafka from a tracked position. Not thread-safe: one per store.

    With ``open_log`` (how a worker process opens the same log), batches are read and encoded
    in ``encoding_workers`` worker processes, ahead of the sends
    (:class:`streams.pipeline.WorkerEncoder`), and in this process while they start; without
    it, in this process when needed. The bytes sent, and their order, are the same either way."""

    def __init__(
        self,
        log: EventLog,
        positions: PositionStore,
        bootstrap: str,
        store_id: str,
        *,
        name: str = DEFAULT_RELAY_NAME,
        batch_events: int = RELAY_BATCH_EVENTS,
        report: Callable[[str], None] | None = None,
        producer_factory: Callable[[str], KafkaProducer] = make_producer,
        checkpoints: CheckpointLog | None = None,
        open_log: LogOpener | None = None,
        encoding_workers: int = ENCODING_WORKERS,
    ) -> None:
        assert 0 < batch_events <= 100_000
        self.log = log
        self.positions = positions
        self.bootstrap = bootstrap
        self.store_id = store_id
        self.name = name
        self.batch_events = batch_events
        self.report = report or (lambda line: None)
        self.producer_factory = producer_factory
        self.producer: KafkaProducer | None = None
        self.checkpoints = checkpoints
        self.topics = published_internal_topics()
        self.encoder: BatchEncoder = (
            WorkerEncoder(
                open_log,
                store_id,
                self.topics,
                batch_events,
                workers=encoding_workers,
                warm_up=InlineEncoder(log, store_id, self.topics, batch_events),
            )
            if open_log is not None
            else InlineEncoder(log, store_id, self.topics, batch_events)
        )
        self.progress = Progress()
        self._last_report = 0.0

    @property
    def checkpoint_position_name(self) -> str:
        """Position-table name of the checkpoints relayed (the largest tree size published)."""
        return f"{self.name}-checkpoints"

    def relay_checkpoints(self) -> int:
        """Publish the stored checkpoints signed after the tracked one; returns how many.
        The relay is the only publisher of checkpoints: signing one (in a write's commit hook
        or by ``socai audit checkpoint``) only stores it, so no write waits on Kafka."""
        if self.checkpoints is None:
            return 0
        after = self.positions.get(self.checkpoint_position_name)
        documents = self.checkpoints.after(after)
        if not documents:
            return 0
        if self.producer is None:
            self.producer = self.producer_factory(self.bootstrap)
        messages = [checkpoint_message(d, self.store_id) for d in documents]
        send_all(self.producer, [(m.topic, m.key, m.value, m.headers) for m in messages])
        largest = max(int(d["tree_size"]) for d in documents)
        assert largest > after
        self.positions.set(self.checkpoint_position_name, largest)  # after the acknowledgement
        self.progress.checkpoints += len(messages)
        return len(messages)

    def relay_batch(self) -> int:
        """Publish the next batch; returns how far the position moved (the stored events
        covered, on a log without gaps) plus the checkpoints published (0: caught up)."""
        relayed_checkpoints = self.relay_checkpoints()
        return relayed_checkpoints + self._relay_events()

    def _relay_events(self) -> int:
        after = self.positions.get(self.name)
        batch = self.encoder.batch_after(after)
        if batch is None:
            self.progress.position = after
            return 0
        if self.producer is None:
            self.producer = self.producer_factory(self.bootstrap)
        published = send_all(self.producer, batch.messages, batch.key_hashes)
        self.positions.set(self.name, batch.last)  # only after the broker acknowledged
        self.encoder.done(batch)
        self.progress.published += published
        self.progress.skipped += batch.covered - published
        self.progress.position = batch.last
        return batch.last - after  # > 0 even for a cell of positions never committed

    def run(
        self,
        *,
        follow: bool = False,
        should_stop: Callable[[], bool] = lambda: False,
        max_retry_seconds: float | None = None,
    ) -> Progress:
        """Relay until caught up (or, when ``follow``, until ``should_stop()``).

        Broker failures back off and retry from the recorded position; with
        ``max_retry_seconds`` the relay gives up (re-raising) after that long without progress.
        """
        backoff = BACKOFF_FIRST_SECONDS
        failing_since: float | None = None
        while not should_stop():
            try:
                covered = self.relay_batch()
            except KafkaError as error:
                self._drop_producer()
                now = time.monotonic()
                failing_since = failing_since or now
                if max_retry_seconds is not None and now - failing_since > max_retry_seconds:
                    raise
                self.report(
                    f"relay: broker unavailable ({type(error).__name__});"
                    f" retrying in {backoff:.1f} s from position {self.progress.position}"
                )
                time.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)
                continue
            backoff, failing_since = BACKOFF_FIRST_SECONDS, None
            self._maybe_report(force=covered == 0 and not follow)
            if covered == 0:
                if not follow:
                    break
                time.sleep(FOLLOW_POLL_SECONDS)
        return self.progress

    def _maybe_report(self, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._last_report >= PROGRESS_EVERY_SECONDS:
            self.progress.head = self.log.head()
            self.report(self.progress.line())
            self._last_report = now

    def _drop_producer(self) -> None:
        if self.producer is not None:
            with contextlib.suppress(KafkaError):
                self.producer.close(timeout=0)
            self.producer = None

    def close(self) -> None:
        self.encoder.close()
        if self.producer is not None:
            self.producer.flush(timeout=BATCH_ACK_TIMEOUT_SECONDS)
            self.producer.close(timeout=BATCH_ACK_TIMEOUT_SECONDS)
            self.producer = None


def checkpoint_message(checkpoint: dict[str, Any], store_id: str) -> PublicMessage:
    """The public message of one audit-ledger checkpoint (stable id by tree size)."""
    contract = checkpoint_contract()
    source = store_source(store_id)
    data = contract.data_of(checkpoint)
    made_at = checkpoint["time"]
    if isinstance(made_at, str):
        made_at = datetime.fromisoformat(made_at)
    return PublicMessage.build(
        contract,
        event_id=stable_event_id(
            source, f"checkpoint-{checkpoint['key_id']}", int(checkpoint["tree_size"])
        ),
        source=source,
        subject=store_id,
        time=made_at,
        data=data,
    )
