"""The tables a suite validates, derived from a rollup table (see :mod:`quality.table`).

* **cells** — the rollup table plus ``parent_code`` (the unit's parent on its map, from the unit
  directory): one row per unit × form row. Checked here: stated total = sum of years; each
  parent unit = the sum of its child units, per year.
* **by year** — one row per unit × year (``year`` column), one column per form row
  (:func:`row_column`). Checked here: the rules *between* rows of one form (nesting, parts,
  bounds, money, counts), for each year.
* **reconciliation** — a submitted rollup joined to the rollup computed from events, one row per
  unit × form row, ``submitted_y2016``/``events_y2016``... per year.

Every form row gets a column in *by year* even when the form left it out (blank), so a partial
submission (a district that filled only section II) is checked on what it filled.
"""

from __future__ import annotations

import pandas as pd

from domain.errors import SocaiError
from domain.reference.rollup_form import row_ids
from domain.reference.units import AdminMap, unit_directory
from quality.table import KEY_COLUMNS, TOTAL_COLUMN, year_columns

SUBMITTED, EVENTS = "submitted_", "events_"
CELLS, BY_YEAR, RECONCILIATION = "cells", "by_year", "reconciliation"

#: The columns that identify a row of each frame (GX's ``unexpected_index_column_names``).
FRAME_KEYS: dict[str, tuple[str, ...]] = {
    CELLS: ("unit_map", "unit_code", "row_id"),
    BY_YEAR: ("unit_map", "unit_code", "year"),
    RECONCILIATION: ("unit_map", "unit_code", "row_id"),
}


def row_column(row_id: str) -> str:
    """The by-year column of a form row: ``I.2.a.male`` → ``r_I_2_a_male``."""
    return "r_" + row_id.replace(".", "_")


ROW_OF_COLUMN: dict[str, str] = {row_column(r): r for r in row_ids()}
assert len(ROW_OF_COLUMN) == len(row_ids()), "two form rows share a by-year column name"


class UnknownUnit(SocaiError):
    """A rollup names a unit that is not in the unit directory."""


def parent_codes(table: pd.DataFrame) -> pd.Series:
    """Each row's parent unit code on its map (None for the nation)."""
    directory = unit_directory()
    pairs = table[["unit_map", "unit_code"]].drop_duplicates()
    parents = []
    for admin_map, code in pairs.itertuples(index=False):
        unit = directory.get(AdminMap(admin_map), code)
        if unit is None:
            raise UnknownUnit(
                f"unit {code!r} is not on the {admin_map} map",
                hint="use the statistics office code; `socai units find NAME` looks one up",
            )
        parents.append(unit.parent_code)
    pairs["parent_code"] = parents
    joined = table[["unit_map", "unit_code"]].merge(pairs, how="left", validate="many_to_one")
    return pd.Series(joined["parent_code"].to_numpy(), index=table.index, name="parent_code")


def cells_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The rollup table with ``parent_code`` (the hierarchy checks need it)."""
    out = table.copy()
    out.insert(4, "parent_code", parent_codes(table))
    return out


def by_year_frame(table: pd.DataFrame) -> pd.DataFrame:
    """One row per unit × year, one float column per form row (blank stays NaN)."""
    years = year_columns(table)
    units = ["unit_map", "unit_code", "unit_level"]
    long = table.melt(id_vars=[*units, "row_id"], value_vars=years, var_name="year")
    long["year"] = long["year"].str[1:].astype(int)
    wide = long.pivot(index=[*units, "year"], columns="row_id", values="value")
    wide = wide.reindex(columns=list(row_ids()))
    wide.columns = [row_column(c) for c in wide.columns]
    return wide.reset_index().astype({c: "float64" for c in ROW_OF_COLUMN})


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
