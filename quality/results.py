"""Findings people can act on: which unit, row and year, what rule, expected vs actual.

GX tells *which rows* of a validated table fail a rule family (``unexpected_index_list`` with
the table's identity columns). :class:`Explainer` evaluates each member rule of the family on
that row — the same semantics as the expectation — and returns one :class:`Finding` per
wrong cell, reading the figures from the frames that were validated. If GX named a row on
which no rule fails, the engines disagree and the run stops (never a silent pass).

**Errors and warnings** (lỗi / cảnh báo). A blank cell (ô trống) in a sum is told apart:

* the blank is *consistent with 0* — the filled cells already add up (a total of 20 over
  2016 = 20 and 2017–2020 blank): a **warning** ``…_blank_as_zero``; the report still exits 0;
* the blank *hides a value* — the stated whole exceeds what is filled (Hồng Ngự's posters:
  one year 20, total 150): an **error** ``…_incomplete``;
* a blank whole over filled parts that are not all 0: an **error** (the whole is missing).

Every finding lists the cells it read (``cells``), so a structural finding (a missing row or
column, an unreadable cell) can take the findings it causes as its consequences
(:mod:`quality.structure`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from domain.case.rules import regimes_in_year
from domain.reference.rollup_form import row_index
from domain.reference.units import AdminMap, unit_directory
from quality.checks import AMOUNT_SUPPORT, TOLERANCE, Check
from quality.frames import (
    BY_YEAR,
    CELLS,
    EVENTS,
    FRAME_KEYS,
    ROW_NUMBER,
    ROW_OF_COLUMN,
    SUBMITTED,
    TOTALS,
    UNIT_NUMBER,
)
from quality.table import TOTAL_COLUMN, year_columns

TOTAL_YEAR = "total"
ERROR, WARNING = "error", "warning"

#: One cell of a rollup: (unit_map, unit_code, row_id, column) — column ``y2016`` or
#: ``total_stated``.
Cell = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class Finding:
    """One wrong cell of a rollup — or one structural fault, with the findings it causes.

    ``unit_map``/``unit_code`` are empty for a fault of the whole file (a missing column);
    ``row_id`` is empty for a fault of no single row; ``year`` is ``"2018"``, ``"total"``, or
    empty.
    """

    unit_map: str
    unit_code: str
    row_id: str
    year: str
    rule: str
    expected: str
    actual: str
    severity: str = ERROR
    consequences: tuple[Finding, ...] = ()
    cells: tuple[Cell, ...] = field(default=(), compare=False, repr=False)

    @property
    def label_vi(self) -> str:
        row = row_index().get(self.row_id)
        return row.label_vi if row is not None else ""

    @property
    def unit_name(self) -> str:
        if not self.unit_code:
            return ""
        unit = unit_directory().get(AdminMap(self.unit_map), self.unit_code)
        return unit.name if unit is not None else "?"

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def line(self) -> str:
        unit = f"{self.unit_map}:{self.unit_code} {self.unit_name}" if self.unit_code else "file"
        text = (
            f"{unit} | {self.row_id or '-'} | {self.label_vi or '-'} | {self.year or '-'}"
            f" | {self.rule} | expected {self.expected} | actual {self.actual}"
        )
        if self.consequences:
            counts = Counter(c.rule for c in self.consequences)
            listed = ", ".join(f"{rule} ×{n}" for rule, n in sorted(counts.items()))
            text += f" | {len(self.consequences)} consequences grouped here: {listed}"
        return f"warning: {text}" if self.severity == WARNING else text

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit_map": self.unit_map,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "row_id": self.row_id,
            "label_vi": self.label_vi,
            "year": self.year,
            "rule": self.rule,
            "severity": self.severity,
            "expected": self.expected,
            "actual": self.actual,
            "consequences": [c.as_dict() for c in self.consequences],
        }


#: The name the earlier code used; a finding of severity "error" is a failure.
Failure = Finding


def figure(value: Any) -> str:
    """A cell as people read it: ``blank`` for an empty cell, whole numbers without ``.0``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "blank"
    number = float(value)
    if number.is_integer():
        return str(int(number))
    return f"{round(number, 6):.6f}".rstrip("0").rstrip(".")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _year(column: str) -> str:
    return column.removeprefix(SUBMITTED).removeprefix(EVENTS).removeprefix("y")


