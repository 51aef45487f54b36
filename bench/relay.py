"""Relay throughput against raw kafka-python, in one run against the same Tansu broker.

Prints: raw producer messages/s for keyed messages of the relay's average size (same producer
settings: acks=all, idempotent), the relay's events/s from the event store to the broker
(read the log, decrypt, map to public contracts, CloudEvents JSON, publish, wait for acks,
record the position), and their ratio.

    python bench/relay.py [CASES]      # default 200 cases (about 2,400 events)
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from kafka.admin import KafkaAdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from infra.devservices.broker import Broker
from infra.keys import create_key_file
from infra.scenario import ScenarioConfig, run_scenario
from infra.services.socai import Socai
from infra.settings import Settings
from infra.streaming import store_engine
from streams.contracts import to_public
from streams.positions import PositionStore
from streams.relay import Relay, make_producer
from streams.topics import EVENT_TOPIC_PARTITIONS, ensure_topics

RAW_TOPIC = "bench.raw.v1"
#: Raw messages are sent in batches of the relay's batch size, each waited for (as the relay).
BATCH = 1_000


def build_store(folder: Path, cases: int) -> Settings:
    settings = Settings.load(f"sqlite:///{folder / 'bench.db'}", str(folder / "bench.db.key"))
    create_key_file(settings.key_file)
    app = Socai(settings)
    try:
        run_scenario(app, ScenarioConfig(cases=cases, seed=2016))
    finally:
        app.close()
    return settings


def raw_rate(bootstrap: str, count: int, size: int) -> float:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(RAW_TOPIC, EVENT_TOPIC_PARTITIONS, 1)])
    admin.close()
    producer = make_producer(bootstrap)
    value = b"x" * size
    keys = [f"{i:036d}".encode() for i in range(count)]
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        futures = [
            producer.send(RAW_TOPIC, key=k, value=value) for k in keys[start : start + BATCH]
        ]
        producer.flush()
        for future in futures:
            future.get()
    elapsed = time.perf_counter() - started
    producer.close()
    return count / elapsed


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp, Broker() as broker:
        ensure_topics(broker.bootstrap)
        print(f"building a store of {cases} cases ...", flush=True)
        settings = build_store(Path(tmp), cases)
        app = Socai(settings)
        try:
            sizes = [
                len(m.value)
                for m in (to_public(n.event(), "bench") for n in app.log.entries())
                if m
            ]
            events = len(sizes)
            size = sum(sizes) // events
            raw = raw_rate(broker.bootstrap, events, size)
            relay = Relay(
                app.log,
                PositionStore(store_engine(settings)),
                broker.bootstrap,
                "bench",
                batch_events=BATCH,
            )
            started = time.perf_counter()
            progress = relay.run()
            elapsed = time.perf_counter() - started
            relay.close()
        finally:
            app.close()
    assert progress.published == events
    relayed = events / elapsed
    print(f"events: {events}, average message {size} bytes, batches of {BATCH}")
    print(f"raw kafka-python producer (acks=all): {raw:10,.0f} messages/s")
    print(
        f"relay (store -> public CloudEvents -> broker, position saved): {relayed:10,.0f} events/s"
    )
    print(f"ratio relay / raw: {relayed / raw:.2f}")


if __name__ == "__main__":
    main()
