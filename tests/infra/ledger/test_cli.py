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
from infra.ledger import hashing, verifier
from infra.ledger.checkpoints import create_signing_key
from infra.scenario.builders import LEDGER_DEMOGRAPHICS, ledger_receive_command
from infra.services.socai import Socai
from infra.settings import Settings
from tests.infra.ledger.support import officer_token

runner = CliRunner()


def audit(store: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(audit_app, list(args), obj=CliState(store=f"sqlite:///{store}"))
    return result.exit_code, result.output


def write_cases(settings: Settings, cases: int) -> int:
    """Two events per case, by the ledger tests' officer (registered first, in a session of
    its own); returns the ledger's size before the first case: the users' events."""
    from domain.case.commands import RecordDemographics

    token, users = officer_token(settings)
    app = Socai(settings)
    try:
        officer = app.access.authenticate(token)
        for _ in range(cases):
            case_id = app.cases.receive(ledger_receive_command(), officer)
            app.cases.execute(case_id, RecordDemographics.parse(LEDGER_DEMOGRAPHICS), officer)
    finally:
        app.close()
    return users


def note(size: int) -> str:
    return f"checkpoint-{size:012d}.note"


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("SOCAI_SIGNING_KEY_FILE", raising=False)
    monkeypatch.setenv("SOCAI_CHECKPOINT_EVERY_EVENTS", "6")
    path = tmp_path / "socai.db"
    create_key_file(Settings.load(f"sqlite:///{path}").key_file)
    officer_token(Settings.load(f"sqlite:///{path}"))  # users first, before any signing key
    return path


def test_audit_workflow(store: Path, tmp_path: Path) -> None:
    settings = Settings.load(f"sqlite:///{store}")
    code, out = audit(store, "keygen")
    assert code == 0, out
    public = store.with_name("socai.db.signing.pub.pem")
    assert public.exists()
    users = write_cases(settings, 5)  # 10 events: one automatic checkpoint 6 events on

    code, out = audit(store, "checkpoint")
    assert code == 0, out
    assert f"checkpoint: {users + 10} events" in out
    anchors = tmp_path / "anchors"
    code, out = audit(store, "export-checkpoints", str(anchors))
    assert code == 0, out
    files = sorted(p.name for p in anchors.glob("checkpoint-*.note"))
    assert files == [note(users + 6), note(users + 10)]

    code, out = audit(store, "verify", "--anchors", str(anchors), "--public-key", str(public))
    assert code == 0, out
    assert f"intact: {users + 10} events, 4 signed checkpoints" in out

    proof = tmp_path / "proof.json"
    code, out = audit(
        store,
        "prove",
        str(users + 3),
        "--checkpoint",
        str(anchors / note(users + 6)),
        "--out",
        str(proof),
    )
    assert code == 0, out
    assert json.loads(proof.read_text())["leaf_index"] == users + 2
    code, out = audit(store, "verify-proof", str(proof), "--public-key", str(public))
    assert code == 0, out
    assert f"position {users + 3}" in out

    # The standalone verifier, run as a separate program from a copy outside the project:
    # an inspector copies verifier.py and hashing.py (standard library only) side by side.
    inspector = tmp_path / "inspector"
    inspector.mkdir()
    for module in (verifier, hashing):
        (inspector / Path(module.__file__).name).write_text(Path(module.__file__).read_text())
    standalone = inspector / "verifier.py"
    no_socai = (  # the project is installed (editable): hide it, as on an inspector's machine
        "import os, runpy, sys; sys.modules['infra'] = None; sys.argv = sys.argv[1:];"
        " sys.path.insert(0, os.path.dirname(sys.argv[0]));"
        " runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    offline = subprocess.run(
        [sys.executable, "-c", no_socai, str(standalone), str(proof), "--public-key", str(public)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert offline.returncode == 0, offline.stderr
    assert offline.stdout.startswith("OK:")
    with sqlite3.connect(store) as raw:
        (origin,) = raw.execute("SELECT origin FROM ledger_log").fetchone()
    for pinned, expected in ((origin, 0), ("socai.gov.vn/other/0", 1)):
        run = subprocess.run(
            [
                *(sys.executable, "-c", no_socai, str(standalone), str(proof)),
                *("--public-key", str(public), "--origin", pinned),
            ],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert run.returncode == expected, run.stderr

    consistency = tmp_path / "consistency.json"
    code, out = audit(
        store, "consistency", str(users + 6), str(users + 10), "--out", str(consistency)
    )
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
        raw.execute(
            "UPDATE stored_events SET topic = 'socai.case:Closed.v1' WHERE rowid = ?", (users + 4,)
        )
    code, out = audit(store, "verify", "--anchors", str(anchors), "--public-key", str(public))
    assert code == 1
    assert "NOT INTACT" in out
    assert f"position {users + 4}" in out


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


def signed_store(store: Path, cases: int) -> Path:
    """A store with ``cases`` cases (two events each), a checkpoint of all of them; returns
    the public key the inspector pins."""
    code, out = audit(store, "keygen")
    assert code == 0, out
    write_cases(Settings.load(f"sqlite:///{store}"), cases)
    code, out = audit(store, "checkpoint")
    assert code == 0, out
    return store.with_name("socai.db.signing.pub.pem")


def test_verify_needs_a_pinned_public_key(store: Path) -> None:
    signed_store(store, 1)
    code, out = audit(store, "verify")
    assert code == 2
    assert "error:" in out
    assert "--public-key" in out


def test_deleting_every_checkpoint_leaves_an_unsigned_tail_not_intact(store: Path) -> None:
    public = signed_store(store, 2)
    with sqlite3.connect(store) as raw:
        raw.execute("DELETE FROM ledger_checkpoints")
    code, out = audit(store, "verify", "--public-key", str(public))
    assert code == 3, out
    assert "UNSIGNED TAIL" in out
    users = write_cases(Settings.load(f"sqlite:///{store}"), 0)
    assert f"newest {users + 4} events (after position 0)" in out
    assert "intact" not in out


def test_events_after_the_last_checkpoint_are_an_unsigned_tail(store: Path) -> None:
    public = signed_store(store, 3)  # the users', then 6 events, checkpoints at 6
    users = write_cases(Settings.load(f"sqlite:///{store}"), 1)  # 2 more, under no checkpoint
    code, out = audit(store, "verify", "--public-key", str(public))
    assert code == 3, out
    assert f"newest 2 events (after position {users + 6})" in out


def test_the_last_checkpoint_seen_betrays_a_truncated_tail(store: Path, tmp_path: Path) -> None:
    public = signed_store(store, 2)
    anchors = tmp_path / "seen"
    code, out = audit(store, "export-checkpoints", str(anchors))
    assert code == 0, out
    (seen,) = anchors.glob("checkpoint-*.note")
    with sqlite3.connect(store) as raw:  # drop the last case and every checkpoint
        raw.execute("DELETE FROM stored_events WHERE rowid > 2")
        raw.execute("DELETE FROM ledger_chain WHERE position > 2")
        raw.execute("DELETE FROM ledger_checkpoints")
    code, out = audit(store, "verify", "--public-key", str(public), "--last-checkpoint", str(seen))
    assert code == 1, out
    assert "NOT INTACT" in out
    assert "tail after position 2 was removed" in out


def test_a_substituted_key_beside_the_store_does_not_fool_the_pinned_one(
    store: Path, tmp_path: Path
) -> None:
    pinned = tmp_path / "pinned.pub.pem"
    pinned.write_bytes(signed_store(store, 1).read_bytes())
    for name in ("socai.db.signing.pem", "socai.db.signing.pub.pem"):
        store.with_name(name).unlink()
    create_signing_key(store.with_name("socai.db.signing.pem"))  # the attacker's key
    with sqlite3.connect(store) as raw:
        raw.execute("DELETE FROM ledger_checkpoints")
    code, out = audit(store, "checkpoint")  # re-signed with the attacker's key
    assert code == 0, out
    code, out = audit(store, "verify", "--public-key", str(pinned))
    assert code == 1, out
    assert "not the trusted key" in out


@pytest.mark.parametrize(
    ("tamper", "verdict", "status"),
    [
        (None, "intact", 0),
        (
            "UPDATE stored_events SET topic = 'socai.case:Closed.v1' WHERE rowid = 3",
            "not_intact",
            1,
        ),
        ("DELETE FROM ledger_checkpoints", "unsigned_tail", 3),
    ],
)
def test_verify_as_data_says_what_the_table_says(
    store: Path, tamper: str | None, verdict: str, status: int
) -> None:
    """``verify --format json``: the verdict, the exit status of the table format, and each
    finding with its position (an edited event named where it is)."""
    public = signed_store(store, 3)
    if tamper is not None:
        with sqlite3.connect(store) as raw:
            raw.execute(tamper)
    table_status, _ = audit(store, "verify", "--public-key", str(public))
    result = runner.invoke(
        audit_app,
        ["verify", "--public-key", str(public), "--format", "json"],
        obj=CliState(store=f"sqlite:///{store}"),
    )
    assert result.exit_code == table_status == status, result.output
    data = json.loads(result.stdout)
    assert data["verdict"] == verdict and data["exit_status"] == status
    assert data["events"] > 0
    if verdict == "not_intact":
        assert data["findings"] and data["findings"][0]["position"] == 3
    else:
        assert data["findings"] == []
    if verdict == "unsigned_tail":
        assert data["unsigned_tail"] == data["events"] and data["covered_position"] == 0
