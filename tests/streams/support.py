"""Shared helpers of the streams tests: the demo's personal data, reading a whole topic, the
partitions Kafka's default partitioner gives keys."""

from __future__ import annotations

import time
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic

from domain.access.log import ACCESS_TOPIC_PREFIX
from domain.case.aggregate import Case
from infra.services.socai import Socai
from streams.contracts.model import read_message


def personal_values(app: Socai) -> set[str]:
    """Every name, identity number, address and phone of the store's people and relatives
    (read from the encrypted events), and the parts of names and addresses."""
    values: set[str] = set()
    for case_id in app.cases.ids():
        for event in app.cases.events(case_id):
            people = []
            if isinstance(event, Case.Received):
                people.append(event.person)
            if isinstance(event, Case.ProtectionApplied) and event.relative is not None:
                people.append(event.relative)
            if isinstance(event, Case.CorrectionRecorded) and event.field.startswith(
                ("person.", "relative.")
            ):
                values.update(str(v) for v in (event.old_value, event.new_value) if v)
            for person in people:
                values.update(v for v in person.as_dict().values() if v)
    assert values, "the demo has personal data to look for"
    return values


def read_topic(
    bootstrap: str,
    topic: str,
    expected: int | None = None,
    timeout_seconds: float = 30.0,
    idle_seconds: float = 1.5,
) -> list[Any]:
    """Every record on ``topic`` (all partitions, from the beginning): read until
    ``expected`` records arrived and then ``idle_seconds`` without more (Tansu's end offsets
    are unreliable, so they are not used), or until ``timeout_seconds``."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        records: list[Any] = []
        deadline = time.monotonic() + timeout_seconds
        last = time.monotonic()
        while time.monotonic() < deadline:
            batches = consumer.poll(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
            if batches:
                last = time.monotonic()
            elif (expected is None or len(records) >= expected) and (
                time.monotonic() - last > idle_seconds
            ):
                break
        return records
    finally:
        consumer.close()


def envelopes(records: list[Any]) -> list[dict[str, Any]]:
    return [read_message(r.value) for r in records]


def stored_case_events(app: Socai) -> int:
    """How many case events the store holds (what socai.case-events.v1 must carry)."""
    return stored_events(app, "socai.case:")


def public_events(app: Socai, after: int = 0) -> int:
    """How many stored events after position ``after`` are published: all but the users' and
    the access log's (which the relay covers without a message)."""
    return sum(
        1
        for n in app.log.entries()
        if n.position > after and not n.topic.startswith(ACCESS_TOPIC_PREFIX)
    )


def stored_events(app: Socai, topic_prefix: str) -> int:
    """How many stored events have a topic starting with ``topic_prefix`` (socai.funding:...)."""
    return sum(1 for n in app.log.entries() if n.topic.startswith(topic_prefix))


def publish(store: Any, bootstrap: str) -> None:
    """Relay everything in a test store (:class:`tests.streams.conftest.StoreFiles`) once."""
    from infra.streaming import store_engine
    from streams.positions import PositionStore
    from streams.relay import Relay

    app = store.open()
    relay = Relay(app.log, PositionStore(store_engine(store.settings())), bootstrap, "test")
    try:
        relay.run()
    finally:
        relay.close()
        app.close()


def default_partitions(bootstrap: str, records: list[Any]) -> dict[tuple[str, bytes], int]:
    """The partition kafka-python's own partitioner (the default, as the raw producer and
    the Java client) gives each record's key in its topic: each distinct key is produced to
    a scratch topic with as many partitions as the record's topic, and the broker's answer
    says where it went."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    counts = {
        topic: len(consumer.partitions_for_topic(topic)) for topic in {r.topic for r in records}
    }
    consumer.close()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    scratch = {n: f"test.default-partitions.{n}" for n in set(counts.values())}
    admin.create_topics([NewTopic(name, n, 1) for n, name in scratch.items()])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    try:
        futures = {
            (r.topic, r.key): producer.send(scratch[counts[r.topic]], key=r.key, value=b"")
            for r in records
        }
        producer.flush()
        return {where: future.get(timeout=30).partition for where, future in futures.items()}
    finally:
        producer.close()
