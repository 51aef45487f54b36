"""The rule families of the rollup form as checks (kiểm tra), free of great-expectations.

**One check per rule family**, not one per rule: GX's cost (a metric graph in pandas, queries
in SQL) is per expectation, and a family's rules read the same row. A :class:`Check` names the
family (``kind``), the table it validates, and its *members* — each rule's stable name and the
columns it reads, in the rule's order (``[whole, part...]``, ``[smaller, larger]``,
``[persons, amount]``). :mod:`quality.suites` turns each into one expectation (the check rides
in its ``meta``); :mod:`quality.results` explains each unexpected row by evaluating the
members on it.

Families (one per validated table, see :mod:`quality.frames`):

* *cells* — ``total`` (stated total = sum of years, blank ≠ 0), every form row of a unit.
* *by year* — ``hierarchy`` (each unit = the sum of its child units, every form row, per
  year), ``nesting``, ``parts``, ``bound``, ``money`` (amount ⇔ persons, and a legal amount per
  person for the regime of the year), ``count`` (non-negative whole numbers on every person
  row), ``non_negative`` (money rows).
* *reconciliation* — ``reconcile``: submitted = computed from events, per year.

This module imports no GX, so reading a file and explaining findings cost no GX import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.case.rules import regimes_in_year
from domain.money import DONG_PER_MILLION
from domain.reference.rollup_form import (
    BOUNDS,
    MONEY,
    NESTING,
    PARTS,
    form_rows,
    row_ids,
    row_index,
)
from quality.frames import (
    BY_YEAR,
    CELLS,
    EVENTS,
    RECONCILIATION,
    SUBMITTED,
    TOTALS,
    row_column,
    sql_table,
    total_column,
)

#: Two figures agree when they differ by less than this (money is in million VND: a đồng is
#: 1e-6, so sums of amounts written to the đồng still agree; counts are whole).
TOLERANCE = 1e-7

#: The table a SQL run materialises the children's sums of the hierarchy rule into (see
#: ``quality.run``); the pandas engine computes them itself.
CHILDREN_TABLE = sql_table(BY_YEAR) + "_children"

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
    #: For ``total`` on the totals frame: the years each stated total sums (the by-year
    #: table's rows of the unit).
    years: tuple[int, ...] = ()

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
        """What the expectation's ``meta`` carries: small (GX copies a configuration many
        times per run), with the family's rule names so the Data Docs and JSON say what was
        checked; the members' columns are the expectation's own arguments."""
        return {
            "socai_check": {
                "kind": self.kind,
                "frame": self.frame,
                "rule": self.rule,
                "rules": sorted({rule for rule, _columns in self.members}),
            }
        }

    def is_described_by(self, meta: dict[str, Any] | None) -> bool:
        """Whether an expectation's ``meta`` is this check's (nothing edited in between)."""
        data = (meta or {}).get("socai_check")
        return data == self.meta()["socai_check"]


def cells_checks(years: list[str]) -> list[Check]:
    return [Check("total", CELLS, (("total_equals_sum_of_years", ("total_stated", *years)),))]


def totals_checks(years: list[int]) -> list[Check]:
    """The total rule per unit, for the SQL engines: each form row's stated total (the totals
    frame) against the sum of the unit's figures of that row in the by-year table — the same
    rule, on the same cells, as :func:`cells_checks`, without writing the years twice."""
    columns = tuple(total_column(r) for r in row_ids())
    return [Check("total", TOTALS, (("total_equals_sum_of_years", columns),), years=tuple(years))]


def hierarchy_check() -> Check:
    """Each unit's figure of each form row equals the sum over its child units, per year: on
    the by-year table (one row per unit × year, all form rows), so the children's sums are one
    grouped pass over 17,000 rows rather than 200,000."""
    columns = ("unit_code", "parent_code", "unit_map", "year", *(row_column(r) for r in row_ids()))
    return Check("hierarchy", BY_YEAR, (("children_sum_to_parent", columns),))


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
        hierarchy_check(),
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


def rules_checked(checks: list[Check]) -> int:
    """How many rules the checks hold (a family counts each of its members)."""
    return sum(len(c.members) for c in checks)


assert set(AMOUNT_SUPPORT) == {r.row_id for r in form_rows() if r.is_money} <= set(row_index())
