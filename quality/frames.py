"""The tables a suite validates, derived from a rollup table (see :mod:`quality.table`).

* **grid** — the rollup table *completed*: every unit × every form row, in form order. A row
  of the paper form the unit left out is added blank (and reported missing by
  :mod:`quality.structure`); a "không rõ" line (``official = no``) the unit left out is added
  as 0 where the breakdown's whole is filled — the paper form has no such line, so its
  breakdown claims to be complete (where the whole is blank, so is the line).
* **cells** — the grid, one row per unit × form row, numbered by ``socai_row`` (its
  position). Checked here: stated total = sum of years. A failing row is named by its number
  alone, so the SQL table holds numbers only (cheap to write), and the unit and row id are
  read back from the frame.
* **totals** (SQL engines) — the stated totals alone, one row per unit (``socai_unit``, its
  position), one column per form row (:func:`total_column`). Checked there: stated total =
  the sum of that unit's rows of the *by year* table, so the year figures are written to the
  database once (the 200,000-row cells table, which repeats them, is validated on pandas
  only, where it costs nothing to write). A failing unit is named by its number; its cells
  are read back from the cells frame.
* **by year** — one row per unit × year (``year`` column) with ``parent_code`` (the unit's
  parent on its map, from the unit directory), one column per form row (:func:`row_column`).
  Checked here: each parent unit = the sum of its child units, and the rules *between* rows of
  one form (nesting, parts, bounds, money, counts), for each year.
* **reconciliation** — a submitted rollup joined to the rollup computed from events, one row per
  unit × form row, ``submitted_y2016``/``events_y2016``... per year.

The grid and by-year frames are built with numpy reshapes (no melt/pivot): a national table
of 200,000 rows takes a few hundredths of a second.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain.errors import SocaiError
from domain.reference.rollup_form import PARTS, form_rows, row_ids
from domain.reference.units import AdminMap, unit_directory
from quality.table import ID_COLUMNS, KEY_COLUMNS, TOTAL_COLUMN, year_columns

SUBMITTED, EVENTS = "submitted_", "events_"
CELLS, TOTALS, BY_YEAR, RECONCILIATION = "cells", "totals", "by_year", "reconciliation"

#: The columns that identify a row of each frame (GX's ``unexpected_index_column_names``).
ROW_NUMBER = "socai_row"
#: The totals frame's unit number (its position) and the by-year table's row number as the
#: SQL engines write it: unit number × years + the year's position (one join finds a year).
UNIT_NUMBER, UNIT_YEAR_NUMBER = "socai_unit", "socai_unit_year"
#: The by-year table's (SQL) row of each row's parent unit, the same year (NULL: no parent).
PARENT_ROW = "socai_parent_row"

FRAME_KEYS: dict[str, tuple[str, ...]] = {
    CELLS: (ROW_NUMBER,),
    TOTALS: (UNIT_NUMBER,),
    BY_YEAR: ("unit_map", "unit_code", "year"),
    RECONCILIATION: ("unit_map", "unit_code", "row_id"),
}


def row_column(row_id: str) -> str:
    """The by-year column of a form row: ``I.2.a.male`` → ``r_I_2_a_male``."""
    return "r_" + row_id.replace(".", "_")


def sql_table(frame: str) -> str:
    """The SQL table a frame is written to."""
    return f"socai_quality_{frame}"


def total_column(row_id: str) -> str:
    """The totals frame's column of a form row: ``I.2.a.male`` → ``t_I_2_a_male``."""
    return "t_" + row_id.replace(".", "_")


def by_year_column(total: str) -> str:
    """The by-year column holding, per year, what a totals column states: ``t_I_2`` → ``r_I_2``."""
    assert total.startswith("t_"), total
    return "r_" + total.removeprefix("t_")


ROW_OF_COLUMN: dict[str, str] = {row_column(r): r for r in row_ids()}
assert len(ROW_OF_COLUMN) == len(row_ids()), "two form rows share a by-year column name"


class UnknownUnit(SocaiError):
    """A rollup names a unit that is not in the unit directory."""


@dataclass(frozen=True, slots=True)
class Grid:
    """The completed table and what completing it found."""

    table: pd.DataFrame
    #: (unit_map, unit_code) → the paper form's rows the unit left out, in form order.
    missing_rows: dict[tuple[str, str], tuple[str, ...]]
    units: pd.DataFrame  # unit_map, unit_code, unit_level: one line per unit, in order


