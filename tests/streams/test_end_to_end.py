"""End to end against the real broker: demo scenario → relay → two faust workers → the same
tables as the in-process projections; and the same after SIGKILLs at random points."""

from __future__ import annotations

import random
import threading
import time

import pytest
import sqlalchemy as sa
from socai_consumer import IdempotentConsumer

from infra.scenario import ScenarioConfig, run_scenario
from streams.topics import CASE_EVENTS
from tests.streams.processes import (
    Service,
    consumed_events,
    digests,
    in_process_digests,
    service_env,
    tails,
    wait_until,
)
from tests.streams.support import public_events, stored_case_events

pytestmark = pytest.mark.kafka

#: Kills of relay and workers in the default run and in the slow run.
DEFAULT_KILLS = 5
SLOW_KILLS = 50
#: Seconds allowed for workers to catch up after the last kill.
CATCH_UP_SECONDS = 240


def _services(store, bootstrap, tmp_path, relay_args=("--follow",)):
    workers_db = tmp_path / "workers.db"
    env = {**service_env(bootstrap, workers_db), "SOCAI_TOKEN": store.token}
    logs = tmp_path / "logs"
    logs.mkdir()
    base = ["--store", store.url, "--key-file", str(store.key), "streams"]
    relay = Service("relay", [*base, "relay", *relay_args, "--batch", "20"], env, logs)
    workers = [
        Service(f"worker{i}", [*base, "worker", "--log-level", "info", "--batch", "50"], env, logs)
        for i in (1, 2)
    ]
    return relay, workers, workers_db


def test_two_workers_build_the_same_tables_as_in_process(demo_store, fresh_kafka, tmp_path):
    relay, workers, workers_db = _services(demo_store, fresh_kafka, tmp_path, ("--once",))
    app = demo_store.open()
    try:
        head = public_events(app)  # what the workers consume: not the users' events
        expected = in_process_digests(app, tmp_path / "in_process.db")
    finally:
        app.close()
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            wait_until(lambda w=worker: "Ready" in w.output(), 60, f"{worker.name} ready")
        time.sleep(8)  # the second join rebalances: each worker gets 3 of 6 partitions
        relay.start()
        assert relay.process is not None
        assert relay.process.wait(timeout=120) == 0, relay.output()
        wait_until(
            lambda: consumed_events(workers_db) >= head,
            120,
            "workers to apply all",
            detail=lambda: (
                f"applied {consumed_events(workers_db)} of {head}\n" + tails([relay, *workers])
            ),
        )
        time.sleep(1.0)
        assert consumed_events(workers_db) == head
    finally:
        for service in (relay, *workers):
            service.stop()
    assert all("applied" in w.output() for w in workers), "both workers took partitions"
    assert digests(sa.create_engine(f"sqlite:///{workers_db}")) == expected


def _kill_test(demo_store, bootstrap, tmp_path, kills: int, extra_cases: int) -> None:
    relay, workers, workers_db = _services(demo_store, bootstrap, tmp_path)
    services = [relay, *workers]
    rng = random.Random(kills)
    writer_app = demo_store.open()
    writer = threading.Thread(
        target=run_scenario, args=(writer_app, ScenarioConfig(cases=extra_cases, seed=9_001))
    )
    killed = 0
    try:
        for service in services:
            service.start()
        writer.start()  # new events keep arriving while processes die
        while killed < kills:
            time.sleep(rng.uniform(0.2, 2.0))
            victim = rng.choice(services)
            if victim.alive:
                victim.kill9()
                killed += 1
            victim.start()
        writer.join()
        head = public_events(writer_app)  # what the workers consume: not the users' events
        wait_until(
            lambda: consumed_events(workers_db) >= head,
            CATCH_UP_SECONDS,
            "workers to catch up after the kills",
            detail=lambda: f"applied {consumed_events(workers_db)} of {head}\n" + tails(services),
        )
        time.sleep(2.0)
        assert consumed_events(workers_db) == head
        expected = in_process_digests(writer_app, tmp_path / "in_process.db")
        case_events = stored_case_events(writer_app)
    finally:
        writer.join()
        for service in services:
            service.stop()
        writer_app.close()
    assert killed == kills
    # none missing, none counted twice: the tables equal the in-process projections
    assert digests(sa.create_engine(f"sqlite:///{workers_db}")) == expected

    # downstream: every case event arrives; once per id in effect despite republishing
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'downstream.db'}")
    received = sa.Table(
        "received", sa.MetaData(), sa.Column("event_id", sa.String(36), primary_key=True)
    )
    received.metadata.create_all(engine)
    consumer = IdempotentConsumer(
        bootstrap,
        [CASE_EVENTS.topic],
        engine,
        lambda connection, event: connection.execute(
            received.insert().values(event_id=event["id"])
        ),
        name="kill-test",
    )
    try:
        consumer.run(idle_exit_seconds=3.0)
    finally:
        consumer.close()
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(received)).scalar()
            == case_events
        )


def test_sigkill_relay_and_workers_nothing_missing_nothing_twice(demo_store, fresh_kafka, tmp_path):
    _kill_test(demo_store, fresh_kafka, tmp_path, DEFAULT_KILLS, extra_cases=20)


@pytest.mark.slow
def test_sigkill_fifty_times(demo_store, fresh_kafka, tmp_path):
    _kill_test(demo_store, fresh_kafka, tmp_path, SLOW_KILLS, extra_cases=200)