@dataclass(frozen=True, slots=True)
class SumOutcome:
    """How ``whole = Σ parts`` holds on one row: ``clean``, ``mismatch`` (all filled, not
    equal), ``hides`` (a blank hides a value), ``blank_zero`` (blanks consistent with 0)."""

    status: str
    filled_sum: float
    blank_parts: tuple[int, ...]
    whole_blank: bool


def sum_outcome(whole: float, parts: list[float]) -> SumOutcome:
    blanks = tuple(i for i, p in enumerate(parts) if _blank(p))
    whole_blank = _blank(whole)
    total = math.fsum(p for p in parts if not _blank(p))
    if whole_blank and len(blanks) == len(parts):
        return SumOutcome("clean", total, blanks, True)
    if not whole_blank and not blanks:
        status = "clean" if abs(whole - total) < TOLERANCE else "mismatch"
        return SumOutcome(status, total, blanks, False)
    if whole_blank:
        return SumOutcome("blank_zero" if abs(total) < TOLERANCE else "hides", total, blanks, True)
    if abs(whole - total) < TOLERANCE:
        return SumOutcome("blank_zero", total, blanks, False)
    return SumOutcome("hides" if whole > total else "mismatch", total, blanks, False)


class Explainer:
    """Turns unexpected rows of each validated frame into :class:`Finding` records.

    ``frames`` holds the validated frames and the cells frame (on SQL engines it is not
    validated, but a failing unit of the totals frame is explained from its cells)."""

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self._frames = frames
        self._indexed: dict[str, pd.DataFrame] = {}
        self._children: pd.DataFrame | None = None

    def _row(self, frame: str, key: dict[str, Any]) -> pd.Series:
        names = list(FRAME_KEYS[frame])
        if names == [ROW_NUMBER]:
            return self._frames[frame].iloc[int(key[ROW_NUMBER])]
        if frame not in self._indexed:
            self._indexed[frame] = self._frames[frame].set_index(names).sort_index()
        wanted = tuple(int(key[n]) if n == "year" else str(key[n]) for n in names)
        # pandas-stubs cannot type a full MultiIndex key given as a tuple.
        return self._indexed[frame].loc[wanted]  # type: ignore[index]

    def explain(self, check: Check, key: dict[str, Any]) -> list[Finding]:
        """Every wrong cell behind one unexpected row of a rule family."""
        if check.kind == "hierarchy":
            found = self._hierarchy(check, key)
        elif check.frame == TOTALS:
            found = self._unit_totals(check, int(key[UNIT_NUMBER]))
        else:
            row = self._row(check.frame, key)
            named = key if "unit_code" in key else row  # the cells frame is keyed by number
            unit = (str(named["unit_map"]), str(named["unit_code"]))
            found = []
            for index in range(len(check.members)):
                finding = self._member(check, index, unit, key, row)
                if finding is not None:
                    found.append(finding)
        if not found:
            raise AssertionError(
                f"the engine named {key} under {check.kind}, but no rule of it fails there:"
                " the engines disagree"
            )
        return found

    # -- one rule on one row --------------------------------------------------------------

    def _member(
        self, check: Check, index: int, unit: tuple[str, str], key: dict[str, Any], row: pd.Series
    ) -> Finding | None:
        """Member ``index`` of the family on one row: its finding, or None where it holds."""
        kind = check.kind
        rule, columns = check.members[index]
        if kind == "total":
            return self._total(rule, columns, unit, str(row["row_id"]), row)
        if kind == "reconcile":
            return self._reconcile(rule, columns, unit, str(key["row_id"]), row)
        year = str(int(key["year"]))
        column = f"y{year}"

        def cell(c: str) -> Cell:
            return (*unit, ROW_OF_COLUMN[c], column)

        if kind == "parts":
            whole, *parts = columns
            outcome = sum_outcome(row[whole], [row[p] for p in parts])
            if outcome.status == "clean":
                return None
            blank = ", ".join(ROW_OF_COLUMN[parts[i]] for i in outcome.blank_parts)
            severity, name, expected = ERROR, rule, figure(outcome.filled_sum)
            if outcome.status == "blank_zero":
                severity, name = WARNING, f"{rule}_blank_as_zero"
                expected = f"blank read as 0 (blank: {blank or ROW_OF_COLUMN[whole]})"
            elif outcome.status == "hides" and not outcome.whole_blank:
                name, expected = f"{rule}_incomplete", f"parts filled (blank: {blank})"
            return Finding(
                *unit,
                ROW_OF_COLUMN[whole],
                year,
                name,
                expected,
                figure(row[whole]),
                severity,
                cells=tuple(cell(c) for c in columns),
            )
        if kind in ("nesting", "bound"):
            smaller, larger = columns
            s, big = row[smaller], row[larger]
            if _blank(s) or _blank(big) or s <= big + TOLERANCE:
                return None
            return Finding(
                *unit,
                ROW_OF_COLUMN[smaller],
                year,
                rule,
                f"≤ {figure(big)} ({ROW_OF_COLUMN[larger]})",
                figure(s),
                cells=(cell(smaller), cell(larger)),
            )
        if kind == "money":
            return self._money(check, index, unit, int(year), row)
        if kind in ("count", "non_negative"):
            (c,) = columns
            value = row[c]
            if _blank(value) or (value >= 0 and (kind == "non_negative" or value == round(value))):
                return None
            expected = "a whole number ≥ 0" if kind == "count" else "≥ 0"
            return Finding(
                *unit, ROW_OF_COLUMN[c], year, rule, expected, figure(value), cells=(cell(c),)
            )
        raise AssertionError(f"unknown check kind {kind}")

    def _total(
        self, rule: str, columns: tuple[str, ...], unit: tuple[str, str], row_id: str, row: Any
    ) -> Finding | None:
        stated, *years = columns
        outcome = sum_outcome(row[stated], [row[y] for y in years])
        if outcome.status == "clean":
            return None
        blank = ", ".join(_year(years[i]) for i in outcome.blank_parts)
        severity, name, expected = ERROR, rule, figure(outcome.filled_sum)
        if outcome.status == "blank_zero":
            severity, name = WARNING, "total_blank_as_zero"
            expected = f"blank read as 0 (blank: {blank or 'the total'})"
        elif outcome.status == "hides" and not outcome.whole_blank:
            name, expected = "total_incomplete", f"all years filled (blank: {blank})"
        cells = tuple((*unit, row_id, c) for c in columns)
        return Finding(
            *unit, row_id, TOTAL_YEAR, name, expected, figure(row[stated]), severity, cells=cells
        )

    def _unit_totals(self, check: Check, unit: int) -> list[Finding]:
        """The total rule of every form row of one unit (the totals frame names the unit by
        its number; its form rows are that unit's consecutive rows of the cells frame)."""
        cells = self._frames[CELLS]
        rows = len(row_index())
        assert len(cells) % rows == 0, "the cells frame holds every form row of every unit"
        ((rule, _columns),) = check.members
        columns = (TOTAL_COLUMN, *year_columns(cells))
        found = []
        for _i, row in cells.iloc[unit * rows : (unit + 1) * rows].iterrows():
            named = (str(row["unit_map"]), str(row["unit_code"]))
            finding = self._total(rule, columns, named, str(row["row_id"]), row)
            if finding is not None:
                found.append(finding)
        return found

    def _reconcile(
        self, rule: str, columns: tuple[str, ...], unit: tuple[str, str], row_id: str, row: Any
    ) -> Finding | None:
        submitted, events = columns
        outcome = sum_outcome(row[submitted], [row[events]])
        if outcome.status == "clean":
            return None
        severity, name = ERROR, rule
        if outcome.status == "blank_zero":
            severity, name = WARNING, "submitted_blank_as_zero"
        year = _year(submitted)
        return Finding(
            *unit,
            row_id,
            year,
            name,
            figure(row[events]),
            figure(row[submitted]),
            severity,
            cells=((*unit, row_id, f"y{year}"),),
        )

    def _money(
        self, check: Check, index: int, unit: tuple[str, str], year: int, row: Any
    ) -> Finding | None:
        rule, (persons_col, amount_col) = check.members[index]
        persons, amount = row[persons_col], row[amount_col]
        p = 0.0 if _blank(persons) else float(persons)
        a = 0.0 if _blank(amount) else float(amount)
        who, amount_row = ROW_OF_COLUMN[persons_col], ROW_OF_COLUMN[amount_col]
        cells = ((*unit, who, f"y{year}"), (*unit, amount_row, f"y{year}"))
        if (p > 0) != (a > 0):
            expected = (
                f"0 or blank ({who} is {figure(persons)})"
                if p <= 0
                else f"> 0 ({figure(persons)} persons in {who})"
            )
            return Finding(
                *unit, amount_row, str(year), rule, expected, figure(amount), cells=cells
            )
        if p <= 0:
            return None
        limits = {y: (lo, hi) for y, lo, hi in check.limits[index]}
        if year not in limits:
            return None
        low, high = limits[year]
        if low * p - TOLERANCE <= a <= high * p + TOLERANCE:
            return None
        regimes = "; ".join(r.name for r in regimes_in_year(year))
        expected = (
            f"{figure(low)}–{figure(high)} million VND per person"
            f" ({AMOUNT_SUPPORT[amount_row]}, {regimes})"
        )
        per_person = a / p
        for scale, unit_name in ((1e-6, "đồng"), (1e-3, "thousand đồng"), (1e3, "billion đồng")):
            if low - TOLERANCE <= per_person * scale <= high + TOLERANCE:
                actual = (
                    f"{figure(amount)} for {figure(persons)} persons — likely written in"
                    f" {unit_name}: {figure(a * scale)} million"
                )
                return Finding(
                    *unit,
                    amount_row,
                    str(year),
                    "amount_in_wrong_unit",
                    expected,
                    actual,
                    cells=cells,
                )
        actual = f"{figure(amount)} for {figure(persons)} persons ({figure(per_person)} each)"
        return Finding(
            *unit,
            amount_row,
            str(year),
            "amount_per_person_out_of_range",
            expected,
            actual,
            cells=cells,
        )

    # -- a parent against its child units -----------------------------------------------

    def _hierarchy(self, check: Check, key: dict[str, Any]) -> list[Finding]:
        """Each form row in which the unit differs from the sum of its child units, that year."""
        if self._children is None:
            frame = self._frames[BY_YEAR]
            self._children = frame.set_index(["unit_map", "parent_code", "year"]).sort_index()
        own = self._row(BY_YEAR, key)
        admin_map, code, year = str(key["unit_map"]), str(key["unit_code"]), int(key["year"])
        ((_rule, columns),) = check.members
        kids = self._children.loc[[(admin_map, code, year)]]
        kid_codes = kids["unit_code"].astype(str).tolist()
        column = f"y{year}"
        findings = []
        for value in columns[4:]:
            values = kids[value].to_numpy(dtype="float64")
            outcome = sum_outcome(own[value], list(values))
            if outcome.status == "clean":
                continue
            blanks = int(np.isnan(values).sum())
            severity, name = ERROR, check.members[0][0]
            expected = (
                f"{figure(outcome.filled_sum)} with {blanks} of {len(values)} child units blank"
                if blanks
                else f"{figure(outcome.filled_sum)} (sum of {len(values)} child units)"
            )
            if outcome.status == "blank_zero":
                severity, name = WARNING, "children_blank_as_zero"
            row_id = ROW_OF_COLUMN[value]
            involved = (
                (admin_map, code, row_id, column),
                *((admin_map, k, row_id, column) for k in kid_codes),
            )
            findings.append(
                Finding(
                    admin_map,
                    code,
                    row_id,
                    str(year),
                    name,
                    expected,
                    figure(own[value]),
                    severity,
                    cells=involved,
                )
            )
        return findings
