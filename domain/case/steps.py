"""A case's history as *steps*, and the pure fold that derives its status from them.

Every case event becomes one :class:`Step`: the kind of step, its version in the case's
sequence, its business date (``occurred_on``), its record time, the actor, the legal basis and
the event's own fields. A correction (``CorrectionRecorded``) never edits a stored event; it
replaces one field of one step *in the derived view*, so the history still shows both the
original and the correction.

:func:`fold` is the one place that turns steps into a :class:`CaseStatus`. The aggregate uses
it after every event; projections and "as it stood" queries use it over a filtered list of
steps (only steps that happened by a date, or only events known by a time).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from domain.case.rules import reception_procedures_due, regime_on
from domain.reference.codes import SupportType
from domain.reference.units import AdminMap


class StepKind(StrEnum):
    """The kinds of step in a case's history: one per case event class (its class name, which
    is also the name in its stable topic ``socai.case:<Name>.v1``)."""

    RECEIVED = "Received"
    DEMOGRAPHICS_RECORDED = "DemographicsRecorded"
    TRAFFICKING_FORM_RECORDED = "TraffickingFormRecorded"
    VERIFICATION_REQUESTED = "VerificationRequested"
    VERIFICATION_CONCLUDED = "VerificationConcluded"
    ROUTED = "Routed"
    PROTECTION_REQUESTED = "ProtectionRequested"
    PROTECTION_APPLIED = "ProtectionApplied"
    SUPPORT_PROVIDED = "SupportProvided"
    SHELTER_ADMITTED = "ShelterAdmitted"
    SHELTER_DISCHARGED = "ShelterDischarged"
    REINTEGRATED = "Reintegrated"
    CLOSED = "Closed"
    REOPENED = "Reopened"
    CORRECTION_RECORDED = "CorrectionRecorded"


@dataclass(frozen=True, slots=True)
class Step:
    version: int
    kind: StepKind
    occurred_on: date
    recorded_at: datetime
    officer_id: str
    agency: str
    legal_basis: str | None
    data: Mapping[str, Any]  # never mutated: with_value() builds a new mapping

    def value(self, name: str) -> Any:
        """A field's current value; ``occurred_on`` and ``legal_basis`` included."""
        if name == "occurred_on":
            return self.occurred_on
        if name == "legal_basis":
            return self.legal_basis
        head, _, tail = name.partition(".")
        value = self.data[head]
        return getattr(value, tail) if tail else value

    def with_value(self, name: str, new_value: Any) -> Step:
        if name == "occurred_on":
            return replace(self, occurred_on=new_value)
        if name == "legal_basis":
            return replace(self, legal_basis=new_value)
        head, _, tail = name.partition(".")
        value = new_value
        if tail:
            value = replace(self.data[head], **{tail: new_value})
        return replace(self, data={**self.data, head: value})

    def has_field(self, name: str) -> bool:
        if name in ("occurred_on", "legal_basis"):
            return True
        head, _, tail = name.partition(".")
        if head not in self.data:
            return False
        return not tail or hasattr(self.data[head], tail)


def with_correction(target: Step, field: str, new_value: Any) -> Step:
    """``target`` as a correction leaves it (đính chính): the field replaced, and a
    reception's map of units following its corrected date (derived, never stored)."""
    step = target.with_value(field, new_value)
    if target.kind == StepKind.RECEIVED and field == "occurred_on" and isinstance(new_value, date):
        step = step.with_value("unit_map", AdminMap.in_force_on(new_value).value)
    return step


@dataclass(frozen=True, slots=True)
class SupportRecord:
    version: int
    occurred_on: date
    support_type: str
    amount_vnd: int | None
    period_days: int | None
    provider_agency: str


@dataclass(frozen=True, slots=True)
class _ProtectionStep:
    """What both protection steps say: who (the victim, or a relative by relationship)."""

    version: int
    occurred_on: date
    protected: str
    relationship: str | None

    @property
    def person(self) -> str:
        return protected_person(self.protected, self.relationship)


@dataclass(frozen=True, slots=True)
class ProtectionRecord(_ProtectionStep):
    """A protection measure applied (áp dụng biện pháp bảo vệ)."""

    measure: str


