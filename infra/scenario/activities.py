"""Programme activities for the demo (hoạt động: Section II of the rollup form).

Huyện Hồng Ngự (old map 870) gets the activities its 2020 report states for 2016–2020
(seed 003, ``../shared/data/hong_ngu_2016_2020.csv``), recorded as events: directive documents
3, 1, 1, 1, 1; twelve communication sessions a year with 30 participants each year (the figures
whose stated total of 1,800 is wrong); 26 billboards a year; 20 posters in 2016 (the one filled
cell whose stated total of 150 is wrong). Rollups computed from these events are right; the
submitted report is not, and ``socai quality check ... --against-events`` names the cells.
The six border provinces get a directive and a training course each year.
"""

from __future__ import annotations

import random
from datetime import date
from typing import TYPE_CHECKING

from domain.activity.commands import (
    ActivityCommand,
    DistributeMaterials,
    HoldCommunicationSession,
    HoldTrainingCourse,
    IssueDirective,
)
from domain.case.values import Actor
from infra.scenario.places import BORDER_PROVINCES_OLD, HONG_NGU_DISTRICT_OLD
from infra.scenario.staff import in_unit

if TYPE_CHECKING:
    from infra.services.socai import Socai

HONG_NGU_DIRECTIVES = {2016: 3, 2017: 1, 2018: 1, 2019: 1, 2020: 1}
HONG_NGU_SESSIONS_PER_YEAR = 12
HONG_NGU_PARTICIPANTS_PER_YEAR = 30
HONG_NGU_BILLBOARDS_PER_YEAR = 26
HONG_NGU_POSTERS_2016 = 20
#: The first year of the border provinces' activities; the last is ``seed_activities``'s.
BORDER_FIRST_YEAR = 2016


def seed_activities(app: Socai, seed: int, last_year: int = 2024) -> int:
    """Record the demo's activities; returns how many were recorded."""
    recorded = 0
    district = Actor(f"LDXH-{HONG_NGU_DISTRICT_OLD}-01", "labour_social_affairs")
    for command in _hong_ngu_activities():
        app.activities.record(
            command, in_unit(app, district, command.occurred_on, command.unit_code)
        )
        recorded += 1
    rng = random.Random(seed)
    for province in BORDER_PROVINCES_OLD:
        actor = Actor(f"LDXH-{province}-01", "labour_social_affairs")
        for year in range(BORDER_FIRST_YEAR, last_year + 1):
            for command in _border_province_year(rng, province, year):
                officer = in_unit(app, actor, command.occurred_on, command.unit_code)
                app.activities.record(command, officer)
                recorded += 1
    return recorded


def _hong_ngu_activities() -> list[ActivityCommand]:
    """What Hồng Ngự's 2020 report states for each year of 2016–2020 (seed 003)."""
    commands: list[ActivityCommand] = []
    for year, documents in HONG_NGU_DIRECTIVES.items():
        commands += [
            IssueDirective.parse(
                {
                    "occurred_on": date(year, 3, 18),
                    "unit_code": HONG_NGU_DISTRICT_OLD,
                    "documents": documents,
                    "legal_basis": f"KH-BCĐ138-{year}",
                }
            ),
            HoldCommunicationSession.parse(
                {
                    "occurred_on": date(year, 6, 15),
                    "unit_code": HONG_NGU_DISTRICT_OLD,
                    "sessions": HONG_NGU_SESSIONS_PER_YEAR,
                    "participants": HONG_NGU_PARTICIPANTS_PER_YEAR,
                }
            ),
            DistributeMaterials.parse(
                {
                    "occurred_on": date(year, 7, 1),
                    "unit_code": HONG_NGU_DISTRICT_OLD,
                    "billboards": HONG_NGU_BILLBOARDS_PER_YEAR,
                    "posters": HONG_NGU_POSTERS_2016 if year == 2016 else 0,
                }
            ),
        ]
    return commands


def _border_province_year(rng: random.Random, province: str, year: int) -> list[ActivityCommand]:
    """A border province's year: a directive (chỉ đạo) and a training course (tập huấn)."""
    directive = IssueDirective.parse(
        {"occurred_on": date(year, 2, 20), "unit_code": province, "documents": 1 + rng.randrange(3)}
    )
    course = HoldTrainingCourse.parse(
        {
            "occurred_on": date(year, 9, 10),
            "unit_code": province,
            "courses": 1 + rng.randrange(2),
            "trainees": 20 + rng.randrange(40),
        }
    )
    return [directive, course]
