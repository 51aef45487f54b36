"""Erasing a person whose data was recorded before per-person keys (inside the events).

The erasure event is stored, then each event holding the person's data is overwritten by a
redacted copy (their values replaced by the erased marker, every other field kept) and the
ledger keeps the original leaf hash, authorised by the erasure. Afterwards: `audit verify`
passes and lists the redacted positions; every inclusion and consistency proof made before
still verifies; rollups and KPIs rebuilt from the events are byte-equal; the plaintext is in
no byte of the file, its WAL or its free pages, and no key the tool holds recovers it; the
history shows the erasure. Refusals write nothing. An attacker with database access who
overwrites an event and forges a redactions row is NOT INTACT at that position.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sqlite3
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any
from unittest import mock
from uuid import UUID

import pytest
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from eventsourcing.persistence import Mapper
from starlette.testclient import TestClient

import infra.ledger.audit as audit
from domain.access.log import (
    ACCESS_TOPIC_PREFIX,
    ACCESS_TOPICS,
    ERASURE_NAMESPACE,
    REDACTION_NAMESPACE,
    AccessRecord,
    erasure_id,
    redaction_authorisation_id,
)
from domain.access.principal import Principal
from domain.access.roles import Purpose, Role
from domain.case.commands import COMMANDS
from domain.case.values import ErasedPersonalData, PersonalData
from domain.errors import InvalidInput, NotAllowed, RuleViolation
from domain.reference.units import NATIONAL_CODE, AdminMap
from infra.audit_store import ERASURE_AUTHORITY
from infra.keys import load_key
from infra.ledger import hashing, verifier
from infra.ledger.audit import Report, verify_store
from infra.ledger.checkpoints import create_signing_key, make_checkpoint
from infra.ledger.proofs import consistency_proof, inclusion_proof
from infra.ledger.redactions import ErasureAuthority, positions_of, redactions
from infra.ledger.redactions import table_name as redactions_table
from infra.ledger.store import LedgerTables
from infra.ledger.verifier import VerificationError, verify_proof_document
from infra.ledger_settings import signing_key_path
from infra.privacy.sealing import SealingMapper
from infra.privacy.vault import key_encryption_key
from infra.projection_db import runner_for
from infra.scenario.builders import at_now
from infra.scenario.staff import TEST_PASSWORDS, Staff
from infra.services.socai import Socai
from infra.web import ledger as web_ledger
from infra.web.app import create_app
from infra.web.session import SESSION_COOKIE
from projections.framework import InProcessRunner
from projections.kpi import compute_kpis
from projections.registry import all_projections
from projections.rollup import compute_rollup
from projections.verify import all_intact, verify_projections
from streams.contracts.registry import contract_for_internal, published_internal_topics
from tests.infra.cli.test_cli import socai
from tests.infra.services.test_erasure import (
    protected_and_corrected,
    receive_person,
    views_show_the_erasure,
)

pytestmark = pytest.mark.integration

NAME, ID_NUMBER, NEW_NAME = "Lê Thị Cũ", "087190009876", "Lê Thị Cũ Mới"
RELATIVE, PHONE = "Trần Thị Mẹ Cũ", "0912000111"
OTHER = "Phạm Văn Khác"
BASIS, REASON = "QĐ-12/2026", "subject_request"
SECRETS = (NAME, ID_NUMBER, NEW_NAME)
AUTHORISED_TOPIC = AccessRecord.RedactionAuthorised.TOPIC


def _legacy_case(app: Socai, officer: Principal) -> tuple[UUID, UUID]:
    """A case written the way every event was before per-person keys (values inside the
    events): the victim, a protected relative and a correction of the victim's name; and
    another case's victim, sealed under their own key."""
    with mock.patch.object(SealingMapper, "to_stored_event", Mapper.to_stored_event):
        case_id = protected_and_corrected(
            app, officer, (NAME, ID_NUMBER, RELATIVE, PHONE, NEW_NAME)
        )
    other = receive_person(app, officer, full_name=OTHER)
    return case_id, other


def _reports(app: Socai, path: Path) -> str:
    """The rollup (both maps) and the KPIs rebuilt from the events into a new database."""
    engine = sa.create_engine(f"sqlite:///{path}")
    runner_for(app.log, engine).run()
    years = tuple(range(2015, 2027))
    made = (
        compute_rollup(engine, AdminMap.OLD, NATIONAL_CODE, years),
        compute_rollup(engine, AdminMap.NEW, NATIONAL_CODE, years),
        compute_kpis(engine, AdminMap.NEW, NATIONAL_CODE, date(2026, 11, 23)),
    )
    engine.dispose()
    return repr(made)


def _non_personal(app: Socai, case_id: UUID) -> list[tuple[str, int, dict[str, Any]]]:
    """Every step's kind, version and fields other than personal data."""
    return [
        (
            step.kind,
            step.version,
            {k: v for k, v in step.data.items() if not isinstance(v, PersonalData)},
        )
        for step in app.cases.as_it_stood(case_id).steps
    ]


