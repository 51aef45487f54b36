"""Hỗ trợ (support) of a victim: essential needs, shelter, services and money.

Essential-needs support (hỗ trợ nhu cầu thiết yếu) lasts at most the regime's limit — 60 days
under the 2011 law, 120 under Law 53/2024, read from ``domain.case.rules`` on the day it is
given. A victim identified in the months before 1 July 2025 who is still in need on that day
gets more under the new law, up to its cap. Health-insurance support exists only where the
regime provides it. Amounts are integer đồng.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.case.commands import AdmitToShelter, DischargeFromShelter, ProvideSupport
from domain.case.rules import regime_on
from domain.case.values import Actor
from domain.reference.codes import SupportType
from domain.time import REFORM_DAY_2025
from infra.scenario.plan import SPANNING_WINDOW_DAYS, CasePlan, Cast
from infra.scenario.reception import ADULT_AGE_YEARS

#: Essential-needs support per day (đồng).
ESSENTIAL_NEEDS_VND_PER_DAY = 40_000
#: The shortest essential-needs support planned (days).
ESSENTIAL_NEEDS_MIN_DAYS = 10
#: A further essential-needs period starts at most this long after it was due (days).
MAX_ESSENTIAL_NEEDS_DELAY_DAYS = 30
#: A year's health-insurance card (thẻ bảo hiểm y tế), đồng.
HEALTH_INSURANCE_VND = 1_263_600
#: Services in kind, each with the share of victims who receive it.
SERVICES = (
    (SupportType.MEDICAL_CARE.value, 0.5),
    (SupportType.PSYCHOLOGICAL_COUNSELLING.value, 0.4),
    (SupportType.LEGAL_AID.value, 0.3),
    (SupportType.IDENTITY_PAPERS.value, 0.15),
    (SupportType.VOCATIONAL_TRAINING.value, 0.25),
    (SupportType.JOB_FINDING.value, 0.2),
)


def plan_essential_needs(plan: CasePlan, actor: Actor, day: date) -> date | None:
    """Plan essential-needs support from ``day``, within what the regime of that day still
    allows after the days already planned (nothing if the cap is reached). A day is supported
    once: a further period starts when the last one ends, or not at all when that is more
    than :data:`MAX_ESSENTIAL_NEEDS_DELAY_DAYS` away (the case moves on without it). Returns
    the business date of the support planned, None when none was."""
    covered_until = plan.essential_needs_last_day()
    if covered_until is not None and day <= covered_until:
        start = covered_until + timedelta(days=1)
        if (start - day).days > MAX_ESSENTIAL_NEEDS_DELAY_DAYS:
            return None
        day = start
    limit = regime_on(day).essential_needs_max_days
    used = plan.essential_needs_days()
    days = min(limit - used, plan.rng.randrange(ESSENTIAL_NEEDS_MIN_DAYS, limit + 1))
    if days <= 0:
        return None
    plan.add(
        ProvideSupport(
            occurred_on=day,
            support_type=SupportType.ESSENTIAL_NEEDS.value,
            period_days=days,
            amount_vnd=days * ESSENTIAL_NEEDS_VND_PER_DAY,
            provider_agency=actor.agency,
            legal_basis=f"QĐ-HT-{plan.case_id.hex[:6]}",
        ),
        actor,
    )
    assert plan.essential_needs_days() <= limit, "essential needs within the day's cap"
    return day


def plan_support(plan: CasePlan, cast: Cast, day: date, age: int) -> date:
    """Plan a victim's support from the day verification concluded; returns the day the last
    service was planned: the last in kind, or essential needs resumed under the 2025 law if
    that came later (reintegration, and so closure, follow it: nothing is recorded on a
    closed case)."""
    plan_essential_needs(plan, cast.social, day + timedelta(days=1))
    resumed_on = None
    if REFORM_DAY_2025 - timedelta(days=SPANNING_WINDOW_DAYS) <= day < REFORM_DAY_2025:
        # Still in need on 1 July 2025: the new law's cap applies from that date on, so
        # support continues where the old cap had stopped it.
        health = Actor(cast.social.officer_id, "health_department")
        resumed_on = plan_essential_needs(
            plan, health, REFORM_DAY_2025 + timedelta(days=plan.rng.randrange(0, 10))
        )
    _plan_shelter(plan, cast, day)
    support_day = _plan_services(plan, cast, day, age)
    _plan_money(plan, cast, day, support_day)
    return support_day if resumed_on is None else max(support_day, resumed_on)


def _plan_shelter(plan: CasePlan, cast: Cast, day: date) -> None:
    """About a third stay at a social assistance facility (cơ sở trợ giúp xã hội) a while."""
    if not plan.roll(0.35):
        return
    admitted = day + timedelta(days=plan.rng.randrange(0, 3))
    plan.add(
        AdmitToShelter(
            occurred_on=admitted,
            facility=f"CSTGXH-{cast.province_code}",  # mã cơ sở trợ giúp xã hội
        ),
        cast.social,
    )
    plan.add(
        DischargeFromShelter(occurred_on=admitted + timedelta(days=plan.rng.randrange(5, 60))),
        cast.social,
    )


def _plan_services(plan: CasePlan, cast: Cast, day: date, age: int) -> date:
    """Services in kind, one after another; children may go back to school (học văn hóa)."""
    support_day = day + timedelta(days=plan.rng.randrange(3, 20))
    for support_type, share in SERVICES:
        if plan.roll(share):
            plan.add(
                ProvideSupport(
                    occurred_on=support_day,
                    support_type=support_type,
                    provider_agency=cast.social.agency,
                ),
                cast.social,
            )
            support_day += timedelta(days=plan.rng.randrange(1, 30))
    if age < ADULT_AGE_YEARS and plan.roll(0.5):
        plan.add(
            ProvideSupport(
                occurred_on=support_day,
                support_type=SupportType.SCHOOLING.value,
                provider_agency=cast.social.agency,
            ),
            cast.social,
        )
    return support_day


def _plan_money(plan: CasePlan, cast: Cast, day: date, support_day: date) -> None:
    """Money: an initial hardship allowance (trợ cấp khó khăn ban đầu), a loan from the
    social policy bank (vay vốn), health insurance where the regime provides it."""
    rng = plan.rng
    if plan.roll(0.4):
        plan.add(
            ProvideSupport(
                occurred_on=day + timedelta(days=2),
                support_type=SupportType.HARDSHIP_ALLOWANCE.value,
                amount_vnd=rng.randrange(1, 6) * 500_000,
                provider_agency=cast.social.agency,
                legal_basis=f"QĐ-TC-{plan.index:05d}",
            ),
            cast.social,
        )
    if plan.roll(0.1):
        plan.add(
            ProvideSupport(
                occurred_on=support_day + timedelta(days=10),
                support_type=SupportType.LOAN.value,
                amount_vnd=rng.randrange(10, 51) * 1_000_000,
                provider_agency="social_policy_bank",
                legal_basis=f"HĐVV-{plan.index:05d}",
            ),
            Actor(f"NH-{cast.province_code}-01", "social_policy_bank"),
        )
    if regime_on(day).health_insurance_support and plan.roll(0.6):
        plan.add(
            ProvideSupport(
                occurred_on=day + timedelta(days=5),
                support_type=SupportType.HEALTH_INSURANCE.value,
                amount_vnd=HEALTH_INSURANCE_VND,
                provider_agency=cast.social.agency,
            ),
            cast.social,
        )
