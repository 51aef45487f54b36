"""One case's plan (kế hoạch hồ sơ): the commands a case will go through, each with its actor
and the moment it is entered in the system.

The scenario's calendar lives here. The day the law and the map change (1 July 2025,
``domain.time.REFORM_DAY_2025``) and what each law allows (``domain.case.rules``) are read
from the domain, never restated.

Invariants: a plan's record times strictly increase; a step whose business date lies past the
scenario's end is not planned at all; one seeded ``random.Random`` drives every choice, so the
same seed plans the same cases, draw for draw.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from uuid import UUID, uuid5

from domain.case.commands import Command, ProvideSupport
from domain.case.values import Actor
from domain.reference.codes import SupportType
from domain.reference.units import Unit
from domain.time import VIETNAM_TZ

#: The longest delay between a step and its entry in the system.
MAX_ENTRY_LAG_DAYS = 400
#: Some cases are entered late (nhập muộn), between these many days after the fact.
LATE_ENTRY_MIN_DAYS = 30
SCENARIO_START = date(2016, 1, 1)
SCENARIO_END = date(2026, 10, 31)
#: Victims identified this many days before the change of law are still supported after it.
SPANNING_WINDOW_DAYS = 150
#: Entries of a day start at 08:00 Viet Nam time; each step takes up to this many minutes.
OFFICE_OPENS = time(8, 0)
MAX_MINUTES_PER_ENTRY = 30
CASE_NAMESPACE = UUID("5f0c2a3e-8d1b-4c6e-9a7f-3b2d1e0c4a5b")

T = TypeVar("T")


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
    """How many cases, from which seed, received over which span of business dates."""

    cases: int = 40
    seed: int = 2016
    start: date = SCENARIO_START
    end: date = SCENARIO_END


def case_id_for(seed: int, index: int) -> UUID:
    """The pseudonymous id of the ``index``-th case of a seed (stable across runs)."""
    return uuid5(CASE_NAMESPACE, f"{seed}:{index}")


def business_date_of(command: Command) -> date:
    """The business date (ngày nghiệp vụ) every case command carries."""
    occurred = getattr(command, "occurred_on", None)
    assert isinstance(occurred, date), "every case command has a business date"
    return occurred


@dataclass(frozen=True, slots=True)
class Cast:
    """The receiving commune and the two officers who act on the case."""

    unit: Unit
    officer: Actor
    social: Actor

    @property
    def province_code(self) -> str:
        assert self.unit.province_code is not None, "a commune lies in a province"
        return self.unit.province_code


@dataclass
class CasePlan:
    """The steps planned so far for one case, and the seeded choices that shape them."""

    rng: random.Random
    index: int
    case_id: UUID
    received_on: date
    end: date
    lag_days: int
    steps: list[PlannedStep] = field(default_factory=list)
    minute: int = 0

    def add(self, command: Command, actor: Actor, extra_lag_days: int = 0) -> None:
        """Plan ``command``, entered ``lag_days`` after its business date (a little later
        each time, never before the previous step); nothing past the scenario's end."""
        occurred = business_date_of(command)
        if occurred > self.end:
            return
        self.minute += 1 + self.rng.randrange(MAX_MINUTES_PER_ENTRY)
        day = occurred + timedelta(days=self.lag_days + extra_lag_days)
        moment = datetime.combine(day, OFFICE_OPENS, VIETNAM_TZ) + timedelta(minutes=self.minute)
        if self.steps:
            moment = max(moment, self.steps[-1].recorded_at + timedelta(seconds=1))
        self.steps.append(PlannedStep(self.case_id, command, actor, moment.astimezone(UTC)))
        assert len(self.steps) < 2 or self.steps[-2].recorded_at < self.steps[-1].recorded_at

    def pick(self, weighted: Sequence[tuple[T, int]]) -> T:
        """One of ``weighted``'s values, drawn with its weight."""
        values = [value for value, _ in weighted]
        weights = [weight for _, weight in weighted]
        return self.rng.choices(values, weights=weights)[0]

    def roll(self, probability: float) -> bool:
        """True with ``probability`` (one draw)."""
        return self.rng.random() < probability

    def essential_needs_days(self) -> int:
        """Days of essential-needs support (hỗ trợ nhu cầu thiết yếu) planned so far."""
        return sum(s.period_days or 0 for s in self._essential_needs())

    def essential_needs_last_day(self) -> date | None:
        """The last day covered by the essential-needs support planned so far (none: None)."""
        ends = [
            s.occurred_on + timedelta(days=(s.period_days or 0) - 1)
            for s in self._essential_needs()
        ]
        return max(ends, default=None)

    def _essential_needs(self) -> list[ProvideSupport]:
        return [
            s.command
            for s in self.steps
            if isinstance(s.command, ProvideSupport)
            and s.command.support_type == SupportType.ESSENTIAL_NEEDS
        ]


def entry_lag_days(rng: random.Random) -> int:
    """How many days after the facts a case's steps are entered: about 8% of cases are
    entered late, months after; the rest the same day or the next."""
    late = rng.random() < 0.08
    if late:
        return rng.randrange(LATE_ENTRY_MIN_DAYS, MAX_ENTRY_LAG_DAYS - 60)
    return rng.randrange(0, 2)