@dataclass(frozen=True, slots=True)
class ProtectionRequestRecord(_ProtectionStep):
    """A need for protection on file (đề nghị bảo vệ): requested, or found by the agency."""

    source: str


def protected_person(protected: str, relationship: str | None) -> str:
    """Who a protection step is about: ``victim``, or ``relative:<relationship>``. Relatives
    are told apart by their relationship only (their identity stays in the encrypted event),
    so two relatives with the same relationship count as one — as on the rollup form (I.3)."""
    if protected == "victim":
        return "victim"
    assert relationship, "a relative's protection step names the relationship"
    return f"relative:{relationship.strip().casefold()}"


@dataclass(frozen=True, slots=True)
class ShelterStay:
    admitted_on: date
    discharged_on: date | None
    facility: str


@dataclass(frozen=True, slots=True)
class CaseStatus:
    """What is known about a case, derived from its steps. No personal data."""

    case_id: UUID
    received_on: date | None = None
    receiving_agency: str | None = None
    reception_form: str | None = None
    unit_map: str | None = None
    unit_code: str | None = None
    belongings_checked: bool = False
    interview_held: bool = False
    sex: str | None = None
    birth_year: int | None = None
    age_band: str | None = None
    ethnicity: str | None = None
    nationality: str | None = None
    scope: str | None = None
    destination_country: str | None = None
    verification_requested_on: date | None = None
    verification_outcome: str | None = None
    verified_on: date | None = None
    deciding_body: str | None = None
    routings: tuple[tuple[date, str], ...] = ()
    protection_requests: tuple[ProtectionRequestRecord, ...] = ()
    protections: tuple[ProtectionRecord, ...] = ()
    supports: tuple[SupportRecord, ...] = ()
    shelter_stays: tuple[ShelterStay, ...] = ()
    reintegrated_on: date | None = None
    closed_on: date | None = None
    closure_reason: str | None = None
    reopened_on: date | None = None
    corrections: int = 0
    last_version: int = 0
    last_recorded_at: datetime | None = None
    versions: frozenset[int] = field(default_factory=frozenset)

    # -- derived facts ------------------------------------------------------------------

    @property
    def is_closed(self) -> bool:
        return self.closed_on is not None

    @property
    def is_foreigner(self) -> bool | None:
        return None if self.nationality is None else self.nationality != "VN"

    @property
    def is_identified_victim(self) -> bool:
        return self.verification_outcome == "victim"

    @property
    def currently_sheltered(self) -> bool:
        return bool(self.shelter_stays) and self.shelter_stays[-1].discharged_on is None

    @property
    def stage(self) -> str:
        """Where the case stands (giai đoạn): the furthest step reached."""
        if self.closed_on is not None:
            return "closed"
        if self.reintegrated_on is not None:
            return "reintegrated"
        if self.supports or self.shelter_stays:
            return "supported"
        if self.verification_outcome is not None:
            return f"verified:{self.verification_outcome}"
        if self.verification_requested_on is not None:
            return "under_verification"
        return "received"

    def age_on(self, day: date) -> int | None:
        """Age in whole years at ``day``, from the birth year (mid-year convention: the
        person turned ``day.year - birth_year`` during that year; we count them as not
        yet having had their birthday before 1 July, so ages are never overstated)."""
        if self.birth_year is None:
            return None
        age = day.year - self.birth_year
        return age - 1 if day < date(day.year, 7, 1) else age

    def is_under(self, years: int, day: date) -> bool | None:
        """Whether the person was under ``years`` old at ``day`` (None when unknown)."""
        age = self.age_on(day)
        if age is not None:
            return age < years
        if self.age_band is None:
            return None
        if self.age_band == "under_16":
            return True
        if self.age_band == "16_17":
            return years > 16
        return False

    # -- deadlines ------------------------------------------------------------------------

    @property
    def procedures_due_on(self) -> date | None:
        """Reception procedures are due 15 days after reception."""
        return None if self.received_on is None else reception_procedures_due(self.received_on)

    @property
    def procedures_completed_on(self) -> date | None:
        """Procedures end with the verification's conclusion."""
        return self.verified_on

    def procedures_overdue_days(self, today: date) -> int:
        """Days past the 15-day limit: for completed procedures, how late they finished;
        for open ones, how late they are today. 0 when on time."""
        due = self.procedures_due_on
        if due is None:
            return 0
        end = self.procedures_completed_on or today
        return max(0, (end - due).days)

    def essential_needs_days(self) -> frozenset[date]:
        """The calendar days covered by essential-needs support (hỗ trợ nhu cầu thiết yếu):
        each grant covers ``period_days`` days from its date. A set, so a day is counted
        once however many grants name it (the rules refuse a second grant for the same day).
        """
        return frozenset(
            s.occurred_on + timedelta(days=n)
            for s in self.supports
            if s.support_type == SupportType.ESSENTIAL_NEEDS
            for n in range(s.period_days or 0)
        )

    @property
    def essential_needs_days_used(self) -> int:
        """``len(essential_needs_days())`` without building the set of days: the length of
        the union of the grants' periods (each ``[occurred_on, occurred_on + period_days)``),
        merged in date order."""
        periods = sorted(
            (s.occurred_on, s.occurred_on + timedelta(days=s.period_days))
            for s in self.supports
            if s.support_type == SupportType.ESSENTIAL_NEEDS and s.period_days
        )
        used, reached = 0, None
        for start, end in periods:
            if reached is not None and start < reached:
                start = reached  # the part before is counted already
            if end > start:
                used += (end - start).days
                reached = end
        return used

    @property
    def essential_needs_limit_days(self) -> int | None:
        """The cap in force on the latest essential-needs grant (or on the reception date):
        60 days under the 2011 law, 120 under Law 53/2024 — judged by the step's date."""
        grants = [
            s.occurred_on for s in self.supports if s.support_type == SupportType.ESSENTIAL_NEEDS
        ]
        day = max(grants) if grants else self.received_on
        return None if day is None else regime_on(day).essential_needs_max_days

    def support_types(self) -> set[str]:
        types = {s.support_type for s in self.supports}
        if self.shelter_stays:
            types.add("temporary_shelter")
        return types

    def persons_needing_protection(self) -> frozenset[str]:
        """Persons whose need for protection is on file: requested or found by the agency,
        or protected (applying a measure presupposes the need)."""
        return frozenset(r.person for r in self.protection_requests) | self.persons_protected()

    def persons_protected(self) -> frozenset[str]:
        """Persons given at least one protection measure."""
        return frozenset(p.person for p in self.protections)

    def total_amount_vnd(self, support_type: str) -> int:
        return sum(s.amount_vnd or 0 for s in self.supports if s.support_type == support_type)


