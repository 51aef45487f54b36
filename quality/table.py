"""The rollup table: the one in-memory shape every rollup takes in socai.

A rollup (báo cáo tổng hợp) is the filled form (BIỂU TỔNG HỢP SỐ LIỆU) of one or more units. As a
pandas DataFrame it has **one row per unit × form row** and these columns, in this order:

=================  =====================================================================
``unit_map``       ``"old"`` (63 provinces with districts) or ``"2025"`` (34 provinces)
``unit_code``      the statistics office code on that map; ``"VN"`` for the nation
``unit_level``     ``national`` | ``province`` | ``district`` | ``commune``
``row_id``         the form row (``domain.reference.rollup_form``), e.g. ``"I.2.a.male"``
``y2016``…         one column per reported year, ascending, consecutive or not
``total_stated``   the total the unit wrote in the form's total column
=================  =====================================================================

Cells are ``float64`` and **blank is NaN, never 0**: a submitted form's empty cell means "not
reported", and a check must not read it as zero. The cells hold figures as written on the form
(counts, and money rows in million VND as the form states them); they are checked, never used
for accounting (money arithmetic in socai is integer đồng elsewhere). A cell may hold a wrong
value (negative, fractional): holding it is what lets the quality suites name it.

The same shape is an SQL table (``ROLLUP_SQL_TABLE``) with the same column names.

Invariants (:func:`require_rollup`): the identity columns are present and never blank, each
``(unit_map, unit_code, row_id)`` appears once, every ``row_id`` is on the form, at least one
year column exists.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from domain.errors import SocaiError
from domain.reference.rollup_form import row_ids

ID_COLUMNS: tuple[str, ...] = ("unit_map", "unit_code", "unit_level", "row_id")
KEY_COLUMNS: tuple[str, ...] = ("unit_map", "unit_code", "row_id")
TOTAL_COLUMN = "total_stated"
ROLLUP_SQL_TABLE = "rollup_cells"
UNIT_MAPS = frozenset({"old", "2025"})
UNIT_LEVELS = frozenset({"national", "province", "district", "commune"})

#: Years a form can report (the programme's reports start long before 2016; keep it sane).
YEAR_MIN, YEAR_MAX = 2000, 2100
_YEAR_COLUMN = re.compile(r"^y(\d{4})$")


class NotARollup(SocaiError):
    """The input does not have the shape of a rollup (the message says what is missing)."""


def year_column(year: int) -> str:
    assert YEAR_MIN <= year <= YEAR_MAX, year
    return f"y{year}"


def year_columns(table: pd.DataFrame) -> list[str]:
    """The table's year columns, ascending."""
    found = [c for c in table.columns if _YEAR_COLUMN.match(str(c))]
    return sorted(found, key=lambda c: int(c[1:]))


def years_of(table: pd.DataFrame) -> list[int]:
    return [int(c[1:]) for c in year_columns(table)]


def value_columns(table: pd.DataFrame) -> list[str]:
    return [*year_columns(table), TOTAL_COLUMN]


def empty_rollup(years: list[int]) -> pd.DataFrame:
    columns = [*ID_COLUMNS, *(year_column(y) for y in years), TOTAL_COLUMN]
    return normalise(pd.DataFrame(columns=columns))


def normalise(table: pd.DataFrame) -> pd.DataFrame:
    """Columns in canonical order and dtypes (identity as str, cells as float64)."""
    years = year_columns(table)
    out = table.loc[:, [*ID_COLUMNS, *years, TOTAL_COLUMN]].copy()
    for column in ID_COLUMNS:
        out[column] = out[column].astype(str)
    for column in [*years, TOTAL_COLUMN]:
        out[column] = pd.to_numeric(out[column], errors="raise").astype("float64")
    return out.reset_index(drop=True)


def duplicated_keys(table: pd.DataFrame) -> pd.Series:
    """Rows whose ``(unit_map, unit_code, row_id)`` appeared on an earlier row (fast: the key
    columns are factorized once, not compared as strings row by row)."""
    combined = np.zeros(len(table), dtype="int64")
    for column in KEY_COLUMNS:
        codes, uniques = pd.factorize(table[column])
        combined = combined * (len(uniques) + 1) + codes
    return pd.Series(pd.Series(combined).duplicated().to_numpy(), index=table.index)


def require_rollup(table: pd.DataFrame, source: str = "table") -> pd.DataFrame:
    """Check the invariants above and return the table normalised, or raise :class:`NotARollup`."""
    missing = [c for c in (*ID_COLUMNS, TOTAL_COLUMN) if c not in table.columns]
    if missing:
        raise NotARollup(
            f"{source} is not a rollup: no column {', '.join(missing)}",
            hint="a rollup has unit_map, unit_code, unit_level, row_id, y<YEAR>..., total_stated",
        )
    if not year_columns(table):
        raise NotARollup(
            f"{source} is not a rollup: no year column",
            hint="name year columns y2016, y2017, ...",
        )
    blank_ids = table[list(ID_COLUMNS)].isna().any(axis=1)
    if blank_ids.any():
        raise NotARollup(f"{source}: {int(blank_ids.sum())} rows without unit or row id")
    bad_maps = sorted({str(m) for m in table["unit_map"].unique()} - UNIT_MAPS)
    bad_levels = sorted({str(v) for v in table["unit_level"].unique()} - UNIT_LEVELS)
    if bad_maps or bad_levels:
        raise NotARollup(
            f"{source}: unknown unit map {bad_maps} or level {bad_levels}",
            hint="maps are 'old' and '2025'; levels national, province, district, commune",
        )
    unknown = sorted({str(r) for r in table["row_id"].unique()} - set(row_ids()))
    if unknown:
        raise NotARollup(
            f"{source}: row ids not on the rollup form: {', '.join(unknown[:10])}",
            hint="row ids are those of domain/reference/rollup_template.csv",
        )
    duplicated = duplicated_keys(table)
    if duplicated.any():
        first = table.loc[duplicated, list(KEY_COLUMNS)].iloc[0].tolist()
        raise NotARollup(
            f"{source}: {int(duplicated.sum())} repeated unit × row (first: {first})",
            hint="each unit gives each form row once",
        )
    try:
        return normalise(table)
    except (ValueError, TypeError) as error:
        raise NotARollup(f"{source}: a cell is not a number ({error})") from None
