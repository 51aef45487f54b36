"""The ``Case`` aggregate: one person received, every step an immutable event.

Each event class has an explicit, stable ``TOPIC`` (``socai.case:<Name>.v1``): the stored
events name these topics, not Python paths, so renaming or moving a class never breaks a
stored history. A new shape of an event gets a new ``class_version`` and an upcaster, never an
edit of the old shape.

Invariants (checked before any event is triggered; nothing is stored when one fails):

- the first event is ``Received``, and there is exactly one;
- no business date is before the reception, before 2012, or after today in Viet Nam;
- nothing but corrections after ``Closed``;
- every effective-dated rule (support limits, who may be supported) holds on the step's date;
- a correction names an existing, non-correction event and a field it has, states the value
  recorded now, and leaves a history that still satisfies the rules.
"""

from __future__ import annotations

import functools
import typing
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.aggregate import SocaiAggregate
from domain.case.catalogue import CATALOGUE, apply_step, check_history, check_step
from domain.case.commands import Command, Correct, FieldChange, Receive
from domain.case.steps import CaseStatus, StatusFold, Step, StepKind, with_correction
from domain.case.values import Actor, PersonalData
from domain.errors import RuleViolation
from domain.reference.units import AdminMap
from domain.time import business_date, require_aware

#: Fields every case event carries besides the library's own (id, version, timestamp).
COMMON_FIELDS = ("occurred_on", "officer_id", "agency", "legal_basis")
_LIBRARY_FIELDS = ("originator_id", "originator_version", "timestamp", "originator_topic")

#: Upper bound on a case's events: tens are normal; this stops a runaway loop long before a
#: case becomes too slow to load. Replay is linear in events (the fold is incremental,
#: ``bench/replay.py``); a correction re-folds the case once.
MAX_EVENTS_PER_CASE = 10_000


class CaseEvent(Aggregate.Event):
    """Base of every case event (not stored itself)."""

    #: The stable stored topic, ``socai.case:<Name>.v1`` (declared by each concrete class).
    TOPIC: ClassVar[str]

    occurred_on: date
    officer_id: str
    agency: str
    legal_basis: str | None

    def apply(self, aggregate: Case) -> None:
        aggregate._record(self)


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    """The names of the dataclass ``kind``'s fields, in order (looked up once per class: a
    write asks for them three times)."""
    return tuple(f.name for f in dataclass_fields(kind))


@functools.cache
def _own_field_names(kind: type) -> tuple[str, ...]:
    skip = set(_LIBRARY_FIELDS) | set(COMMON_FIELDS)
    return tuple(name for name in _field_names(kind) if name not in skip)


def event_data(event: Aggregate.Event) -> dict[str, Any]:
    """The event's own fields (without the library's and the common ones)."""
    return {name: getattr(event, name) for name in _own_field_names(type(event))}


def step_of(event: CaseEvent) -> Step:
    return Step(
        version=event.originator_version,
        kind=StepKind(type(event).__name__),
        occurred_on=event.occurred_on,
        recorded_at=event.timestamp,
        officer_id=event.officer_id,
        agency=event.agency,
        legal_basis=event.legal_basis,
        data=event_data(event),
    )


