"""Erasing a person's data (crypto-shredding): the key is gone for good, every proof holds.

After the erasure of a victim: `audit verify` passes, proofs made before still verify, the
stored events and leaf hashes are byte for byte what they were; the wrapped key, the data key,
the sealed records and the plaintext are in no byte of the SQLite file or its WAL, the file
has no free pages, and no key the tool still holds opens the sealed records; the history and
the personal-data read show "erased on DATE by decision DOC"; everyone else's data is intact.
Refusals (role, second factor, decision, reason, person, twice) write nothing but the
policy's own refusal entry.
"""

from __future__ import annotations

import base64
import sqlite3
from pathlib import Path
from typing import Any
from unittest import mock
from uuid import UUID

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.persistence import Mapper

from domain.access.log import AccessRecord
from domain.access.principal import Principal
from domain.access.roles import Purpose, Role
from domain.case.commands import COMMANDS, Receive
from domain.case.history import case_history_rows
from domain.case.subjects import key_id
from domain.case.values import ErasedPersonalData
from domain.errors import InvalidInput, NotAllowed, NotFound, RuleViolation
from infra.audit_store import ledger_tables
from infra.keys import load_key
from infra.ledger.audit import verify_store
from infra.ledger.checkpoints import create_signing_key, make_checkpoint
from infra.ledger.proofs import consistency_proof, inclusion_proof
from infra.ledger.store import LedgerTables
from infra.ledger.verifier import verify_proof_document
from infra.privacy.sealing import SealingMapper
from infra.privacy.vault import PersonalRecordMissing, key_encryption_key
from infra.scenario.builders import at_now
from infra.scenario.staff import TEST_PASSWORDS, Staff
from infra.services.socai import Socai
from tests.conftest import reception

pytestmark = pytest.mark.integration

NAME, ID_NUMBER = "Lê Thị Mẫu", "087190001234"  # the reception fixture's (fictitious) person
NEW_NAME = "Lê Thị Mẫu Đơn"
RELATIVE, PHONE = "Trần Thị Mẹ", "0912345678"
OTHER = "Phạm Văn Khác"
BASIS, REASON = "QĐ-12/2026", "subject_request"


def receive_person(app: Socai, officer: Principal, **person: str) -> UUID:
    command = COMMANDS["receive"].parse(reception(person=person))
    assert isinstance(command, Receive)
    return app.cases.receive(command, officer)


def protected_and_corrected(
    app: Socai, officer: Principal, names: tuple[str, str, str, str, str]
) -> UUID:
    """A victim received as ``(name, id number)``, a relative ``(name, phone)`` protected,
    the victim's name corrected to the last of ``names``: the erasure tests' case history
    (each test file gives its own fictitious values, so its byte greps find only its own)."""
    name, id_number, relative, phone, new_name = names
    case_id = receive_person(app, officer, full_name=name, id_number=id_number)
    protect = {
        "occurred_on": "2019-03-02", "protected": "relative", "relationship": "mother",
        "measure": "confidentiality", "relative": {"full_name": relative, "phone": phone},
    }  # fmt: skip
    app.cases.execute(case_id, COMMANDS["protect"].parse(protect), officer)
    correct = {
        "occurred_on": "2019-03-03", "corrects_version": 1, "field": "person.full_name",
        "old_value": name, "new_value": new_name, "reason": "typo",
    }  # fmt: skip
    app.cases.execute(case_id, COMMANDS["correct"].parse(correct), officer)
    return case_id


def _case(app: Socai, team: Staff) -> tuple[UUID, UUID, Principal]:
    """A victim (corrected once) with a protected relative, and another case's victim."""
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    case_id = protected_and_corrected(app, officer, (NAME, ID_NUMBER, RELATIVE, PHONE, NEW_NAME))
    other = receive_person(app, officer, full_name=OTHER)
    return case_id, other, officer


