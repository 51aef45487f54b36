"""The slim consumer package, as a downstream team gets it: built from consumer/, installed
into an empty virtual environment in which nothing of socai can be imported, consuming every
public topic from the test broker and validating each event against its published schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from collections import Counter
from pathlib import Path

import pytest

from streams.topics import ALL_STREAMS
from tests.streams.support import envelopes, publish, read_topic

pytestmark = [pytest.mark.integration, pytest.mark.kafka]

ROOT = Path(__file__).resolve().parents[2]

CONSUME = """
import importlib.util, json, sys
for name in ("socai", "domain", "projections", "streams", "quality", "infra", "tests"):
    assert importlib.util.find_spec(name) is None, f"{name} is importable"
import sqlalchemy as sa
from socai_consumer import TOPICS, IdempotentConsumer

counts = {}

def handle(connection, event):
    counts[event["type"]] = counts.get(event["type"], 0) + 1

engine = sa.create_engine(f"sqlite:///{sys.argv[2]}")
consumer = IdempotentConsumer(
    sys.argv[1], list(TOPICS), engine, handle, name="downstream", validate=True
)
try:
    consumer.run(idle_exit_seconds=3.0)
finally:
    consumer.close()
print(json.dumps(counts, sort_keys=True))
"""


def _run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def consumer_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty virtual environment with only the consumer wheel and its dependencies
    (at socai's pinned versions; pip's cache and configured indexes serve them)."""
    folder = tmp_path_factory.mktemp("consumer-venv")
    wheels = folder / "wheels"
    _run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--no-deps",
        "-q",
        "-w",
        wheels,
        ROOT / "consumer",
        cwd=folder,
    )
    built = sorted(wheels.glob("socai_consumer-*.whl"))
    assert len(built) == 1
    env_dir = folder / "venv"
    venv.create(env_dir, with_pip=True, clear=True)
    python = env_dir / "bin" / "python"
    _run(python, "-m", "pip", "install", "-q", "-c", ROOT / "constraints.txt", built[0], cwd=folder)
    installed = _run(python, "-m", "pip", "list", "--format", "json", cwd=folder).stdout
    names = {p["name"].lower() for p in json.loads(installed)}
    assert "socai-consumer" in names and "socai" not in names
    assert not names & {"faust-streaming", "great-expectations", "eventsourcing", "faker"}
    return python


def test_the_package_consumes_every_public_topic_without_socai(
    consumer_venv: Path, demo_store, fresh_kafka, tmp_path
):
    publish(demo_store, fresh_kafka)
    expected = Counter(
        e["type"] for s in ALL_STREAMS for e in envelopes(read_topic(fresh_kafka, s.topic))
    )
    assert len(expected) > 10
    script = tmp_path / "consume.py"
    script.write_text(CONSUME, encoding="utf-8")
    database = tmp_path / "downstream.db"
    # -I: isolated — neither PYTHONPATH, the working folder nor the user's site is on the path
    first = _run(consumer_venv, "-I", script, fresh_kafka, database, cwd=tmp_path)
    assert json.loads(first.stdout.splitlines()[-1]) == dict(expected)
    again = _run(consumer_venv, "-I", script, fresh_kafka, database, cwd=tmp_path)
    assert json.loads(again.stdout.splitlines()[-1]) == {}  # resumed: nothing handled twice


def test_the_package_refuses_an_event_that_breaks_its_schema(consumer_venv: Path, tmp_path):
    check = tmp_path / "check.py"
    check.write_text(
        "import json\n"
        "from socai_consumer import InvalidEvent, read_event, validate\n"
        "event = read_event(json.dumps({'specversion': '1.0', 'id': 'x', 'source': 's',"
        " 'type': 'vn.socai.case.Closed.v1', 'data': {'case_id': 'not-a-uuid'}}).encode())\n"
        "try:\n"
        "    validate(event)\n"
        "except InvalidEvent as error:\n"
        "    print('refused:', error)\n",
        encoding="utf-8",
    )
    result = _run(consumer_venv, "-I", check, cwd=tmp_path)
    assert result.stdout.startswith("refused: vn.socai.case.Closed.v1:")
