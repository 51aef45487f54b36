"""``socai audit`` end to end on a real SQLite store: keygen, automatic and on-demand
checkpoints, export, inclusion and consistency proofs checked offline, verify's exit codes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.cli.audit import app as audit_app
from infra.cli.context import CliState
from infra.keys import create_key_file
from infra.ledger import verifier
from infra.services.socai import Socai
from infra.settings import Settings
from tests.ledger.support import ACTOR, DEMOGRAPHICS, receive_command

runner = CliRunner()


def audit(store: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(audit_app, list(args), obj=CliState(store=f"sqlite:///{store}"))
    return result.exit_code, result.output


def write_cases(settings: Settings, cases: int) -> None:
    from domain.case.commands import RecordDemographics

    app = Socai(settings)
    try:
        for _ in range(cases):
            case_id = app.cases.receive(receive_command(), ACTOR)
            app.cases.execute(case_id, RecordDemographics.parse(DEMOGRAPHICS), ACTOR)
    finally:
        app.close()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SOCAI_SIGNING_KEY_FILE", raising=False)
    monkeypatch.setenv("SOCAI_CHECKPOINT_EVERY_EVENTS", "6")
    path = tmp_path / "socai.db"
    create_key_file(Settings.load(f"sqlite:///{path}").key_file)
    return path


def test_audit_workflow(store: Path, tmp_path: Path) -> None:
    settings = Settings.load(f"sqlite:///{store}")
    code, out = audit(store, "keygen")
    assert code == 0, out
    public = store.with_name("socai.db.signing.pub.pem")
    assert public.exists()
    write_cases(settings, 5)  # 10 events: one automatic checkpoint at 6

    code, out = audit(store, "checkpoint")
    assert code == 0, out
    assert "checkpoint: 10 events" in out
    anchors = tmp_path / "anchors"
    code, out = audit(store, "export-checkpoints", str(anchors))
    assert code == 0, out
    files = sorted(p.name for p in anchors.glob("checkpoint-*.json"))
    assert files == ["checkpoint-000000000006.json", "checkpoint-000000000010.json"]

    code, out = audit(store, "verify", "--anchors", str(anchors))
    assert code == 0, out
    assert "intact: 10 events, 4 signed checkpoints" in out

    proof = tmp_path / "proof.json"
    code, out = audit(
        store,
        "prove",
        "3",
        "--checkpoint",
        str(anchors / "checkpoint-000000000006.json"),
        "--out",
        str(proof),
    )
    assert code == 0, out
    assert json.loads(proof.read_text())["leaf_index"] == 2
    code, out = audit(store, "verify-proof", str(proof), "--public-key", str(public))
    assert code == 0, out
    assert "position 3" in out

    # The standalone verifier, run as a separate program from a copy outside the project.
    standalone = tmp_path / "verifier.py"
    standalone.write_text(Path(verifier.__file__).read_text())
    offline = subprocess.run(
        [sys.executable, str(standalone), str(proof), "--public-key", str(public)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout.startswith("OK:")

    consistency = tmp_path / "consistency.json"
    code, out = audit(store, "consistency", "6", "10", "--out", str(consistency))
    assert code == 0, out
    code, out = audit(store, "verify-proof", str(consistency), "--public-key", str(public))
    assert code == 0, out
    assert "extends" in out

    forged = json.loads(proof.read_text())
    forged["event"]["topic"] = "socai.case:Closed.v1"
    proof.write_text(json.dumps(forged))
    code, out = audit(store, "verify-proof", str(proof), "--public-key", str(public))
    assert code == 1
    assert "NOT VERIFIED" in out

    with sqlite3.connect(store) as raw:
        raw.execute("UPDATE stored_events SET topic = 'socai.case:Closed.v1' WHERE rowid = 4")
    code, out = audit(store, "verify", "--anchors", str(anchors))
    assert code == 1
    assert "NOT INTACT" in out
    assert "position 4" in out


def test_checkpoint_without_signing_key_is_refused(store: Path) -> None:
    write_cases(Settings.load(f"sqlite:///{store}"), 1)
    code, out = audit(store, "checkpoint")
    assert code == 2
    assert "no signing key" in out


def test_verify_of_missing_store_is_refused(tmp_path: Path) -> None:
    code, out = audit(tmp_path / "absent.db", "verify")
    assert code == 2
    assert "no store" in out
    assert not (tmp_path / "absent.db").exists()
