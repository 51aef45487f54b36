"""How topics are created: replication factor, min.insync.replicas and retention, from
options or the environment; impossible settings refused before anything is created."""

from __future__ import annotations

import pytest
from kafka import KafkaAdminClient
from typer.testing import CliRunner

from infra.cli.main import app
from infra.devservices.broker import Broker
from infra.streaming import StreamSettingsError, retention_ms, topic_settings
from streams.topics import (
    ALL_STREAMS,
    RETAIN_FOREVER,
    TopicError,
    TopicSettings,
    ensure_topics,
    replicas,
)

runner = CliRunner()
DAY_MS = 86_400_000
SETTINGS_ENV = ("SOCAI_TOPIC_REPLICATION", "SOCAI_TOPIC_MIN_INSYNC", "SOCAI_TOPIC_RETENTION")


@pytest.fixture(autouse=True)
def _no_topic_env(monkeypatch):
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def empty_broker():
    """A broker with no topics at all (``fresh_kafka`` already has them)."""
    import os

    if os.environ.get("SOCAI_SKIP_KAFKA") == "1":
        pytest.skip("SOCAI_SKIP_KAFKA=1")
    with Broker() as broker:
        yield broker.bootstrap


def _topics(bootstrap: str) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return {t for t in admin.list_topics() if t.startswith("socai.")}
    finally:
        admin.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30d", 30 * DAY_MS), ("12h", 12 * 3_600_000), ("90m", 90 * 60_000), ("forever", -1)],
)
def test_retention_is_a_number_with_a_unit(text, expected):
    assert retention_ms(text) == expected


@pytest.mark.parametrize("text", ["7", "7000", "0d", "-3d", "1.5d", "7 days", "d", "", "1w"])
def test_a_retention_without_a_unit_or_with_a_wrong_one_is_refused(text):
    """A bare ``7`` would be 7 milliseconds to Kafka: every record deleted at once."""
    with pytest.raises(StreamSettingsError) as refused:
        retention_ms(text)
    assert "30d" in refused.value.hint


def test_settings_become_the_create_request():
    settings = TopicSettings(replication_factor=3, min_insync_replicas=2, retention_ms=30 * DAY_MS)
    request = settings.create_request(ALL_STREAMS)
    assert set(request) == {s.topic for s in ALL_STREAMS}
    for stream in ALL_STREAMS:
        assert request[stream.topic] == {
            "num_partitions": stream.partitions,
            "replication_factor": 3,
            "configs": {"min.insync.replicas": "2", "retention.ms": str(30 * DAY_MS)},
        }
    assert TopicSettings().configs() == {}  # unset: the broker's defaults


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"replication_factor": 0}, "replication factor 0"),
        ({"replication_factor": 40_000}, "replication factor 40000"),
        ({"replication_factor": 2, "min_insync_replicas": 3}, "min.insync.replicas 3"),
        ({"replication_factor": 3, "min_insync_replicas": 0}, "min.insync.replicas 0"),
        ({"retention_ms": 1_000}, "shorter than an hour"),
        ({"retention_ms": -2}, "shorter than an hour"),
    ],
)
def test_impossible_settings_are_refused(kwargs, fragment):
    with pytest.raises(TopicError) as refused:
        TopicSettings(**kwargs)
    assert fragment in refused.value.message
    assert refused.value.hint


def test_the_environment_sets_what_options_do_not(monkeypatch):
    monkeypatch.setenv("SOCAI_TOPIC_REPLICATION", "3")
    monkeypatch.setenv("SOCAI_TOPIC_MIN_INSYNC", "2")
    monkeypatch.setenv("SOCAI_TOPIC_RETENTION", "forever")
    assert topic_settings() == TopicSettings(3, 2, RETAIN_FOREVER)
    assert topic_settings(replication=1, min_insync=1, retention="7d") == TopicSettings(
        1, 1, 7 * DAY_MS
    )
    monkeypatch.setenv("SOCAI_TOPIC_REPLICATION", "three")
    with pytest.raises(StreamSettingsError, match="SOCAI_TOPIC_REPLICATION 'three'"):
        topic_settings()


@pytest.mark.kafka
def test_topics_are_created_with_the_replication_asked_for(empty_broker):
    """The test broker (one Tansu node) records the replication factor it was asked for and
    accepts the topic configs; an Apache Kafka cluster applies them as well."""
    settings = TopicSettings(replication_factor=3, min_insync_replicas=2, retention_ms=-1)
    created = ensure_topics(empty_broker, settings)
    assert set(created) == {s.topic for s in ALL_STREAMS}
    assert replicas(empty_broker) == {s.topic: 3 for s in ALL_STREAMS}
    assert ensure_topics(empty_broker, settings) == []  # idempotent


@pytest.mark.kafka
def test_the_cli_creates_topics_from_options_and_shows_their_replicas(empty_broker):
    result = runner.invoke(
        app,
        ["streams", "topics", "--replication", "2", "--min-insync", "2", "--retention", "30d"],
        env={"SOCAI_KAFKA": empty_broker},
    )
    assert result.exit_code == 0, result.output
    for stream in ALL_STREAMS:
        assert f"{stream.partitions} partitions  2 replicas  created" in result.output
    again = runner.invoke(
        app, ["streams", "topics", "--replication", "3"], env={"SOCAI_KAFKA": empty_broker}
    )
    assert again.exit_code == 0, again.output
    assert "2 replicas  exists  (fewer than the 3 asked for: created earlier)" in again.output


@pytest.mark.kafka
@pytest.mark.parametrize(
    ("args", "env", "fragment"),
    [
        (["--replication", "2", "--min-insync", "3"], {}, "min.insync.replicas 3"),
        (["--retention", "7"], {}, "retention '7' is not a number with a unit"),
        ([], {"SOCAI_TOPIC_RETENTION": "1s"}, "retention '1s'"),
        ([], {"SOCAI_TOPIC_MIN_INSYNC": "-1"}, "SOCAI_TOPIC_MIN_INSYNC '-1'"),
    ],
)
def test_the_cli_refuses_impossible_settings_and_creates_nothing(empty_broker, args, env, fragment):
    result = runner.invoke(
        app, ["streams", "topics", *args], env={"SOCAI_KAFKA": empty_broker, **env}
    )
    assert result.exit_code == 2, result.output
    assert "error:" in result.output and fragment in result.output
    assert "hint:" in result.output
    assert _topics(empty_broker) == set()
