"""The rollup suites (bộ kiểm tra), defined in Python from the form's structural rules.

**One expectation per rule family**, not one per rule: GX's cost (a metric graph in pandas,
queries in SQL) is per expectation, and a family's rules read the same row. Each expectation
carries a :class:`Check` in its ``meta``: the family (``kind``), the table it validates, and
its *members* — each rule's stable name and the columns it reads, in the rule's order
(``[whole, part...]``, ``[smaller, larger]``, ``[persons, amount]``). :mod:`quality.results`
explains each unexpected row by evaluating the members on it.

Suites (one per validated table, see :mod:`quality.frames`):

* ``socai.rollup.cells`` — ``total`` (stated total = sum of years, blank ≠ 0) and
  ``hierarchy`` (children sum to parent, all years in one expectation).
* ``socai.rollup.by_year`` — ``nesting``, ``parts``, ``bound``, ``money`` (amount ⇔ persons,
  and a legal amount per person for the regime of the year), ``count`` (non-negative whole
  numbers on every person row), ``non_negative`` (money rows).
* ``socai.rollup.reconciliation`` — ``reconcile``: submitted = computed from events, per year.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import great_expectations as gx

import quality.expectations as qx
from domain.case.rules import regimes_in_year
from domain.money import DONG_PER_MILLION
from domain.reference.rollup_form import BOUNDS, MONEY, NESTING, PARTS, form_rows, row_index
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

#: The support type each money row pays (its legal amount per person is the regime's).
AMOUNT_SUPPORT = {
    "II.4.4.e.loan_amount": "loan",
    "II.4.4.g.hardship_allowance_amount": "hardship_allowance",
}


@dataclass(frozen=True, slots=True)
class Check:
    """One rule family as one expectation: ``members`` = ((rule, columns), ...)."""

    kind: str
    frame: str
    members: tuple[tuple[str, tuple[str, ...]], ...]
    #: For ``money``: per member, ((year, low, high), ...) in million VND per person.
    limits: tuple[tuple[tuple[int, float, float], ...], ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the family reads, once, in first-use order."""
        seen: dict[str, None] = {}
        if self.kind == "money":
            seen["year"] = None
        for _rule, columns in self.members:
            seen.update(dict.fromkeys(columns))
        return tuple(seen)

    @property
    def rule(self) -> str:
        """The family's name as GX results show it (the single rule, or the kind)."""
        return self.members[0][0] if len(self.members) == 1 else self.kind

    def meta(self) -> dict[str, Any]:
        return {
            "socai_check": {
                "kind": self.kind,
                "frame": self.frame,
                "rule": self.rule,
                "members": [[rule, list(columns)] for rule, columns in self.members],
                "limits": [[list(x) for x in member] for member in self.limits],
            }
        }

    @classmethod
    def from_meta(cls, meta: dict[str, Any] | None) -> Check:
        data = (meta or {}).get("socai_check")
        assert data is not None, "an expectation without its socai check (was the suite edited?)"
        return cls(
            data["kind"],
            data["frame"],
            tuple((rule, tuple(columns)) for rule, columns in data["members"]),
            tuple(tuple((int(y), lo, hi) for y, lo, hi in member) for member in data["limits"]),
        )


def _expectation(check: Check) -> Any:
    columns, meta = list(check.columns), check.meta()
    groups = [list(c) for _rule, c in check.members]
    if check.kind in ("total", "parts", "reconcile"):
        return qx.ExpectSumsToHold(column_list=columns, groups=groups, meta=meta)
    if check.kind == "hierarchy":
        values = sum(1 for x in columns if x.startswith("y"))
        return qx.ExpectParentToEqualSumOfChildUnits(
            column_list=columns, value_columns=values, meta=meta
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


def cells_checks(years: list[str]) -> list[Check]:
    return [
        Check("total", CELLS, (("total_equals_sum_of_years", ("total_stated", *years)),)),
        Check(
            "hierarchy",
            CELLS,
            (
                (
                    "children_sum_to_parent",
                    ("unit_code", "parent_code", "unit_map", "row_id", *years),
                ),
            ),
        ),
    ]


def amount_limits(amount_row: str, years: list[int]) -> tuple[tuple[int, float, float], ...]:
    """The legal range of one person's payment on ``amount_row``, per year, in million VND:
    the union over the regimes in force during the year (both in 2025)."""
    support = AMOUNT_SUPPORT[amount_row]
    out = []
    for year in years:
        ranges = [
            r.amount_per_person(support)
            for r in regimes_in_year(year)
            if r.amount_per_person(support) is not None
        ]
        if ranges:
            low = min(r.low_vnd for r in ranges if r is not None) / DONG_PER_MILLION
            high = max(r.high_vnd for r in ranges if r is not None) / DONG_PER_MILLION
            out.append((year, low, high))
    return tuple(out)


def by_year_checks(years: list[int]) -> list[Check]:
    def pairs(rules: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
        return tuple((r.name, (row_column(r.smaller), row_column(r.larger))) for r in rules)

    money_members = tuple((m.name, (row_column(m.persons), row_column(m.amount))) for m in MONEY)
    assert all(m.amount in AMOUNT_SUPPORT for m in MONEY), "a money row without its support"
    return [
        Check("nesting", BY_YEAR, pairs(NESTING)),
        Check(
            "parts",
            BY_YEAR,
            tuple((s.name, tuple(row_column(x) for x in (s.whole, *s.parts))) for s in PARTS),
        ),
        Check("bound", BY_YEAR, pairs(BOUNDS)),
        Check(
            "money",
            BY_YEAR,
            money_members,
            tuple(amount_limits(m.amount, years) for m in MONEY),
        ),
        Check(
            "count",
            BY_YEAR,
            tuple(
                ("non_negative_integer", (row_column(r.row_id),))
                for r in form_rows()
                if not r.is_money
            ),
        ),
        Check(
            "non_negative",
            BY_YEAR,
            tuple(
                ("non_negative_amount", (row_column(r.row_id),)) for r in form_rows() if r.is_money
            ),
        ),
    ]


def reconciliation_checks(years: list[str]) -> list[Check]:
    return [
        Check(
            "reconcile",
            RECONCILIATION,
            tuple(("submitted_equals_events", (SUBMITTED + y, EVENTS + y)) for y in years),
        )
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


def rules_checked(checks: list[Check]) -> int:
    """How many rules the checks hold (a family counts each of its members)."""
    return sum(len(c.members) for c in checks)


assert set(AMOUNT_SUPPORT) == {r.row_id for r in form_rows() if r.is_money} <= set(row_index())
