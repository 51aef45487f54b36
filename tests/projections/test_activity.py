"""The Activity aggregate: explicit topics, the map in force by date, counts checked, and a
withdrawal that takes an activity out of the rollup without deleting its record."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from domain.activity.aggregate import Activity
from domain.activity.commands import (
    ACTIVITY_COMMANDS,
    MAX_DOCUMENTS,
    MAX_ITEMS,
    MAX_PARTICIPANTS,
    MAX_SESSIONS,
    Withdraw,
)
from domain.case.values import Actor
from domain.errors import InvalidInput, RuleViolation
from domain.reference.units import AdminMap
from infra.scenario.builders import StepClock, open_app
from infra.scenario.staff import worker
from projections.activity import ActivityProjection
from projections.framework import InProcessRunner
from projections.registry import all_projections
from projections.rollup import compute_rollup
from tests.domain.topics import registered_topics

OFFICER = Actor("CB-3", "womens_union")


def test_topics_are_explicit_and_stable() -> None:
    assert Activity.CommunicationSessionHeld.TOPIC == "socai.activity:CommunicationSessionHeld.v1"
    assert Activity.Created.TOPIC == "socai.activity:Created"
    assert set(ActivityProjection.topics) == {
        "socai.activity:DirectiveIssued.v1",
        "socai.activity:CommunicationSessionHeld.v1",
        "socai.activity:MaterialsDistributed.v1",
        "socai.activity:TrainingCourseHeld.v1",
        "socai.activity:Withdrawn.v1",
    }
    assert registered_topics(Activity) == {
        "socai.activity:Activity",
        "socai.activity:Created",
        *ActivityProjection.topics,
    }


@pytest.mark.parametrize(
    ("kind", "data", "field"),
    [
        (
            "session",
            {"occurred_on": "2018-01-02", "unit_code": "870", "participants": "x"},
            "participants",
        ),
        (
            "session",
            {"occurred_on": "2026-01-02", "unit_code": "870", "participants": 3},
            "unit_code",
        ),  # a district: the 2025 map has none
        ("training", {"occurred_on": "2018-13-01", "unit_code": "870"}, "occurred_on"),
        ("materials", {"occurred_on": "2018-01-02", "unit_code": "870"}, "materials"),
        (
            "directive",
            {"occurred_on": "2018-01-02", "unit_code": "870", "colour": "red"},
            "IssueDirective",
        ),
    ],
)
def test_bad_activities_are_refused(kind: str, data: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        ACTIVITY_COMMANDS[kind].parse(data)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("kind", "count", "high"),
    [
        ("directive", "documents", MAX_DOCUMENTS),
        ("session", "sessions", MAX_SESSIONS),
        ("session", "participants", MAX_PARTICIPANTS),
        ("materials", "billboards", MAX_ITEMS),
        ("materials", "posters", MAX_ITEMS),
        ("materials", "leaflets", MAX_ITEMS),
        ("training", "courses", MAX_SESSIONS),
        ("training", "trainees", MAX_PARTICIPANTS),
    ],
)
def test_each_count_is_a_whole_number_up_to_its_own_limit(kind: str, count: str, high: int) -> None:
    given = {"occurred_on": "2018-01-02", "unit_code": "870"}
    assert getattr(ACTIVITY_COMMANDS[kind].parse({**given, count: str(high)}), count) == high
    with pytest.raises(InvalidInput) as refused:
        ACTIVITY_COMMANDS[kind].parse({**given, count: high + 1})
    assert refused.value.field == count
    assert f"outside 0–{high}" in refused.value.message


def test_record_withdraw_and_count(tmp_path: Path) -> None:
    clock = StepClock()
    app = open_app(tmp_path, clock)
    clock.at(date(2026, 2, 1))
    held = app.activities.record(
        ACTIVITY_COMMANDS["session"].parse(
            {"occurred_on": "2026-01-20", "unit_code": "82", "participants": 45}
        ),
        worker(app, OFFICER),
    )
    assert app.activities.get(held).unit_map == AdminMap.NEW.value
    wrong = app.activities.record(
        ACTIVITY_COMMANDS["session"].parse(
            {"occurred_on": "2026-01-21", "unit_code": "82", "participants": 999}
        ),
        worker(app, OFFICER),
    )
    app.activities.withdraw(wrong, Withdraw(date(2026, 1, 30), "ghi nhầm"), worker(app, OFFICER))
    with pytest.raises(RuleViolation):
        app.activities.withdraw(wrong, Withdraw(date(2026, 1, 30), "again"), worker(app, OFFICER))
    with pytest.raises(RuleViolation):
        app.activities.record(
            ACTIVITY_COMMANDS["session"].parse(
                {"occurred_on": "2026-06-20", "unit_code": "82", "participants": 4}
            ),
            worker(app, OFFICER),
        )
    engine = create_engine("sqlite://")
    InProcessRunner(app.log, engine, all_projections()).run()
    rollup = compute_rollup(engine, AdminMap.NEW, "82", (2026,))
    assert rollup.values["II.2.sessions"][2026] == 1
    assert rollup.values["II.2.participants"][2026] == 45
    app.close()
