"""Erasing a person's data (xóa dữ liệu cá nhân): destroy their key, keep every proof.

:meth:`PrivacyService.erase` carries out a decision to erase the data of one person of a case
(the victim, or a relative; Law 91/2025/QH15): the data-protection officer of the case's unit,
logged in with a second factor, names the decision (a document code) and its ground (a reason
code). In this order:

1. everything is checked, nothing written: the input, the policy, that the person exists in
   the case and that they were not erased already;
2. the erasure event is stored (:class:`~domain.access.log.AccessRecord.PersonalDataErased`:
   who, case, person, decision, reason; no personal data). Its id follows from the case and
   the person, so a second erasure — even a racing one — cannot be stored. In the same
   transaction, one :class:`~domain.access.log.AccessRecord.RedactionAuthorised` per
   position step 4 will redact (the erasure's id, the position, its original leaf hash;
   none when no data is held inside events): what binds each redaction to this erasure for
   an inspector without the store key;
3. the key is destroyed (:meth:`~infra.privacy.vault.PersonVault.destroy`), leaving its
   tombstone;
4. data recorded before per-person keys, inside the events (docs/PRIVACY.md, "Stores made
   before per-person keys"), is **redacted**: each such event's stored state is replaced by
   a copy whose personal fields of this person are the erased marker (a reference to the
   destroyed key, read as "erased"), every other field as it was, encrypted under the store
   key as usual; the ledger keeps the original leaf hash, authorised by the erasure event of
   step 2 (:func:`infra.ledger.redactions.redact`, which refuses any position or leaf hash
   the authorisation events do not name), and the old bytes are scrubbed.
   Should step 3 or 4 fail after step 2, running the same erasure again completes it.

From then on every view shows, where the data was, "erased on DATE by decision DOC"
(:meth:`PrivacyService.notices`); the events, the ledger, its proofs and every report derived
from non-personal fields are unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from hashlib import sha256
from typing import Any
from uuid import UUID

from domain.access.log import AccessRecord, erasure_id
from domain.access.policy import Action
from domain.access.principal import Principal
from domain.access.roles import ErasureReason
from domain.case.shareable import shareable_document_code
from domain.case.steps import Step
from domain.case.subjects import VICTIM, key_id, parse_subject, relative_version, subject_of
from domain.case.values import PersonalData
from domain.errors import ConcurrentWriteConflict, InvalidInput, NotFound, RuleViolation
from domain.time import VIETNAM_TZ
from infra.application import EventStore
from infra.ledger.redactions import leaf_hashes, positions_of, redact
from infra.ledger.store import LedgerTables
from infra.privacy.vault import Destruction
from infra.services.access import AccessService
from infra.services.cases import CaseService

#: How an event written before per-person keys stores personal data (inside the event).
_INLINE = "personal_data"
#: What a redacted copy holds in place of an erased person's inline value: a reference to
#: their destroyed key, which every reader opens as "erased" (no record has this digest).
_ERASED_DIGEST = "erased"


@dataclass(frozen=True, slots=True)
class Erasure:
    """An erasure as views show it: who in which case, when, by which decision."""

    case_id: UUID
    subject: str
    erased_at: datetime
    basis: str
    reason: str
    username: str

    @property
    def notice(self) -> str:
        day = self.erased_at.astimezone(VIETNAM_TZ).date().isoformat()
        return f"erased on {day} by decision {self.basis}"


class PrivacyService:
    """Erasure of a person's data, and the erasures views must show."""

    def __init__(self, store: EventStore, access: AccessService, cases: CaseService) -> None:
        self.store = store
        self.access = access
        self.cases = cases

    def erase(
        self, principal: Principal, case_id: UUID, who: str, basis: str, reason: str
    ) -> Destruction:
        """Erase ``who``'s data in ``case_id`` under decision ``basis`` (see module doc)."""
        subject = parse_subject(who)
        if not basis or shareable_document_code(basis.strip()) is None:
            raise InvalidInput(
                "--basis",
                "the decision to erase must be named by its document code",
                hint="e.g. --basis QĐ-123/2026: upper-case letters, digits and . / _ -,"
                " no spaces (it is shown wherever the data was, so it may hold no name)",
            )
        code = ErasureReason.parse(reason, "--reason").value
        principal = self.access.check(
            principal, Action.PERSON_ERASE, self.cases.unit_of(case_id), case_id
        )
        versions = self.versions_of(case_id, subject)
        vault = self.store.vault
        the_key = key_id(case_id, subject)
        done = self.erasure(case_id, subject)
        inline = self._inline(case_id, subject, versions)
        if done is not None and not vault.has_key(the_key) and not inline:
            raise RuleViolation(
                "already_erased",
                f"the data of {subject} in case {case_id} was already {done.notice}",
                hint="nothing is left to erase; `socai case history` shows the erasure",
            )
        tables = LedgerTables(self.store.recorder)
        leaves = leaf_hashes(tables, inline) if inline else {}
        # what each authorisation names: the original leaf and the exact copy to be written
        originals = {p: (leaf, sha256(inline[p]).digest()) for p, leaf in leaves.items()}
        at = self.store.now()
        the_erasure = erasure_id(case_id, subject)
        authorisations = [
            AccessRecord.redaction_authorised(
                principal.username, case_id, the_erasure, position, leaf.hex(), copy.hex(), at
            )
            for position, (leaf, copy) in sorted(originals.items())
        ]
        if done is None:
            entry = AccessRecord.erased(
                principal.username, case_id, subject, basis.strip(), code, at
            )
            try:
                self.store.save_or_refuse(
                    entry, f"erasure of {subject} in case {case_id}", *authorisations
                )
            except ConcurrentWriteConflict:
                raise RuleViolation(
                    "already_erased",
                    f"the data of {subject} in case {case_id} was erased by someone else just now",
                    hint="`socai case history` shows the erasure",
                ) from None
        else:  # completing an erasure: its copies are made anew (a fresh nonce), so are
            # their authorisations; the ones stored with it name copies never written
            missing = [a for a in authorisations if a.id not in self.store.repository]
            if missing:
                self.store.save(*missing)
        destruction = vault.destroy(the_key)
        if inline:
            (authorised_by,) = positions_of(tables, the_erasure).values()
            assert set(originals) == set(inline), "redacted exactly where authorised"
            redact(tables, inline, authorised_by, subject, originals)
            destruction = replace(destruction, redacted=tuple(sorted(inline)))
        return destruction

    def erasure(self, case_id: UUID, subject: str) -> Erasure | None:
        """The erasure of ``subject``'s data in ``case_id``, if one was recorded."""
        entry_id = erasure_id(case_id, subject)
        if entry_id not in self.store.repository:
            return None
        events = list(self.store.events.get(entry_id))
        event = events[0]
        assert isinstance(event, AccessRecord.PersonalDataErased)
        return Erasure(
            event.case_id, event.subject, event.timestamp, event.basis, event.reason,
            event.username,
        )  # fmt: skip

    def notices(self, case_id: UUID, steps: list[Step]) -> dict[str, str]:
        """subject → "erased on DATE by decision DOC", for the erased people of these steps."""
        found: dict[str, str] = {}
        for subject in sorted(_subjects(steps)):
            done = self.erasure(case_id, subject)
            if done is not None:
                found[subject] = done.notice
        return found

    def versions_of(self, case_id: UUID, subject: str) -> set[int]:
        """The versions of the case's events that hold ``subject``'s data."""
        steps = list(self.cases.get(case_id).steps.values())
        held = {
            step.version
            for step in steps
            for name, value in step.data.items()
            if isinstance(value, PersonalData)
            and subject_of(step.kind, step.version, name, step.data) == subject
        }
        if subject != VICTIM and relative_version(subject) not in held:
            raise NotFound(
                f"case {case_id} has no relative recorded at version {relative_version(subject)}",
                hint="`socai case history CASE` lists the protections; a relative is"
                " relative:N, N the version of the protection that named them",
            )
        return held

    def _inline(self, case_id: UUID, subject: str, versions: set[int]) -> dict[int, bytes]:
        """The redacted copies of the events holding ``subject``'s data inline (recorded
        before per-person keys), by log position: stored state in the same envelope, the
        person's inline values replaced by the erased marker, every other field kept."""
        mapper = self.store.mapper
        steps = {step.version: step for step in self.cases.get(case_id).steps.values()}
        held = [
            s
            for s in self.store.recorder.select_events(case_id)
            if s.originator_version in versions
        ]
        copies: dict[int, bytes] = {}
        positions: dict[int, int] | None = None
        for stored in held:
            state = stored.state
            if mapper.cipher:
                state = mapper.cipher.decrypt(state)
            if mapper.compressor:
                state = mapper.compressor.decompress(state)
            fields = json.loads(state)
            step = steps[stored.originator_version]
            names = [
                name
                for name, value in fields.items()
                if _holds_inline(value)
                and subject_of(step.kind, step.version, name, step.data) == subject
            ]
            if not names:
                continue
            marker = {"key": key_id(case_id, subject), "digest": _ERASED_DIGEST}
            fields.update({n: {"_type_": "personal_ref", "_data_": marker} for n in names})
            redacted = json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()
            if mapper.compressor:
                redacted = mapper.compressor.compress(redacted)
            if mapper.cipher:
                redacted = mapper.cipher.encrypt(redacted)
            if positions is None:
                positions = positions_of(LedgerTables(self.store.recorder), case_id)
            copies[positions[stored.originator_version]] = redacted
        return copies


def _holds_inline(value: Any) -> bool:
    if isinstance(value, dict):
        if value.get("_type_") == _INLINE:
            return True
        return any(_holds_inline(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_inline(v) for v in value)
    return False


def _subjects(steps: list[Step]) -> set[str]:
    return {
        subject_of(step.kind, step.version, name, step.data)
        for step in steps
        for name, value in step.data.items()
        if isinstance(value, PersonalData)
    }
