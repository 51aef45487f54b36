"""The synthetic scenario (kịch bản tổng hợp): realistic cases, deterministic by seed.

Receptions run from 2016 to October 2026, spread evenly, so cases span the 1 July 2025 change
of law and of map; every reception form and verification outcome occurs; some cases are
entered months late, and some are corrected after the fact. Each case goes through the stages
of the procedure in order — tiếp nhận (:mod:`.reception`), xác minh and chuyển giao
(:mod:`.verification`), bảo vệ (:mod:`.protection`), hỗ trợ (:mod:`.support`), tái hòa nhập,
đóng hồ sơ and đính chính (:mod:`.closure`) — each stage a planner of its own.

The generator yields :class:`PlannedStep` objects in *record-time* order across all cases
(what a real system would see), with bounded memory: a case's steps are held only until every
later case has started, which the bounded entry lag (``MAX_ENTRY_LAG_DAYS``) guarantees.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from domain.case.rules import regime_on
from domain.case.values import PersonalData
from domain.time import VIETNAM_TZ
from infra.scenario.closure import plan_correction, plan_not_victim_closure, plan_reintegration
from infra.scenario.people import People
from infra.scenario.places import ReceptionPlaces
from infra.scenario.plan import CasePlan, PlannedStep, ScenarioConfig, case_id_for, entry_lag_days
from infra.scenario.protection import plan_protection
from infra.scenario.reception import choose_cast, plan_reception
from infra.scenario.support import plan_support
from infra.scenario.verification import NOT_A_VICTIM, plan_referral, plan_verification

#: Receptions are spread evenly, each up to this many days after its even share.
RECEPTION_JITTER_DAYS = 20


class ScenarioGenerator:
    """Plans ``config.cases`` cases, spread evenly over the scenario's years."""

    def __init__(self, config: ScenarioConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.people = People(self.rng, config.seed)
        self.places = ReceptionPlaces(self.rng)

    @property
    def personal_data(self) -> list[PersonalData]:
        """Personal data of every planned person, so tests can scan for leaks."""
        return self.people.made

    def steps(self) -> Iterator[PlannedStep]:
        """All steps of all cases in record-time order."""
        heap: list[tuple[tuple[datetime, str, int], int, PlannedStep]] = []
        counter = 0
        span_days = (self.config.end - self.config.start).days
        for index in range(self.config.cases):
            offset = (index * span_days) // max(1, self.config.cases) + self.rng.randrange(
                0, RECEPTION_JITTER_DAYS
            )
            received_on = min(self.config.start + timedelta(days=offset), self.config.end)
            horizon = datetime.combine(received_on, time(0, 0), VIETNAM_TZ).astimezone(UTC)
            while heap and heap[0][0][0] < horizon:
                yield heapq.heappop(heap)[2]
            for step in self.plan_case(index, received_on):
                counter += 1
                heapq.heappush(heap, (step.sort_key(), counter, step))
        while heap:
            yield heapq.heappop(heap)[2]

    def plan_case(self, index: int, received_on: date) -> list[PlannedStep]:
        """One case through the stages of the procedure, as far as its fate takes it."""
        plan = CasePlan(
            self.rng,
            index,
            case_id_for(self.config.seed, index),
            received_on,
            self.config.end,
            lag_days=entry_lag_days(self.rng),
        )
        cast = choose_cast(plan, self.places)
        age = plan_reception(plan, cast, self.people)
        outcome, verified_on = plan_verification(plan, cast)
        plan_referral(plan, cast, verified_on, outcome)
        if outcome == NOT_A_VICTIM:
            plan_not_victim_closure(plan, cast, verified_on)
        else:
            plan_protection(plan, cast, self.people, verified_on)
            if outcome == "victim" or regime_on(verified_on).supports_persons_under_identification:
                support_day = plan_support(plan, cast, verified_on, age)
                plan_reintegration(plan, cast, support_day)
        plan_correction(plan, cast.social)
        return plan.steps