def _raw(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _verify(
    app: Socai, public_key: Any, erasure: ErasureAuthority | None = ERASURE_AUTHORITY
) -> Report:
    return verify_store(LedgerTables(app.store.recorder), public_key, erasure=erasure)


def test_erasing_data_held_inside_events_redacts_them_and_keeps_every_proof(
    app: Socai, team: Staff, tmp_path: Path
) -> None:
    db = tmp_path / "s.db"
    case_id, other = _legacy_case(app, team.user(Role.CASE_OFFICER, "82", "BP-87-01"))
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    signing = create_signing_key(signing_key_path(app.settings))  # where the web finds it
    tables = LedgerTables(app.store.recorder)
    first = make_checkpoint(tables, signing)
    positions = positions_of(tables, case_id)
    proofs = [inclusion_proof(tables, p, first, signing.public_key()) for p in positions.values()]
    before = _reports(app, tmp_path / "before.db")
    live = sa.create_engine(f"sqlite:///{tmp_path / 'live.db'}")
    runner_for(app.log, live).run()
    leaves = tables.leaf_hashes(0, first.tree_size)
    kept = _non_personal(app, case_id)

    done = app.privacy.erase(dpo, case_id, "victim", BASIS, REASON)
    assert done.redacted == (positions[1], positions[3])

    second = make_checkpoint(tables, signing)
    proofs.append(consistency_proof(tables, first, second, signing.public_key()))
    for document in proofs:  # made before: they carry the original leaves, and still hold
        verify_proof_document(document, signing.public_key(), tables.origin())
    assert tables.leaf_hashes(0, first.tree_size) == leaves
    report = _verify(app, signing.public_key())
    assert report.intact and not report.unsigned_tail, report
    # the reception and the correction held the victim's data; the protection only the mother's
    assert report.redacted == [positions[1], positions[3]]
    (erased_at,) = positions_of(tables, erasure_id(case_id, "victim")).values()
    assert {p: r.authorised_by for p, r in redactions(tables).items()} == {
        positions[1]: erased_at,
        positions[3]: erased_at,
    }
    # a new inclusion proof of a redacted position carries the leaf hash and says so
    redacted_proof = inclusion_proof(tables, positions[1], second, signing.public_key())
    assert "state" not in redacted_proof["event"] and redacted_proof["event"]["redacted"]
    assert "redacted" in str(verify_proof_document(redacted_proof, signing.public_key()))
    # ... and so does the inspector's standalone copy of verifier.py and hashing.py
    inspector = tmp_path / "inspector"
    inspector.mkdir()
    for module in (verifier, hashing):
        (inspector / Path(str(module.__file__)).name).write_text(
            Path(str(module.__file__)).read_text()
        )
    (inspector / "proof.json").write_text(json.dumps(redacted_proof))
    pub_pem = inspector / "key.pub.pem"
    pub_pem.write_bytes(
        signing.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    no_socai = (
        "import os, runpy, sys; sys.modules['infra'] = None; sys.argv = sys.argv[1:];"
        " sys.path.insert(0, os.path.dirname(sys.argv[0]));"
        " runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    offline = subprocess.run(
        [sys.executable, "-c", no_socai, str(inspector / "verifier.py"),
         str(inspector / "proof.json"), "--public-key", str(pub_pem)],
        capture_output=True, text=True, cwd=inspector, check=False,
    )  # fmt: skip
    assert offline.returncode == 0 and "redacted" in offline.stdout, offline.stderr
    for forged in ("00" * 32, "AB" * 32, "zz" * 32, leaves[0].hex()):  # another leaf, bad hex
        tampered = json.loads(json.dumps(redacted_proof))
        tampered["event"]["leaf_hash"] = forged
        with pytest.raises(VerificationError):
            verify_proof_document(tampered, signing.public_key())

    # reports rebuilt from the events: byte for byte the same
    assert _reports(app, tmp_path / "after.db") == before
    # `projections verify`: the live tables (kept up to date) are what the events give
    runner_for(app.log, live).run()

    def rebuild_into(chosen: Any) -> sa.Engine:
        scratch = sa.create_engine(f"sqlite:///{tmp_path / 'scratch.db'}")
        InProcessRunner(app.log, scratch, chosen).run()
        return scratch

    assert all_intact(verify_projections(all_projections(), live, rebuild_into))
    live.dispose()
    # `socai audit verify`: intact (exit 0), the redacted positions listed, as text and data
    pub = str(signing_key_path(app.settings)).removesuffix(".pem") + ".pub.pem"
    url = f"sqlite:///{db}"
    printed = socai(url, "audit", "verify", "--public-key", pub)
    assert printed.returncode == 0, printed.stdout + printed.stderr
    assert f"2 redacted by an authorised erasure (positions {positions[1]}, {positions[3]}" in (
        " ".join(printed.stdout.split())
    )
    data = socai(url, "audit", "verify", "--public-key", pub, "--format", "json")
    assert data.returncode == 0, data.stderr
    verdict = json.loads(data.stdout)
    assert verdict["redacted_positions"] == report.redacted and verdict["redacted"] == 2
    table = socai(url, "audit", "verify", "--public-key", pub, "--format", "csv")
    assert table.returncode == 0 and "redacted" in table.stdout, table.stdout
    # the web's audit page runs the same verification
    page = web_ledger.verify_all(app.settings)
    assert page["intact"] and page["redacted"] == report.redacted, page
    # ... and the inspector's audit page lists the redacted positions after "verify now"
    inspector = team.user(Role.INSPECTOR, "82", "TT-1")
    client = TestClient(create_app(app, app.settings), follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, str(app.access.issue_token(inspector, 1, "audit page")))
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/audit").text)
    assert csrf is not None
    shown = client.post("/audit/verify", data={"csrf": csrf.group(1)})
    assert shown.status_code == 200, shown.text
    listed = re.search(r'<span id="redacted-positions">([^<]*)</span>', shown.text)
    assert listed is not None and listed.group(1) == ", ".join(map(str, report.redacted))

    # the plaintext is nowhere in the file, its WAL or its free pages
    raw = _raw(db)
    assert not any(text.encode() in raw for text in SECRETS)
    with sqlite3.connect(db) as connection:
        assert connection.execute("PRAGMA freelist_count").fetchone()[0] == 0
    # ... and no key the tool holds recovers it from any stored state
    store_key = load_key(app.settings)
    held = [base64.b64decode(store_key), key_encryption_key(store_key)]
    held += list(app.store.vault.data_keys().values())
    mapper = app.store.mapper
    assert mapper.cipher is not None and mapper.compressor is not None
    for stored in app.store.recorder.select_events(case_id):
        state = mapper.compressor.decompress(mapper.cipher.decrypt(stored.state))
        assert not any(text.encode() in state for text in SECRETS)
    with sqlite3.connect(db) as connection:
        blobs = [s for (s,) in connection.execute("SELECT state FROM stored_events")]
    for key in held:
        for blob in blobs:
            try:
                opened = AESGCM(key).decrypt(blob[:12], blob[12:], None)
            except InvalidTag:  # not this key's
                continue
            assert not any(text.encode() in opened for text in SECRETS)

    # the history shows the erasure where the data was; the mother and the other case remain
    assert _non_personal(app, case_id) == kept  # every other field as it was
    entry = views_show_the_erasure(app, dpo, (case_id, RELATIVE, PHONE), (other, OTHER))
    assert (entry.subject, entry.basis) == ("victim", BASIS)

    # the mother: a person of her own, erased separately, her protection event redacted too
    app.privacy.erase(dpo, case_id, "relative:2", BASIS, "purpose_ended")
    assert not any(text.encode() in _raw(db) for text in (RELATIVE, PHONE))
    make_checkpoint(tables, signing)
    report = _verify(app, signing.public_key())
    assert report.intact and report.redacted == sorted(positions.values()), report
    assert _reports(app, tmp_path / "after2.db") == before


def test_refusals_write_nothing(app: Socai, team: Staff) -> None:
    """Twice, without the role, the second factor or a decision: refused, nothing written,
    the event still as it was."""
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-02")
    case_id, _ = _legacy_case(app, officer)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    tables = LedgerTables(app.store.recorder)

    def states() -> list[bytes]:
        return [s.state for s in app.store.recorder.select_events(case_id)]

    original = states()
    for who, basis, reason, error in (
        (officer, BASIS, REASON, NotAllowed),
        (dpo, "", REASON, InvalidInput),
        (dpo, "quyết định", REASON, InvalidInput),
        (dpo, BASIS, "because", InvalidInput),
    ):
        head = app.log.head()
        with pytest.raises(error):
            app.privacy.erase(who, case_id, "victim", basis, reason)
        assert app.log.head() - head == (1 if error is NotAllowed else 0)
        assert states() == original and not redactions(tables)
    made = app.access.register(team.admin, "BVDL-API", "police", service=True, second_factor=True)
    app.access.grant(team.admin, "BVDL-API", Role.DATA_PROTECTION_OFFICER, "82", "QĐ-1")
    assert made.token is not None
    with pytest.raises(NotAllowed, match="one-time code"):
        app.privacy.erase(
            app.access.authenticate(str(made.token)), case_id, "victim", BASIS, REASON
        )
    assert states() == original and not redactions(tables)

    app.privacy.erase(dpo, case_id, "victim", BASIS, REASON)
    after, head, rows = states(), app.log.head(), redactions(tables)
    with pytest.raises(RuleViolation, match="already erased"):
        app.privacy.erase(dpo, case_id, "victim", "QĐ-13/2026", REASON)
    assert (states(), app.log.head(), redactions(tables)) == (after, head, rows)


# --- an attacker with database access: an edit passed off as a redaction -----------------


def _forge(db: Path, position: int, authorised_by: int, subject: str = "victim") -> None:
    """Overwrite the event's stored state and add a redactions row for it, by hand."""
    with sqlite3.connect(db) as connection:
        connection.execute(
            "CREATE TABLE IF NOT EXISTS ledger_redactions (position BIGINT PRIMARY KEY,"
            " leaf_hash BLOB NOT NULL, authorised_by BIGINT NOT NULL, subject TEXT NOT NULL)"
        )
        (leaf,) = connection.execute(
            "SELECT leaf_hash FROM ledger_chain WHERE position = ?", (position,)
        ).fetchone()
        connection.execute(
            "INSERT OR REPLACE INTO ledger_redactions VALUES (?, ?, ?, ?)",
            (position, leaf, authorised_by, subject),
        )
        connection.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?", (b"edited" * 8, position)
        )


def _not_intact_at(app: Socai, key: Any, position: int) -> None:
    report = _verify(app, key)
    assert not report.intact, report
    first = report.first
    assert first is not None and first.position == position and first.kind == "redaction", first
    assert position not in report.redacted


@pytest.fixture
def attacked(app: Socai, team: Staff, tmp_path: Path) -> tuple[Socai, Any, dict[str, Any]]:
    """Two legacy cases, the second's victim erased (a genuine erasure event to point at),
    an access-log event, and a signed checkpoint over all of it."""
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    case_id, _ = _legacy_case(app, officer)
    second, _ = _legacy_case(app, officer)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    app.privacy.erase(dpo, second, "victim", BASIS, REASON)
    app.cases.personal_data(dpo, case_id, Purpose.SUBJECT_REQUEST)  # an access-log event
    signing = create_signing_key(tmp_path / "signing.pem")
    tables = LedgerTables(app.store.recorder)
    make_checkpoint(tables, signing)
    assert _verify(app, signing.public_key()).intact
    mine = positions_of(tables, case_id)
    others_erasure = next(iter(positions_of(tables, erasure_id(second, "victim")).values()))
    read = app.log.head()
    return app, signing.public_key(), {
        "db": tmp_path / "s.db", "case": case_id, "mine": mine,
        "others_erasure": others_erasure, "read": read, "second": second, "dpo": dpo,
    }  # fmt: skip


def test_a_forged_redaction_without_an_erasure_event_is_not_intact(attacked: Any) -> None:
    app, key, s = attacked
    _forge(s["db"], s["mine"][1], s["read"] + 5)  # no event there at all
    _not_intact_at(app, key, s["mine"][1])


def test_a_forged_redaction_pointing_at_a_non_erasure_event_is_not_intact(attacked: Any) -> None:
    app, key, s = attacked
    _forge(s["db"], s["mine"][1], s["read"])  # the access-log read: a later, intact event
    _not_intact_at(app, key, s["mine"][1])


def test_a_forged_redaction_by_another_persons_erasure_is_not_intact(attacked: Any) -> None:
    app, key, s = attacked
    _forge(s["db"], s["mine"][1], s["others_erasure"])  # another case's victim
    _not_intact_at(app, key, s["mine"][1])
    _forge(s["db"], s["mine"][1], s["others_erasure"], subject="relative:2")
    _not_intact_at(app, key, s["mine"][1])


def test_a_forged_redaction_by_an_earlier_erasure_is_not_intact(attacked: Any) -> None:
    """The second case's own reception, redacted by hand 'by' an erasure that came before
    it (the first case's, forged as the earliest position there is)."""
    app, key, s = attacked
    later = s["read"]  # the last event: an erasure can only be earlier than it
    _forge(s["db"], later, s["others_erasure"])
    _not_intact_at(app, key, later)


def test_a_redaction_whose_erasure_event_was_tampered_with_is_not_intact(attacked: Any) -> None:
    """A genuine redaction, then the erasure event that authorised it edited: the redacted
    position is where verification stops."""
    app, key, s = attacked
    ((redacted, row),) = [
        (p, r)
        for p, r in redactions(LedgerTables(app.store.recorder)).items()
        if r.subject == "victim"
    ][:1]
    with sqlite3.connect(s["db"]) as connection:
        connection.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (b"tampered" * 8, row.authorised_by),
        )
    _not_intact_at(app, key, redacted)