class Case(SocaiAggregate, created_topic="socai.case:Created"):
    """Hồ sơ quản lý: the managed file of one person received."""

    TOPIC = "socai.case:Case"

    class Received(CaseEvent, Aggregate.Created):
        """Tiếp nhận: the case's creating event, its first and only one of its kind."""

        TOPIC = "socai.case:Received.v1"
        reception_form: str
        unit_map: str
        unit_code: str
        belongings_checked: bool
        interview_held: bool
        person: PersonalData

    class DemographicsRecorded(CaseEvent):
        TOPIC = "socai.case:DemographicsRecorded.v1"
        sex: str
        birth_year: int | None
        age_band: str | None
        ethnicity: str
        nationality: str

    class TraffickingFormRecorded(CaseEvent):
        TOPIC = "socai.case:TraffickingFormRecorded.v1"
        scope: str
        destination_country: str | None

    class VerificationRequested(CaseEvent):
        TOPIC = "socai.case:VerificationRequested.v1"
        body: str

    class VerificationConcluded(CaseEvent):
        TOPIC = "socai.case:VerificationConcluded.v1"
        outcome: str
        deciding_body: str

    class Routed(CaseEvent):
        TOPIC = "socai.case:Routed.v1"
        destination: str

    class ProtectionRequested(CaseEvent):
        """Đề nghị bảo vệ: the victim or a relative needs protection. The need is a fact of
        its own, so that "of those needing protection, who got it" has a denominator."""

        TOPIC = "socai.case:ProtectionRequested.v1"
        protected: str
        relationship: str | None
        source: str

    class ProtectionApplied(CaseEvent):
        TOPIC = "socai.case:ProtectionApplied.v1"
        protected: str
        relationship: str | None
        relative: PersonalData | None
        measure: str

    class SupportProvided(CaseEvent):
        TOPIC = "socai.case:SupportProvided.v1"
        support_type: str
        amount_vnd: int | None
        period_days: int | None
        provider_agency: str

    class ShelterAdmitted(CaseEvent):
        TOPIC = "socai.case:ShelterAdmitted.v1"
        facility: str

    class ShelterDischarged(CaseEvent):
        TOPIC = "socai.case:ShelterDischarged.v1"

    class Reintegrated(CaseEvent):
        TOPIC = "socai.case:Reintegrated.v1"

    class Closed(CaseEvent):
        TOPIC = "socai.case:Closed.v1"
        reason: str

    class Reopened(CaseEvent):
        """Mở lại hồ sơ: a closed case is open again (the closure stays in the history).
        The reason is free text; it never leaves the encrypted store."""

        TOPIC = "socai.case:Reopened.v1"
        reason: str

    class CorrectionRecorded(CaseEvent):
        """Đính chính: names the event (by version) and field it corrects, the value it
        replaces, the new value and why. The corrected event itself is never changed."""

        TOPIC = "socai.case:CorrectionRecorded.v1"
        corrects_version: int
        field: str
        old_value: Any
        new_value: Any
        reason: str

        def apply(self, aggregate: Case) -> None:
            aggregate._correct(self)
            aggregate._record(self)

    # -- state ----------------------------------------------------------------------------

    def __init__(self) -> None:
        self.steps: dict[int, Step] = {}
        self._fold = StatusFold(self.id)
        #: Whether the steps' business dates never go down as versions go up. While they
        #: don't, the case as it stood on the latest date *is* the case as recorded, and a
        #: step dated on or after it is checked against :attr:`status` directly.
        self._dates_in_order = True
        self._latest_date: date | None = None

    @property
    def status(self) -> CaseStatus:
        """The case as it stands now (materialised once per event, on demand)."""
        return self._fold.status()

    def __deepcopy__(self, memo: dict[int, Any]) -> Case:
        """The repository hands out copies of cached cases. Steps and statuses are immutable
        values (a step's ``data`` is never mutated; corrections build a new step), so a copy
        needs only its own ``steps`` dict, fold and pending list — not a deep walk of every
        value."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.steps = dict(self.steps)
        clone._fold = self._fold.copy()
        clone._pending_events = list(self._pending_events)
        return clone

    def _record(self, event: CaseEvent) -> None:
        assert event.originator_version not in self.steps, "a version is recorded once"
        step = step_of(event)
        self.steps[event.originator_version] = step
        apply_step(self._fold, step)
        self._note_date(step)

    def _note_date(self, step: Step) -> None:
        if step.kind == StepKind.CORRECTION_RECORDED:
            return  # a correction's own date orders nothing
        if self._latest_date is not None and step.occurred_on < self._latest_date:
            self._dates_in_order = False
        self._latest_date = max(step.occurred_on, self._latest_date or step.occurred_on)

    def _correct(self, event: Case.CorrectionRecorded) -> None:
        """Replace one field of the corrected step in the derived view, and re-fold (a
        correction may change anything the fold derived from that step)."""
        target = self.steps[event.corrects_version]
        new_value = event.new_value
        if isinstance(new_value, PersonalData):
            new_value = getattr(new_value, event.field.split(".", 1)[1])
        self.steps[event.corrects_version] = with_correction(target, event.field, new_value)
        self._fold = StatusFold(self.id)
        self._dates_in_order, self._latest_date = True, None
        for version in sorted(self.steps):
            apply_step(self._fold, self.steps[version])
            self._note_date(self.steps[version])

    # -- commands -------------------------------------------------------------------------

    @classmethod
    def receive(cls, case_id: UUID, command: Receive, actor: Actor, recorded_at: datetime) -> Case:
        """Open a case with its reception. ``case_id`` is the pseudonymous id."""
        kwargs = cls._event_kwargs(command, actor)
        kwargs["unit_map"] = AdminMap.in_force_on(command.occurred_on).value
        candidate = cls._candidate("Received", 1, kwargs, recorded_at)
        check_step(CaseStatus(case_id=case_id), candidate, business_date(recorded_at))
        return cls._create(cls.Received, id=case_id, timestamp=recorded_at, **kwargs)

    def execute(self, command: Command, actor: Actor, recorded_at: datetime) -> None:
        """Record one step, or raise :class:`RuleViolation` and record nothing.

        The step is judged against the case as it stood on the step's own business date
        (the steps dated on or before it, ties by record order), and every later-dated step
        is judged again with it in place: a back-dated step that would make a later one
        invalid is refused, naming that step."""
        if isinstance(command, Receive):
            raise RuleViolation("already_received", f"case {self.id} was already received")
        adding = len(command.changes) if isinstance(command, Correct) else 1
        if len(self.steps) + adding > MAX_EVENTS_PER_CASE:
            raise RuleViolation(
                "too_many_events", f"case {self.id} has reached {MAX_EVENTS_PER_CASE} events"
            )
        today = business_date(recorded_at)
        if isinstance(command, Correct):
            for kwargs in self._check_correction(command, actor, recorded_at, today):
                self.trigger_event(self.CorrectionRecorded, timestamp=recorded_at, **kwargs)
            return
        kwargs = self._event_kwargs(command, actor)
        candidate = self._candidate(command.EVENT, self.version + 1, kwargs, recorded_at)
        if self._dates_in_order and candidate.occurred_on >= (self._latest_date or date.min):
            check_step(self.status, candidate, today)
        else:
            check_history(self.id, [*self.steps.values(), candidate], today, first=candidate)
        self.trigger_event(getattr(type(self), command.EVENT), timestamp=recorded_at, **kwargs)

    @staticmethod
    def _event_kwargs(command: Command, actor: Actor) -> dict[str, Any]:
        kwargs = {name: getattr(command, name) for name in _field_names(type(command))}
        kwargs.update(officer_id=actor.officer_id, agency=actor.agency)
        event_class = getattr(Case, command.EVENT)
        for name in _field_names(event_class):
            if name not in _LIBRARY_FIELDS and name not in kwargs:
                kwargs[name] = None
        return kwargs

    @staticmethod
    def _candidate(kind: str, version: int, kwargs: dict[str, Any], at: datetime) -> Step:
        data = {k: v for k, v in kwargs.items() if k not in COMMON_FIELDS}
        return Step(
            version=version,
            kind=StepKind(kind),
            occurred_on=kwargs["occurred_on"],
            recorded_at=require_aware(at, "record time"),
            officer_id=kwargs["officer_id"],
            agency=kwargs["agency"],
            legal_basis=kwargs["legal_basis"],
            data=data,
        )

    def _check_correction(
        self, command: Correct, actor: Actor, recorded_at: datetime, today: date
    ) -> list[dict[str, Any]]:
        """Check a correction of one or more fields of one event, as a whole, and return the
        kwargs of the events to record (one per field, recorded together or not at all).

        The corrected history is re-checked step by step in business-date order, so a
        correction can never produce a case the rules would have refused (e.g. moving the
        reception after a support)."""
        target = self.steps.get(command.corrects_version)
        if target is None:
            raise RuleViolation(
                "no_such_event",
                f"case {self.id} has no event version {command.corrects_version}"
                f" (it has versions 1–{self.version})",
                hint="`socai case history CASE_ID` lists each event with its version",
            )
        if target.kind == StepKind.CORRECTION_RECORDED:
            raise RuleViolation(
                "correcting_a_correction",
                f"event {target.version} is itself a correction",
                hint="correct the original event again instead",
            )
        names = [change.field for change in command.changes]
        if len(set(names)) != len(names):
            raise RuleViolation("field_twice", "a correction names each field once")
        corrected = target
        events: list[dict[str, Any]] = []
        for change in command.changes:
            old_value, new_value = self._check_change(corrected, change)
            corrected = with_correction(corrected, change.field, new_value)
            kwargs = self._event_kwargs(command, actor)
            kwargs.pop("more")
            kwargs.update(field=change.field, **_stored_values(change.field, old_value, new_value))
            events.append(kwargs)
        if not isinstance(corrected.occurred_on, date):
            raise RuleViolation(
                "missing_value",
                "a step's business date cannot be emptied",
                hint="give the date it happened, as YYYY-MM-DD",
            )
        candidate = self._candidate(command.EVENT, self.version + 1, events[0], recorded_at)
        check_step(self.status, candidate, today)  # dates of the correction itself
        steps = {**self.steps, target.version: corrected}
        check_history(self.id, steps.values(), today, first=None)
        return events

    def _check_change(self, target: Step, change: FieldChange) -> tuple[Any, Any]:
        """Parse one change's old and new values as the corrected field; check the old one
        is what is recorded (``None``: recorded empty) and that something changes."""
        field = change.field
        if field in ("officer_id", "agency", "unit_map") or not target.has_field(field):
            raise RuleViolation(
                "no_such_field",
                f"event {target.version} ({target.kind}) has no correctable field {field!r}",
                hint="correctable: occurred_on, legal_basis, "
                + ", ".join(sorted(k for k in target.data if k != "unit_map"))
                + (" (unit_map follows the date)" if field == "unit_map" else ""),
            )
        parser = CATALOGUE[target.kind].command.parser_for(field)
        new_value = None if change.new_value is None else parser(change.new_value, "new_value")
        old_value = None if change.old_value is None else parser(change.old_value, "old_value")
        if old_value != target.value(field):
            raise RuleViolation(
                "stale_old_value",
                f"event {target.version} field {field!r} does not hold the old value given",
                hint="look at the current value in the case history and correct that"
                " (leave --old out when the field was recorded empty)",
            )
        if new_value == old_value:
            raise RuleViolation("no_change", f"the new value of {field!r} equals the recorded one")
        return old_value, new_value


def _stored_values(field: str, old_value: Any, new_value: Any) -> dict[str, Any]:
    """A personal field's values travel inside :class:`PersonalData`, whose repr is
    redacted, so a correction event can never print a name or an identity number."""
    if "." not in field:
        return {"old_value": old_value, "new_value": new_value}
    part = field.split(".", 1)[1]
    return {
        "old_value": None if old_value is None else PersonalData(**{part: old_value}),
        "new_value": None if new_value is None else PersonalData(**{part: new_value}),
    }


#: Event fields derived by the aggregate rather than given in the command.
_DERIVED_FIELDS = {StepKind.RECEIVED: frozenset({"unit_map"})}
#: Command fields that are not stored as such (a correction's further fields become events
#: of their own, recorded together).
_COMMAND_ONLY_FIELDS = {StepKind.CORRECTION_RECORDED: frozenset({"more"})}


def _assert_catalogue_matches_events() -> None:
    """Each kind in the catalogue has its event class here, with the command's fields (plus
    any the aggregate derives) and the same personal fields. Runs once, at import."""
    for kind, spec in CATALOGUE.items():
        event_class = getattr(Case, kind.value)
        assert f"socai.case:{kind.value}.v1" == event_class.TOPIC, kind
        own = {f.name for f in dataclass_fields(event_class)} - set(_LIBRARY_FIELDS)
        given = spec.field_names - _COMMAND_ONLY_FIELDS.get(kind, frozenset())
        assert own - _DERIVED_FIELDS.get(kind, frozenset()) == given | set(COMMON_FIELDS), kind
        hints = typing.get_type_hints(event_class)
        personal = {
            name for name in own if PersonalData in (typing.get_args(hints[name]) or (hints[name],))
        }
        assert personal == spec.personal_fields, kind


_assert_catalogue_matches_events()