def views_show_the_erasure(
    app: Socai, dpo: Principal, erased: tuple[UUID, str, str], other: tuple[UUID, str]
) -> AccessRecord.PersonalDataErased:
    """After the victim of ``erased`` (case, relative's name, relative's phone) was erased by
    decision QĐ-12/2026 on 2026-11-23 (the case of :func:`protected_and_corrected`): the
    history and a subject-access read show the erasure notice where the victim's data was
    (reception v1, correction v3), the relative's data (v2) and the ``other`` case's victim
    (case, name) are as they were. Returns the case's one erasure entry of the access log."""
    case_id, relative, phone = erased
    notice = "erased on 2026-11-23 by decision QĐ-12/2026"
    steps = app.cases.as_it_stood(case_id).steps
    assert isinstance(steps[0].data["person"], ErasedPersonalData)
    rows = case_history_rows(steps, "en", app.privacy.notices(case_id, steps))
    assert rows[0]["fields"]["person"] == notice
    assert rows[1]["fields"]["relative"] == "<personal data: full_name, phone>"
    assert rows[2]["fields"]["old_value"] == rows[2]["fields"]["new_value"] == notice
    found = app.cases.personal_data(
        dpo, case_id, Purpose.SUBJECT_REQUEST, erased=app.privacy.notices(case_id, steps)
    )
    assert found == {
        "v1.person": notice,
        "v2.relative.full_name": relative,
        "v2.relative.phone": phone,
        "v3.old_value": notice,
        "v3.new_value": notice,
    }
    other_case, other_name = other
    assert app.cases.personal_data(dpo, other_case, Purpose.SUBJECT_REQUEST) == {
        "v1.person.full_name": other_name
    }
    (entry,) = [
        e for _, e in app.access.entries(case_id=case_id)
        if isinstance(e, AccessRecord.PersonalDataErased)
    ]  # fmt: skip
    return entry


