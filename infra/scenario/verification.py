"""Xác minh (verification) and chuyển giao (referral) after it.

The receiving officer asks the police or border guard to verify whether the person is a
victim (đề nghị xác minh) within days of reception; most verifications conclude within two
weeks, some take over a month. Under Law 53/2024 a person still being identified may already
receive essential-needs support. After the conclusion the person is referred on: home, to a
social protection centre, to a treatment centre (not a victim), or to the prosecution.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.case.commands import ConcludeVerification, RequestVerification, Route
from domain.case.rules import regime_on
from infra.scenario.plan import CasePlan, Cast
from infra.scenario.support import plan_essential_needs

NOT_A_VICTIM = "not_victim"


def plan_verification(plan: CasePlan, cast: Cast) -> tuple[str, date]:
    """Plan the request and the conclusion of verification (kết luận xác minh); returns the
    outcome and the day it was concluded."""
    rng = plan.rng
    day = plan.received_on + timedelta(days=rng.randrange(0, 3))
    plan.add(
        RequestVerification(occurred_on=day, body="police" if plan.roll(0.6) else "border_guard"),
        cast.officer,
    )
    outcome = plan.pick((("victim", 75), ("suspected_victim", 10), (NOT_A_VICTIM, 15)))
    under_identification = regime_on(plan.received_on).supports_persons_under_identification
    if under_identification and outcome != NOT_A_VICTIM and plan.roll(0.5):
        plan_essential_needs(plan, cast.social, day + timedelta(days=1))
    verified_on = day + timedelta(
        days=plan.pick(((rng.randrange(2, 15), 85), (rng.randrange(16, 40), 15)))
    )
    plan.add(
        ConcludeVerification(
            occurred_on=verified_on,
            outcome=outcome,
            deciding_body=cast.officer.agency,
            legal_basis=f"KL-{plan.index:05d}",
        ),
        cast.officer,
    )
    return outcome, verified_on


def plan_referral(plan: CasePlan, cast: Cast, day: date, outcome: str) -> None:
    """Plan where the person is referred on the day verification concludes."""
    if outcome == NOT_A_VICTIM:
        destinations = (
            ("returned_home", 70),
            ("treatment_centre", 15),
            ("social_protection_centre", 15),
        )
    else:
        destinations = (
            ("returned_home", 75),
            ("social_protection_centre", 20),
            ("prosecution", 5),
        )
    plan.add(Route(occurred_on=day, destination=plan.pick(destinations)), cast.officer)