def complete_grid(table: pd.DataFrame) -> Grid:
    """Every unit × every form row (see the module docstring)."""
    rows = row_ids()
    n = len(rows)
    position = {r: i for i, r in enumerate(rows)}
    official = np.array([r.official for r in form_rows()])
    values = [*year_columns(table), TOTAL_COLUMN]
    maps, _map_names = pd.factorize(table["unit_map"])
    units_codes, _names = pd.factorize(table["unit_code"])
    codes, keys = pd.factorize(maps.astype("int64") * (len(_names) + 1) + units_codes)
    first = pd.Series(np.arange(len(table))).groupby(codes, sort=True).first().to_numpy()
    units = table.iloc[first][["unit_map", "unit_code", "unit_level"]].reset_index(drop=True)
    row_codes, row_names = pd.factorize(table["row_id"])
    at = codes * n + np.array([position[r] for r in row_names], dtype="int64")[row_codes]
    cube = np.full((len(keys) * n, len(values)), np.nan)
    cube[at] = table[values].to_numpy(dtype="float64")
    present = np.zeros(len(keys) * n, dtype=bool)
    present[at] = True
    absent = ~present.reshape(len(keys), n)
    # a "không rõ" line left out reads as 0 in each cell where the unit filled the
    # breakdown's whole (where the whole is blank or missing, there is no breakdown: blank)
    by_unit = cube.reshape(len(keys), n, len(values))
    for k in np.flatnonzero(~official):
        (whole,) = [position[s.whole] for s in PARTS if rows[k] in s.parts]
        filled = ~np.isnan(by_unit[:, whole, :])
        by_unit[:, k, :] = np.where(absent[:, k, None] & filled, 0.0, by_unit[:, k, :])
    missing = {
        (str(units.at[u, "unit_map"]), str(units.at[u, "unit_code"])): tuple(
            rows[k] for k in np.flatnonzero(absent[u] & official)
        )
        for u in np.flatnonzero((absent & official).any(axis=1))
    }
    frame = pd.DataFrame(
        {
            column: np.repeat(units[column].to_numpy(dtype=object), n)
            for column in ("unit_map", "unit_code", "unit_level")
        }
    )
    frame["row_id"] = np.tile(np.array(rows, dtype=object), len(keys))
    for i, column in enumerate(values):
        frame[column] = cube[:, i]
    assert list(frame.columns) == [*ID_COLUMNS, *values]
    return Grid(frame, missing, units)


def parent_codes(units: pd.DataFrame) -> np.ndarray:
    """Each unit's parent code on its map (None for the nation)."""
    directory = unit_directory()
    parents = []
    for admin_map, code in units[["unit_map", "unit_code"]].itertuples(index=False):
        unit = directory.get(AdminMap(admin_map), code)
        if unit is None:
            raise UnknownUnit(
                f"unit {code!r} is not on the {admin_map} map",
                hint="use the statistics office code; `socai units find NAME` looks one up",
            )
        parents.append(unit.parent_code)
    return np.array(parents, dtype=object)


def cells_frame(grid: Grid) -> pd.DataFrame:
    """The completed table, each row numbered by its position (``socai_row``)."""
    out = grid.table.copy()
    out.insert(0, ROW_NUMBER, np.arange(len(out), dtype="int64"))
    return out


def totals_frame(grid: Grid) -> pd.DataFrame:
    """One row per unit (``socai_unit``: its position in ``grid.units``), one float column per
    form row holding the unit's stated total (blank stays NaN)."""
    n, u = len(row_ids()), len(grid.units)
    stated = grid.table[TOTAL_COLUMN].to_numpy(dtype="float64").reshape(u, n)
    frame = pd.DataFrame(stated, columns=[total_column(r) for r in row_ids()])
    frame.insert(0, UNIT_NUMBER, np.arange(u, dtype="int64"))
    return frame


def by_year_frame(grid: Grid) -> pd.DataFrame:
    """One row per unit × year, one float column per form row (blank stays NaN)."""
    table, units = grid.table, grid.units
    years = year_columns(table)
    n, u, y = len(row_ids()), len(units), len(years)
    cube = table[years].to_numpy(dtype="float64").reshape(u, n, y).transpose(0, 2, 1)
    flat = cube.reshape(u * y, n)
    frame = pd.DataFrame(
        {
            column: np.repeat(units[column].to_numpy(dtype=object), y)
            for column in ("unit_map", "unit_code", "unit_level")
        }
    )
    frame["parent_code"] = np.repeat(parent_codes(units), y)
    frame["year"] = np.tile(np.array([int(c[1:]) for c in years], dtype="int64"), u)
    columns = pd.DataFrame(flat, columns=[row_column(r) for r in row_ids()])
    return pd.concat([frame, columns], axis=1)


def reconciliation_frame(submitted: pd.DataFrame, computed: pd.DataFrame) -> pd.DataFrame:
    """Submitted and computed cells side by side for the units and years of ``submitted``.

    Form rows the submission left out are joined in as blank (the computed figure is then
    reported as missing from the submission, never assumed to be zero).
    """
    years = year_columns(submitted)
    missing = [y for y in years if y not in computed.columns]
    if missing:
        raise SocaiError(
            f"the rollup computed from events has no column for {', '.join(missing)}",
            hint="compute the rollup for the same years as the submission",
        )
    units = submitted[["unit_map", "unit_code", "unit_level"]].drop_duplicates()
    grid = units.merge(pd.DataFrame({"row_id": list(row_ids())}), how="cross")
    keys = list(KEY_COLUMNS)
    sub = submitted[[*keys, *years]].rename(columns={y: SUBMITTED + y for y in years})
    evt = computed[[*keys, *years]].rename(columns={y: EVENTS + y for y in years})
    joined = grid.merge(sub, on=keys, how="left").merge(evt, on=keys, how="left")
    assert len(joined) == len(grid), "a unit × row appears twice in a rollup"
    return joined


def total_columns(table: pd.DataFrame) -> list[str]:
    """The columns of the total rule: the stated total, then each year."""
    return [TOTAL_COLUMN, *year_columns(table)]
