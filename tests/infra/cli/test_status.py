"""``socai status``: heads, positions and lags, read without the key and without writing."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.cli.main import app as cli
from infra.scenario import ScenarioConfig, run_scenario
from infra.streaming import store_engine
from streams.positions import PositionStore
from streams.relay import DEFAULT_RELAY_NAME
from streams.relay_lock import RelayLock

runner = CliRunner()


@pytest.fixture
def store(make_app, store_url):
    app = make_app(store_url)
    run_scenario(app, ScenarioConfig(cases=3, seed=11))
    return app


def _status(url: str, *args: str, key_file: str = "no-such.key"):
    return runner.invoke(cli, ["--store", url, "--key-file", key_file, "status", *args])


def _json(url: str) -> dict:
    result = _status(url, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_status_reports_every_head_and_lag(store, store_url, tmp_path):
    head = store.log.head()
    report = _json(store_url)  # no key file: status reads no event
    assert report["format"] == 1
    assert report["store"]["head"] == head
    assert report["ledger"]["chained_events"] == head
    assert report["ledger"]["head_position"] == head
    checkpoint = report["ledger"]["last_checkpoint"]
    if checkpoint is not None:
        assert checkpoint["events_not_covered"] == head - checkpoint["tree_size"]
    assert {n: p["lag"] for n, p in report["projections"]["in_process"].items()} == {
        "case_status": head,
        "activity": head,
        "funding": head,
        "proceedings": head,
    }
    assert report["relay"] == {
        "name": DEFAULT_RELAY_NAME,
        "position": 0,
        "lag": head,
        "checkpoints_published_up_to_tree_size": 0,
        "running": False,
        "held_by": None,
        "ledger_events_after_published_checkpoint": head,
    }
    assert report["store"]["url"] == store.settings.store.display  # any password hidden

    # the real runner and the relay's real position table move the figures
    from infra.projection_db import projections_engine, runner_for

    runner_for(store.log, projections_engine(store.settings)).run()
    engine = store_engine(store.settings)
    PositionStore(engine).set(DEFAULT_RELAY_NAME, head - 2)
    with RelayLock(engine, DEFAULT_RELAY_NAME):
        report = _json(store_url)
        text = _status(store_url)
    assert {p["lag"] for p in report["projections"]["in_process"].values()} == {0}
    assert report["relay"]["position"] == head - 2
    assert report["relay"]["lag"] == 2
    assert report["relay"]["running"] is True
    assert str(os.getpid()) in report["relay"]["held_by"]
    assert text.exit_code == 0, text.output
    assert f"relay        kafka position {head - 2}  lag 2  running (socai-relay@" in text.stdout
    assert _json(store_url)["relay"]["running"] is False  # released


def test_status_writes_nothing(tmp_path, make_app):
    url = f"sqlite:///{tmp_path / 'socai.db'}"
    make_app(url).close()
    before = sorted(p.name for p in tmp_path.iterdir())
    report = _json(url)
    assert report["store"]["head"] == 0
    assert report["ledger"]["last_checkpoint"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == before


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--format", "xml"], "'xml' is not a format"),
        ([], "no store at"),
    ],
)
def test_status_refusals(tmp_path: Path, args, fragment):
    result = _status(f"sqlite:///{tmp_path / 'missing.db'}", *args)
    assert result.exit_code == 2
    assert "error:" in result.output and fragment in result.output
    assert "hint:" in result.output
