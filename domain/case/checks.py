"""The rules a new step must satisfy, checked *before* anything is stored.

Each kind of step has its check here, named by its entry in the catalogue
(:mod:`domain.case.catalogue`, whose ``check_step`` runs it). A check looks at the case as it
stands (``status``, folded from the steps before) and the proposed step, and raises
:class:`RuleViolation` with a stable ``code`` and a message that says what is wrong and how to
fix it. It never mentions personal data. Nothing is written when it raises.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from domain.case.rules import (
    EARLIEST_BUSINESS_DATE,
    HEALTH_INSURANCE_WINDOW_DAYS,
    LegalRegime,
    regime_on,
)
from domain.case.steps import CaseStatus, Step, StepKind
from domain.errors import RuleViolation
from domain.reference.codes import ClosureReason, SupportType, VerificationOutcome
from domain.reference.units import AdminMap, unit_directory


def check_dates(status: CaseStatus, step: Step, today: date) -> None:
    day = step.occurred_on
    if day > today:
        raise RuleViolation(
            "future_date",
            f"{step.kind} is dated {day}, after today ({today} in Viet Nam)",
            hint="record steps when they have happened, with the date they happened",
        )
    if day < EARLIEST_BUSINESS_DATE:
        raise RuleViolation(
            "too_early",
            f"{step.kind} is dated {day}, before {EARLIEST_BUSINESS_DATE}, the earliest date"
            " socai holds",
            hint="check the year",
        )
    if (
        step.kind != StepKind.RECEIVED
        and status.received_on is not None
        and day < status.received_on
    ):
        raise RuleViolation(
            "before_reception",
            f"{step.kind} is dated {day}, before the reception on {status.received_on}",
            hint="steps happen on or after the reception date; correct the reception date if"
            " it is wrong",
        )


def received(status: CaseStatus, step: Step) -> None:
    if status.received_on is not None:
        raise RuleViolation("already_received", f"case {status.case_id} was already received")
    if not step.legal_basis:
        raise RuleViolation(
            "missing_reception_record",
            "a reception needs its reception record number (số biên bản tiếp nhận)",
            hint="pass --record NUMBER",
        )
    expected_map = AdminMap.in_force_on(step.occurred_on)
    if step.data["unit_map"] != expected_map.value:
        raise RuleViolation(
            "wrong_map",
            f"a reception on {step.occurred_on} uses the {expected_map.value} map of units,"
            f" not the {step.data['unit_map']} map",
            hint="units before 1 July 2025 are on the old map (63 provinces with districts),"
            " from then on on the 2025 map",
        )
    unit_directory().require(expected_map, step.data["unit_code"], "unit_code")


def demographics(status: CaseStatus, step: Step) -> None:
    birth_year = step.data["birth_year"]
    if birth_year is not None and birth_year > step.occurred_on.year:
        raise RuleViolation(
            "birth_after_step",
            f"birth year {birth_year} is after the step's date {step.occurred_on}",
            hint="check the birth year",
        )


def trafficking_form(status: CaseStatus, step: Step) -> None:
    scope, destination = step.data["scope"], step.data["destination_country"]
    if scope == "abroad" and (destination is None or destination == "VN"):
        raise RuleViolation(
            "missing_destination",
            "trafficking abroad needs the destination country, other than Viet Nam",
            hint="pass --destination with an ISO code, e.g. CN",
        )
    if scope == "domestic" and destination not in (None, "VN"):
        raise RuleViolation(
            "destination_for_domestic",
            f"domestic trafficking cannot have a foreign destination ({destination})",
            hint="use --scope abroad, or leave the destination out",
        )


def verification_requested(status: CaseStatus, step: Step) -> None:
    if status.verification_outcome in ("victim", "not_victim"):
        raise RuleViolation(
            "already_verified",
            f"verification was concluded on {status.verified_on} with outcome"
            f" {status.verification_outcome}",
            hint="to change the outcome, record a correction of the conclusion",
        )


def verification_concluded(status: CaseStatus, step: Step) -> None:
    verification_requested(status, step)


def routed(status: CaseStatus, step: Step) -> None:
    if status.verification_outcome is None:
        raise RuleViolation(
            "routing_before_classification",
            f"case {status.case_id} has not been classified yet; routing follows the"
            " verification's conclusion",
            hint="record the verification outcome first (socai case verify --outcome ...)",
        )


def protection(status: CaseStatus, step: Step) -> None:
    if step.data["protected"] == "relative" and not step.data["relationship"]:
        raise RuleViolation(
            "missing_relationship",
            "protection of a relative needs the relationship (e.g. mother, child)",
            hint="pass --relationship",
        )


def _eligible_for_support(status: CaseStatus, step: Step, what: str) -> None:
    regime = regime_on(step.occurred_on)
    outcome = status.verification_outcome
    if outcome == "not_victim":
        raise RuleViolation(
            "not_a_victim",
            f"{what} cannot be given: the person was verified as not a victim",
            hint="if the outcome was wrong, record a correction of the conclusion first",
        )
    if outcome != "victim" and not regime.supports_persons_under_identification:
        raise RuleViolation(
            "not_yet_identified",
            f"{what} on {step.occurred_on} needs an identified victim under"
            f" {regime.legal_basis}; support for persons still undergoing identification"
            " applies only from 1 July 2025",
            hint="record the verification outcome first, or check the date",
        )


def support(status: CaseStatus, step: Step) -> None:
    support_type = step.data["support_type"]
    _eligible_for_support(status, step, f"support '{support_type}'")
    regime = regime_on(step.occurred_on)
    amount, days = step.data["amount_vnd"], step.data["period_days"]
    if support_type in ("loan", "hardship_allowance") and amount is None:
        raise RuleViolation(
            "missing_amount",
            f"support '{support_type}' is reported with its amount",
            hint="pass --amount in whole đồng",
        )
    if support_type == SupportType.ESSENTIAL_NEEDS:
        if days is None:
            raise RuleViolation(
                "missing_period",
                "essential-needs support needs the number of days it covers",
                hint="pass --days N",
            )
        _essential_needs(status, step.occurred_on, days)
    elif days is not None:
        raise RuleViolation(
            "unexpected_period",
            f"support '{support_type}' has no period in days",
            hint="leave --days out",
        )
    if support_type == "health_insurance":
        if not regime.health_insurance_support:
            raise RuleViolation(
                "not_in_force",
                f"health-insurance support exists only from 1 July 2025, not on {step.occurred_on}",
            )
        assert status.received_on is not None
        window_end = status.received_on + timedelta(days=HEALTH_INSURANCE_WINDOW_DAYS)
        if step.occurred_on > window_end:
            raise RuleViolation(
                "outside_window",
                f"health-insurance support covers the first year after reception (until"
                f" {window_end}), not {step.occurred_on}",
            )


def shelter_admitted(status: CaseStatus, step: Step) -> None:
    _eligible_for_support(status, step, "temporary shelter")
    if status.currently_sheltered:
        raise RuleViolation(
            "already_sheltered",
            f"the person has been in shelter since {status.shelter_stays[-1].admitted_on}",
            hint="record the discharge first",
        )


def shelter_discharged(status: CaseStatus, step: Step) -> None:
    if not status.currently_sheltered:
        raise RuleViolation("not_sheltered", "the person is not in shelter", hint="admit first")
    admitted = status.shelter_stays[-1].admitted_on
    if step.occurred_on < admitted:
        raise RuleViolation(
            "discharge_before_admission",
            f"discharge on {step.occurred_on} is before admission on {admitted}",
        )


def reintegrated(status: CaseStatus, step: Step) -> None:
    if status.reintegrated_on is not None:
        raise RuleViolation(
            "already_reintegrated", f"reintegration was recorded on {status.reintegrated_on}"
        )
    if status.verification_outcome == "not_victim":
        raise RuleViolation(
            "not_a_victim", "reintegration support is for victims; this person is not one"
        )


def _essential_needs(status: CaseStatus, first_day: date, days: int) -> None:
    """Essential-needs days are a set of calendar days per person: a new grant may not cover a
    day already covered, and on every covered day the days given up to and including it may
    not exceed the cap of the regime in force on that day (60 under the 2011 law, 120 from
    1 July 2025), so a period crossing 1 July 2025 is split by the rules, not by its start."""
    given = status.essential_needs_days()
    new = [first_day + timedelta(days=n) for n in range(days)]
    overlap = sorted(given.intersection(new))
    if overlap:
        raise RuleViolation(
            "overlapping_period",
            f"essential-needs support from {first_day} for {days} days covers"
            f" {len(overlap)} day(s) already covered ({overlap[0]} to {overlap[-1]})",
            hint=f"start the period after {max(given)} or shorten it; a day is supported once",
        )
    over = _first_day_over_cap(given.union(new))
    if over is not None:
        day, count, regime = over
        allowed = _most_days_allowed(given, first_day, days)
        raise RuleViolation(
            "essential_needs_limit",
            f"essential-needs support would reach {count} days by {day}; the limit in force"
            f" on {day} is {regime.essential_needs_max_days} days ({regime.legal_basis})",
            hint=f"at most {allowed} more days can be given from {first_day}",
        )


def _first_day_over_cap(days: Iterable[date]) -> tuple[date, int, LegalRegime] | None:
    for count, day in enumerate(sorted(days), start=1):
        regime = regime_on(day)
        if count > regime.essential_needs_max_days:
            return day, count, regime
    return None


def _most_days_allowed(given: frozenset[date], first_day: date, days: int) -> int:
    for allowed in range(days - 1, 0, -1):
        extra = {first_day + timedelta(days=n) for n in range(allowed)}
        if _first_day_over_cap(given | extra) is None:
            return allowed
    return 0


def closed(status: CaseStatus, step: Step) -> None:
    """Đóng hồ sơ: the reason must fit what is known on the closure's date — only a person
    verified as not a victim is closed as ``not_a_victim``; such a person is never closed as
    ``reintegrated``; ``reintegrated`` needs the reintegration recorded first."""
    reason, outcome = step.data["reason"], status.verification_outcome
    if reason == ClosureReason.NOT_A_VICTIM and outcome != VerificationOutcome.NOT_VICTIM:
        raise RuleViolation(
            "closure_reason_mismatch",
            f"closing as not_a_victim needs a verification that concluded not_victim; on"
            f" {step.occurred_on} the outcome is {outcome or 'not yet concluded'}",
            hint="record the verification outcome first, or choose the reason that applies",
        )
    if reason == ClosureReason.REINTEGRATED:
        if outcome == VerificationOutcome.NOT_VICTIM:
            raise RuleViolation(
                "closure_reason_mismatch",
                "a person verified as not a victim is not closed as reintegrated",
                hint="close with --reason not_a_victim",
            )
        if status.reintegrated_on is None:
            raise RuleViolation(
                "not_reintegrated",
                f"closing as reintegrated needs the reintegration recorded on or before"
                f" {step.occurred_on}",
                hint="record `socai case reintegrate` first, with its date",
            )


def reopened(status: CaseStatus, step: Step) -> None:
    """Mở lại hồ sơ: only a case closed on the reopening's date is reopened (judged on that
    date, so a reopening dated before the closure finds nothing to reopen)."""
    if not status.is_closed:
        raise RuleViolation(
            "not_closed",
            f"case {status.case_id} is not closed on {step.occurred_on}",
            hint="only a closed case can be reopened, on or after its closure; check the date",
        )
