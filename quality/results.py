"""Failures people can act on: which unit, which row, which year, what rule, expected vs actual.

GX tells *which rows* of a validated table fail a check (``unexpected_index_list`` with the
table's identity columns). This module turns each into a :class:`Failure` naming the cell to
fix, reading the figures from the same frames that were validated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from domain.reference.rollup_form import row_index
from domain.reference.units import AdminMap, unit_directory
from quality.frames import EVENTS, FRAME_KEYS, ROW_OF_COLUMN, SUBMITTED
from quality.suites import CELLS, Check

TOTAL_YEAR = "total"


@dataclass(frozen=True, slots=True)
class Failure:
    """One wrong cell of a rollup."""

    unit_map: str
    unit_code: str
    row_id: str
    year: str  # "2018", or "total" for the stated total column
    rule: str
    expected: str
    actual: str

    @property
    def label_vi(self) -> str:
        return row_index()[self.row_id].label_vi

    @property
    def unit_name(self) -> str:
        unit = unit_directory().get(AdminMap(self.unit_map), self.unit_code)
        return unit.name if unit is not None else "?"

    def line(self) -> str:
        return (
            f"{self.unit_map}:{self.unit_code} {self.unit_name} | {self.row_id} | {self.label_vi}"
            f" | {self.year} | {self.rule} | expected {self.expected} | actual {self.actual}"
        )

    def as_dict(self) -> dict[str, str]:
        return {
            "unit_map": self.unit_map,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "row_id": self.row_id,
            "label_vi": self.label_vi,
            "year": self.year,
            "rule": self.rule,
            "expected": self.expected,
            "actual": self.actual,
        }


def figure(value: Any) -> str:
    """A cell as people read it: ``blank`` for an empty cell, whole numbers without ``.0``."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "blank"
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _year(column: str) -> str:
    return column.removeprefix(SUBMITTED).removeprefix(EVENTS).removeprefix("y")


class Explainer:
    """Turns failing rows of each validated frame into :class:`Failure` records."""

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self._frames = frames
        self._indexed: dict[str, pd.DataFrame] = {}
        self._children: pd.DataFrame | None = None

    def _row(self, frame: str, key: dict[str, Any]) -> pd.Series:
        names = list(FRAME_KEYS[frame])
        if frame not in self._indexed:
            self._indexed[frame] = self._frames[frame].set_index(names).sort_index()
        wanted = tuple(int(key[n]) if n == "year" else str(key[n]) for n in names)
        # pandas-stubs cannot type a full MultiIndex key given as a tuple.
        return self._indexed[frame].loc[wanted]  # type: ignore[index]

    def _hierarchy(self, check: Check, key: dict[str, Any]) -> list[Failure]:
        """Each year in which the unit differs from the sum of its child units."""
        if self._children is None:
            cells = self._frames[CELLS]
            self._children = cells.set_index(["unit_map", "parent_code", "row_id"]).sort_index()
        own = self._row(CELLS, key)
        wanted = (str(key["unit_map"]), str(key["unit_code"]), str(key["row_id"]))
        failures = []
        for column in (c for c in check.columns if c.startswith("y")):
            # pandas-stubs cannot type a list of MultiIndex tuples as a row key.
            kids = self._children.loc[[wanted], column]  # type: ignore[index]
            blanks = int(kids.isna().sum())
            total = kids.sum(min_count=1)
            if _blank(own[column]) and blanks == len(kids):
                continue
            if blanks == 0 and not _blank(own[column]) and abs(own[column] - total) < 1e-9:
                continue
            expected = (
                f"{figure(total)} with {blanks} of {len(kids)} child units blank"
                if blanks
                else f"{figure(total)} (sum of {len(kids)} child units)"
            )
            failures.append(
                Failure(
                    wanted[0],
                    wanted[1],
                    wanted[2],
                    _year(column),
                    check.rule,
                    expected,
                    figure(own[column]),
                )
            )
        assert failures, f"GX named {wanted} but no year differs from its children"
        return failures

    def explain(self, check: Check, key: dict[str, Any]) -> list[Failure]:
        """The wrong cells behind one failing row of a check."""
        if check.kind == "count":
            row = self._row(check.frame, key)
            year = str(int(key["year"]))
            return [
                Failure(
                    str(key["unit_map"]),
                    str(key["unit_code"]),
                    ROW_OF_COLUMN[c],
                    year,
                    check.rule,
                    "a whole number ≥ 0",
                    figure(row[c]),
                )
                for c in check.columns
                if not _blank(row[c]) and (row[c] < 0 or not float(row[c]).is_integer())
            ]
        if check.kind == "hierarchy":
            return self._hierarchy(check, key)
        return [self._explain_one(check, key)]

    def _explain_one(self, check: Check, key: dict[str, Any]) -> Failure:
        row = self._row(check.frame, key)
        unit_map, unit_code = str(key["unit_map"]), str(key["unit_code"])
        c = check.columns

        if check.kind == "total":
            years = list(c[1:])
            blank = [_year(y) for y in years if _blank(row[y])]
            stated = row[c[0]]
            if blank and len(blank) < len(years):
                expected = f"all years filled (blank: {', '.join(blank)})"
                rule = "total_incomplete"
            else:
                expected = figure(row[years].sum(min_count=1))
                rule = check.rule
            return Failure(
                unit_map, unit_code, str(key["row_id"]), TOTAL_YEAR, rule, expected, figure(stated)
            )
        if check.kind == "reconcile":
            return Failure(
                unit_map,
                unit_code,
                str(key["row_id"]),
                _year(c[0]),
                check.rule,
                figure(row[c[1]]),
                figure(row[c[0]]),
            )

        year = str(int(key["year"]))
        if check.kind == "parts":
            whole, *parts = c
            blank = [ROW_OF_COLUMN[p] for p in parts if _blank(row[p])]
            if blank and len(blank) < len(parts):
                expected = f"parts filled (blank: {', '.join(blank)})"
                rule = f"{check.rule}_incomplete"
            else:
                expected = figure(row[list(parts)].sum(min_count=1))
                rule = check.rule
            return Failure(
                unit_map, unit_code, ROW_OF_COLUMN[whole], year, rule, expected, figure(row[whole])
            )
        if check.kind in ("nesting", "bound"):
            larger, smaller = c
            return Failure(
                unit_map,
                unit_code,
                ROW_OF_COLUMN[smaller],
                year,
                check.rule,
                f"≤ {figure(row[larger])} ({ROW_OF_COLUMN[larger]})",
                figure(row[smaller]),
            )
        if check.kind == "money":
            persons, amount = c
            who = ROW_OF_COLUMN[persons]
            if _blank(row[persons]) or row[persons] <= 0:
                expected = f"0 or blank ({who} is {figure(row[persons])})"
            else:
                expected = f"> 0 ({figure(row[persons])} persons in {who})"
            return Failure(
                unit_map,
                unit_code,
                ROW_OF_COLUMN[amount],
                year,
                check.rule,
                expected,
                figure(row[amount]),
            )
        if check.kind == "non_negative":
            return Failure(
                unit_map, unit_code, ROW_OF_COLUMN[c[0]], year, check.rule, "≥ 0", figure(row[c[0]])
            )
        raise AssertionError(f"unknown check kind {check.kind}")
