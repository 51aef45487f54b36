"""The case service (dịch vụ hồ sơ): record the steps of a case and read it back.

Commands go through :meth:`CaseService.receive` and :meth:`CaseService.execute`: the
aggregate checks every rule first; only then is anything saved, atomically, with optimistic
concurrency (a stale writer gets :class:`ConcurrentWriteConflict` naming the case and the
version it started from, and nothing it tried is written).

Two views of the past, one call each:

- :meth:`CaseService.as_known_at` — *as known at T* (theo dữ liệu đã ghi nhận tại T): only
  the events recorded by record time T, corrections included (what a report sent then was
  built from);
- :meth:`CaseService.as_it_stood` — *as it stood on D* (tình trạng tại ngày D): only the
  steps whose business date is on or before D, optionally of the case as known at T.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID, uuid4

from domain.access.policy import Action, permits
from domain.access.principal import Principal
from domain.access.roles import Purpose
from domain.access.scope import UnitRef
from domain.case.aggregate import Case, CaseEvent
from domain.case.catalogue import fold, is_personal_field
from domain.case.commands import Close, Command, Correct, Receive
from domain.case.history import ERASED
from domain.case.steps import CaseStatus, Step
from domain.case.subjects import subject_of
from domain.case.values import PERSONAL_FIELD_MAX_CHARS, ErasedPersonalData, PersonalData
from domain.errors import ConcurrentWriteConflict, InvalidInput, NotFound, SocaiError
from domain.reference.units import AdminMap
from domain.time import require_aware
from infra.application import EventStore
from infra.services.access import AccessService
from infra.services.eventlog import StoreEventLog

#: The parts of a person's data (họ tên, số định danh, địa chỉ, số điện thoại).
PERSONAL_PARTS = tuple(PERSONAL_FIELD_MAX_CHARS)


@dataclass(frozen=True, slots=True)
class CaseView:
    """A case's steps and the status folded from them, as of one business date."""

    case_id: UUID
    steps: list[Step]
    status: CaseStatus


