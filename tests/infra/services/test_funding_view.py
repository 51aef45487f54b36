"""Reading money by scope: a national grant reads every figure; a province's finance officer or
inspector reads exactly the legs of the units inside it (none missing, none from outside),
reconciliations add up only those, discrepancies follow the case's unit; other roles are
refused and the refusal logged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from domain.access.log import AccessRecord
from domain.access.policy import Action
from domain.access.roles import Role
from domain.access.scope import Scope, UnitRef
from domain.errors import NotAllowed
from infra.keys import create_key_file
from infra.scenario import ScenarioConfig, run_scenario, seed_funding
from infra.scenario.staff import scenario_staff
from infra.services.funding_view import FundingView
from infra.services.socai import Socai
from infra.settings import Settings
from projections.framework import InProcessRunner
from projections.funding import Leg, reconcile
from projections.funding_sql import FundingProjection, FundingQueries

pytestmark = pytest.mark.integration

DONG_THAP = Scope("2025", "82")
BY = (("unit",), ("programme", "line", "source"), ("province", "programme"), ())


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Socai, FundingQueries]]:
    folder = tmp_path_factory.mktemp("funding-view")
    create_key_file(folder / "k")
    app = Socai(Settings.load(f"sqlite:///{folder / 's.db'}", str(folder / "k")))
    run_scenario(app, ScenarioConfig(cases=40, seed=7))
    with_money = [
        c for c in app.cases.ids() if any(s.amount_vnd for s in app.cases.get(c).status.supports)
    ]
    assert seed_funding(app, with_money).discrepancy is not None
    engine = sa.create_engine(f"sqlite:///{folder / 'p.db'}")
    InProcessRunner(app.log, engine, [FundingProjection()]).run()
    yield app, FundingQueries(engine)
    app.close()


def _view(app: Socai, queries: FundingQueries, role: Role, scope: str) -> FundingView:
    principal = scenario_staff(app).user(role, scope, f"{role.value}-{scope}".upper())
    return app.funding.view(principal, lambda: queries, "test")


def _unit(leg: Leg) -> UnitRef | None:
    if leg.unit_map is None or leg.unit_code is None:
        return None
    return UnitRef(leg.unit_map, leg.unit_code)


@pytest.mark.parametrize("role", [Role.FINANCE_OFFICER, Role.INSPECTOR])
def test_a_province_reads_exactly_the_legs_of_its_units(store, role: Role) -> None:
    app, queries = store
    everything = list(_view(app, queries, role, "VN").legs())
    mine = [leg for leg in everything if (u := _unit(leg)) is not None and DONG_THAP.covers(u)]
    assert mine and len(mine) < len(everything), "the demo has money inside and outside 82"
    assert any(_unit(leg) is None for leg in everything), "and programme-wide money"

    seen = list(_view(app, queries, role, "82").legs())
    assert seen == mine
    for by in BY:
        assert _view(app, queries, role, "82").reconcile(by) == reconcile(mine, by), by
        assert _view(app, queries, role, "VN").reconcile(by) == reconcile(everything, by), by


def test_a_scope_with_no_allocations_reads_nothing_but_is_not_refused(store) -> None:
    app, queries = store
    everything = list(_view(app, queries, Role.FINANCE_OFFICER, "VN").legs())
    hanoi = Scope("2025", "01")
    expected = [leg for leg in everything if (u := _unit(leg)) is not None and hanoi.covers(u)]
    view = _view(app, queries, Role.FINANCE_OFFICER, "01")
    assert list(view.legs()) == expected
    assert view.reconcile(("unit",)) == reconcile(expected, ("unit",))


def test_discrepancies_follow_the_cases_unit(store) -> None:
    app, queries = store
    everywhere = _view(app, queries, Role.FINANCE_OFFICER, "VN").discrepancies()
    assert everywhere
    in_82 = _view(app, queries, Role.FINANCE_OFFICER, "82").discrepancies()
    assert set(in_82) <= set(everywhere)
    for item in everywhere:
        case_in_82 = item.case_id in set(app.cases.ids()) and DONG_THAP.covers(
            app.cases.unit_of(item.case_id)
        )
        if case_in_82:
            assert item in in_82, item.problem


@pytest.mark.parametrize(
    "role",
    [Role.STATISTICIAN, Role.CASE_OFFICER, Role.SUPERVISOR, Role.DATA_PROTECTION_OFFICER],
)
def test_roles_without_money_are_refused_and_the_refusal_is_logged(store, role: Role) -> None:
    app, queries = store
    head = app.log.head()
    with pytest.raises(NotAllowed, match=r"funding\.read.*not allowed"):
        _view(app, queries, role, "VN")
    refusals = [
        e for _, e in app.log.events(after=head) if isinstance(e, AccessRecord.AccessRefused)
    ]
    assert [r.action for r in refusals] == [Action.FUNDING_READ.value]


def test_an_export_names_the_scope_read(store, tmp_path: Path) -> None:
    app, queries = store
    assert _view(app, queries, Role.FINANCE_OFFICER, "VN").scope == "VN"
    assert _view(app, queries, Role.FINANCE_OFFICER, "82").scope == "2025:82"
