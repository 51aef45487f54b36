"""Relay throughput against raw kafka-python, in one run against the same Tansu broker.

Prints, on SQLite and PostgreSQL stores: raw producer messages/s for keyed messages of the
relay's average size (same producer settings: acks=all, idempotent; kafka-python with the
``crc32c`` C extension, asserted), the relay's events/s from the event store to the broker
(read the log, decrypt, map to public contracts, CloudEvents JSON, publish, wait for acks,
record the position; in a child process, with its peak RSS), and their ratio. Also the
encoding worker's own cost: CPU time per event of encoding the log from the stored state (the
relay's path) against encoding it from the library's decoded domain events (the path before
issue 18's fourth round), the same messages, in one process. And the CPU per message of the
whole relay, each side apart (the sending process with the producer's I/O thread; the
encoding worker), against the raw producer's process (with its I/O thread), in the same run.

    python bench/relay.py [--events 200000 | --quick] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from kafka.admin import KafkaAdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _stores as stores
from infra.devservices.broker import Broker
from infra.services.eventlog import opened_event_log
from infra.services.socai import Socai
from infra.settings import Settings
from infra.streaming import store_engine
from projections.eventlog import EventLog
from streams.contracts import to_public
from streams.contracts.model import STRUCTURED_HEADERS
from streams.positions import PositionStore
from streams.relay import Relay, make_producer
from streams.topics import EVENT_TOPIC_PARTITIONS, ensure_topics

RAW_TOPIC = "bench.raw.v1"
#: Raw messages are sent in batches of the relay's batch size, each waited for (as the relay).
BATCH = 1_000


def raw_rate(bootstrap: str, count: int, size: int, topic: str) -> tuple[float, float]:
    """Raw kafka-python: ``count`` keyed messages of ``size`` bytes, same producer settings,
    sent in the relay's batches and each batch waited for: (messages/s, CPU seconds of this
    process, its producer thread included)."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, EVENT_TOPIC_PARTITIONS, 1)])
    admin.close()
    producer = make_producer(bootstrap)
    value = b"x" * size
    keys = [f"{i:036d}".encode() for i in range(count)]
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, count, BATCH):
        futures = [
            producer.send(topic, key=k, value=value, headers=list(STRUCTURED_HEADERS))
            for k in keys[start : start + BATCH]
        ]
        producer.flush()
        for future in futures:
            future.get()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    producer.close()
    return count / elapsed, cpu


def relay_rate(url: str, key: str, bootstrap: str) -> tuple[int, float, float, float]:
    """(events published, seconds, CPU seconds of the sending process (its producer thread
    included), CPU seconds of the encoding worker) of one relay run from position 0."""
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
    started, cpu = time.perf_counter(), time.process_time()
    progress = relay.run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    relay.close()  # the worker is waited for: its CPU is now this process's children's
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    app.close()
    return progress.published, seconds, cpu, children.ru_utime + children.ru_stime


def encoding_cost(url: str, key: str, events: int = 50_000) -> tuple[float, float]:
    """CPU µs per stored event of encoding the first ``events`` (batches of the relay's size)
    from the stored state and from decoded domain events, alternated three times, best of
    each (the same batches: asserted)."""
    from streams.contracts.registry import published_internal_topics
    from streams.pipeline import DecodedOnly, EncodedBatch, encode_batch

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
        cost, theirs = run(DecodedOnly(app.log))
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
    stores.add_options(parser)
    args = parser.parse_args()
    events = stores.events_of(args)
    import crc32c  # noqa: F401 - the bench measures against the producer with its C CRC
    from kafka.record import util

    assert util.crc32c_c is not None, "kafka-python does not use the crc32c extension"
    stores.header()
    with Broker() as broker:
        ensure_topics(broker.bootstrap)
        for kind in stores.kinds(args):
            with tempfile.TemporaryDirectory() as tmp, stores.backend(kind, Path(tmp)) as url:
                settings = stores.settings_for(url("relay"), Path(tmp))
                stores.build_synthetic(settings, events)
                store, key = settings.store.raw, str(settings.key_file)
                size = message_size(store, key)
                (stored_us, decoded_us), _ = stores.in_child(encoding_cost, store, key)
                stores.row(
                    "relay encoding worker, CPU per event (50,000 events)",
                    kind,
                    f"from the stored state {stored_us:.1f} µs",
                    f"from decoded domain events {decoded_us:.1f} µs",
                    stored_us / decoded_us,
                    "≤ 0.5",
                )
                (published, relay_s, sender_cpu, worker_cpu), relay_rss = stores.in_child(
                    relay_rate, store, key, broker.bootstrap
                )
                raw, raw_cpu = raw_rate(broker.bootstrap, published, size, f"{RAW_TOPIC}.{kind}")
                relayed = published / relay_s
                stores.row(
                    f"relay to Kafka, {published:,} events (~{size} B, batches of {BATCH:,})",
                    kind,
                    f"{relayed:,.0f} ev/s, peak RSS {relay_rss:,.0f} MiB",
                    f"raw kafka-python producer with C crc32c {raw:,.0f} msg/s",
                    relayed / raw,
                    "≥ 0.8",
                )
                sender_us, worker_us = sender_cpu / published * 1e6, worker_cpu / published * 1e6
                raw_us = raw_cpu / published * 1e6
                stores.row(
                    "relay CPU per message: sending process + encoding worker",
                    kind,
                    f"{sender_us:.1f} + {worker_us:.1f} = {sender_us + worker_us:.1f} µs",
                    f"raw producer's process {raw_us:.1f} µs",
                    (sender_us + worker_us) / raw_us,
                    f"(the sending process alone: {sender_us / raw_us:.2f} of the raw producer's)",
                )


if __name__ == "__main__":
    main()