class CaseService:
    """Cases (hồ sơ) in the one store."""

    def __init__(self, store: EventStore, log: StoreEventLog, access: AccessService) -> None:
        self.store = store
        self.log = log
        self.access = access

    def receive(self, command: Receive, principal: Principal, case_id: UUID | None = None) -> UUID:
        """Open a case; returns its pseudonymous id (a random UUID unless given)."""
        target = UnitRef(AdminMap.in_force_on(command.occurred_on).value, command.unit_code)
        principal = self.access.check(principal, Action.CASE_RECEIVE, target, "a new case")
        case_id = case_id or uuid4()
        if case_id in self.store.repository:
            raise ConcurrentWriteConflict(f"case {case_id} already exists")
        case = Case.receive(case_id, command, principal.actor(), self.store.now())
        self.save(case, expected_version=0)
        return case.id

    def execute(
        self,
        case_id: UUID,
        command: Command,
        principal: Principal,
        expected_version: int | None = None,
    ) -> int:
        """Record one step on a case; returns the new event's version.

        ``expected_version``, when given, is the version the caller last saw: if the case
        has moved on since, the step is refused as a conflict (the caller decided on stale
        information). Either way two writers racing on one case cannot both win.
        """
        case = self.get(case_id)
        if expected_version is not None and case.version != expected_version:
            raise ConcurrentWriteConflict(
                f"case {case_id} is at version {case.version}, not {expected_version} as"
                " expected; someone recorded a step in between",
                hint="reload the case history and decide again",
            )
        started_at = case.version
        if isinstance(command, Correct):
            return self._correct(principal, case, command)
        action = Action.CASE_CLOSE if isinstance(command, Close) else Action.CASE_RECORD
        principal = self.access.check(principal, action, _unit(case), case_id)
        case.execute(command, principal.actor(), self.store.now())
        self.save(case, expected_version=started_at)
        return case.version

    def _correct(self, principal: Principal, case: Case, command: Correct) -> int:
        """Correcting one's own steps, or (a supervisor) anyone's; a personal field also needs
        the right to read it, and every attempt on one — refused or not, for any reason — is
        in the access log, so ``--old`` can no longer test a guess unseen."""
        started_at = case.version
        target = _unit(case)
        step = case.steps.get(command.corrects_version)
        own = step is not None and step.officer_id.casefold() == principal.username.casefold()
        personal = [c.field for c in command.changes if is_personal_field(c.field)]
        outcome = "not_recorded"  # until saved: an unexpected failure is not logged as done
        try:
            action = Action.CASE_CORRECT_OWN if own else Action.CASE_CORRECT_OTHERS
            principal = self.access.check(principal, action, target, case.id, own=own)
            if personal:
                principal = self.access.check(principal, Action.PERSON_READ, target, case.id)
            # The aggregate compares the old value given with the stored one: a read.
            case.execute(command, principal.actor(), self.store.now())
            self.save(case, expected_version=started_at)
            outcome = "recorded"
        except SocaiError as refused:
            outcome = getattr(refused, "code", None) or type(refused).__name__
            raise
        finally:
            for field in personal:
                self.access.record_correction_attempt(principal, case.id, field, outcome)
        return case.version

    # -- checked reads --------------------------------------------------------------------

    def read(
        self,
        principal: Principal,
        case_id: UUID,
        on: date | None = None,
        known_at: datetime | None = None,
    ) -> CaseView:
        """:meth:`as_it_stood` for a user allowed to read the case (personal data redacted)."""
        self.access.check(principal, Action.CASE_READ, self.unit_of(case_id), case_id)
        return self.as_it_stood(case_id, on, known_at)

    def readable_ids(self, principal: Principal) -> Iterator[UUID]:
        """The cases the user may read, in the order received (the others are not shown)."""
        principal = self.access.check(principal, Action.CASE_READ, subject="cases", anywhere=True)
        for case_id in self.ids():
            if permits(principal.grants, Action.CASE_READ, self.unit_of(case_id)):
                yield case_id

    def personal_data(
        self,
        principal: Principal,
        case_id: UUID,
        purpose: Purpose,
        parts: tuple[str, ...] = PERSONAL_PARTS,
        erased: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Decrypt a case's personal data (đọc dữ liệu cá nhân), for a stated purpose: the
        read is written to the access log (user, case, field names, purpose) before anything
        is returned. Keys are ``v<version>.<field>.<part>``, e.g. ``v1.person.full_name``;
        erased data is ``v<version>.<field>``, its erasure notice taken from ``erased``
        (subject → "erased on DATE by decision DOC")."""
        unknown = set(parts) - set(PERSONAL_PARTS)
        if unknown:
            raise InvalidInput(
                "--field", f"{sorted(unknown)} are not personal fields",
                hint=f"choose among {', '.join(PERSONAL_PARTS)}",
            )  # fmt: skip
        principal = self.access.check(principal, Action.PERSON_READ, self.unit_of(case_id), case_id)
        found: dict[str, str] = {}
        for step in self.get(case_id).steps.values():
            for name, value in step.data.items():
                if isinstance(value, ErasedPersonalData):
                    subject = subject_of(step.kind, step.version, name, step.data)
                    found[f"v{step.version}.{name}"] = (erased or {}).get(subject, ERASED)
                elif isinstance(value, PersonalData):
                    for part, text in value.as_dict().items():
                        if part in parts and text is not None:
                            found[f"v{step.version}.{name}.{part}"] = text
        self.access.record_personal_read(principal, case_id, sorted(found), purpose)
        return found

    def save(self, case: Case, expected_version: int) -> None:
        """Save a case changed from ``expected_version``; a writer that lost the race gets a
        conflict and nothing of its write is stored."""
        assert case.version - len(case.pending_events) == expected_version
        self.store.save_or_refuse(case, f"case {case.id}")

    def get(self, case_id: UUID, version: int | None = None) -> Case:
        """The case with every recorded event (up to ``version``, when given) applied."""
        hint = "`socai case list` shows the cases; receive a person first"
        return self.store.load(case_id, Case, "case", hint, version)

    def unit_of(self, case_id: UUID) -> UnitRef:
        """The unit a case was received in: what decides whose scope covers it."""
        return _unit(self.get(case_id))

    def events(self, case_id: UUID) -> list[CaseEvent]:
        """The case's recorded events, in version order."""
        events = [e for e in self.store.events.get(case_id) if isinstance(e, CaseEvent)]
        if not events:
            raise NotFound(f"no case with id {case_id}", hint="`socai case list` shows the cases")
        return events

    def as_known_at(self, case_id: UUID, known_at: datetime) -> Case:
        """The case as the system knew it at record time ``known_at`` (what a report sent
        then was built from): only events recorded by then, corrections included."""
        require_aware(known_at, "--known-at")
        known = [e for e in self.events(case_id) if e.timestamp <= known_at]
        if not known:
            raise NotFound(
                f"case {case_id} was not yet recorded at {known_at.isoformat()}",
                hint="choose a later --known-at",
            )
        return self.get(case_id, version=known[-1].originator_version)

    def as_it_stood(
        self, case_id: UUID, on: date | None = None, known_at: datetime | None = None
    ) -> CaseView:
        """The case's steps that had happened by business date ``on`` (all of them when
        None), of the case as known at ``known_at`` (as known now when None), and the status
        folded from exactly those steps."""
        case = self.get(case_id) if known_at is None else self.as_known_at(case_id, known_at)
        steps = [s for s in case.steps.values() if on is None or s.occurred_on <= on]
        return CaseView(case_id, steps, fold(case_id, steps))

    def ids(self) -> Iterator[UUID]:
        """Every case, in the order received (scans the log for receptions only)."""
        for entry in self.log.entries(topics=(Case.Received.TOPIC,)):
            yield entry.originator_id


def _unit(case: Case) -> UnitRef:
    """The unit ``case`` was received in (of a case already loaded: not read again)."""
    status = case.status
    assert status.unit_map is not None
    assert status.unit_code is not None
    return UnitRef(status.unit_map, status.unit_code)
