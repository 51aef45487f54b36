"""The workers' HTTP health and lag endpoint: real broker, real projection database."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from projections.registry import all_projections
from streams.health import DEFAULT_HEALTH_HOST, HealthServer, Unhealthy, WorkerChecks
from streams.worker import WORKER_STREAMS, ProjectionSink, Record
from tests.streams.processes import Service, service_env, wait_until
from tests.streams.support import publish, read_topic


def _get(url: str, method: str = "GET") -> tuple[int, dict]:
    assert url.startswith("http://127.0.0.1:")
    request = urllib.request.Request(url, method=method)  # noqa: S310 (http only, asserted)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def serve():
    servers: list[HealthServer] = []

    def start(health, lag) -> str:
        server = HealthServer(health, lag, port=0).start()
        servers.append(server)
        host, port = server.address
        return f"http://{host}:{port}"

    yield start
    for server in servers:
        server.stop()


def test_only_health_and_lag_are_served_and_only_to_this_machine(serve):
    def failing() -> dict:
        raise Unhealthy("projection database unreachable (OperationalError)")

    base = serve(lambda: {"status": "ok"}, failing)
    assert base.startswith(f"http://{DEFAULT_HEALTH_HOST}:")
    assert _get(f"{base}/health") == (200, {"status": "ok"})
    assert _get(f"{base}/lag") == (
        503,
        {"status": "failing", "reason": "projection database unreachable (OperationalError)"},
    )
    status, body = _get(f"{base}/")
    assert (status, body["paths"]) == (404, ["/health", "/lag"])
    assert _get(f"{base}/health", method="POST")[0] == 405
    assert _get(f"{base}/health?verbose=1")[0] == 200


def _worker_records(bootstrap: str) -> dict[str, list]:
    """Every record on the topics the workers consume, by topic."""
    return {s.topic: read_topic(bootstrap, s.topic) for s in WORKER_STREAMS}


@pytest.mark.kafka
@pytest.mark.integration
def test_lag_counts_what_the_projections_have_not_applied(demo_store, fresh_kafka, tmp_path):
    publish(demo_store, fresh_kafka)
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'workers.db'}")
    checks = WorkerChecks(fresh_kafka, engine, all_projections(), WORKER_STREAMS, "g1")
    published = _worker_records(fresh_kafka)
    before = checks.lag()
    assert before["total_lag"] == sum(len(r) for r in published.values()) > 0
    case_topic = before["topics"]["socai.case-events.v1"]
    assert sorted(case_topic, key=int) == [str(p) for p in range(6)]
    assert all(p["next_offset"] == 0 for p in case_topic.values())

    sink = ProjectionSink(engine, all_projections(), consumer="g1")
    for records in published.values():
        sink.apply([Record(r.topic, r.partition, r.offset, r.value) for r in records])
    after = checks.lag()
    assert after["total_lag"] == 0
    for topic in after["topics"].values():
        for partition in topic.values():
            assert partition["next_offset"] == partition["end_offset"]
    health = checks.health()
    assert health["status"] == "ok" and health["group"] == "g1"


def test_health_fails_when_the_database_cannot_be_reached(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'no-such-folder' / 'workers.db'}")
    checks = WorkerChecks("127.0.0.1:1", engine, all_projections(), WORKER_STREAMS, "g1")
    with pytest.raises(Unhealthy, match="projection database unreachable"):
        checks.health()


@pytest.mark.kafka
def test_lag_fails_clearly_when_the_broker_is_away(tmp_path):
    from infra.devservices.broker import free_port

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'workers.db'}")
    checks = WorkerChecks(
        f"127.0.0.1:{free_port()}", engine, all_projections(), WORKER_STREAMS, "g1"
    )
    with pytest.raises(Unhealthy, match="broker"):
        checks.lag()


@pytest.mark.kafka
@pytest.mark.integration
def test_a_running_worker_serves_health_and_lag_until_caught_up(demo_store, fresh_kafka, tmp_path):
    publish(demo_store, fresh_kafka)
    logs = tmp_path / "logs"
    logs.mkdir()
    env = service_env(fresh_kafka, tmp_path / "workers.db")
    worker = Service(
        "worker",
        [
            *("--store", demo_store.url, "--key-file", str(demo_store.key)),
            *("streams", "worker", "--health-port", "0"),
        ],
        env,
        logs,
    ).start()
    try:
        found: list[str] = []

        def announced() -> bool:
            found[:] = re.findall(r"health on (http://127\.0\.0\.1:\d+)/health", worker.output())
            return bool(found)

        wait_until(announced, 60, "the worker to announce its health endpoint")
        base = found[0]
        wait_until(lambda: _get(f"{base}/health")[0] == 200, 30, "GET /health to answer 200")
        wait_until(
            lambda: _get(f"{base}/lag")[1].get("total_lag") == 0,
            180,
            "the worker's lag to reach 0",
            poll_seconds=1.0,
        )
        status, lag = _get(f"{base}/lag")
        assert status == 200
        published = _worker_records(fresh_kafka)
        assert sum(p["end_offset"] for t in lag["topics"].values() for p in t.values()) == sum(
            len(r) for r in published.values()
        )
    finally:
        worker.stop()
