"""Tiếp nhận (reception): who receives the person, and the reception record itself.

A person is received by the border guard (bộ đội biên phòng) at most border posts, otherwise
by the police (công an); a social-affairs officer takes over support — from the Department of
Labour (Sở Lao động – Thương binh và Xã hội) before 1 July 2025 and the Department of Health
(Sở Y tế) from that date. The reception records the form of reception, the personal data, the
person's demographics and the form of trafficking, all on the day of reception.
"""

from __future__ import annotations

from domain.case.commands import Receive, RecordDemographics, RecordTraffickingForm
from domain.case.values import Actor
from domain.time import REFORM_DAY_2025
from infra.scenario.people import People
from infra.scenario.places import ReceptionPlaces
from infra.scenario.plan import CasePlan, Cast

#: Countries of destination of trafficking abroad, with weights.
DESTINATIONS = (
    ("CN", 55),
    ("KH", 15),
    ("LA", 8),
    ("TH", 5),
    ("MY", 5),
    ("GB", 3),
    ("RU", 2),
    ("KR", 3),
    ("TW", 2),
    ("AE", 2),
)
#: Age at reception: children under 16, children of 16–17, adults (weights).
UNDER_16_WEIGHT, UNDER_18_WEIGHT, ADULT_WEIGHT = 12, 13, 75
ADULT_AGE_YEARS = 18


def choose_cast(plan: CasePlan, places: ReceptionPlaces) -> Cast:
    """Draw the receiving commune, the receiving officer and the social-affairs officer."""
    unit, border = places.draw(plan.received_on)
    agency = "border_guard" if border and plan.roll(0.8) else "police"
    prefix = "BP" if agency == "border_guard" else "CA"
    officer = Actor(f"{prefix}-{unit.province_code}-{plan.rng.randrange(1, 40):02d}", agency)
    social = Actor(
        f"XH-{unit.province_code}-{plan.rng.randrange(1, 20):02d}",
        "health_department" if plan.received_on >= REFORM_DAY_2025 else "labour_social_affairs",
    )
    return Cast(unit, officer, social)


def plan_reception(plan: CasePlan, cast: Cast, people: People) -> int:
    """Plan the reception record (biên bản tiếp nhận), demographics and the form of
    trafficking; returns the person's age in years at reception."""
    day = plan.received_on
    form = plan.pick((("bilateral_handover", 40), ("self_returned", 35), ("rescued", 25)))
    plan.add(
        Receive(
            occurred_on=day,
            reception_form=form,
            unit_code=cast.unit.code,
            legal_basis=f"BB-{cast.unit.province_code}-{day.year}-{plan.index:05d}",
            belongings_checked=plan.roll(0.95),
            interview_held=plan.roll(0.9),
            person=people.person(),
        ),
        cast.officer,
    )
    rng = plan.rng
    age = plan.pick(
        (
            (rng.randrange(12, 16), UNDER_16_WEIGHT),
            (rng.randrange(16, ADULT_AGE_YEARS), UNDER_18_WEIGHT),
            (rng.randrange(ADULT_AGE_YEARS, 45), ADULT_WEIGHT),
        )
    )
    sex = "female" if plan.roll(0.8) else "male"
    nationality = "VN" if plan.roll(0.95) else plan.pick((("LA", 2), ("KH", 2), ("CN", 1)))
    known_year = plan.roll(0.9)
    plan.add(
        RecordDemographics(
            occurred_on=day,
            sex=sex,
            ethnicity="kinh" if plan.roll(0.7) else "other",
            nationality=nationality,
            birth_year=day.year - age if known_year else None,
            age_band=None if known_year else _age_band(age),
        ),
        cast.officer,
    )
    abroad = plan.roll(0.75)
    plan.add(
        RecordTraffickingForm(
            occurred_on=day,
            scope="abroad" if abroad else "domestic",
            destination_country=plan.pick(DESTINATIONS) if abroad else None,
        ),
        cast.officer,
    )
    return age


def _age_band(age: int) -> str:
    return "under_16" if age < 16 else "16_17" if age < ADULT_AGE_YEARS else "adult"
