"""Bảo vệ (protection) of a victim and of their relatives (người thân thích).

The need is on file first (đề nghị bảo vệ: the victim asked, or the agency assessed it); most
needs are met by a measure — confidentiality, personal safety, safe accommodation — and a few
stay open, which is the gap the protection KPI shows. A relative's protection names the
relative, whose personal data is as sensitive as the victim's.
"""

from __future__ import annotations

from datetime import date, timedelta

from domain.case.commands import Protect, RequestProtection
from infra.scenario.people import People
from infra.scenario.plan import CasePlan, Cast


def plan_protection(plan: CasePlan, cast: Cast, people: People, day: date) -> None:
    """Plan the victim's protection, then a relative's, from the day of referral."""
    if plan.roll(0.4):
        plan.add(
            RequestProtection(
                occurred_on=day,
                protected="victim",
                source=plan.pick((("victim_request", 3), ("agency_assessment", 2))),
            ),
            cast.officer,
        )
        if plan.roll(0.85):
            measures = (("confidentiality", 3), ("personal_safety", 2), ("safe_accommodation", 1))
            plan.add(
                Protect(occurred_on=day, protected="victim", measure=plan.pick(measures)),
                cast.officer,
            )
    if plan.roll(0.1):
        relationship = plan.pick((("mother", 3), ("father", 2), ("child", 2), ("spouse", 1)))
        plan.add(
            RequestProtection(
                occurred_on=day,
                protected="relative",
                relationship=relationship,
                source="relative_request",
            ),
            cast.officer,
        )
        plan.add(
            Protect(
                occurred_on=day + timedelta(days=1),
                protected="relative",
                relationship=relationship,
                relative=people.person(),
                measure="personal_safety",
            ),
            cast.officer,
        )
