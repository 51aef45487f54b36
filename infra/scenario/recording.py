"""Recording a planned scenario into a store: step by step through the application's command
path (the demo and tests), or in bulk for benchmarks at 10^5–10^6 events.

During a scenario the application's clock is the planned step's record time, so the log's
record times are the planned ones in both paths.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from domain.case.aggregate import Case
from domain.case.commands import Receive
from infra.scenario.generator import ScenarioGenerator
from infra.scenario.plan import PlannedStep, ScenarioConfig
from infra.scenario.staff import on_case, scenario_staff

if TYPE_CHECKING:
    from infra.services.socai import Socai

#: Cases kept decoded in memory while bulk loading (older ones are reloaded if needed).
BULK_OPEN_CASES = 20_000
#: Events saved together in one atomic write while bulk loading, unless told otherwise.
BULK_BATCH_EVENTS = 1_000


class SimulatedClock:
    """The application's clock during a scenario: the planned step's record time."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current


def run_scenario(
    app: Socai, config: ScenarioConfig, progress: Callable[[int], None] | None = None
) -> ScenarioGenerator:
    """Record the scenario through the application's command path, step by step
    (``progress`` is told of each step recorded)."""
    generator = ScenarioGenerator(config)
    clock = SimulatedClock(datetime(config.start.year, 1, 1, tzinfo=UTC))
    real_clock = app.store.clock
    app.store.clock = clock
    try:
        scenario_staff(app)
        for step in generator.steps():
            clock.current = step.recorded_at
            if isinstance(step.command, Receive):
                principal = on_case(app, step.actor, step.command)
                app.cases.receive(step.command, principal, case_id=step.case_id)
            else:
                principal = on_case(app, step.actor, step.command, step.case_id)
                app.cases.execute(step.case_id, step.command, principal)
            if progress is not None:
                progress(1)
    finally:
        app.store.clock = real_clock
    return generator


def bulk_load(
    app: Socai, steps: Iterator[PlannedStep], batch_events: int = BULK_BATCH_EVENTS
) -> int:
    """Record many planned steps fast; returns the number of events written.

    Every step still goes through the aggregate's rules; only the saving differs: cases are
    kept in memory and saved together every ``batch_events`` events, in one atomic save. The
    log then holds each case's events in order, but interleaves cases by batch rather than by
    the exact record time. It is the benchmarks' loader of synthetic stores: it writes the
    plan's declared actors without registering users or checking the access policy (the
    services do both: :func:`run_scenario`), so it never touches a store of real data.
    """
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
