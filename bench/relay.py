"""Relay throughput against raw kafka-python, in one run against the same Tansu broker.

Prints, on SQLite and PostgreSQL stores: raw producer messages/s for keyed messages of the
relay's average size (same producer settings: acks=all, idempotent; kafka-python with the
``crc32c`` C extension, asserted), the relay's events/s from the event store to the broker
(read the log, decrypt, map to public contracts, CloudEvents JSON, publish, wait for acks,
record the position; in a child process, with its peak RSS), and their ratio. Also the
encoding worker's own cost: CPU time per event of encoding the log from the stored state (the
relay's path) against encoding it from the library's decoded domain events (the path before
issue 18's fourth round), the same messages, in one process.

    python bench/relay.py [--events 200000 | --quick] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from kafka.admin import KafkaAdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._stores import (
    add_options,
    backend,
    build_synthetic,
    events_of,
    header,
    in_child,
    kinds,
    row,
    settings_for,
)
from infra.devservices.broker import Broker
from infra.services.eventlog import StoreEventLog, opened_event_log
from infra.services.socai import Socai
from infra.settings import Settings
from infra.streaming import store_engine
from projections.eventlog import EventLog, LogEntry
from streams.contracts import to_public
from streams.contracts.model import STRUCTURED_HEADERS
from streams.positions import PositionStore
from streams.relay import Relay, make_producer
from streams.topics import EVENT_TOPIC_PARTITIONS, ensure_topics

RAW_TOPIC = "bench.raw.v1"
#: Raw messages are sent in batches of the relay's batch size, each waited for (as the relay).
BATCH = 1_000


def raw_rate(bootstrap: str, count: int, size: int, topic: str) -> float:
    """Raw kafka-python: ``count`` keyed messages of ``size`` bytes, same producer settings,
    sent in the relay's batches and each batch waited for."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, EVENT_TOPIC_PARTITIONS, 1)])
    admin.close()
    producer = make_producer(bootstrap)
    value = b"x" * size
    keys = [f"{i:036d}".encode() for i in range(count)]
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        futures = [
            producer.send(topic, key=k, value=value, headers=list(STRUCTURED_HEADERS))
            for k in keys[start : start + BATCH]
        ]
        producer.flush()
        for future in futures:
            future.get()
    elapsed = time.perf_counter() - started
    producer.close()
    return count / elapsed


def relay_rate(url: str, key: str, bootstrap: str) -> tuple[int, int, float]:
    """(events published, average message bytes, seconds) of one relay run from position 0."""
    app = Socai(Settings.load(url, key))
    settings = app.settings
    relay = Relay(
        app.log,
        PositionStore(store_engine(settings)),
        bootstrap,
        "bench",
        batch_events=BATCH,
        open_log=partial(opened_event_log, settings),
    )
    started = time.perf_counter()
    progress = relay.run()
    seconds = time.perf_counter() - started
    relay.close()
    app.close()
    return progress.published, 0, seconds


class DecodedEvents:
    """The store's log through its decoded events only: ``encode_batch``'s other path."""

    def __init__(self, log: StoreEventLog) -> None:
        self.log = log

    def read(self, after: int, limit: int, topics: tuple[str, ...] = ()) -> list[LogEntry]:
        return self.log.read(after, limit, topics)

    def head(self) -> int:
        return self.log.head()


def encoding_cost(url: str, key: str, events: int = 50_000) -> tuple[float, float]:
    """CPU µs per stored event of encoding the first ``events`` (batches of the relay's size)
    from the stored state and from decoded domain events, alternated three times, best of
    each (the same batches: asserted)."""
    from streams.contracts.registry import published_internal_topics
    from streams.pipeline import EncodedBatch, encode_batch

    topics = published_internal_topics()
    app = Socai(Settings.load(url, key))

    def run(log: EventLog) -> tuple[float, list[EncodedBatch]]:
        batches, after, covered = [], 0, 0
        started = time.process_time()
        while covered < events and (batch := encode_batch(log, after, BATCH, topics, "bench")):
            batches.append(batch)
            after, covered = batch.last, covered + batch.covered
        return (time.process_time() - started) / max(covered, 1) * 1e6, batches

    stored = decoded = float("inf")
    for _ in range(3):
        cost, ours = run(app.log)
        stored = min(stored, cost)
        cost, theirs = run(DecodedEvents(app.log))
        decoded = min(decoded, cost)
        assert ours == theirs, "both paths encode the same batches"
    app.close()
    return stored, decoded


def message_size(url: str, key: str, sample: int = 20_000) -> int:
    app = Socai(Settings.load(url, key))
    sizes = []
    for entry in app.log.entries():
        message = to_public(entry.event(), "bench")
        if message is not None:
            sizes.append(len(message.value))
        if len(sizes) >= sample:
            break
    app.close()
    return sum(sizes) // len(sizes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_options(parser)
    args = parser.parse_args()
    events = events_of(args)
    import crc32c  # noqa: F401 - the bench measures against the producer with its C CRC
    from kafka.record import util

    assert util.crc32c_c is not None, "kafka-python does not use the crc32c extension"
    header()
    with Broker() as broker:
        ensure_topics(broker.bootstrap)
        for kind in kinds(args):
            with tempfile.TemporaryDirectory() as tmp, backend(kind, Path(tmp)) as url:
                settings = settings_for(url("relay"), Path(tmp))
                build_synthetic(settings, events)
                store, key = settings.store.raw, str(settings.key_file)
                size = message_size(store, key)
                (stored_us, decoded_us), _ = in_child(encoding_cost, store, key)
                row(
                    "relay encoding worker, CPU per event (50,000 events)",
                    kind,
                    f"from the stored state {stored_us:.1f} µs",
                    f"from decoded domain events {decoded_us:.1f} µs",
                    stored_us / decoded_us,
                    "≤ 0.5",
                )
                (published, _, relay_s), relay_rss = in_child(
                    relay_rate, store, key, broker.bootstrap
                )
                raw = raw_rate(broker.bootstrap, published, size, f"{RAW_TOPIC}.{kind}")
                relayed = published / relay_s
                row(
                    f"relay to Kafka, {published:,} events (~{size} B, batches of {BATCH:,})",
                    kind,
                    f"{relayed:,.0f} ev/s, peak RSS {relay_rss:,.0f} MiB",
                    f"raw kafka-python producer with C crc32c {raw:,.0f} msg/s",
                    relayed / raw,
                    "≥ 0.8",
                )


if __name__ == "__main__":
    main()
