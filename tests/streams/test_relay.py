"""The relay against a real broker: everything published once per position, resumable,
PII-free, schema-valid; and it waits out a broker that is away."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from functools import partial

import jsonschema
import pytest
import sqlalchemy as sa

from infra.devservices.broker import Broker, free_port
from infra.services.eventlog import opened_event_log
from infra.services.socai import Socai
from infra.streaming import store_engine
from streams.contracts import contract_for_type
from streams.positions import PositionStore
from streams.relay import DEFAULT_RELAY_NAME, Relay, checkpoint_message
from streams.schemas import SCHEMA_DIR
from streams.topics import (
    ACTIVITY_EVENTS,
    AUDIT_CHECKPOINTS,
    CASE_EVENTS,
    FUNDING_EVENTS,
    PROCEEDINGS_EVENTS,
    ensure_topics,
)
from tests.streams.support import (
    default_partitions,
    envelopes,
    personal_values,
    public_events,
    read_topic,
    stored_case_events,
    stored_events,
)

pytestmark = pytest.mark.kafka


def _relay(
    store, bootstrap: str, lines: list[str] | None = None, batch: int = 100, workers: int = 0
) -> tuple[Relay, Socai]:
    """A relay reading the store's log, and the services it opened (to close); with
    ``workers``, batches are encoded in that many worker processes (as ``socai streams
    relay`` does), else in this process."""
    app = store.open()
    positions = PositionStore(store_engine(store.settings()))
    relay = Relay(
        app.log,
        positions,
        bootstrap,
        "test",
        batch_events=batch,
        report=(lines.append if lines is not None else None),
        open_log=partial(opened_event_log, store.settings()) if workers else None,
        encoding_workers=max(workers, 1),
    )
    return relay, app


ENCODING = pytest.mark.parametrize("workers", [0, 1, 2], ids=["in-process", "worker", "workers"])


@ENCODING
def test_relay_publishes_every_event_once_valid_and_pii_free(demo_store, fresh_kafka, workers):
    lines: list[str] = []
    relay, relay_app = _relay(demo_store, fresh_kafka, lines, workers=workers)
    try:
        progress = relay.run()
        head = relay.log.head()
        secrets = personal_values(relay_app)
        cases = stored_case_events(relay_app)
        funding = stored_events(relay_app, "socai.funding:")
        criminal = stored_events(relay_app, "socai.proceedings:")
        public = public_events(relay_app)
    finally:
        relay.close()
        relay_app.close()
    assert progress.published == public
    assert relay.positions.get(DEFAULT_RELAY_NAME) == head  # the users' events covered too
    assert f"position {head} of {head} (lag 0)" in lines[-1]

    case_records = read_topic(fresh_kafka, CASE_EVENTS.topic, expected=cases)
    assert len({e["id"] for e in envelopes(case_records)}) == len(case_records) == cases
    funding_records = read_topic(fresh_kafka, FUNDING_EVENTS.topic, expected=funding)
    assert funding > 0
    assert len({e["id"] for e in envelopes(funding_records)}) == len(funding_records) == funding
    activity_records = read_topic(
        fresh_kafka, ACTIVITY_EVENTS.topic, expected=public - cases - funding - criminal
    )
    assert len(activity_records) == public - cases - funding - criminal
    criminal_records = read_topic(fresh_kafka, PROCEEDINGS_EVENTS.topic, expected=criminal)
    assert criminal > 0
    assert len({e["id"] for e in envelopes(criminal_records)}) == len(criminal_records)
    # every published message: no personal data, valid against its schema, keyed by subject
    records = case_records + funding_records + activity_records + criminal_records
    events = envelopes(records)
    per_case: dict[str, list[int]] = {}
    for record, event in zip(records, events, strict=True):
        text = record.value.decode()
        assert not [s for s in secrets if s in text], f"{event['type']} leaks personal data"
        schema = json.loads((SCHEMA_DIR / contract_for_type(event["type"]).schema_file).read_text())
        jsonschema.validate(
            event["data"], schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        assert record.key.decode() == event["subject"]
        if record.topic in (CASE_EVENTS.topic, FUNDING_EVENTS.topic):
            per_case.setdefault(event["subject"], []).append(event["data"]["version"])
    # each in the partition Kafka's default partitioner picks for its key (the relay's
    # encoder hashes the key, the sender only takes the remainder): as any producer would
    chosen = default_partitions(fresh_kafka, records)
    assert [r.partition for r in records] == [chosen[r.topic, r.key] for r in records]
    assert len({r.partition for r in case_records}) > 1  # a test that could fail
    # keyed by case (by programme): its events sit in one partition, in version order
    for versions in per_case.values():
        assert versions == sorted(versions)
        assert versions == list(range(1, len(versions) + 1))

    # a second run finds nothing new and publishes nothing
    again, again_app = _relay(demo_store, fresh_kafka, workers=workers)
    try:
        assert again.run().published == 0
    finally:
        again.close()
        again_app.close()


@ENCODING
def test_relay_resumes_after_the_position_it_recorded(demo_store, fresh_kafka, workers):
    first, first_app = _relay(demo_store, fresh_kafka, batch=50, workers=workers)
    try:
        assert first.relay_batch() == 50
        assert first.positions.get(DEFAULT_RELAY_NAME) == 50
    finally:
        first.close()
        first_app.close()
    rest, rest_app = _relay(demo_store, fresh_kafka, batch=50, workers=workers)
    try:
        cases = stored_case_events(rest_app)
        assert rest.run().published == public_events(rest_app, after=50)
    finally:
        rest.close()
        rest_app.close()
    events = envelopes(read_topic(fresh_kafka, CASE_EVENTS.topic, expected=cases))
    assert Counter(Counter(e["id"] for e in events).values()) == {1: cases}


@ENCODING
def test_relay_backs_off_while_the_broker_is_away_and_then_delivers(demo_store, workers):
    port = free_port()
    broker = Broker(port=port)
    lines: list[str] = []
    relay, relay_app = _relay(demo_store, f"127.0.0.1:{port}", lines, workers=workers)
    outcome: dict[str, object] = {}

    def run_relay() -> None:
        try:
            outcome["progress"] = relay.run(max_retry_seconds=60)
        except Exception as error:  # reported by the assertion below
            outcome["error"] = error

    runner = threading.Thread(target=run_relay)
    runner.start()
    try:
        # the relay meets no broker and says so, however long its start takes under load
        deadline = time.monotonic() + 60
        while not any("broker unavailable" in line for line in lines):
            assert runner.is_alive(), outcome
            assert time.monotonic() < deadline, "the relay never reported the broker away"
            time.sleep(0.05)
        # started from this (main) thread: PR_SET_PDEATHSIG follows the starting thread
        broker.start()
        ensure_topics(broker.bootstrap)
        runner.join(timeout=90)
        assert not runner.is_alive()
        assert "error" not in outcome, outcome.get("error")
        cases = stored_case_events(relay_app)
        assert outcome["progress"].published == public_events(relay_app)
        events = envelopes(read_topic(broker.bootstrap, CASE_EVENTS.topic, expected=cases))
        assert len({e["id"] for e in events}) == cases
    finally:
        runner.join(timeout=90)
        relay.close()
        relay_app.close()
        broker.stop()


class NoEvents:
    """An empty event log: the relay below publishes checkpoints only."""

    def read(self, after: int, limit: int, topics: tuple[str, ...]) -> list:
        return []

    def head(self) -> int:
        return 0


class StoredCheckpoints:
    def __init__(self, documents: list[dict]) -> None:
        self.documents = documents

    def after(self, tree_size: int) -> list[dict]:
        return [d for d in self.documents if d["tree_size"] > tree_size]


def test_checkpoints_are_published_with_a_stable_id(fresh_kafka, tmp_path):
    checkpoint = {
        "format": "socai-ledger-checkpoint-v1",
        "tree_size": 42,
        "root_hash": "ab" * 32,
        "last_position": 42,
        "chain_head": "cd" * 32,
        "time": "2026-11-23T11:00:00+00:00",
        "key_id": "ef" * 8,
        "signature": "c2lnbmF0dXJl",
    }
    positions = PositionStore(sa.create_engine(f"sqlite:///{tmp_path / 'positions.db'}"))
    relay = Relay(
        NoEvents(), positions, fresh_kafka, "test", checkpoints=StoredCheckpoints([checkpoint])
    )
    try:
        assert relay.relay_checkpoints() == 1
        assert relay.relay_checkpoints() == 0  # tracked by tree size
        positions.reset(relay.checkpoint_position_name)  # as `streams relay --reset`
        assert relay.relay_checkpoints() == 1
    finally:
        relay.close()
    events = envelopes(read_topic(fresh_kafka, AUDIT_CHECKPOINTS.topic, expected=2))
    assert [e["type"] for e in events] == ["vn.socai.audit.Checkpoint.v1"] * 2
    # republished under the same id, stable per key and tree size
    assert {e["id"] for e in events} == {checkpoint_message(checkpoint, "test").event_id}
    # exactly the signed document (the earlier JSON format carries no origin and no note)
    assert events[0]["data"] == {**checkpoint, "origin": None, "note": None}


@pytest.mark.postgres
def test_relay_from_a_postgresql_store(pg_url, fresh_kafka, tmp_path):
    from infra.keys import create_key_file
    from infra.scenario import ScenarioConfig, run_scenario
    from infra.services.socai import Socai
    from infra.settings import Settings

    key = tmp_path / "pg.key"
    create_key_file(key)
    settings = Settings.load(pg_url, str(key))
    app = Socai(settings)
    try:
        run_scenario(app, ScenarioConfig(cases=5, seed=11))
        head = app.log.head()
        public = public_events(app)  # case events: the scenario records only cases
        positions = PositionStore(store_engine(settings))
        relay = Relay(
            app.log,
            positions,
            fresh_kafka,
            "test",
            batch_events=7,
            open_log=partial(opened_event_log, settings),  # the worker reads PostgreSQL
        )
        try:
            assert relay.run().published == public
        finally:
            relay.close()
        assert positions.get(DEFAULT_RELAY_NAME) == head
    finally:
        app.close()
    events = envelopes(read_topic(fresh_kafka, CASE_EVENTS.topic, expected=public))
    assert len({e["id"] for e in events}) == public