class StatusFold:
    """The incremental fold (gộp dần): a case's status built one step at a time.

    Each step changes the fold in constant time (amortised), so replaying a case of n events
    is O(n). :meth:`status` materialises the immutable :class:`CaseStatus` (O(n), once per
    question asked of the case, not once per event). Steps are applied in version order; the
    effect of each kind of step is one method, named by its entry in
    :data:`domain.case.catalogue.CATALOGUE` (which also holds ``fold``).
    """

    __slots__ = (
        "_cached",
        "corrections",
        "facts",
        "last_recorded_at",
        "last_version",
        "protections",
        "requests",
        "routings",
        "stays",
        "supports",
        "versions",
    )

    def __init__(self, case_id: UUID) -> None:
        self.facts: dict[str, Any] = {"case_id": case_id}
        self.routings: list[tuple[date, str]] = []
        self.protections: list[ProtectionRecord] = []
        self.requests: list[ProtectionRequestRecord] = []
        self.supports: list[SupportRecord] = []
        self.stays: list[ShelterStay] = []
        self.versions: set[int] = set()
        self.corrections = 0
        self.last_version = 0
        self.last_recorded_at: datetime | None = None
        self._cached: CaseStatus | None = None

    def copy(self) -> StatusFold:
        clone = StatusFold(self.facts["case_id"])
        clone.facts = dict(self.facts)
        clone.routings = list(self.routings)
        clone.protections = list(self.protections)
        clone.requests = list(self.requests)
        clone.supports = list(self.supports)
        clone.stays = list(self.stays)
        clone.versions = set(self.versions)
        clone.corrections = self.corrections
        clone.last_version = self.last_version
        clone.last_recorded_at = self.last_recorded_at
        clone._cached = self._cached
        return clone

    def advance(self, step: Step) -> None:
        """What every step changes, whatever its kind: its version and record time. The
        kind's own effect is one of the methods below, named by the catalogue.

        Steps come in version order (the case as recorded) or in business-date order (the
        case as it stood on a date, :func:`domain.case.catalogue.check_history`); either way
        each version is applied once."""
        assert step.version not in self.versions, "each step is applied once"
        self.versions.add(step.version)
        self.last_version = max(self.last_version, step.version)
        if self.last_recorded_at is None or step.recorded_at > self.last_recorded_at:
            self.last_recorded_at = step.recorded_at
        self._cached = None

    def status(self) -> CaseStatus:
        if self._cached is None:
            self._cached = CaseStatus(
                **self.facts,
                routings=tuple(self.routings),
                protection_requests=tuple(self.requests),
                protections=tuple(self.protections),
                supports=tuple(self.supports),
                shelter_stays=tuple(self.stays),
                corrections=self.corrections,
                last_version=self.last_version,
                last_recorded_at=self.last_recorded_at,
                versions=frozenset(self.versions),
            )
        return self._cached

    # -- the effect of each kind of step (named by the catalogue) -------------------------------

    def _take(self, step: Step, *names: str) -> None:
        """The step's own fields ``names`` become facts of the case, under the same names."""
        self.facts.update({name: step.data[name] for name in names})

    def received(self, step: Step) -> None:
        self.facts.update(received_on=step.occurred_on, receiving_agency=step.agency)
        self._take(
            step, "reception_form", "unit_map", "unit_code", "belongings_checked", "interview_held"
        )

    def demographics(self, step: Step) -> None:
        self._take(step, "sex", "birth_year", "age_band", "ethnicity", "nationality")

    def trafficking_form(self, step: Step) -> None:
        self._take(step, "scope", "destination_country")

    def verification_requested(self, step: Step) -> None:
        self.facts.setdefault("verification_requested_on", step.occurred_on)

    def verification_concluded(self, step: Step) -> None:
        self.facts.update(
            verification_outcome=step.data["outcome"],
            verified_on=step.occurred_on,
            deciding_body=step.data["deciding_body"],
        )

    def routed(self, step: Step) -> None:
        self.routings.append((step.occurred_on, step.data["destination"]))

    def protection_requested(self, step: Step) -> None:
        d = step.data
        self.requests.append(
            ProtectionRequestRecord(
                step.version, step.occurred_on, d["protected"], d["relationship"], d["source"]
            )
        )

    def protection_applied(self, step: Step) -> None:
        d = step.data
        self.protections.append(
            ProtectionRecord(
                step.version, step.occurred_on, d["protected"], d["relationship"], d["measure"]
            )
        )

    def support_provided(self, step: Step) -> None:
        d = step.data
        self.supports.append(
            SupportRecord(
                step.version,
                step.occurred_on,
                d["support_type"],
                d["amount_vnd"],
                d["period_days"],
                d["provider_agency"],
            )
        )

    def shelter_admitted(self, step: Step) -> None:
        self.stays.append(ShelterStay(step.occurred_on, None, step.data["facility"]))

    def shelter_discharged(self, step: Step) -> None:
        if self.stays and self.stays[-1].discharged_on is None:
            self.stays[-1] = replace(self.stays[-1], discharged_on=step.occurred_on)

    def reintegrated(self, step: Step) -> None:
        self.facts["reintegrated_on"] = step.occurred_on

    def closed(self, step: Step) -> None:
        self.facts.update(closed_on=step.occurred_on, closure_reason=step.data["reason"])

    def reopened(self, step: Step) -> None:
        self.facts.update(closed_on=None, closure_reason=None, reopened_on=step.occurred_on)

    def correction_recorded(self, step: Step) -> None:
        self.corrections += 1
