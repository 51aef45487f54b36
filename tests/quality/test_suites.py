"""Custom expectations are registered and counted; a suite that lost one is refused."""

from __future__ import annotations

import pytest

import quality.expectations as qx
from domain.reference.rollup_form import BOUNDS, MONEY, NESTING, PARTS, form_rows
from quality.suites import (
    amount_limits,
    build_suite,
    by_year_checks,
    cells_checks,
    require_complete,
    rules_checked,
)

YEARS = [2016, 2017]


@pytest.fixture
def gx_context() -> object:
    """GX adds an expectation to a suite only inside an active data context; a run makes its
    own ephemeral one (``quality.run``), so a test that builds a suite alone makes one too,
    rather than relying on an earlier test in the same process having made it."""
    import great_expectations as gx

    return gx.get_context(mode="ephemeral")


def test_every_custom_expectation_is_registered() -> None:
    assert qx.require_registered() == len(qx.CUSTOM_EXPECTATIONS) == 7


@pytest.mark.usefixtures("gx_context")
def test_one_expectation_per_rule_family_holding_every_form_rule() -> None:
    checks = by_year_checks(YEARS)
    suite = build_suite("by_year", checks)
    counts = require_complete(suite, checks)
    assert counts == {
        "ExpectParentToEqualSumOfChildUnits": 1,  # the hierarchy, every row, per year
        "ExpectPairsToBeOrdered": 2,  # nesting, bounds
        "ExpectSumsToHold": 1,  # parts
        "ExpectAmountsToMatchPersons": 1,
        "ExpectColumnsToHoldCounts": 1,
        "ExpectColumnsToBeNonNegative": 1,
    }
    members = {c.kind: len(c.members) for c in checks}
    assert members["nesting"] == len(NESTING) == 8
    assert members["bound"] == len(BOUNDS) == 15
    assert members["parts"] == len(PARTS) == 6
    assert members["money"] == len(MONEY) == 2
    assert members["count"] == sum(1 for r in form_rows() if not r.is_money)
    assert rules_checked(checks) == sum(members.values())
    cells = cells_checks(["y2016", "y2017"])
    assert require_complete(build_suite("cells", cells), cells) == {"ExpectSumsToHold": 1}


def test_legal_amounts_per_person_follow_the_regime_of_the_year() -> None:
    loan = dict(
        (y, (lo, hi)) for y, lo, hi in amount_limits("II.4.4.e.loan_amount", [2011, 2016, 2025])
    )
    assert 2011 not in loan  # before the 2011 law entered into force: no regime, no limit
    assert loan[2016] == (1.0, 200.0)  # million VND per person, Luật PCMBN 2011
    assert loan[2025] == (1.0, 300.0)  # both regimes are in force in 2025: their union


@pytest.mark.usefixtures("gx_context")
def test_a_suite_that_lost_an_expectation_is_refused() -> None:
    checks = by_year_checks(YEARS)
    suite = build_suite("by_year", checks)
    suite.delete_expectation(suite.expectations[-1])
    with pytest.raises(AssertionError, match="lost expectations"):
        require_complete(suite, checks)


def test_sql_columns_are_found_by_their_configured_names_in_any_case() -> None:
    """GX hands SQL columns over named by a case-insensitive string that hashes its folded
    form (PostgreSQL): the expectations must still find ``r_I_2`` by its configured name."""
    import sqlalchemy as sa
    from great_expectations.expectations.metrics.util import CaseInsensitiveString

    columns = [sa.column(CaseInsensitiveString(n)) for n in ("r_I_2", "r_I_2_a_male", "year")]
    found = qx._sql(columns)
    assert list(found) == ["r_I_2", "r_I_2_a_male", "year"]
    assert all(found[str(c.name)] is c for c in columns)
