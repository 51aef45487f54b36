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

import typing
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.case.catalogue import CATALOGUE, apply_step, check_step, fold
from domain.case.commands import Command, Correct, Receive
from domain.case.steps import CaseStatus, StatusFold, Step, StepKind
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


def event_data(event: Aggregate.Event) -> dict[str, Any]:
    """The event's own fields (without the library's and the common ones)."""
    skip = set(_LIBRARY_FIELDS) | set(COMMON_FIELDS)
    return {f.name: getattr(event, f.name) for f in dataclass_fields(event) if f.name not in skip}


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


class Case(Aggregate):
    """Hồ sơ quản lý: the managed file of one person received."""

    TOPIC = "socai.case:Case"

    class Created(CaseEvent, Aggregate.Created):
        """The library's creating event; a case is only ever created by ``Received``."""

        TOPIC = "socai.case:Created"

    class Received(Created):
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

    def _correct(self, event: Case.CorrectionRecorded) -> None:
        """Replace one field of the corrected step in the derived view, and re-fold (a
        correction may change anything the fold derived from that step)."""
        target = self.steps[event.corrects_version]
        new_value = event.new_value
        if isinstance(new_value, PersonalData):
            new_value = getattr(new_value, event.field.split(".", 1)[1])
        self.steps[event.corrects_version] = target.with_value(event.field, new_value)
        self._fold = StatusFold(self.id)
        for version in sorted(self.steps):
            apply_step(self._fold, self.steps[version])

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
        """Record one step, or raise :class:`RuleViolation` and record nothing."""
        if isinstance(command, Receive):
            raise RuleViolation("already_received", f"case {self.id} was already received")
        if len(self.steps) >= MAX_EVENTS_PER_CASE:
            raise RuleViolation(
                "too_many_events", f"case {self.id} has reached {MAX_EVENTS_PER_CASE} events"
            )
        kwargs = self._event_kwargs(command, actor)
        candidate = self._candidate(command.EVENT, self.version + 1, kwargs, recorded_at)
        today = business_date(recorded_at)
        if isinstance(command, Correct):
            kwargs.update(self._check_correction(command, candidate, today))
        else:
            check_step(self.status, candidate, today)
        self.trigger_event(getattr(type(self), command.EVENT), timestamp=recorded_at, **kwargs)

    @staticmethod
    def _event_kwargs(command: Command, actor: Actor) -> dict[str, Any]:
        kwargs = {f.name: getattr(command, f.name) for f in dataclass_fields(command)}
        kwargs.update(officer_id=actor.officer_id, agency=actor.agency)
        event_class = getattr(Case, command.EVENT)
        for f in dataclass_fields(event_class):
            if f.name not in _LIBRARY_FIELDS and f.name not in kwargs:
                kwargs[f.name] = None
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

    def _check_correction(self, command: Correct, candidate: Step, today: date) -> dict[str, Any]:
        """Check a correction and return the parsed old and new values to store.

        The corrected history is re-checked step by step, so a correction can never produce
        a case the rules would have refused (e.g. moving the reception after a support).
        """
        check_step(self.status, candidate, today)  # dates of the correction itself
        target = self.steps.get(command.corrects_version)
        if target is None:
            raise RuleViolation(
                "no_such_event",
                f"case {self.id} has no event version {command.corrects_version}"
                f" (it has versions 1–{self.version})",
                hint="`socai case history CASE_ID` lists each event with its version",
            )
        if target.kind == "CorrectionRecorded":
            raise RuleViolation(
                "correcting_a_correction",
                f"event {target.version} is itself a correction",
                hint="correct the original event again instead",
            )
        if command.field in ("officer_id", "agency") or not target.has_field(command.field):
            raise RuleViolation(
                "no_such_field",
                f"event {target.version} ({target.kind}) has no correctable field"
                f" {command.field!r}",
                hint="correctable: occurred_on, legal_basis, "
                + ", ".join(sorted(k for k in target.data if k != "unit_map")),
            )
        if command.field == "unit_map":
            raise RuleViolation("no_such_field", "unit_map follows the date; correct the date")
        parser = CATALOGUE[target.kind].command.parser_for(command.field)
        new_value = (
            parser(command.new_value, "new_value") if command.new_value is not None else None
        )
        old_value = (
            parser(command.old_value, "old_value") if command.old_value is not None else None
        )
        if old_value != target.value(command.field):
            raise RuleViolation(
                "stale_old_value",
                f"event {target.version} field {command.field!r} does not hold the old value given",
                hint="look at the current value in the case history and correct that",
            )
        if new_value == old_value:
            raise RuleViolation("no_change", "the new value equals the recorded value")
        if "." in command.field:
            # A personal field's values travel inside PersonalData, whose repr is redacted,
            # so the correction event can never print a name or an identity number.
            part = command.field.split(".", 1)[1]
            stored_old = None if old_value is None else PersonalData(**{part: old_value})
            stored_new = None if new_value is None else PersonalData(**{part: new_value})
        else:
            stored_old, stored_new = old_value, new_value
        corrected = dict(self.steps)
        corrected[target.version] = target.with_value(command.field, new_value)
        if command.field == "occurred_on" and target.kind == "Received":
            if not isinstance(new_value, date):
                raise RuleViolation(
                    "missing_value",
                    "a reception's date cannot be emptied",
                    hint="give the date the person was received, as YYYY-MM-DD",
                )
            corrected[target.version] = corrected[target.version].with_value(
                "unit_map", AdminMap.in_force_on(new_value).value
            )
        before: list[Step] = []
        for version in sorted(corrected):
            step = corrected[version]
            if step.kind != "CorrectionRecorded":
                check_step(fold(self.id, before), step, today)
            before.append(step)
        return {"old_value": stored_old, "new_value": stored_new}


#: Event fields derived by the aggregate rather than given in the command.
_DERIVED_FIELDS = {StepKind.RECEIVED: frozenset({"unit_map"})}


def _assert_catalogue_matches_events() -> None:
    """Each kind in the catalogue has its event class here, with the command's fields (plus
    any the aggregate derives) and the same personal fields. Runs once, at import."""
    for kind, spec in CATALOGUE.items():
        event_class = getattr(Case, kind.value)
        assert f"socai.case:{kind.value}.v1" == event_class.TOPIC, kind
        own = {f.name for f in dataclass_fields(event_class)} - set(_LIBRARY_FIELDS)
        derived = _DERIVED_FIELDS.get(kind, frozenset())
        assert own - derived == set(spec.field_names) | set(COMMON_FIELDS), kind
        hints = typing.get_type_hints(event_class)
        personal = {
            name for name in own if PersonalData in (typing.get_args(hints[name]) or (hints[name],))
        }
        assert personal == spec.personal_fields, kind


_assert_catalogue_matches_events()
