"""Projections over the lead's deterministic synthetic scenario (``infra.scenario``).

- The rollup of the demo scenario equals counts made here directly from the generated cases'
  own status (the aggregate's fold), row by row, for the nation on both maps, a province and
  a district; every nesting and sum rule holds.
- The 2025-map rollup of each pre-2025 year equals the old-map rollups regrouped by the
  crosswalk, for every new province.
- KPIs equal counts made from the cases.
- (slow) A runner killed with SIGKILL at random points and resumed gives tables identical to a
  rebuild from zero.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from domain.period import Period
from domain.reference.units import AdminMap, UnitLevel, unit_directory
from infra.scenario import ScenarioConfig, run_scenario
from infra.scenario.builders import open_app
from projections.framework import InProcessRunner, content_digest
from projections.kpi import compute_kpis
from projections.registry import all_projections
from projections.rollup import (
    DESTINATION_ROWS,
    REINTEGRATION_ROWS,
    REINTEGRATION_SUPPORTS,
    compute_rollup,
    form_rows,
)
from projections.support_use import support_use
from tests.projections.test_rollup import _check_form_rules

YEARS = tuple(range(2016, 2027))


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    tmp_path = tmp_path_factory.mktemp("synthetic")
    app = open_app(tmp_path)
    run_scenario(app, ScenarioConfig(cases=150, seed=5))
    engine = create_engine(f"sqlite:///{tmp_path / 'proj.db'}")
    InProcessRunner(app.log, engine, all_projections()).run()
    statuses = [app.cases.get(cid).status for cid in app.cases.ids()]
    yield app, engine, statuses
    app.close()


def _expected(statuses, keep) -> dict[str, dict[int, int]]:
    """The case rows of the form, counted straight from CaseStatus objects."""
    persons: dict[tuple[str, int], set] = defaultdict(set)
    sums: dict[tuple[str, int], int] = defaultdict(int)

    def sex_age(prefix: str, s, day: date) -> None:
        if s.sex not in ("male", "female"):  # the "không rõ" line (issue 16)
            persons[(f"{prefix}.unknown", day.year)].add(s.case_id)
            return
        persons[(f"{prefix}.{s.sex}", day.year)].add(s.case_id)
        for years in (18, 16):
            if s.is_under(years, day):
                persons[(f"{prefix}.{s.sex}_u{years}", day.year)].add(s.case_id)

    for s in (s for s in statuses if keep(s)):
        y, who = s.received_on.year, s.case_id
        persons[("I.1", y)].add(who)
        if s.verification_outcome == "victim":
            persons[("I.2", y)].add(who)
            sex_age("I.2.a", s, s.received_on)
            ethnicity = {"kinh": "kinh", "other": "other_ethnic"}.get(s.ethnicity, "unknown")
            persons[(f"I.2.b.{ethnicity}", y)].add(who)
            if s.nationality not in (None, "VN"):
                persons[("I.2.c.foreigner", y)].add(who)
            persons[(f"I.2.d.{s.scope or 'unknown'}", y)].add(who)
            if s.scope == "abroad":
                country = DESTINATION_ROWS.get(s.destination_country, "other")
                persons[(f"I.2.d.abroad.{country}", y)].add(who)
            persons[(f"I.2.e.{s.reception_form}", y)].add(who)
        first: dict[str, date] = {}
        for p in s.protections:
            key = "victim" if p.protected == "victim" else f"rel:{p.relationship}"
            first[key] = min(first.get(key, p.occurred_on), p.occurred_on)
        for key, day in first.items():
            persons[("I.3", day.year)].add((who, key))
        types: dict[int, set[str]] = defaultdict(set)
        for x in s.supports:
            types[x.occurred_on.year].add(x.support_type)
            if x.support_type == "loan":
                sums[("II.4.4.e.loan_amount", x.occurred_on.year)] += x.amount_vnd
            if x.support_type == "hardship_allowance":
                sums[("II.4.4.g.hardship_allowance_amount", x.occurred_on.year)] += x.amount_vnd
        admitted: dict[int, date] = {}
        for stay in s.shelter_stays:
            year = stay.admitted_on.year
            admitted[year] = min(admitted.get(year, stay.admitted_on), stay.admitted_on)
        for year in set(types) | set(admitted):
            persons[("II.4.1", year)].add(who)
        for year, kinds in types.items():
            if "essential_needs" in kinds:
                persons[("II.4.2", year)].add(who)
            if kinds & set(REINTEGRATION_SUPPORTS):
                persons[("II.4.4", year)].add(who)
                for kind, letter in REINTEGRATION_ROWS.items():
                    if kind in kinds:
                        persons[(f"II.4.4.{letter}.{kind}", year)].add(who)
        for year, day in admitted.items():
            persons[("II.4.3", year)].add(who)
            sex_age("II.4.3.a", s, day)
            for kind in (
                "essential_needs",
                "medical_care",
                "psychological_counselling",
                "legal_aid",
            ):
                if kind in types.get(year, set()):
                    persons[(f"II.4.3.b.{kind}", year)].add(who)
    out: dict[str, dict[int, int]] = defaultdict(dict)
    for (row_id, year), who in persons.items():
        if year in YEARS:
            out[row_id][year] = len(who)
    for (row_id, year), amount in sums.items():
        if year in YEARS and amount:
            out[row_id][year] = amount
    return out


def test_demo_rollup_equals_counts_from_the_generated_cases(demo) -> None:
    _app, engine, statuses = demo
    directory = unit_directory()
    old = {
        s.case_id: directory.get(AdminMap.OLD, s.unit_code) for s in statuses if s.unit_map == "old"
    }
    busiest_province = max(
        {u.province_code for u in old.values()},
        key=lambda p: sum(u.province_code == p for u in old.values()),
    )
    busiest_district = max(
        {u.district_code for u in old.values() if u.district_code},
        key=lambda d: sum(u.district_code == d for u in old.values()),
    )
    for admin_map, code, keep in [
        (AdminMap.OLD, "VN", lambda s: s.unit_map == "old"),
        (AdminMap.NEW, "VN", lambda s: True),
        (
            AdminMap.OLD,
            busiest_province,
            lambda s: s.case_id in old and old[s.case_id].province_code == busiest_province,
        ),
        (
            AdminMap.OLD,
            busiest_district,
            lambda s: s.case_id in old and old[s.case_id].district_code == busiest_district,
        ),
    ]:
        rollup = compute_rollup(engine, admin_map, code, YEARS)
        _check_form_rules(rollup)
        expected = _expected(statuses, keep)
        assert expected["I.1"], code
        for row in form_rows():
            if row.row_id.startswith(("II.1", "II.2", "II.3")):
                continue  # activities: the synthetic scenario records none
            got = {y: n for y, n in rollup.values[row.row_id].items() if n}
            assert got == expected.get(row.row_id, {}), (code, row.row_id)


def test_2025_map_is_the_old_map_regrouped(demo) -> None:
    _app, engine, _statuses = demo
    directory = unit_directory()
    pre_2025 = tuple(range(2016, 2025))
    olds = {
        u.code: compute_rollup(engine, AdminMap.OLD, u.code, pre_2025)
        for u in directory.units(AdminMap.OLD, UnitLevel.PROVINCE)
    }
    nonzero = 0
    for new in directory.units(AdminMap.NEW, UnitLevel.PROVINCE):
        rollup = compute_rollup(engine, AdminMap.NEW, new.code, pre_2025)
        parts = [r for code, r in olds.items() if directory.province_to_2025(code) == new.code]
        for row in form_rows():
            for y in pre_2025:
                assert rollup.values[row.row_id][y] == sum(p.values[row.row_id][y] for p in parts)
        nonzero += rollup.total("I.1") > 0
    assert nonzero >= 3


def test_kpis_equal_counts_from_the_cases(demo) -> None:
    _app, engine, statuses = demo
    today = date(2026, 11, 20)
    kpis = {k.key: k for k in compute_kpis(engine, AdminMap.NEW, "VN", today, Period.parse("2019"))}
    cases = [s for s in statuses if s.received_on.year == 2019]
    victims = [s for s in cases if s.verification_outcome == "victim"]
    assert (kpis["verified"].numerator, kpis["verified"].denominator) == (
        sum(s.verification_outcome is not None for s in cases),
        len(cases),
    )
    assert kpis["victims_supported"].numerator == sum(
        bool(s.supports or s.shelter_stays) for s in victims
    )
    assert kpis["victims_essential_needs"].numerator == sum(
        "essential_needs" in s.support_types() for s in victims
    )

    def person(step) -> str:  # type: ignore[no-untyped-def]
        return "victim" if step.protected == "victim" else f"rel:{step.relationship}"

    needing = [{person(p) for p in (*s.protection_requests, *s.protections)} for s in victims]
    protected = [{person(p) for p in s.protections} for s in victims]
    assert (kpis["protection_given"].numerator, kpis["protection_given"].denominator) == (
        sum(map(len, protected)),
        sum(map(len, needing)),
    )
    assert kpis["procedures_overdue"].numerator == sum(
        s.procedures_overdue_days(today) > 0 for s in cases
    )
    every_year = {k.key: k for k in compute_kpis(engine, AdminMap.NEW, "VN", today)}
    given = every_year["protection_given"]
    assert 0 < given.numerator < given.denominator, "the scenario leaves some needs unmet"


RUNNER_SCRIPT = """
import random, sys
from sqlalchemy import create_engine
from projections.framework import InProcessRunner
from projections.registry import all_projections
from infra.scenario.builders import open_app
from pathlib import Path
app = open_app(Path(sys.argv[1]))
runner = InProcessRunner(app.log, create_engine("sqlite:///" + sys.argv[2]), all_projections(),
                         batch_size=int(sys.argv[3]))
