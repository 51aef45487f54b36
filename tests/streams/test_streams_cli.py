"""``socai streams``: topics, relay, tail, schemas — through the real CLI."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from infra.cli.main import app
from tests.streams.support import personal_values, stored_case_events

runner = CliRunner()


def _invoke(store, *args: str, kafka: str | None = None):
    env = {"SOCAI_TOKEN": store.token, **({"SOCAI_KAFKA": kafka} if kafka else {})}
    return runner.invoke(app, ["--store", store.url, "--key-file", str(store.key), *args], env=env)


@pytest.mark.kafka
def test_relay_then_tail_shows_public_events_only(demo_store, fresh_kafka):
    assert _invoke(demo_store, "streams", "topics", kafka=fresh_kafka).exit_code == 0
    relayed = _invoke(
        demo_store, "streams", "relay", "--once", "--encoding-workers", "2", kafka=fresh_kafka
    )
    assert relayed.exit_code == 0, relayed.output
    app_ = demo_store.open()
    try:
        head, cases, secrets = (
            app_.log.head(),
            stored_case_events(app_),
            personal_values(app_),
        )
    finally:
        app_.close()
    assert f"position {head} of {head} (lag 0)" in relayed.output
    tail = _invoke(
        demo_store,
        "streams",
        "tail",
        "socai.case-events.v1",
        "--max",
        str(cases),
        "--idle-exit",
        "5",
        kafka=fresh_kafka,
    )
    assert tail.exit_code == 0, tail.output
    lines = [line for line in tail.output.splitlines() if " vn.socai.case." in line]
    assert len(lines) == cases
    assert not [s for s in secrets if s in tail.output]
    again = _invoke(demo_store, "streams", "relay", kafka=fresh_kafka)
    assert "published 0 events" in again.output


def test_relay_without_a_cluster_is_refused_with_a_hint(demo_store, monkeypatch):
    monkeypatch.delenv("SOCAI_KAFKA", raising=False)
    result = _invoke(demo_store, "streams", "relay")
    assert result.exit_code == 2
    assert "no Kafka cluster configured" in result.output
    assert "SOCAI_KAFKA" in result.output


@pytest.mark.parametrize("workers", ["0", "9", "-1", "two", ""])
def test_a_bad_number_of_encoding_workers_is_refused_before_anything_is_read(
    demo_store, workers: str
):
    before = _positions(demo_store)
    result = _invoke(demo_store, "streams", "relay", "--encoding-workers", workers)
    assert result.exit_code == 2, result.output
    assert "--encoding-workers" in result.output
    assert _positions(demo_store) == before


def _positions(store) -> list[tuple[str, int]]:
    """The relay's recorded positions (none before it ever ran)."""
    from sqlalchemy import inspect, select

    from infra.streaming import store_engine
    from streams.positions import RELAY_POSITIONS

    engine = store_engine(store.settings())
    try:
        if not inspect(engine).has_table(RELAY_POSITIONS.name):
            return []
        with engine.connect() as connection:
            rows = connection.execute(
                select(RELAY_POSITIONS.c.relay_name, RELAY_POSITIONS.c.position)
            )
            return [(name, position) for name, position in rows]
    finally:
        engine.dispose()


def test_schemas_check_passes_and_lists_every_type(demo_store):
    result = _invoke(demo_store, "streams", "schemas")
    assert result.exit_code == 0, result.output
    assert "vn.socai.case.SupportProvided.v1" in result.output
    assert "vn.socai.audit.Checkpoint.v1" in result.output
