"""The rollup form from events: equal to counts made directly from the cases' own status,
every nesting and sum rule of the form holds, the 2025 map regroups the old one, and
``known_at`` shows what was known at a past record time."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import create_engine

from domain.activity.commands import ACTIVITY_COMMANDS
from domain.case.values import Actor
from domain.reference.units import AdminMap, unit_directory
from domain.time import REFORM_DAY_2025
from infra.scenario.builders import StepClock, open_app
from infra.scenario.histories import OLD_COMMUNES, random_history, received_in_866, run
from infra.scenario.staff import worker
from projections.asof import known_at
from projections.framework import InProcessRunner
from projections.registry import all_projections
from projections.rollup import Rollup, compute_rollup, form_rows

YEARS = tuple(range(2016, 2027))
OFFICER = Actor("CB-009", "labour_social_affairs")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory):
    tmp_path = tmp_path_factory.mktemp("rollup")
    clock = StepClock()
    app = open_app(tmp_path, clock)
    rng = random.Random(2020)
    ids = []
    count = 60
    for i in range(count):
        day = date(2016, 1, 1) + (date(2025, 12, 31) - date(2016, 1, 1)) * i // count
        unit = OLD_COMMUNES[i % 3] if day < REFORM_DAY_2025 else "29869"
        ids.append(random_history(app, clock, rng, day, unit))
    for i, (kind, data) in enumerate(
        [
            ("directive", {"documents": 2}),
            ("session", {"participants": 30}),
            ("materials", {"billboards": 26, "posters": 20}),
            ("training", {"trainees": 15}),
        ]
        * 3
    ):
        day = date(2016 + 3 * i // 4, 5, 1 + i)
        clock.at(day)
        unit = ("866", "868", "87")[i % 3] if day < REFORM_DAY_2025 else "82"
        command = ACTIVITY_COMMANDS[kind].parse({"occurred_on": day, "unit_code": unit, **data})
        app.activities.record(command, worker(app, OFFICER))
    engine = create_engine(f"sqlite:///{tmp_path / 'proj.db'}")
    InProcessRunner(app.log, engine, all_projections()).run()
    yield app, clock, engine, ids
    app.close()


def _independent(app, ids, unit_of) -> dict[str, Counter]:
    """Counts straight from each case's own status (the aggregate's fold), not the tables."""
    counts: dict[str, Counter] = {
        k: Counter()
        for k in (
            "I.1",
            "I.2",
            "I.2.a.female",
            "I.2.a.female_u18",
            "I.2.e.rescued",
            "II.4.1",
            "II.4.2",
            "II.4.3",
            "loan",
        )
    }
    for cid in ids:
        s = app.cases.get(cid).status
        if not unit_of(s):
            continue
        y = s.received_on.year
        counts["I.1"][y] += 1
        if s.verification_outcome == "victim":
            counts["I.2"][y] += 1
            counts["I.2.e.rescued"][y] += s.reception_form == "rescued"
            if s.sex == "female":
                counts["I.2.a.female"][y] += 1
                counts["I.2.a.female_u18"][y] += bool(s.is_under(18, s.received_on))
        years = {x.occurred_on.year for x in s.supports}
        years |= {x.admitted_on.year for x in s.shelter_stays}
        for year in years:
            counts["II.4.1"][year] += 1
        for year in {x.occurred_on.year for x in s.supports if x.support_type == "essential_needs"}:
            counts["II.4.2"][year] += 1
        for year in {x.admitted_on.year for x in s.shelter_stays}:
            counts["II.4.3"][year] += 1
        for x in s.supports:
            if x.support_type == "loan":
                counts["loan"][x.occurred_on.year] += x.amount_vnd
    return counts


def _check_form_rules(r: Rollup) -> None:
    v = r.values
    for year in r.years:

        def at(row_id: str) -> int:
            return v[row_id][year]  # noqa: B023

        assert at("I.2") <= at("I.1")
        for prefix in ("I.2.a", "II.4.3.a"):
            for sex in ("male", "female"):
                assert (
                    at(f"{prefix}.{sex}_u16") <= at(f"{prefix}.{sex}_u18") <= at(f"{prefix}.{sex}")
                )
        # every breakdown sums exactly, with its "không rõ" line (issue 16)
        assert at("I.2.a.male") + at("I.2.a.female") + at("I.2.a.unknown") == at("I.2")
        assert at("I.2.b.kinh") + at("I.2.b.other_ethnic") + at("I.2.b.unknown") == at("I.2")
        assert at("I.2.c.foreigner") <= at("I.2")
        assert at("I.2.d.domestic") + at("I.2.d.abroad") + at("I.2.d.unknown") == at("I.2")
        assert at("II.4.3.a.male") + at("II.4.3.a.female") + at("II.4.3.a.unknown") == at("II.4.3")
        assert sum(
            at(f"I.2.d.abroad.{c}")
            for c in ("china", "laos", "cambodia", "thailand", "malaysia", "uk", "russia", "other")
        ) == at("I.2.d.abroad")
        assert sum(
            at(f"I.2.e.{f}") for f in ("self_returned", "rescued", "bilateral_handover")
        ) == at("I.2")
        assert at("II.4.2") <= at("II.4.1")
        assert at("II.4.3") <= at("II.4.1")
        assert at("II.4.3.a.male") + at("II.4.3.a.female") <= at("II.4.3")
        for row in form_rows():
            if row.row_id.startswith(("II.4.3.b.", "II.4.4.")) and row.unit == "person":
                parent = "II.4.3" if row.row_id.startswith("II.4.3") else "II.4.4"
                assert at(row.row_id) <= at(parent)
        assert at("II.4.4") <= at("II.4.1")
        assert (at("II.4.4.e.loan") > 0) == (at("II.4.4.e.loan_amount") > 0)
    for row in form_rows():
        assert r.total(row.row_id) == sum(v[row.row_id].values())


def test_rollup_equals_independent_counts(world) -> None:
    app, _clock, engine, ids = world
    directory = unit_directory()
    for admin_map, code, unit_of in [
        (AdminMap.OLD, "VN", lambda s: s.unit_map == "old"),
        (AdminMap.OLD, "866", lambda s: s.unit_map == "old" and s.unit_code in ("29869", "29872")),
        (AdminMap.OLD, "29872", lambda s: s.unit_map == "old" and s.unit_code == "29872"),
        (AdminMap.NEW, "VN", lambda s: True),
        (AdminMap.NEW, "82", lambda s: True),
    ]:
        rollup = compute_rollup(engine, admin_map, code, YEARS)
        _check_form_rules(rollup)
        expected = _independent(app, ids, unit_of)
        for row_id, counter in expected.items():
            form_id = "II.4.4.e.loan_amount" if row_id == "loan" else row_id
            got = {y: n for y, n in rollup.values[form_id].items() if n}
            assert got == {y: n for y, n in counter.items() if n}, (code, row_id)
    assert directory.require(AdminMap.OLD, "866").province_code == "87"
    assert compute_rollup(engine, AdminMap.OLD, "VN", YEARS).total("I.1") > 0


def test_sum_rules_across_levels_and_activities(world) -> None:
    _app, _clock, engine, _ids = world
    province = compute_rollup(engine, AdminMap.OLD, "87", YEARS)
    districts = [compute_rollup(engine, AdminMap.OLD, d, YEARS) for d in ("866", "871")]
    communes = [compute_rollup(engine, AdminMap.OLD, c, YEARS) for c in OLD_COMMUNES]
    for row in form_rows():
        for y in YEARS:
            parts = sum(d.values[row.row_id][y] for d in districts)
            if row.row_id.startswith(("II.1", "II.2", "II.3")):
                assert province.values[row.row_id][y] >= parts  # province-level activities
            else:
                assert province.values[row.row_id][y] == parts
                assert parts == sum(c.values[row.row_id][y] for c in communes)
    assert province.total("II.1") == 3 * 2  # 3 directives of 2 documents each
    assert province.total("II.2.participants") == 30 * 3
    assert province.total("II.2.pano") == 26 * 3


def test_2025_map_regroups_the_old_map(world) -> None:
    _app, _clock, engine, _ids = world
    directory = unit_directory()
    pre_2025 = tuple(range(2016, 2025))
    new = compute_rollup(engine, AdminMap.NEW, "82", pre_2025)
    absorbed = [
        u.code
        for u in directory.units(AdminMap.OLD, directory.require(AdminMap.OLD, "87").level)
        if directory.to_2025(u).code == "82"
    ]
    assert "87" in absorbed
    olds = [compute_rollup(engine, AdminMap.OLD, code, pre_2025) for code in absorbed]
    for row in form_rows():
        for y in pre_2025:
            assert new.values[row.row_id][y] == sum(o.values[row.row_id][y] for o in olds)


def test_known_at_shows_what_a_past_report_showed(world) -> None:
    app, clock, engine, _ids = world
    before = compute_rollup(engine, AdminMap.OLD, "866", YEARS)
    submitted_at = clock.now
    late = received_in_866(app, clock, date(2018, 6, 1), "BB-late", "male", 2005)
    run(app, clock, late, "verify", occurred_on=date(2018, 6, 9), outcome="victim",
        deciding_body="police")  # fmt: skip
    InProcessRunner(app.log, engine, all_projections()).run()
    now = compute_rollup(engine, AdminMap.OLD, "866", YEARS)
    assert now.values["I.2"][2018] == before.values["I.2"][2018] + 1
    assert now.values["I.2.a.male_u16"][2018] == before.values["I.2.a.male_u16"][2018] + 1
    then = compute_rollup(known_at(app.log, submitted_at), AdminMap.OLD, "866", YEARS)
    assert then.values == before.values
