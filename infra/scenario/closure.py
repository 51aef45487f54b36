"""Tái hòa nhập (reintegration), đóng hồ sơ (closure) and đính chính (later corrections).

A person found not to be a victim is referred and the case closed within a month. A victim
may be reintegrated into the community some months after the last service, and the case
closed up to a year later. About 8% of cases get a birth year fixed after the fact (from the
birth certificate), often after reports built on the wrong year were sent.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.case.commands import Close, Correct, RecordDemographics, Reintegrate
from domain.case.values import Actor
from infra.scenario.plan import CasePlan, Cast, business_date_of

#: Corrections come this many days (at least, at most) after the case's last step.
CORRECTION_DELAY_DAYS = (60, 300)


def plan_not_victim_closure(plan: CasePlan, cast: Cast, day: date) -> None:
    """Close the case of a person found not to be a victim (already referred)."""
    closed_on = day + timedelta(days=plan.rng.randrange(1, 30))
    plan.add(Close(occurred_on=closed_on, reason="not_a_victim"), cast.social)


def plan_reintegration(plan: CasePlan, cast: Cast, support_day: date) -> None:
    """Reintegration after the support, then for most the closure of the case."""
    if not plan.roll(0.6):
        return
    reintegrated = support_day + timedelta(days=plan.rng.randrange(30, 200))
    plan.add(Reintegrate(occurred_on=reintegrated), cast.social)
    if plan.roll(0.6):
        closed_on = reintegrated + timedelta(days=plan.rng.randrange(30, 365))
        plan.add(Close(occurred_on=closed_on, reason="reintegrated"), cast.social)


def plan_correction(plan: CasePlan, actor: Actor) -> None:
    """About 8% of cases get a birth year fixed later, after reports were sent."""
    demographics = next(
        (n for n, s in enumerate(plan.steps) if isinstance(s.command, RecordDemographics)), None
    )
    if demographics is None or not plan.roll(0.08):
        return
    wrong = plan.steps[demographics].command
    assert isinstance(wrong, RecordDemographics)
    if wrong.birth_year is None:
        return
    last = max(business_date_of(s.command) for s in plan.steps)
    fix_on = min(last + timedelta(days=plan.rng.randrange(*CORRECTION_DELAY_DAYS)), plan.end)
    if fix_on >= last:
        plan.add(
            Correct(
                occurred_on=fix_on,
                corrects_version=demographics + 1,
                field="birth_year",
                old_value=wrong.birth_year,
                new_value=wrong.birth_year - 1,
                reason="Đính chính theo giấy khai sinh",
            ),
            actor,
        )
