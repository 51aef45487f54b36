"""``socai person erase`` on the demo store, as the data-protection officer runs it.

Before and after the erasure of a victim: the rollup and the KPIs are byte-equal, `audit
verify` passes, a proof made before still verifies; the history and `case person` show the
erasure; the wrapped key and the sealed records are in no byte of the file or its WAL.
Refusals (another role, no or malformed decision, twice) exit 2 with `error:` and `hint:`.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from uuid import UUID

import pytest

from domain.access.roles import Role
from domain.case.subjects import key_id
from infra.scenario.staff import demo_users_path
from infra.settings import Settings
from tests.infra.cli.test_cli import made_demo, socai

pytestmark = pytest.mark.integration

BASIS = "QĐ-12/2026"
REPORTS = (
    ("kpi", "--unit", "VN", "--map", "2025"),
    ("rollup", "--unit", "VN", "--period", "2016-2026", "--map", "2025", "--format", "csv"),
)


def _tokens(store: str) -> dict[str, str]:
    users = json.loads(demo_users_path(Settings.load(store)).read_text(encoding="utf-8"))
    return {u["role"]: u["token"] for u in users}


def _demo(db: Path, cases: int, seed: int) -> tuple[str, str, dict[str, str]]:
    """A demo store in ``db``: its URL, the case whose history the demo printed, and the
    demo users' tokens by role."""
    store = f"sqlite:///{db}"
    case_id = made_demo(store, cases, seed).stdout.split("history of case ")[1].split()[0]
    return store, case_id, _tokens(store)


def _ok(store: str, *args: str, token: str) -> str:
    done = socai(store, *args, env={"SOCAI_TOKEN": token})
    assert done.returncode == 0, done.stderr
    return done.stdout


def _refused(store: str, *args: str, token: str, says: str) -> None:
    done = socai(store, *args, env={"SOCAI_TOKEN": token})
    assert done.returncode == 2, done.stdout
    assert says in done.stderr, done.stderr


def test_erasing_a_victim_keeps_reports_and_proofs_and_shows_the_erasure(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    store, case_id, tokens = _demo(db, cases=20, seed=11)
    dpo, statistician = tokens[Role.DATA_PROTECTION_OFFICER], tokens[Role.STATISTICIAN]
    public = tmp_path / "demo.db.signing.pub.pem"
    reports = [_ok(store, *args, token=statistician) for args in REPORTS]
    assert socai(store, "audit", "checkpoint").returncode == 0
    proof = tmp_path / "proof.json"
    assert socai(store, "audit", "prove", "1", "--out", str(proof)).returncode == 0
    victim = (key_id(UUID(case_id), "victim"),)
    with sqlite3.connect(db) as raw:
        keys = raw.execute("SELECT wrapped FROM socai_person_keys WHERE key_id = ?", victim)
        records = raw.execute("SELECT sealed FROM socai_person_records WHERE key_id = ?", victim)
        secrets = [k for (k,) in keys] + [r for (r,) in records]
    assert len(secrets) >= 2

    erase = ("person", "erase", case_id, "--who", "victim", "--reason", "subject_request")
    # every role and refusal: tests/infra/services/test_erasure.py; here, as printed
    _refused(store, *erase, "--basis", BASIS, token=tokens[Role.SUPERVISOR], says="not allowed")
    _refused(store, *erase, token=dpo, says="--basis")  # a missing option: typer's usage error
    _refused(store, *erase, "--basis", "Nguyễn Văn A", token=dpo, says="hint:")
    done = _ok(store, *erase, "--basis", BASIS, token=dpo)
    assert f"by decision {BASIS}" in done and "data key destroyed" in done
    _refused(store, *erase, "--basis", BASIS, token=dpo, says="already erased")

    assert [_ok(store, *args, token=statistician) for args in REPORTS] == reports
    history = _ok(store, "case", "history", case_id, "--format", "json", token=dpo)
    person = json.loads(history)["events"][0]["fields"]["person"]
    assert person.startswith("erased on ") and person.endswith(f"by decision {BASIS}")
    read = _ok(
        store, "case", "person", case_id, "--purpose", "subject_request", "--format", "json",
        token=dpo,
    )  # fmt: skip
    assert f"by decision {BASIS}" in read
    assert socai(store, "audit", "checkpoint").returncode == 0
    verified = socai(store, "audit", "verify", "--public-key", str(public))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    checked = socai(store, "audit", "verify-proof", str(proof), "--public-key", str(public))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    raw_bytes = db.read_bytes()
    wal = db.with_name("demo.db-wal")
    raw_bytes += wal.read_bytes() if wal.exists() else b""
    left = [secret in raw_bytes for secret in secrets]
    assert not any(left), "a wrapped key or sealed record survived in the file or its WAL"


def test_a_subject_access_file_by_the_data_protection_officer(tmp_path: Path) -> None:
    """`person export` writes JSON or XLSX by the extension; bad -o is refused before
    anything is read or logged; the read and the export are in the access log."""
    db = tmp_path / "demo.db"
    store, case_id, tokens = _demo(db, cases=6, seed=3)
    dpo = tokens[Role.DATA_PROTECTION_OFFICER]
    export = ("person", "export", case_id, "--who", "victim")
    for bad, says in (((), "-o FILE.json"), (("-o", str(tmp_path / "f.pdf")), ".xlsx"),
                      (("-o", str(tmp_path / "no" / "f.json")), "does not exist")):  # fmt: skip
        _refused(store, *export, *bad, token=dpo, says=says)
    _refused(store, *export, "-o", str(tmp_path / "s.json"), token=tokens[Role.SUPERVISOR],
             says="not allowed")  # fmt: skip
    assert not (tmp_path / "s.json").exists()
    said = _ok(store, *export, "-o", str(tmp_path / "s.json"), token=dpo)
    assert "victim of case" in said
    made = json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    assert made["subject"] == "victim" and made["data"] and made["steps"]
    assert made["access_log"][-1]["purpose"] == "subject_request"
    _ok(store, *export, "-o", str(tmp_path / "s.xlsx"), token=dpo)
    assert (tmp_path / "s.xlsx").read_bytes().startswith(b"PK")
    users = json.loads(demo_users_path(Settings.load(store)).read_text(encoding="utf-8"))
    name = next(u["username"] for u in users if u["role"] == Role.DATA_PROTECTION_OFFICER)
    log = json.loads(_ok(store, "access", "log", "--user", name, "--format", "json", token=dpo))
    details = [row["detail"] for row in log["rows"]]
    assert f"person export of {case_id}/victim as json" in details
    assert f"person export of {case_id}/victim as xlsx" in details
    reads = [r for r in log["rows"] if r["kind"] == "PersonalDataRead"]
    assert len(reads) == 2 and all(r["purpose"] == "subject_request" for r in reads)
