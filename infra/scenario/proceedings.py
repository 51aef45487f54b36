"""Vụ án: criminal cases of trafficking opened for the scenario's victims.

Every identified victim routed to prosecution, and one in five of the other identified
victims, has a criminal case opened in the province where they were received, a few weeks
after identification, with one to four accused (counted, never named). Most cases are solved
(about 92%), most solved cases prosecuted (about 95%), most prosecuted cases tried (about 90%);
a few are suspended. Stages fall months apart and never after the scenario's end.
Deterministic by seed.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import date, timedelta
from uuid import UUID, uuid5

from domain.case.steps import CaseStatus
from domain.case.values import Actor
from domain.proceedings.commands import Open, Prosecute, Solve, StageCommand, Suspend, Try
from domain.reference.codes import Agency
from domain.reference.units import AdminMap, unit_directory
from infra.scenario.plan import SCENARIO_END
from infra.scenario.staff import in_unit
from infra.services.socai import Socai

#: Namespace of the scenario's criminal case ids (stable across runs of one seed).
PROCEEDINGS_NAMESPACE = UUID("0c1f5e2a-7b3d-4e8f-9a6b-2d4c6e8f0a1b")
#: Share of identified victims not routed to prosecution whose case is still prosecuted.
OTHER_VICTIMS_PROSECUTED = 0.2
INVESTIGATOR = Actor("CA-VA-01", "police")


def seed_proceedings(app: Socai, statuses: Iterable[CaseStatus], seed: int) -> int:
    """Open and advance the scenario's criminal cases; returns how many were opened."""
    rng = random.Random(f"proceedings-{seed}")
    opened = 0
    for status in statuses:
        if not status.is_identified_victim or status.verified_on is None:
            continue
        routed = any(d == "prosecution" for _, d in status.routings)
        if not routed and rng.random() >= OTHER_VICTIMS_PROSECUTED:
            continue
        day = status.verified_on + timedelta(days=rng.randrange(3, 30))
        if day > SCENARIO_END:
            continue
        proceedings_id = uuid5(PROCEEDINGS_NAMESPACE, f"{seed}-{status.case_id}")
        accused = rng.randrange(1, 5)
        unit = _province(status, day)
        investigator = in_unit(app, INVESTIGATOR, day, unit)
        app.proceedings.open(
            Open(day, f"QĐKT-{opened + 1:05d}", Agency.POLICE, unit,
                 (status.case_id,), accused),
            investigator,
            proceedings_id,
        )  # fmt: skip
        opened += 1
        for command in _stages(rng, day, accused, opened):
            app.proceedings.advance(proceedings_id, command, investigator)
    return opened


def _stages(rng: random.Random, day: date, accused: int, n: int) -> list[StageCommand]:
    """The later stages a case reaches before the scenario ends."""
    plan: list[tuple[float, type[StageCommand], Agency, str, int, int]] = [
        (0.92, Solve, Agency.POLICE, "KLĐT", 30, 180),
        (0.95, Prosecute, Agency.PROCURACY, "CT", 15, 60),
        (0.90, Try, Agency.COURT, "BA", 30, 120),
    ]
    stages: list[StageCommand] = []
    for share, command, body, prefix, low, high in plan:
        day = day + timedelta(days=rng.randrange(low, high))
        if day > SCENARIO_END:
            break
        if rng.random() >= share:
            if rng.random() < 0.3:
                stages.append(Suspend(day, f"QĐĐC-{n:05d}", body, 0, "accused_not_found"))
            break
        accused = max(1, accused - (rng.random() < 0.1))
        stages.append(command(day, f"{prefix}-{n:05d}", body, accused))
    return stages


def _province(status: CaseStatus, day: date) -> str:
    """The province (on the map in force on ``day``) of the unit that received the person."""
    assert status.unit_map is not None
    assert status.unit_code is not None
    directory = unit_directory()
    unit = directory.require(AdminMap(status.unit_map), status.unit_code)
    if AdminMap.in_force_on(day) is AdminMap.NEW:
        unit = directory.to_2025(unit)
    province = directory.ancestors(unit)[-2]  # the unit's chain ends with the nation
    return province.code
