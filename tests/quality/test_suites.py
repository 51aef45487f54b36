"""Custom expectations are registered and counted; a suite that lost one is refused."""

from __future__ import annotations

import pytest

import quality.expectations as qx
from quality.suites import build_suite, by_year_checks, cells_checks, require_complete


def test_every_custom_expectation_is_registered() -> None:
    assert qx.require_registered() == len(qx.CUSTOM_EXPECTATIONS) == 4


def test_suites_hold_one_expectation_per_form_rule() -> None:
    checks = by_year_checks()
    suite = build_suite("by_year", checks)
    counts = require_complete(suite, checks)
    assert counts["ExpectColumnPairValuesAToBeGreaterThanB"] == 8 + 15  # nesting + bounds
    assert counts["ExpectColumnToEqualSumOfColumns"] == 6  # parts
    assert counts["ExpectAmountToMatchPersons"] == 2
    assert counts["ExpectColumnsToHoldCounts"] == 1
    cells = cells_checks(["y2016", "y2017"])
    assert (
        require_complete(build_suite("cells", cells), cells)["ExpectParentToEqualSumOfChildUnits"]
        == 1
    )


def test_a_suite_that_lost_an_expectation_is_refused() -> None:
    checks = by_year_checks()
    suite = build_suite("by_year", checks)
    suite.delete_expectation(suite.expectations[-1])
    with pytest.raises(AssertionError, match="lost expectations"):
        require_complete(suite, checks)
