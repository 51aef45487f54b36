"""The rollup suites (bộ kiểm tra): one great-expectations expectation per rule family.

The families and their rules are :mod:`quality.checks` (GX-free); this module turns each
:class:`~quality.checks.Check` into its expectation (the check rides in the expectation's
``meta``, so results can be explained) and guards that a suite still holds every expectation
it was built with.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import great_expectations as gx

import quality.expectations as qx
from quality.checks import (
    AMOUNT_SUPPORT,
    CHILDREN_TABLE,
    KINDS,
    Check,
    amount_limits,
    by_year_checks,
    cells_checks,
    reconciliation_checks,
    rules_checked,
    totals_checks,
)
from quality.frames import BY_YEAR, TOTALS, sql_table

__all__ = [
    "AMOUNT_SUPPORT",
    "CHILDREN_TABLE",
    "KINDS",
    "Check",
    "amount_limits",
    "build_suite",
    "by_year_checks",
    "cells_checks",
    "reconciliation_checks",
    "require_complete",
    "rules_checked",
    "totals_checks",
]


def _expectation(check: Check) -> Any:
    columns, meta = list(check.columns), check.meta()
    groups = [list(c) for _rule, c in check.members]
    sizes = {len(g) for g in groups}
    if check.kind == "total" and check.frame == TOTALS:
        return qx.ExpectTotalsToEqualSumOfYears(
            column_list=columns,
            years=len(check.years),
            years_table=sql_table(BY_YEAR),
            meta=meta,
        )
    if check.kind in ("total", "parts", "reconcile") and len(sizes) == 1:
        assert [c for g in groups for c in g] == columns, "groups in column order"
        return qx.ExpectSumsToHold(column_list=columns, group_size=sizes.pop(), meta=meta)
    if check.kind in ("total", "parts", "reconcile"):
        return qx.ExpectSumsToHold(column_list=columns, groups=groups, meta=meta)
    if check.kind == "hierarchy":
        values = len(columns) - 4  # unit_code, parent_code, unit_map, year, then the rows
        return qx.ExpectParentToEqualSumOfChildUnits(
            column_list=columns, value_columns=values, children_table=CHILDREN_TABLE, meta=meta
        )
    if check.kind in ("nesting", "bound"):
        return qx.ExpectPairsToBeOrdered(column_list=columns, pairs=groups, meta=meta)
    if check.kind == "money":
        limits = [[list(x) for x in member] for member in check.limits]
        return qx.ExpectAmountsToMatchPersons(
            column_list=columns, pairs=groups, limits=limits, meta=meta
        )
    if check.kind == "count":
        return qx.ExpectColumnsToHoldCounts(column_list=columns, meta=meta)
    if check.kind == "non_negative":
        return qx.ExpectColumnsToBeNonNegative(column_list=columns, meta=meta)
    raise AssertionError(f"unknown check kind {check.kind}")


def build_suite(name: str, checks: list[Check]) -> gx.ExpectationSuite:
    """A suite holding one expectation per check, in order."""
    qx.require_registered()
    suite = gx.ExpectationSuite(name=name)
    for check in checks:
        suite.add_expectation(_expectation(check))
    require_complete(suite, checks)
    return suite


def require_complete(suite: gx.ExpectationSuite, checks: list[Check]) -> Counter[str]:
    """Count the suite's expectations by type and assert none went missing.

    Guards against the known GX failure where a custom expectation silently drops out of a
    suite: the count by type must equal what the checks asked for.
    """
    wanted = Counter(type(_expectation(c)).__name__ for c in checks)
    found = Counter(type(e).__name__ for e in suite.expectations)
    assert found == wanted, f"suite {suite.name} lost expectations: wanted {wanted}, has {found}"
    return found