def test_a_genuine_redaction_does_not_verify_without_the_erasure_topic(attacked: Any) -> None:
    """The ledger knows no application: told of no erasure topic (or another), no
    redaction is authorised."""
    app, key, _ = attacked
    redacted = min(redactions(LedgerTables(app.store.recorder)))
    other_topic = ErasureAuthority(
        "socai.access:Other.v1", ERASURE_NAMESPACE, AUTHORISED_TOPIC, REDACTION_NAMESPACE
    )
    unbound = replace(ERASURE_AUTHORITY, authorisation_topic="socai.access:Other.v1")
    for erasure in (None, other_topic, unbound):
        report = _verify(app, key, erasure)
        assert not report.intact and report.first is not None
        assert report.first.position == redacted and report.first.kind == "redaction"


# --- every verify pass handles redactions: fast, exact, and the two-part split -----------

MODES = ("fast, one part", "fast, two parts", "exact")


def _in_mode(monkeypatch: pytest.MonkeyPatch, app: Socai, mode: str) -> None:
    if mode == "exact":
        monkeypatch.setattr(audit, "_fast_pass", lambda *_: None)
        return
    monkeypatch.setattr(audit, "PARALLEL_MIN_EVENTS", 2 if mode == "fast, two parts" else 10**9)
    monkeypatch.setattr(
        LedgerTables, "merged", lambda self: pytest.fail("the exact pass ran on an intact log")
    )