runner.run()
print("caught-up")
"""


@pytest.mark.slow
def test_runner_killed_at_random_points_resumes_to_identical_tables(tmp_path: Path) -> None:
    app = open_app(tmp_path)
    run_scenario(app, ScenarioConfig(cases=1500, seed=99))
    head = app.log.head()
    rebuilt = create_engine(f"sqlite:///{tmp_path / 'rebuilt.db'}")
    InProcessRunner(app.log, rebuilt, all_projections()).run()

    target = tmp_path / "killed.db"
    rng = random.Random(17)
    env = {**os.environ, "PYTHONPATH": str(Path.cwd())}
    kills = 0
    for _attempt in range(60):
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                RUNNER_SCRIPT,
                str(tmp_path),
                str(target),
                str(rng.choice([7, 50, 300, 1000])),
            ],
            stdout=subprocess.PIPE,
            env=env,
        )
        time.sleep(rng.uniform(1.0, 3.0))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait()
            kills += 1
            continue
        assert process.stdout is not None
        assert process.stdout.read().strip() == b"caught-up"
        break
    assert kills >= 2, "the runner finished before it could be killed twice"
    killed = create_engine(f"sqlite:///{target}")
    InProcessRunner(app.log, killed, all_projections()).run()  # in case the loop ran out
    for projection in all_projections():
        assert content_digest(killed, projection) == content_digest(rebuilt, projection)
    assert InProcessRunner(app.log, killed, all_projections()).positions() == {
        p.name: head for p in all_projections()
    }


def test_support_use_equals_the_cases_supports(demo) -> None:
    _app, engine, statuses = demo
    uses = support_use(engine, AdminMap.NEW, "VN", YEARS)
    expected: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for s in statuses:
        for x in s.supports:
            expected[(x.support_type, x.occurred_on.year)][0] += 1
            expected[(x.support_type, x.occurred_on.year)][1] += x.amount_vnd or 0
    assert {(u.support_type, u.year): [u.supports, u.amount_vnd] for u in uses} == dict(expected)
    assert all(0 < u.persons <= u.supports for u in uses)
