"""faust workers (tiến trình xử lý luồng) that build the projections from the public topics.

Where one machine is not enough, the projections run as a faust-streaming app: its agents
consume ``socai.case-events.v1`` and ``socai.activity-events.v1``, turn each public
CloudEvent back into the domain event it stands for (personal fields empty — the public data
has none) and drive the *same* projection code as the in-process runner, through
:func:`projections.framework.apply_batch`.

Exactly-once effect without Kafka transactions (which Tansu and aiokafka do not support
together): in one SQL transaction per batch the worker

1. skips records below the next offset recorded for that (topic, partition),
2. skips events whose id it has already applied (the relay is at-least-once: a restarted
   relay republishes a batch under the same event ids, at new offsets),
3. applies the rest to every projection, records the event ids, and records the reached
   offset as the projection's position for (topic, partition).

So a worker killed at any point either committed a batch completely or not at all, and
redelivery after a restart or a rebalance changes nothing twice. Several workers in one
consumer group share the partitions; each case lives in one partition, so one worker owns it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import faust
import sqlalchemy as sa
from sqlalchemy.orm import Session

from projections.framework import (
    Position,
    Projection,
    apply_batch,
    create_tables,
    position_of,
    reset,
)
from streams.contracts.model import read_message
from streams.contracts.registry import domain_event_of
from streams.topics import (
    ACTIVITY_EVENTS,
    CASE_EVENTS,
    EVENT_TOPIC_PARTITIONS,
    FUNDING_EVENTS,
    PROCEEDINGS_EVENTS,
    Stream,
)

log = logging.getLogger("socai.streams.worker")

#: Records taken per batch, and how long to wait to fill one (seconds).
WORKER_BATCH_RECORDS = 500
WORKER_BATCH_WITHIN_SECONDS = 0.5
#: The consumer group of the projection workers.
DEFAULT_GROUP = "socai-projections"
#: faust / Kafka session timeout (seconds): Tansu holds a group join for half of it.
SESSION_TIMEOUT_SECONDS = 6
#: Event ids per ``IN (...)`` query when deduplicating.
DEDUP_QUERY_CHUNK = 500
#: Topics the workers consume: every stream a projection reads (funding reads case events too).
WORKER_STREAMS: tuple[Stream, ...] = (
    CASE_EVENTS,
    ACTIVITY_EVENTS,
    FUNDING_EVENTS,
    PROCEEDINGS_EVENTS,
)

_metadata = sa.MetaData()

#: Event ids each consumer group has applied (deduplication of the relay's republishing),
#: written in the same transaction as the projection rows.
consumed_events = sa.Table(
    "stream_consumed_events",
    _metadata,
    sa.Column("consumer", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(36), primary_key=True),
)


@dataclass(frozen=True, slots=True)
class Record:
    """One consumed Kafka record."""

    topic: str
    partition: int
    offset: int
    value: bytes


def immediate_sqlite(engine: sa.Engine) -> sa.Engine:
    """Make SQLite transactions take the write lock at BEGIN, so two worker processes wait
    for each other (busy timeout) instead of failing on a lock upgrade."""
    if engine.dialect.name != "sqlite":
        return engine

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA busy_timeout=60000")

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class ProjectionSink:
    """Applies consumed records to the projections, exactly once in effect."""

    def __init__(
        self, engine: sa.Engine, projections: Sequence[Projection], consumer: str = DEFAULT_GROUP
    ) -> None:
        assert projections, "at least one projection"
        self.engine = engine
        self.projections = list(projections)
        self.consumer = consumer
        create_tables(engine, self.projections)
        _metadata.create_all(engine)

    def apply(self, records: Sequence[Record]) -> int:
        """Apply one batch in one transaction; returns the number of events applied."""
        by_partition: dict[tuple[str, int], list[Record]] = defaultdict(list)
        for record in records:
            by_partition[(record.topic, record.partition)].append(record)
        applied = 0
        with Session(self.engine) as session, session.begin():
            for (topic, partition), batch in by_partition.items():
                applied += self._apply_partition(session, topic, partition, batch)
        return applied

    def _apply_partition(
        self, session: Session, topic: str, partition: int, batch: list[Record]
    ) -> int:
        offsets = [r.offset for r in batch]
        assert offsets == sorted(offsets), "a partition's records arrive in offset order"
        self._lock_partition(session, topic, partition)
        # a position is the next offset to read (Kafka's convention): offset 0 is a record
        next_offset = min(position_of(session, p.name, topic, partition) for p in self.projections)
        fresh = [r for r in batch if r.offset >= next_offset]
        if not fresh:
            return 0
        envelopes = [read_message(r.value) for r in fresh]
        seen = self._seen(session, [e["id"] for e in envelopes])
        events, new_ids = [], []
        for envelope in envelopes:
            if envelope["id"] in seen:
                continue
            seen.add(envelope["id"])
            event = domain_event_of(envelope)
            if event is not None:
                events.append(event)
                new_ids.append(envelope["id"])
        if new_ids:
            session.execute(
                consumed_events.insert(),
                [{"consumer": self.consumer, "event_id": i} for i in new_ids],
            )
        reached = Position(topic, partition, fresh[-1].offset + 1)
        for projection in self.projections:
            wanted = [e for e in events if type(e).TOPIC in projection.topics]
            apply_batch(session, projection, wanted, reached)
        return len(events)

    @staticmethod
    def _lock_partition(session: Session, topic: str, partition: int) -> None:
        """Serialise two workers on one partition (briefly both own it during a rebalance):
        the second reads the position only after the first committed. SQLite already
        serialises writers (BEGIN IMMEDIATE); PostgreSQL takes a transaction advisory lock."""
        if session.get_bind().dialect.name != "postgresql":
            return
        digest = hashlib.sha256(f"{topic}/{partition}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})

    def _seen(self, session: Session, ids: list[str]) -> set[str]:
        seen: set[str] = set()
        for start in range(0, len(ids), DEDUP_QUERY_CHUNK):
            chunk = ids[start : start + DEDUP_QUERY_CHUNK]
            seen.update(
                session.execute(
                    sa.select(consumed_events.c.event_id).where(
                        consumed_events.c.consumer == self.consumer,
                        consumed_events.c.event_id.in_(chunk),
                    )
                ).scalars()
            )
        return seen

    def reset(self) -> None:
        """Drop the projections' rows, positions and applied ids (a rebuild from Kafka; use a
        new consumer group or reset its offsets to the earliest)."""
        for projection in self.projections:
            reset(self.engine, projection)
        with self.engine.begin() as connection:
            connection.execute(
                consumed_events.delete().where(consumed_events.c.consumer == self.consumer)
            )


def faust_broker_url(bootstrap: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap.split(",")]


def create_app(
    bootstrap: str,
    sink_factory: Callable[[], ProjectionSink],
    *,
    group: str = DEFAULT_GROUP,
    batch_records: int = WORKER_BATCH_RECORDS,
    within_seconds: float = WORKER_BATCH_WITHIN_SECONDS,
) -> faust.App:
    """The faust app of the projection workers (one per process; start several)."""
    assert 1 <= batch_records <= 100_000
    app = faust.App(
        group,
        broker=faust_broker_url(bootstrap),
        broker_session_timeout=SESSION_TIMEOUT_SECONDS,
        broker_heartbeat_interval=1,
        consumer_auto_offset_reset="earliest",
        topic_partitions=EVENT_TOPIC_PARTITIONS,
        processing_guarantee="at_least_once",
        web_enabled=False,
        store="memory://",
        datadir=tempfile.mkdtemp(prefix=f"socai-faust-{group}-"),
    )
    holder: dict[str, ProjectionSink] = {}

    def sink() -> ProjectionSink:
        if "sink" not in holder:
            holder["sink"] = sink_factory()
        return holder["sink"]

    for stream in WORKER_STREAMS:
        topic = app.topic(
            stream.topic,
            key_type=bytes,
            value_type=bytes,
            key_serializer="raw",
            value_serializer="raw",
            partitions=stream.partitions,
        )

        async def project(events_stream: Any, topic_name: str = stream.topic) -> None:
            async for events in events_stream.take_events(batch_records, within_seconds):
                records = [
                    Record(e.message.topic, e.message.partition, e.message.offset, e.message.value)
                    for e in events
                ]
                applied = await asyncio.to_thread(sink().apply, records)
                last = max(r.offset for r in records)
                log.info(
                    "worker: %s applied %d of %d records (up to offset %d)",
                    topic_name,
                    applied,
                    len(records),
                    last,
                )

        app.agent(topic, name=f"project-{stream.topic}")(project)
    return app


def run_worker(app: faust.App, loglevel: str = "warning") -> None:
    """Run the app in this process until SIGTERM / Ctrl-C."""
    worker = faust.Worker(app, loglevel=loglevel, quiet=True)
    worker.execute_from_commandline()
