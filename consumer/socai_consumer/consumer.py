"""The idempotent consumer (hệ thống tiếp nhận): each public event handled once, resumable.

Kafka delivers at least once, and the relay may republish a batch after a crash, so the same
event can arrive twice (with the same CloudEvents ``id``). :class:`IdempotentConsumer` gives
the handler each event exactly once in effect:

- the handler runs inside a SQL transaction on the consumer's *own* database;
- in that same transaction the helper records the event id as seen and the partition's next
  offset; a redelivered or republished event is skipped by its id;
- on start (and on every partition assignment in a group) it seeks to the offsets stored in
  that database, so it resumes where its committed state ends — Kafka's own committed
  offsets are not trusted (a broker restart or a lost commit cannot skip or repeat work).

With ``validate=True`` every event is checked against its published schema
(:func:`socai_consumer.events.validate`) before the handler sees it. Copy
``examples/downstream_consumer.py`` in socai's repository to start.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition

from socai_consumer import events

#: Consumer settings Tansu and Apache Kafka both accept; Tansu holds a group join for half
#: the session timeout, so keep it at Kafka's minimum.
SESSION_TIMEOUT_MS = 6_000
HEARTBEAT_INTERVAL_MS = 1_000
#: Records handled per transaction (at most) and the poll wait (milliseconds).
MAX_POLL_RECORDS = 500
POLL_TIMEOUT_MS = 500

Handler = Callable[[sa.Connection, dict[str, Any]], None]

_metadata = sa.MetaData()
consumer_offsets = sa.Table(
    "downstream_offsets",
    _metadata,
    sa.Column("consumer", sa.String(64), primary_key=True),
    sa.Column("topic", sa.String(255), primary_key=True),
    sa.Column("partition", sa.Integer, primary_key=True),
    sa.Column("next_offset", sa.BigInteger, nullable=False),
)
consumer_seen = sa.Table(
    "downstream_seen_events",
    _metadata,
    sa.Column("consumer", sa.String(64), primary_key=True),
    sa.Column("event_id", sa.String(64), primary_key=True),
)


class IdempotentConsumer:
    """Feeds public events to ``handler(connection, cloudevent)`` exactly once in effect."""

    def __init__(
        self,
        bootstrap: str,
        topics: Iterable[str],
        engine: sa.Engine,
        handler: Handler,
        *,
        name: str,
        group: str | None = None,
        validate: bool = False,
        **consumer_config: Any,
    ) -> None:
        assert name
        assert len(name) <= 64
        self.topics = list(topics)
        self.engine = engine
        self.handler = handler
        self.name = name
        self.validate = validate
        _metadata.create_all(engine)
        config: dict[str, Any] = {
            "bootstrap_servers": bootstrap,
            "enable_auto_commit": False,
            "auto_offset_reset": "earliest",
            "max_poll_records": MAX_POLL_RECORDS,
            "session_timeout_ms": SESSION_TIMEOUT_MS,
            "heartbeat_interval_ms": HEARTBEAT_INTERVAL_MS,
            "client_id": f"socai-downstream-{name}",
        }
        config.update(consumer_config)
        if group is not None:
            config["group_id"] = group
        self.consumer = KafkaConsumer(**config)
        if group is None:
            partitions = [
                TopicPartition(t, p)
                for t in self.topics
                for p in sorted(self.consumer.partitions_for_topic(t) or ())
            ]
            assert partitions, f"no partitions for {self.topics}"
            self.consumer.assign(partitions)
            self._seek(partitions)
        else:
            self.consumer.subscribe(self.topics, listener=_SeekOnAssign(self))
        self.handled = 0
        self.duplicates = 0

    def stored_offsets(self) -> dict[tuple[str, int], int]:
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(consumer_offsets).where(consumer_offsets.c.consumer == self.name)
            )
            return {(r.topic, r.partition): r.next_offset for r in rows}

    def _seek(self, partitions: Iterable[TopicPartition]) -> None:
        stored = self.stored_offsets()
        for tp in partitions:
            if (tp.topic, tp.partition) in stored:
                self.consumer.seek(tp, stored[(tp.topic, tp.partition)])
            else:
                self.consumer.seek_to_beginning(tp)

    def poll_once(self) -> int:
        """Handle one poll's records; returns how many records arrived."""
        batches = self.consumer.poll(timeout_ms=POLL_TIMEOUT_MS)
        count = 0
        for tp, records in batches.items():
            count += len(records)
            self._handle(tp, records)
        return count

    def _handle(self, tp: TopicPartition, records: list[Any]) -> None:
        with self.engine.begin() as connection:
            stored = connection.execute(
                sa.select(consumer_offsets.c.next_offset).where(
                    consumer_offsets.c.consumer == self.name,
                    consumer_offsets.c.topic == tp.topic,
                    consumer_offsets.c.partition == tp.partition,
                )
            ).scalar_one_or_none()
            fresh = [r for r in records if stored is None or r.offset >= stored]
            if not fresh:
                return
            envelopes = [events.read_event(r.value) for r in fresh]
            if self.validate:
                for envelope in envelopes:
                    events.validate(envelope)
            ids = [e["id"] for e in envelopes]
            seen = set(
                connection.execute(
                    sa.select(consumer_seen.c.event_id).where(
                        consumer_seen.c.consumer == self.name, consumer_seen.c.event_id.in_(ids)
                    )
                ).scalars()
            )
            new_ids = []
            for envelope in envelopes:
                if envelope["id"] in seen:
                    self.duplicates += 1
                    continue
                seen.add(envelope["id"])
                self.handler(connection, envelope)
                new_ids.append(envelope["id"])
            if new_ids:
                connection.execute(
                    consumer_seen.insert(),
                    [{"consumer": self.name, "event_id": i} for i in new_ids],
                )
            values = {"next_offset": fresh[-1].offset + 1}
            if stored is None:
                connection.execute(
                    consumer_offsets.insert().values(
                        consumer=self.name, topic=tp.topic, partition=tp.partition, **values
                    )
                )
            else:
                connection.execute(
                    consumer_offsets.update()
                    .where(
                        consumer_offsets.c.consumer == self.name,
                        consumer_offsets.c.topic == tp.topic,
                        consumer_offsets.c.partition == tp.partition,
                    )
                    .values(**values)
                )
            self.handled += len(new_ids)

    def run(
        self,
        *,
        should_stop: Callable[[], bool] = lambda: False,
        idle_exit_seconds: float | None = None,
    ) -> int:
        """Consume until ``should_stop()`` or ``idle_exit_seconds`` without records; returns
        the events handled."""
        last = time.monotonic()
        while not should_stop():
            if self.poll_once():
                last = time.monotonic()
            elif idle_exit_seconds is not None and time.monotonic() - last > idle_exit_seconds:
                break
        return self.handled

    def close(self) -> None:
        self.consumer.close()


class _SeekOnAssign(ConsumerRebalanceListener):
    def __init__(self, owner: IdempotentConsumer) -> None:
        self.owner = owner

    def on_partitions_revoked(self, revoked: Any) -> None:
        """Nothing to flush: every handled batch is already committed in SQL."""

    def on_partitions_assigned(self, assigned: Any) -> None:
        self.owner._seek(assigned)