@pytest.mark.parametrize("mode", MODES)
def test_every_pass_verifies_a_redaction_and_names_a_forged_one(
    attacked: Any, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    app, key, s = attacked
    tables = LedgerTables(app.store.recorder)
    with monkeypatch.context() as patched:
        _in_mode(patched, app, mode)
        if mode == "fast, two parts":  # the genuine redaction and its erasure in two parts
            for _ in range(8):  # (later events move the split point past the redaction)
                app.cases.personal_data(s["dpo"], s["case"], Purpose.SUBJECT_REQUEST)
            found = audit._split_point(tables)
            assert found is not None
            split = found[0]  # the last position of the first part
            genuine = redactions(tables)
            assert any(p <= split < r.authorised_by for p, r in genuine.items()), split
        report = _verify(app, key)
        assert report.intact and report.redacted == sorted(redactions(tables)), report
    _forge(s["db"], s["mine"][1], s["others_erasure"])
    if mode == "exact":
        monkeypatch.setattr(audit, "_fast_pass", lambda *_: None)
    else:
        monkeypatch.setattr(audit, "PARALLEL_MIN_EVENTS", 2 if "two" in mode else 10**9)
    _not_intact_at(app, key, s["mine"][1])


def test_legacy_erasure_on_every_kind_of_store(
    make_app: Any, store_url: str, tmp_path: Path
) -> None:
    """SQLite and PostgreSQL alike: redacted, verified, proofs made before still hold, and no
    stored state the store key opens holds the erased values."""
    app = make_app(store_url, clock=at_now, passwords=TEST_PASSWORDS)
    team = Staff(app)
    case_id, other = _legacy_case(app, team.user(Role.CASE_OFFICER, "82", "BP-87-01"))
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    signing = create_signing_key(tmp_path / "signing.pem")
    tables = LedgerTables(app.store.recorder)
    first = make_checkpoint(tables, signing)
    positions = positions_of(tables, case_id)
    proofs = [inclusion_proof(tables, p, first, signing.public_key()) for p in positions.values()]
    app.privacy.erase(dpo, case_id, "victim", BASIS, REASON)
    second = make_checkpoint(tables, signing)
    proofs.append(consistency_proof(tables, first, second, signing.public_key()))
    for document in proofs:
        verify_proof_document(document, signing.public_key(), tables.origin())
    report = _verify(app, signing.public_key())
    assert report.intact and report.redacted == [positions[1], positions[3]], report
    proof = inclusion_proof(tables, positions[3], second, signing.public_key())
    assert "redacted" in verify_proof_document(proof, signing.public_key())
    mapper = app.store.mapper
    assert mapper.cipher is not None and mapper.compressor is not None
    for stored in app.store.recorder.select_events(case_id):
        state = mapper.compressor.decompress(mapper.cipher.decrypt(stored.state))
        assert not any(text.encode() in state for text in SECRETS)
    reopened = make_app(store_url, clock=at_now, passwords=TEST_PASSWORDS)
    assert isinstance(reopened.cases.get(case_id).steps[1].data["person"], ErasedPersonalData)
    assert reopened.cases.get(other).steps[1].data["person"].full_name == OTHER


def test_forged_redactions_are_not_intact_on_every_kind_of_store(
    make_app: Any, store_url: str, tmp_path: Path
) -> None:
    """The forgeries above, written through the store's own connection on SQLite and
    PostgreSQL: each NOT INTACT at the forged position; a genuine redaction verifies."""
    app = make_app(store_url, clock=at_now, passwords=TEST_PASSWORDS)
    team = Staff(app)
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    mine, _ = _legacy_case(app, officer)
    second, _ = _legacy_case(app, officer)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    app.privacy.erase(dpo, second, "victim", BASIS, REASON)
    app.cases.personal_data(dpo, mine, Purpose.SUBJECT_REQUEST)
    signing = create_signing_key(tmp_path / "signing.pem")
    tables = LedgerTables(app.store.recorder)
    make_checkpoint(tables, signing)
    key = signing.public_key()
    assert _verify(app, key).intact and len(_verify(app, key).redacted) == 2
    target = positions_of(tables, mine)[1]
    (erasure,) = positions_of(tables, erasure_id(second, "victim")).values()
    head = app.log.head()
    d = tables.d
    table = redactions_table(tables)
    for authorised_by, subject in (
        (erasure, "victim"),  # another case's victim
        (head, "victim"),  # an access-log read, not an erasure
        (head + 9, "victim"),  # no event at all
        (target - 1, "victim"),  # earlier than the redacted event
    ):
        with tables.cursor(commit=True) as c:
            c.execute(f"SELECT leaf_hash FROM {d.chain} WHERE position = {d.param}", (target,))
            (leaf,) = next(
                tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall()
            )
            c.execute(f"DELETE FROM {table} WHERE position = {d.param}", (target,))
            c.execute(
                f"INSERT INTO {table} (position, leaf_hash, authorised_by, subject)"
                f" VALUES ({d.param}, {d.param}, {d.param}, {d.param})",
                (target, leaf, authorised_by, subject),
            )
            c.execute(
                f"UPDATE {d.events} SET state = {d.param} WHERE {d.position} = {d.param}",
                (b"edited" * 8, target),
            )
        _not_intact_at(app, key, target)


# --- a redaction is bound to the positions its erasure named (authorisation events) -------


def _authorisations(app: Socai) -> dict[int, AccessRecord.RedactionAuthorised]:
    """position → the authorisation events in the log."""
    found = {}
    for position, event in app.log.events(topics=(AUTHORISED_TOPIC,)):
        assert isinstance(event, AccessRecord.RedactionAuthorised)
        found[position] = event
    return found


def _stored_state(tables: LedgerTables, position: int) -> bytes:
    """The state stored at ``position`` now, as bytes."""
    d = tables.d
    with tables.cursor() as c:
        c.execute(f"SELECT state FROM {d.events} WHERE {d.position} = {d.param}", (position,))
        (row,) = c.fetchall()
    (state,) = tuple(row.values()) if isinstance(row, dict) else tuple(row)
    return bytes(state)


def _overwrite(
    tables: LedgerTables, target: int, row: tuple[int, str] | None, state: bytes
) -> bytes:
    """Through the store's own connection (SQLite or PostgreSQL): set the stored state of
    ``target`` and its redactions row (``(authorised_by, subject)``, or none), with the
    original leaf hash chained there; the state it had is returned."""
    d, table = tables.d, redactions_table(tables)
    with tables.cursor(commit=True) as c:
        c.execute(f"SELECT leaf_hash FROM {d.chain} WHERE position = {d.param}", (target,))
        (leaf,) = next(tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall())
        c.execute(f"SELECT state FROM {d.events} WHERE {d.position} = {d.param}", (target,))
        (old,) = next(tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall())
        c.execute(f"DELETE FROM {table} WHERE position = {d.param}", (target,))
        if row is not None:
            c.execute(
                f"INSERT INTO {table} (position, leaf_hash, authorised_by, subject)"
                f" VALUES ({d.param}, {d.param}, {d.param}, {d.param})",
                (target, leaf, *row),
            )
        c.execute(
            f"UPDATE {d.events} SET state = {d.param} WHERE {d.position} = {d.param}",
            (state, target),
        )
    return bytes(old)


def test_an_edit_passed_off_as_redacted_by_the_real_erasure_of_its_case_is_not_intact(
    make_app: Any, store_url: str, tmp_path: Path
) -> None:
    """The attack the binding closes: the victim of a legacy case is really erased (the
    reception and the name's correction redacted); someone with database access only then
    overwrites ANOTHER event of the same case (the relative's protection), or an event of
    the victim's own that the erasure did not redact (a correction sealed under their key),
    and adds a redactions row naming the real erasure, the right subject and the original
    leaf hash. Each is NOT INTACT at that position, exit 1; put back, the log is intact."""
    app = make_app(store_url, clock=at_now, passwords=TEST_PASSWORDS)
    team = Staff(app)
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    case_id, _ = _legacy_case(app, officer)
    sealed = {
        "occurred_on": "2019-03-04", "corrects_version": 1, "field": "person.id_number",
        "old_value": ID_NUMBER, "new_value": "087190001111", "reason": "typo",
    }  # fmt: skip
    app.cases.execute(case_id, COMMANDS["correct"].parse(sealed), officer)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    tables = LedgerTables(app.store.recorder)
    positions = positions_of(tables, case_id)
    assert 4 in app.privacy.versions_of(case_id, "victim")  # the victim's, sealed
    done = app.privacy.erase(dpo, case_id, "victim", BASIS, REASON)
    assert done.redacted == (positions[1], positions[3])
    signing = create_signing_key(tmp_path / "signing.pem")
    make_checkpoint(tables, signing)
    key = signing.public_key()
    report = _verify(app, key)
    assert report.intact and report.redacted == [positions[1], positions[3]], report
    # the erasure named exactly the positions it redacted, each with its original leaf hash
    (erasure,) = positions_of(tables, erasure_id(case_id, "victim")).values()
    bound = _authorisations(app)
    rows = redactions(tables)
    assert sorted(e.position for e in bound.values()) == sorted(rows)
    for at, event in bound.items():
        assert erasure < at and event.erasure_id == erasure_id(case_id, "victim")
        leaf = rows[event.position].leaf_hash
        assert event.leaf_hash == leaf.hex() and event.case_id == case_id
        copy = hashlib.sha256(_stored_state(tables, event.position)).digest()
        assert event.redacted_state == copy.hex()
        assert str(event.originator_id) == ERASURE_AUTHORITY.authorisation_id(
            str(event.erasure_id), event.position, leaf, copy
        )
    pub = tmp_path / "signing.pub.pem"
    pub.write_bytes(key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    for version in (2, 4):  # another event of the case; the victim's own, not redacted
        target = positions[version]
        old = _overwrite(tables, target, (erasure, "victim"), b"edited" * 8)
        _not_intact_at(app, key, target)
        first = _verify(app, key).first
        assert first is not None and "did not authorise" in first.message, first
        if version == 2:
            printed = socai(store_url, "audit", "verify", "--public-key", str(pub))
            assert printed.returncode == 1, printed.stdout + printed.stderr
            assert "NOT INTACT" in printed.stdout and str(target) in printed.stdout
        _overwrite(tables, target, None, old)
        assert _verify(app, key).intact
    # an authorised position overwritten again (its genuine redactions row kept): the copy
    # stored there is not the one its authorisation names
    for version in (1, 3):
        target = positions[version]
        copy = _stored_state(tables, target)
        for other in (b"edited" * 8, copy[:-1] + bytes([copy[-1] ^ 1])):
            _overwrite(tables, target, (erasure, "victim"), other)
            _not_intact_at(app, key, target)
            first = _verify(app, key).first
            assert first is not None and "by the copy stored here" in first.message, first
        _overwrite(tables, target, (erasure, "victim"), copy)
        assert _verify(app, key).intact


def test_an_authorisation_binds_one_position_and_must_be_intact(attacked: Any) -> None:
    """An authorisation event names one position and its leaf hash: a redactions row that
    moves a genuine redaction's erasure to another position (with that position's leaf
    hash) has no authorisation; an authorisation event edited in the database authorises
    nothing (its redacted position is where verification stops)."""
    app, key, s = attacked
    tables = LedgerTables(app.store.recorder)
    genuine = redactions(tables)
    bound = _authorisations(app)
    assert sorted(e.position for e in bound.values()) == sorted(genuine)
    second = positions_of(tables, s["second"])
    assert sorted(genuine) == [second[1], second[3]]
    # the relative's protection (version 2), between the two authorised positions
    kept = _overwrite(tables, second[2], (s["others_erasure"], "victim"), b"edited" * 8)
    _not_intact_at(app, key, second[2])
    _overwrite(tables, second[2], None, kept)
    assert _verify(app, key).intact
    # an authorisation edited: the position it authorised is no longer authorised
    (at,) = [p for p, e in bound.items() if e.position == second[3]]
    with sqlite3.connect(s["db"]) as connection:
        connection.execute(
            "UPDATE stored_events SET topic = ? WHERE rowid = ?",
            (AccessRecord.DataExported.TOPIC, at),
        )
    _not_intact_at(app, key, second[3])
    report = _verify(app, key)
    assert [(f.position, f.kind) for f in report.findings] == [
        (second[3], "redaction"),
        (at, "altered"),
    ], report
    assert "not reached" in report.findings[0].message


def test_erasing_a_person_without_data_inside_events_records_no_authorisation(
    app: Socai, team: Staff
) -> None:
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    case_id = receive_person(app, officer, full_name=OTHER)  # sealed under the victim's own key
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    head = app.log.head()
    done = app.privacy.erase(dpo, case_id, "victim", BASIS, REASON)
    assert done.redacted == ()
    assert not _authorisations(app) and not redactions(LedgerTables(app.store.recorder))
    written = [n.topic for n in app.log.entries(after=head)]
    assert written == [AccessRecord.PersonalDataErased.TOPIC], written


def test_the_ledger_and_the_domain_name_an_authorisation_alike() -> None:
    """The service names an authorisation by the domain's id, the verifier by the ledger's
    (which knows no application): the two must agree. Like the erasure, it is an access-log
    event: listed with them, never published on a public stream."""
    erasure, leaf = erasure_id(UUID(int=7), "relative:2"), bytes(range(32))
    copy = hashlib.sha256(b"a redacted copy").digest()
    assert str(redaction_authorisation_id(erasure, 41, leaf.hex(), copy.hex())) == (
        ERASURE_AUTHORITY.authorisation_id(str(erasure), 41, leaf, copy)
    )
    assert ERASURE_AUTHORITY.authorisation_topic == AUTHORISED_TOPIC
    assert AUTHORISED_TOPIC == "socai.access:RedactionAuthorised.v1"
    assert AUTHORISED_TOPIC in ACCESS_TOPICS and AUTHORISED_TOPIC.startswith(ACCESS_TOPIC_PREFIX)
    for private in (AUTHORISED_TOPIC, AccessRecord.PersonalDataErased.TOPIC):
        assert contract_for_internal(private) is None
        assert private not in published_internal_topics()


def _verified_by(
    monkeypatch: pytest.MonkeyPatch, app: Socai, s: dict[str, Any], mode: str
) -> int | None:
    """Makes verify take the pass ``mode`` names: the exact pass alone, the fast pass in one
    part, or the fast pass in two (reads of the case first, so that later events move the
    split point past the erased case's events). Returns the position the second part starts
    at, in two parts."""
    if mode == "exact":
        monkeypatch.setattr(audit, "_fast_pass", lambda *_: None)
        return None
    if mode == "fast, one part":
        monkeypatch.setattr(audit, "PARALLEL_MIN_EVENTS", 10**9)
        return None
    for _ in range(8):
        app.cases.personal_data(s["dpo"], s["case"], Purpose.SUBJECT_REQUEST)
    monkeypatch.setattr(audit, "PARALLEL_MIN_EVENTS", 2)
    found = audit._split_point(LedgerTables(app.store.recorder))
    assert found is not None
    return found[0]  # the last position of the first part


@pytest.mark.parametrize("mode", MODES)
def test_every_pass_names_an_edit_passed_off_as_redacted_by_the_real_erasure(
    attacked: Any, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """The erased victim's case's other event (the relative's protection), overwritten with
    a row naming the real erasure: NOT INTACT in the fast pass, the exact pass and both
    halves of the split (the target in the first, its would-be authorisation's place and
    the erasure in the second)."""
    app, key, s = attacked
    tables = LedgerTables(app.store.recorder)
    target = positions_of(tables, s["second"])[2]
    split = _verified_by(monkeypatch, app, s, mode)
    if split is not None:
        assert target <= split < s["others_erasure"] < min(_authorisations(app)), split
    assert _verify(app, key).intact
    _forge(s["db"], target, s["others_erasure"])
    _not_intact_at(app, key, target)


@pytest.mark.parametrize("mode", MODES)
def test_every_pass_names_a_genuinely_redacted_position_overwritten_again(
    attacked: Any, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """A position the erasure did redact, its genuine redactions row kept, its copy replaced
    by other bytes: the authorisation names the copy the erasure wrote, so every pass (the
    position in the first half of a split, its authorisation in the second) says NOT
    INTACT there; the genuine copy put back verifies again."""
    app, key, s = attacked
    tables = LedgerTables(app.store.recorder)
    target = positions_of(tables, s["second"])[1]
    assert target in redactions(tables)
    split = _verified_by(monkeypatch, app, s, mode)
    if split is not None:
        assert target <= split < min(_authorisations(app)), split
    assert _verify(app, key).intact
    genuine = redactions(tables)[target]
    copy = _stored_state(tables, target)
    _overwrite(tables, target, (genuine.authorised_by, genuine.subject), copy[::-1])
    _not_intact_at(app, key, target)
    _overwrite(tables, target, (genuine.authorised_by, genuine.subject), copy)
    assert _verify(app, key).intact


def test_an_erasure_interrupted_before_its_redaction_completes_with_new_authorisations(
    app: Socai, team: Staff, tmp_path: Path
) -> None:
    """The erasure and its authorisations are stored, then the redaction fails (a crash):
    nothing is redacted yet, and the log does not verify as redacted anything. Running the
    erasure again redacts exactly the same positions; its copies are encrypted anew, so it
    authorises them anew (same positions and leaves, other copies) and those are the ones
    verify accepts."""
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    case_id, _ = _legacy_case(app, officer)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    tables = LedgerTables(app.store.recorder)
    positions = positions_of(tables, case_id)
    crash = mock.patch("infra.services.privacy.redact", side_effect=OSError("disk full"))
    with crash, pytest.raises(OSError, match="disk full"):
        app.privacy.erase(dpo, case_id, "victim", BASIS, REASON)
    bound = _authorisations(app)
    assert sorted(e.position for e in bound.values()) == [positions[1], positions[3]]
    assert not redactions(tables)
    signing = create_signing_key(tmp_path / "signing.pem")
    report = _verify(app, signing.public_key())
    assert report.intact and report.redacted == [], report
    head = app.log.head()
    done = app.privacy.erase(dpo, case_id, "victim", BASIS, REASON)
    assert done.redacted == (positions[1], positions[3])
    again = {p: e for p, e in _authorisations(app).items() if p > head}
    assert sorted(e.position for e in again.values()) == [positions[1], positions[3]]
    assert app.log.head() == head + 2  # the two new authorisations, no second erasure
    first = {e.position: e for e in bound.values()}
    for event in again.values():
        assert event.leaf_hash == first[event.position].leaf_hash
        assert event.redacted_state != first[event.position].redacted_state
    make_checkpoint(tables, signing)
    report = _verify(app, signing.public_key())
    assert report.intact and report.redacted == [positions[1], positions[3]], report