def _raw(path: Path) -> bytes:
    """The database file and its WAL, as bytes on disk."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def _rows(path: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as raw:
        return list(raw.execute(sql, params))


def _events(path: Path) -> list[tuple[Any, ...]]:
    return _rows(path, "SELECT * FROM stored_events ORDER BY rowid")


def _fails_with_every_key(sealed: bytes, keys: list[bytes]) -> bool:
    for key in keys:
        for aad in (None, b"", b"socai personal record v1\n"):
            try:
                AESGCM(key).decrypt(sealed[:12], sealed[12:], aad)
            except InvalidTag:
                continue
            return False
    return True


def test_erasure_destroys_the_key_and_keeps_every_proof(
    app: Socai, team: Staff, tmp_path: Path
) -> None:
    db = tmp_path / "s.db"
    case_id, other, officer = _case(app, team)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    victim = key_id(case_id, "victim")
    signing = create_signing_key(tmp_path / "signing.pem")
    tables = LedgerTables(app.store.recorder)
    first = make_checkpoint(tables, signing)
    app.cases.personal_data(officer, case_id, Purpose.CASE_MANAGEMENT)  # one more event
    second = make_checkpoint(tables, signing)
    received = next(e.position for e in app.log.entries() if e.originator_id == case_id)
    proofs = [
        inclusion_proof(tables, received, first, signing.public_key()),
        consistency_proof(tables, first, second, signing.public_key()),
    ]
    (wrapped,) = _rows(db, "SELECT wrapped FROM socai_person_keys WHERE key_id = ?", victim)[0]
    records = "SELECT sealed FROM socai_person_records WHERE key_id = ?"
    sealed = [s for (s,) in _rows(db, records, victim)]
    assert len(sealed) == 3  # the reception, the correction's old and new name
    data_key = app.store.vault.data_keys()[victim]
    stored = NAME.encode() in _raw(db)
    assert not stored  # sealed; the events are under the store key too
    # ... and not even inside an event: the store key opens a reference, never the values
    mapper = app.store.mapper
    for stored_event in app.store.recorder.select_events(case_id):
        assert mapper.cipher is not None and mapper.compressor is not None
        state = mapper.compressor.decompress(mapper.cipher.decrypt(stored_event.state))
        held = [text.encode() in state for text in (NAME, NEW_NAME, ID_NUMBER, RELATIVE, PHONE)]
        assert not any(held) and b'"_type_":"personal_data"' not in state
    events, leaves = _events(db), tables.leaf_hashes(0, app.log.head())

    app.privacy.erase(dpo, case_id, "victim", BASIS, REASON)

    # the events, the leaves, the proofs and the checkpoints: exactly as they were
    after = _events(db)
    assert after[: len(events)] == events
    assert len(after) == len(events) + 1  # the erasure event, appended
    assert tables.leaf_hashes(0, len(leaves)) == leaves
    for document in proofs:
        verify_proof_document(document, signing.public_key(), tables.origin())
    make_checkpoint(tables, signing)
    with ledger_tables(app.settings) as fresh:
        report = verify_store(fresh, signing.public_key())
    assert report.intact, report

    # nothing of the key or the data left in the file, its WAL or its free pages
    raw = _raw(db)
    plain = [text.encode() for text in (NAME, NEW_NAME, ID_NUMBER)]
    left = [secret in raw for secret in (wrapped, data_key, *sealed, *plain)]
    assert not any(left), "a key, a record or the plaintext survived in the file or its WAL"
    assert _rows(db, "PRAGMA freelist_count")[0][0] == 0
    assert not _rows(db, "SELECT 1 FROM socai_person_keys WHERE key_id = ?", victim)
    assert not _rows(db, "SELECT 1 FROM socai_person_records WHERE key_id = ?", victim)
    # no key the tool still holds opens the sealed records
    store_key = load_key(app.settings)
    held = [base64.b64decode(store_key), key_encryption_key(store_key)]
    held += list(app.store.vault.data_keys().values())
    assert victim not in app.store.vault.data_keys() and len(held) == 4  # relative, other case
    assert all(_fails_with_every_key(s, held) for s in sealed)

    # every view shows the erasure where the data was; nobody else's data changed
    entry = views_show_the_erasure(app, dpo, (case_id, RELATIVE, PHONE), (other, OTHER))
    assert (entry.username, entry.subject, entry.basis, entry.reason) == (
        "BVDL-1", "victim", BASIS, REASON,
    )  # fmt: skip
    # the relative is a person of their own: erased separately
    app.privacy.erase(dpo, case_id, "relative:2", BASIS, "purpose_ended")
    assert isinstance(app.cases.get(case_id).steps[2].data["relative"], ErasedPersonalData)
    assert not any(text.encode() in _raw(db) for text in (RELATIVE, PHONE))


def test_refusals_write_nothing(app: Socai, team: Staff, tmp_path: Path) -> None:
    case_id, _, officer = _case(app, team)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    victim = key_id(case_id, "victim")

    def refused(
        error: type[Exception], match: str, principal: Principal, who: str, basis: str, reason: str
    ) -> None:
        before = app.log.head()
        with pytest.raises(error, match=match):
            app.privacy.erase(principal, case_id, who, basis, reason)
        written = app.log.head() - before
        assert written == (1 if error is NotAllowed else 0)  # the refusal entry, or nothing
        assert app.store.vault.has_key(victim)

    for role in (Role.CASE_OFFICER, Role.SUPERVISOR, Role.INSPECTOR, Role.ADMINISTRATOR):
        other_role = officer if role is Role.CASE_OFFICER else team.user(role, "82")
        refused(NotAllowed, "not allowed", other_role, "victim", BASIS, REASON)
    elsewhere = team.user(Role.DATA_PROTECTION_OFFICER, "01", "BVDL-HN")
    refused(NotAllowed, "not allowed", elsewhere, "victim", BASIS, REASON)
    made = app.access.register(team.admin, "BVDL-API", "police", service=True, second_factor=True)
    app.access.grant(team.admin, "BVDL-API", Role.DATA_PROTECTION_OFFICER, "82", "QĐ-1")
    assert made.token is not None
    no_factor = app.access.authenticate(str(made.token))
    refused(NotAllowed, "one-time code", no_factor, "victim", BASIS, REASON)
    for basis in ("", "  ", "quyết định của giám đốc", "Lê Thị Mẫu", "0912345678"):
        refused(InvalidInput, "document code", dpo, "victim", basis, REASON)
    refused(InvalidInput, "--reason", dpo, "victim", BASIS, "because")
    for who in ("mother", "relative:0", "relative:x", "victim ; relative:2", ""):
        refused(InvalidInput, "names no person", dpo, who, BASIS, REASON)
    for who in ("relative:1", "relative:3", "relative:99"):  # a reception, a correction, none
        refused(NotFound, "no relative recorded at version", dpo, who, BASIS, REASON)

    app.privacy.erase(dpo, case_id, "victim", BASIS, REASON)
    head = app.log.head()
    with pytest.raises(RuleViolation, match="already erased on 2026-11-23 by decision QĐ-12"):
        app.privacy.erase(dpo, case_id, "victim", "QĐ-13/2026", REASON)
    assert app.log.head() == head
    # nothing is recorded again under an erased person's key: the whole write is refused
    correct = {
        "occurred_on": "2019-03-04", "corrects_version": 1, "field": "person.phone",
        "new_value": "0987654321", "reason": "new phone",
    }  # fmt: skip
    version = app.cases.get(case_id).version
    with pytest.raises(RuleViolation, match="was erased"):
        app.cases.execute(case_id, COMMANDS["correct"].parse(correct), officer)
    assert app.cases.get(case_id).version == version


def test_data_recorded_before_per_person_keys_is_erased_by_redaction(
    app: Socai, team: Staff, tmp_path: Path
) -> None:
    """A reception written the way every event was before per-person keys (values inside the
    event): readable as always; its erasure redacts the event (tests/infra/services/
    test_legacy_erasure.py has the proofs, reports and forgeries)."""
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    with mock.patch.object(SealingMapper, "to_stored_event", Mapper.to_stored_event):
        case_id = receive_person(app, officer, full_name=NAME)
    stored = NAME.encode() in _raw(tmp_path / "s.db")
    assert not stored  # inside the store key's encryption
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    assert app.cases.personal_data(dpo, case_id, Purpose.SUBJECT_REQUEST) == {
        "v1.person.full_name": NAME
    }
    head = app.log.head()
    app.privacy.erase(dpo, case_id, "victim", BASIS, REASON)
    # the erasure and, with it, the authorisation of the one redacted position; the
    # redaction itself appends nothing
    written = [n.topic for n in app.log.entries(after=head)]
    assert written == [
        AccessRecord.PersonalDataErased.TOPIC,
        AccessRecord.RedactionAuthorised.TOPIC,
    ], written
    assert isinstance(app.cases.get(case_id).steps[1].data["person"], ErasedPersonalData)


def test_erasure_on_every_kind_of_store(make_app: Any, store_url: str) -> None:
    """The key table and its destruction on SQLite and PostgreSQL alike."""
    app = make_app(store_url, clock=at_now, passwords=TEST_PASSWORDS)
    team = Staff(app)
    case_id, other, _ = _case(app, team)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    # another process has the case decoded in its cache when the key is destroyed
    running = make_app(store_url, clock=at_now, passwords=TEST_PASSWORDS)
    assert running.cases.get(case_id).steps[1].data["person"].full_name == NEW_NAME
    assert app.cases.get(case_id).steps[1].data["person"].full_name == NEW_NAME
    app.privacy.erase(dpo, case_id, "victim", BASIS, REASON)
    assert not app.store.vault.has_key(key_id(case_id, "victim"))
    assert app.store.vault.has_key(key_id(case_id, "relative:2"))
    reopened = make_app(store_url, clock=at_now, passwords=TEST_PASSWORDS)
    for process in (app, running, reopened):
        assert isinstance(process.cases.get(case_id).steps[1].data["person"], ErasedPersonalData)
    assert reopened.cases.get(other).steps[1].data["person"].full_name == OTHER


def test_a_key_table_altered_in_the_database_is_named_never_read_as_someone_else(
    app: Socai, team: Staff, tmp_path: Path
) -> None:
    """Whoever edits the key tables directly (database access, no decision) can make data
    unreadable, never make one person's data read as another's, nor erase unnoticed."""
    db = tmp_path / "s.db"
    case_id, other, _ = _case(app, team)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    mine, theirs = key_id(case_id, "victim"), key_id(other, "victim")

    def key_of(key: str) -> bytes:
        rows = _rows(db, "SELECT wrapped FROM socai_person_keys WHERE key_id = ?", key)
        wrapped: bytes = rows[0][0]
        return wrapped

    def set_key(key: str, wrapped: bytes) -> None:
        with sqlite3.connect(db) as raw:
            raw.execute("UPDATE socai_person_keys SET wrapped = ? WHERE key_id = ?", (wrapped, key))

    def refused_read(case: UUID) -> None:
        with pytest.raises(PersonalRecordMissing) as refused:
            app.cases.personal_data(dpo, case, Purpose.SUBJECT_REQUEST)
        assert NAME not in str(refused.value) and OTHER not in str(refused.value)

    original = key_of(mine)
    set_key(mine, key_of(theirs))  # another person's wrapped key: bound to its own key id
    refused_read(case_id)
    set_key(mine, original)
    with sqlite3.connect(db) as raw:  # another person's sealed record under this reference
        (digest,) = raw.execute(
            "SELECT digest FROM socai_person_records WHERE key_id = ? LIMIT 1", (theirs,)
        ).fetchone()
        raw.execute("UPDATE socai_person_records SET key_id = ? WHERE digest = ?", (mine, digest))
    refused_read(other)
    with sqlite3.connect(db) as raw:
        raw.execute("UPDATE socai_person_records SET key_id = ? WHERE digest = ?", (theirs, digest))
        raw.execute("DELETE FROM socai_person_keys WHERE key_id = ?", (mine,))  # no decision
    refused_read(case_id)
    with sqlite3.connect(db) as raw:  # ... and a forged tombstone: erased, and it says so
        raw.execute(
            "INSERT INTO socai_person_keys_destroyed VALUES (?, ?)", (mine, "2026-11-23T03:00")
        )
    steps = app.cases.as_it_stood(case_id).steps
    row = case_history_rows(steps, "en", app.privacy.notices(case_id, steps))[0]
    assert row["fields"]["person"] == "<erased without a recorded decision>"
