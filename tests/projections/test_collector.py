"""The collector's pace during a catch-up: raised inside, restored after — also on an error
and when nested — no collection inside a batch, and a runner's ``run`` is the block that
uses both."""

from __future__ import annotations

import gc
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from infra.scenario.builders import StepClock, open_app
from projections import collector
from projections.case_status import CaseStatusProjection
from projections.collector import catch_up_pace, collector_paused
from projections.framework import InProcessRunner
from tests.projections.test_framework import record_two_steps


@pytest.fixture(autouse=True)
def _default_thresholds() -> object:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*saved)


def test_thresholds_are_raised_inside_and_restored_after() -> None:
    with catch_up_pace():
        assert gc.get_threshold() == (
            collector.YOUNG_THRESHOLD,
            collector.MIDDLE_THRESHOLD,
            collector.OLD_THRESHOLD,
        )
    assert gc.get_threshold() == (700, 10, 10)


def test_thresholds_are_restored_when_the_catch_up_fails() -> None:
    with pytest.raises(RuntimeError), catch_up_pace():
        raise RuntimeError("a batch failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_nested_block_keeps_the_outer_pace_and_an_operator_setting_above_it() -> None:
    gc.set_threshold(50_000, 10, 100)
    with catch_up_pace():
        with catch_up_pace():
            assert gc.get_threshold() == (50_000, collector.MIDDLE_THRESHOLD, 100)
        assert gc.get_threshold() == (50_000, collector.MIDDLE_THRESHOLD, 100)
    assert gc.get_threshold() == (50_000, 10, 100)


def test_collection_stays_enabled_inside() -> None:
    with catch_up_pace():
        assert gc.isenabled()
        assert gc.collect() >= 0


def test_no_collection_inside_a_paused_block_and_enabled_again_after() -> None:
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a batch failed")
    assert gc.isenabled()


def test_a_collector_disabled_before_stays_disabled() -> None:
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


class _PaceRecorder(CaseStatusProjection):
    """The case-status projection, noting the collector's thresholds at each batch and
    whether it may run."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, int, int]] = []
        self.enabled: list[bool] = []

    def apply(self, session: Session, events: Sequence[Any]) -> None:
        self.seen.append(gc.get_threshold())
        self.enabled.append(gc.isenabled())
        super().apply(session, events)


def test_a_runner_catches_up_at_that_pace_and_gives_it_back(tmp_path: Path) -> None:
    clock = StepClock()
    app = open_app(tmp_path, clock)
    record_two_steps(app, clock)
    projection = _PaceRecorder()
    engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    assert InProcessRunner(app.log, engine, [projection], batch_size=1).run() >= 2
    app.close()
    paced = (collector.YOUNG_THRESHOLD, collector.MIDDLE_THRESHOLD, collector.OLD_THRESHOLD)
    assert len(projection.seen) >= 2
    assert set(projection.seen) == {paced}
    assert set(projection.enabled) == {False}  # collected between batches, not inside
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.isenabled()
