"""The rollup suites (bộ kiểm tra), defined in Python from the form's structural rules.

Each expectation carries a :class:`Check` in its ``meta``: the rule's stable name, its kind,
and the columns it reads. :mod:`quality.results` turns each failing row of a check back into
"unit, row id, label, year, rule, expected, actual".

Suites (one per validated table, see :mod:`quality.frames`):

* ``socai.rollup.cells`` — ``total`` (stated total = sum of years, blank ≠ 0) and
  ``hierarchy`` (children sum to parent, one expectation per year).
* ``socai.rollup.by_year`` — ``nesting``, ``parts``, ``bound``, ``money`` from
  :mod:`domain.reference.rollup_form`, ``count`` (non-negative whole numbers) on every person
  row, ``non_negative`` on every money row.
* ``socai.rollup.reconciliation`` — ``reconcile``: submitted = computed from events, per year.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from typing import Any

import great_expectations as gx
import great_expectations.expectations as gxe

import quality.expectations as qx
from domain.reference.rollup_form import BOUNDS, MONEY, NESTING, PARTS, form_rows
from quality.frames import BY_YEAR, CELLS, EVENTS, RECONCILIATION, SUBMITTED, row_column

KINDS = (
    "total",
    "hierarchy",
    "nesting",
    "parts",
    "bound",
    "money",
    "count",
    "non_negative",
    "reconcile",
)


@dataclass(frozen=True, slots=True)
class Check:
    """What one expectation checks, kept in its ``meta`` so results can be explained."""

    rule: str
    kind: str
    frame: str
    columns: tuple[str, ...]

    def meta(self) -> dict[str, Any]:
        return {"socai_check": {**asdict(self), "columns": list(self.columns)}}

    @classmethod
    def from_meta(cls, meta: dict[str, Any] | None) -> Check:
        data = (meta or {}).get("socai_check")
        assert data is not None, "an expectation without its socai check (was the suite edited?)"
        return cls(data["rule"], data["kind"], data["frame"], tuple(data["columns"]))


def _expectation(check: Check) -> Any:
    c, meta = list(check.columns), check.meta()
    if check.kind in ("total", "parts", "reconcile"):
        return qx.ExpectColumnToEqualSumOfColumns(column_list=c, meta=meta)
    if check.kind == "hierarchy":
        values = sum(1 for x in c if x.startswith("y"))
        return qx.ExpectParentToEqualSumOfChildUnits(column_list=c, value_columns=values, meta=meta)
    if check.kind in ("nesting", "bound"):
        larger, smaller = c
        return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A=larger,
            column_B=smaller,
            or_equal=True,
            ignore_row_if="either_value_is_missing",
            meta=meta,
        )
    if check.kind == "money":
        return qx.ExpectAmountToMatchPersons(column_list=c, meta=meta)
    if check.kind == "count":
        return qx.ExpectColumnsToHoldCounts(column_list=c, meta=meta)
    if check.kind == "non_negative":
        return gxe.ExpectColumnValuesToBeBetween(column=c[0], min_value=0, meta=meta)
    raise AssertionError(f"unknown check kind {check.kind}")


def cells_checks(years: list[str]) -> list[Check]:
    checks = [Check("total_equals_sum_of_years", "total", CELLS, ("total_stated", *years))]
    checks.append(
        Check(
            "children_sum_to_parent",
            "hierarchy",
            CELLS,
            ("unit_code", "parent_code", "unit_map", "row_id", *years),
        )
    )
    return checks


def by_year_checks() -> list[Check]:
    checks = [
        Check(r.name, "nesting", BY_YEAR, (row_column(r.larger), row_column(r.smaller)))
        for r in NESTING
    ]
    checks += [
        Check(s.name, "parts", BY_YEAR, tuple(row_column(x) for x in (s.whole, *s.parts)))
        for s in PARTS
    ]
    checks += [
        Check(r.name, "bound", BY_YEAR, (row_column(r.larger), row_column(r.smaller)))
        for r in BOUNDS
    ]
    checks += [
        Check(m.name, "money", BY_YEAR, (row_column(m.persons), row_column(m.amount)))
        for m in MONEY
    ]
    counts = tuple(row_column(r.row_id) for r in form_rows() if not r.is_money)
    checks.append(Check("non_negative_integer", "count", BY_YEAR, counts))
    checks += [
        Check("non_negative_amount", "non_negative", BY_YEAR, (row_column(r.row_id),))
        for r in form_rows()
        if r.is_money
    ]
    return checks


def reconciliation_checks(years: list[str]) -> list[Check]:
    return [
        Check("submitted_equals_events", "reconcile", RECONCILIATION, (SUBMITTED + y, EVENTS + y))
        for y in years
    ]


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
