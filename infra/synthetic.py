"""A realistic synthetic scenario, deterministic by seed, for the demo, tests and benchmarks.

The scenario follows the programme's real shape: most people are received at border posts of
the six key border provinces of the 2005 plan (Quảng Ninh, Lạng Sơn, Lào Cai, Tây Ninh, An
Giang, Đồng Tháp — Hồng Ngự district among them), the rest elsewhere; receptions run from 2016
to October 2026, so cases span the 1 July 2025 change of law and of map; every reception form
and verification outcome occurs; some cases are entered months late, and some are corrected
after the fact (a birth year fixed after the report was sent).

Personal data is generated with Faker's ``vi_VN`` locale. It is fictitious, but tests treat it
as real: it must never appear outside the encrypted store.

The generator yields :class:`PlannedStep` objects in *record-time* order across all cases
(what a real system would see), with bounded memory: a case's steps are held only until every
later case has started, which the bounded entry lag (:data:`MAX_ENTRY_LAG_DAYS`) guarantees.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid5

from domain.case.commands import (
    AdmitToShelter,
    Close,
    Command,
    ConcludeVerification,
    Correct,
    DischargeFromShelter,
    Protect,
    ProvideSupport,
    Receive,
    RecordDemographics,
    RecordTraffickingForm,
    Reintegrate,
    RequestProtection,
    RequestVerification,
    Route,
)
from domain.case.rules import regime_on
from domain.case.values import Actor, PersonalData
from domain.reference.codes import SupportType
from domain.reference.units import AdminMap, Unit, UnitLevel, unit_directory
from domain.time import REFORM_DAY_2025, VIETNAM_TZ

if TYPE_CHECKING:
    from infra.services.socai import Socai

#: Old-map codes of the six key border provinces of the 2005–2010 plan (seed 000).
BORDER_PROVINCES_OLD = ("22", "20", "10", "72", "89", "87")
#: Huyện Hồng Ngự, Đồng Tháp (old map): the district of seed 003's report.
HONG_NGU_DISTRICT_OLD = "870"
#: The longest delay between a step and its entry in the system.
MAX_ENTRY_LAG_DAYS = 400
SCENARIO_START = date(2016, 1, 1)
#: Law 53/2024/QH15 and the 2025 map take effect.
LAW_CHANGE = REFORM_DAY_2025
#: Victims identified this many days before the change of law are still supported after it.
SPANNING_WINDOW_DAYS = 150
SCENARIO_END = date(2026, 10, 31)
#: A further essential-needs period starts at most this long after it was due.
MAX_ESSENTIAL_NEEDS_DELAY_DAYS = 30
CASE_NAMESPACE = UUID("5f0c2a3e-8d1b-4c6e-9a7f-3b2d1e0c4a5b")

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


@dataclass(frozen=True, slots=True)
class PlannedStep:
    """One command of one case, with the actor and the moment it is entered."""

    case_id: UUID
    command: Command
    actor: Actor
    recorded_at: datetime

    def sort_key(self) -> tuple[datetime, str, int]:
        return (self.recorded_at, str(self.case_id), 0)


@dataclass(frozen=True, slots=True)
class ScenarioConfig:
    cases: int = 40
    seed: int = 2016
    start: date = SCENARIO_START
    end: date = SCENARIO_END


@dataclass
class _CasePlan:
    rng: random.Random
    case_id: UUID
    received_on: date
    end: date
    lag_days: int
    steps: list[PlannedStep] = field(default_factory=list)
    minute: int = 0

    def add(self, command: Command, actor: Actor, extra_lag_days: int = 0) -> None:
        occurred: date = command.occurred_on  # type: ignore[attr-defined]
        if occurred > self.end:
            return
        self.minute += 1 + self.rng.randrange(30)
        day = occurred + timedelta(days=self.lag_days + extra_lag_days)
        moment = datetime.combine(day, time(8, 0), VIETNAM_TZ) + timedelta(minutes=self.minute)
        moment = (
            max(moment, self.steps[-1].recorded_at + timedelta(seconds=1)) if self.steps else moment
        )
        self.steps.append(PlannedStep(self.case_id, command, actor, moment.astimezone(UTC)))


def case_id_for(seed: int, index: int) -> UUID:
    return uuid5(CASE_NAMESPACE, f"{seed}:{index}")


class ScenarioGenerator:
    """Plans ``config.cases`` cases, spread evenly over the scenario's years."""

    def __init__(self, config: ScenarioConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        from faker import Faker  # the [demo] extra: only the demo, tests and benches need it

        self.faker = Faker("vi_VN")
        self.faker.seed_instance(config.seed)
        directory = unit_directory()
        self._communes: dict[tuple[AdminMap, str], list[Unit]] = {}
        for admin_map in AdminMap:
            for unit in directory.units(admin_map, UnitLevel.COMMUNE):
                assert unit.province_code is not None
                self._communes.setdefault((admin_map, unit.province_code), []).append(unit)
        for units in self._communes.values():
            units.sort(key=lambda u: u.code)
        self._old_provinces = sorted(
            u.code for u in directory.units(AdminMap.OLD, UnitLevel.PROVINCE)
        )
        self._hong_ngu = sorted(
            (u for u in directory.children(directory.require(AdminMap.OLD, HONG_NGU_DISTRICT_OLD))),
            key=lambda u: u.code,
        )
        #: Personal data of every planned person, so tests can scan for leaks.
        self.personal_data: list[PersonalData] = []

    # -- public -----------------------------------------------------------------------------

    def steps(self) -> Iterator[PlannedStep]:
        """All steps of all cases in record-time order."""
        heap: list[tuple[tuple[datetime, str, int], int, PlannedStep]] = []
        counter = 0
        span_days = (self.config.end - self.config.start).days
        for index in range(self.config.cases):
            offset = (index * span_days) // max(1, self.config.cases) + self.rng.randrange(0, 20)
            received_on = min(self.config.start + timedelta(days=offset), self.config.end)
            horizon = datetime.combine(received_on, time(0, 0), VIETNAM_TZ).astimezone(UTC)
            while heap and heap[0][0][0] < horizon:
                yield heapq.heappop(heap)[2]
            for step in self._plan_case(index, received_on):
                counter += 1
                heapq.heappush(heap, (step.sort_key(), counter, step))
        while heap:
            yield heapq.heappop(heap)[2]

    # -- one case ---------------------------------------------------------------------------

    def _pick(self, weighted: tuple[tuple[Any, int], ...]) -> Any:
        values, weights = zip(*weighted, strict=True)
        return self.rng.choices(values, weights=weights)[0]

    def _unit(self, received_on: date) -> tuple[Unit, bool]:
        directory = unit_directory()
        admin_map = AdminMap.in_force_on(received_on)
        roll = self.rng.random()
        if roll < 0.08 and admin_map is AdminMap.OLD:
            return self.rng.choice(self._hong_ngu), True
        if roll < 0.75:
            old_province = self.rng.choice(BORDER_PROVINCES_OLD)
            border = True
        else:
            old_province = self.rng.choice(self._old_provinces)
            border = old_province in BORDER_PROVINCES_OLD
        province = old_province
        if admin_map is AdminMap.NEW:
            province = directory.province_to_2025(old_province)
        return self.rng.choice(self._communes[(admin_map, province)]), border

    def _person(self) -> PersonalData:
        person = PersonalData(
            full_name=self.faker.name(),
            id_number="0" + "".join(str(self.rng.randrange(10)) for _ in range(11)),
            address=self.faker.address().replace("\n", ", "),
            phone=self.faker.phone_number(),
        )
        self.personal_data.append(person)
        return person

    def _plan_case(self, index: int, received_on: date) -> list[PlannedStep]:
        rng = self.rng
        end = self.config.end
        late = rng.random() < 0.08
        plan = _CasePlan(
            rng,
            case_id_for(self.config.seed, index),
            received_on,
            end,
            lag_days=rng.randrange(30, MAX_ENTRY_LAG_DAYS - 60) if late else rng.randrange(0, 2),
        )
        unit, border = self._unit(received_on)
        agency = "border_guard" if border and rng.random() < 0.8 else "police"
        officer = Actor(
            f"{'BP' if agency == 'border_guard' else 'CA'}-{unit.province_code}"
            f"-{rng.randrange(1, 40):02d}",
            agency,
        )
        social = Actor(
            f"XH-{unit.province_code}-{rng.randrange(1, 20):02d}",
            "health_department" if received_on >= REFORM_DAY_2025 else "labour_social_affairs",
        )
        form = self._pick((("bilateral_handover", 40), ("self_returned", 35), ("rescued", 25)))
        day = received_on
        plan.add(
            Receive(
                occurred_on=day,
                reception_form=form,
                unit_code=unit.code,
                legal_basis=f"BB-{unit.province_code}-{received_on.year}-{index:05d}",
                belongings_checked=rng.random() < 0.95,
                interview_held=rng.random() < 0.9,
                person=self._person(),
            ),
            officer,
        )
        age = self._pick(
            ((rng.randrange(12, 16), 12), (rng.randrange(16, 18), 13), (rng.randrange(18, 45), 75))
        )
        sex = "female" if rng.random() < 0.8 else "male"
        nationality = "VN" if rng.random() < 0.95 else self._pick((("LA", 2), ("KH", 2), ("CN", 1)))
        birth_year = received_on.year - age
        known_year = rng.random() < 0.9
        plan.add(
            RecordDemographics(
                occurred_on=day,
                sex=sex,
                ethnicity="kinh" if rng.random() < 0.7 else "other",
                nationality=nationality,
                birth_year=birth_year if known_year else None,
                age_band=None
                if known_year
                else ("under_16" if age < 16 else "16_17" if age < 18 else "adult"),
            ),
            officer,
        )
        abroad = rng.random() < 0.75
        plan.add(
            RecordTraffickingForm(
                occurred_on=day,
                scope="abroad" if abroad else "domestic",
                destination_country=self._pick(DESTINATIONS) if abroad else None,
            ),
            officer,
        )
        day = day + timedelta(days=rng.randrange(0, 3))
        plan.add(
            RequestVerification(
                occurred_on=day, body="police" if rng.random() < 0.6 else "border_guard"
            ),
            officer,
        )
        outcome = self._pick((("victim", 75), ("suspected_victim", 10), ("not_victim", 15)))
        new_law = received_on >= LAW_CHANGE
        if new_law and outcome != "not_victim" and rng.random() < 0.5:
            # Under Law 53/2024 a person still being identified may already be supported.
            self._essential_needs(plan, social, day + timedelta(days=1), 0)
        verified_on = day + timedelta(
            days=self._pick(((rng.randrange(2, 15), 85), (rng.randrange(16, 40), 15)))
        )
        plan.add(
            ConcludeVerification(
                occurred_on=verified_on,
                outcome=outcome,
                deciding_body=officer.agency,
                legal_basis=f"KL-{index:05d}",
            ),
            officer,
        )
        day = verified_on
        if outcome == "not_victim":
            plan.add(
                Route(
                    occurred_on=day,
                    destination=self._pick(
                        (
                            ("returned_home", 70),
                            ("treatment_centre", 15),
                            ("social_protection_centre", 15),
                        )
                    ),
                ),
                officer,
            )
            plan.add(
                Close(
                    occurred_on=day + timedelta(days=rng.randrange(1, 30)), reason="not_a_victim"
                ),
                social,
            )
            return self._with_corrections(plan, index, social)
        plan.add(
            Route(
                occurred_on=day,
                destination=self._pick(
                    (("returned_home", 75), ("social_protection_centre", 20), ("prosecution", 5))
                ),
            ),
            officer,
        )
        if rng.random() < 0.4:
            # the need is on file first; most needs are met, a few stay open (the KPI's gap)
            plan.add(
                RequestProtection(
                    occurred_on=day,
                    protected="victim",
                    source=self._pick((("victim_request", 3), ("agency_assessment", 2))),
                ),
                officer,
            )
            if rng.random() < 0.85:
                plan.add(
                    Protect(
                        occurred_on=day,
                        protected="victim",
                        measure=self._pick(
                            (
                                ("confidentiality", 3),
                                ("personal_safety", 2),
                                ("safe_accommodation", 1),
                            )
                        ),
                    ),
                    officer,
                )
        if rng.random() < 0.1:
            relationship = self._pick((("mother", 3), ("father", 2), ("child", 2), ("spouse", 1)))
            plan.add(
                RequestProtection(
                    occurred_on=day,
                    protected="relative",
                    relationship=relationship,
                    source="relative_request",
                ),
                officer,
            )
            plan.add(
                Protect(
                    occurred_on=day + timedelta(days=1),
                    protected="relative",
                    relationship=relationship,
                    relative=self._person(),
                    measure="personal_safety",
                ),
                officer,
            )
        if (
            outcome == "suspected_victim"
            and not regime_on(day).supports_persons_under_identification
        ):
            return self._with_corrections(plan, index, social)
        used = sum(
            s.command.period_days or 0
            for s in plan.steps
            if isinstance(s.command, ProvideSupport)
            and s.command.support_type == SupportType.ESSENTIAL_NEEDS
        )
        self._essential_needs(plan, social, day + timedelta(days=1), used)
        if LAW_CHANGE - timedelta(days=SPANNING_WINDOW_DAYS) <= day < LAW_CHANGE:
            # Still in need on 1 July 2025: the new law's 120-day cap applies from that date
            # on, so support continues where the old 60-day cap had stopped it.
            used = sum(
                s.command.period_days or 0
                for s in plan.steps
                if isinstance(s.command, ProvideSupport)
                and s.command.support_type == SupportType.ESSENTIAL_NEEDS
            )
            health = Actor(social.officer_id, "health_department")
            self._essential_needs(
                plan, health, LAW_CHANGE + timedelta(days=rng.randrange(0, 10)), used
            )
        if rng.random() < 0.35:
            admitted = day + timedelta(days=rng.randrange(0, 3))
            plan.add(
                AdmitToShelter(
                    occurred_on=admitted,
                    facility=f"CSTGXH-{unit.province_code}",  # mã cơ sở trợ giúp xã hội
                ),
                social,
            )
            plan.add(
                DischargeFromShelter(occurred_on=admitted + timedelta(days=rng.randrange(5, 60))),
                social,
            )
        support_day = day + timedelta(days=rng.randrange(3, 20))
        for support_type, share in (
            ("medical_care", 0.5),
            ("psychological_counselling", 0.4),
            ("legal_aid", 0.3),
            ("identity_papers", 0.15),
            ("vocational_training", 0.25),
            ("job_finding", 0.2),
        ):
            if rng.random() < share:
                plan.add(
                    ProvideSupport(
                        occurred_on=support_day,
                        support_type=support_type,
                        provider_agency=social.agency,
                    ),
                    social,
                )
                support_day += timedelta(days=rng.randrange(1, 30))
        if age < 18 and rng.random() < 0.5:
            plan.add(
                ProvideSupport(
                    occurred_on=support_day, support_type="schooling", provider_agency=social.agency
                ),
                social,
            )
        if rng.random() < 0.4:
            plan.add(
                ProvideSupport(
                    occurred_on=day + timedelta(days=2),
                    support_type="hardship_allowance",
                    amount_vnd=rng.randrange(1, 6) * 500_000,
                    provider_agency=social.agency,
                    legal_basis=f"QĐ-TC-{index:05d}",
                ),
                social,
            )
        if rng.random() < 0.1:
            plan.add(
                ProvideSupport(
                    occurred_on=support_day + timedelta(days=10),
                    support_type="loan",
                    amount_vnd=rng.randrange(10, 51) * 1_000_000,
                    provider_agency="social_policy_bank",
                    legal_basis=f"HĐVV-{index:05d}",
                ),
                Actor(f"NH-{unit.province_code}-01", "social_policy_bank"),
            )
        if regime_on(day).health_insurance_support and rng.random() < 0.6:
            plan.add(
                ProvideSupport(
                    occurred_on=day + timedelta(days=5),
                    support_type="health_insurance",
                    amount_vnd=1_263_600,
                    provider_agency=social.agency,
                ),
                social,
            )
        if rng.random() < 0.6:
            reintegrated = support_day + timedelta(days=rng.randrange(30, 200))
            plan.add(Reintegrate(occurred_on=reintegrated), social)
            if rng.random() < 0.6:
                plan.add(
                    Close(
                        occurred_on=reintegrated + timedelta(days=rng.randrange(30, 365)),
                        reason="reintegrated",
                    ),
                    social,
                )
        return self._with_corrections(plan, index, social)

    def _essential_needs(self, plan: _CasePlan, actor: Actor, day: date, used: int) -> None:
        covered = [
            s.command.occurred_on + timedelta(days=(s.command.period_days or 0) - 1)
            for s in plan.steps
            if isinstance(s.command, ProvideSupport)
            and s.command.support_type == SupportType.ESSENTIAL_NEEDS
        ]
        if covered and day <= max(covered):
            # A day is supported once: the next period starts when the last one ends, or
            # not at all when that is a month away (the case moves on without it).
            start = max(covered) + timedelta(days=1)
            if (start - day).days > MAX_ESSENTIAL_NEEDS_DELAY_DAYS:
                return
            day = start
        limit = regime_on(day).essential_needs_max_days
        days = min(limit - used, self.rng.randrange(10, limit + 1))
        if days <= 0:
            return
        plan.add(
            ProvideSupport(
                occurred_on=day,
                support_type=SupportType.ESSENTIAL_NEEDS.value,
                period_days=days,
                amount_vnd=days * 40_000,
                provider_agency=actor.agency,
                legal_basis=f"QĐ-HT-{plan.case_id.hex[:6]}",
            ),
            actor,
        )

    def _with_corrections(self, plan: _CasePlan, index: int, actor: Actor) -> list[PlannedStep]:
        """About 8% of cases get a birth year fixed later, after reports were sent."""
        demographics = next(
            (n for n, s in enumerate(plan.steps) if isinstance(s.command, RecordDemographics)), None
        )
        if demographics is not None and self.rng.random() < 0.08:
            wrong: RecordDemographics = plan.steps[demographics].command  # type: ignore[assignment]
            if wrong.birth_year is not None:
                last = max(s.command.occurred_on for s in plan.steps)  # type: ignore[attr-defined]
                fix_on = min(last + timedelta(days=self.rng.randrange(60, 300)), plan.end)
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
        return plan.steps


class SimulatedClock:
    """The application's clock during a scenario: the planned step's record time."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current


def run_scenario(app: Socai, config: ScenarioConfig) -> ScenarioGenerator:
    """Record the scenario through the application's command path, step by step."""
    generator = ScenarioGenerator(config)
    clock = SimulatedClock(datetime(config.start.year, 1, 1, tzinfo=UTC))
    real_clock = app.store.clock
    app.store.clock = clock
    try:
        for step in generator.steps():
            clock.current = step.recorded_at
            if isinstance(step.command, Receive):
                app.cases.receive(step.command, step.actor, case_id=step.case_id)
            else:
                app.cases.execute(step.case_id, step.command, step.actor)
    finally:
        app.store.clock = real_clock
    return generator


#: Cases kept decoded in memory while bulk loading (older ones are reloaded if needed).
BULK_OPEN_CASES = 20_000


def bulk_load(app: Socai, steps: Iterator[PlannedStep], batch_events: int = 1_000) -> int:
    """Record many planned steps fast, for benchmarks at 10^5–10^6 events.

    Every step still goes through the aggregate's rules; only the saving differs: cases are
    kept in memory and saved together every ``batch_events`` events, in one atomic save. The
    log then holds each case's events in order, but interleaves cases by batch rather than by
    the exact record time. Returns the number of events written.
    """
    from collections import OrderedDict

    from domain.case.aggregate import Case

    assert batch_events > 0
    open_cases: OrderedDict[UUID, Case] = OrderedDict()
    dirty: dict[UUID, Case] = {}
    written = 0

    def flush() -> None:
        if dirty:
            app.store.save(*dirty.values())
            dirty.clear()
        while len(open_cases) > BULK_OPEN_CASES:
            open_cases.popitem(last=False)

    for step in steps:
        if isinstance(step.command, Receive):
            case = Case.receive(step.case_id, step.command, step.actor, step.recorded_at)
        else:
            case = open_cases.get(step.case_id) or app.cases.get(step.case_id)
            case.execute(step.command, step.actor, step.recorded_at)
        open_cases[step.case_id] = case
        open_cases.move_to_end(step.case_id)
        dirty[step.case_id] = case
        written += 1
        if written % batch_events == 0:
            flush()
    flush()
    return written
