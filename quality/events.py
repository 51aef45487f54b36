"""The rollup computed from events (số liệu tính từ sự kiện), as a rollup table.

The projections compute the form for one unit from the event-sourced cases
(``projections.rollup.compute_rollup``). Quality only needs the figures: :func:`table_from_figures`
turns ``{row_id: {year: value}}`` into the rollup table shape, converting money rows from
đồng (how the projections count money) to the form's million VND.

:func:`computed_rollups` asks the projections for each unit's form over the projection tables
(``socai rollup`` shows the same figures); quality never invents figures to compare against.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from domain.money import million_vnd
from domain.reference.rollup_form import form_rows
from domain.reference.units import AdminMap, unit_directory
from projections.rollup import compute_rollup
from quality.table import TOTAL_COLUMN, normalise, year_column


def table_from_figures(
    admin_map: str,
    unit_code: str,
    years: Sequence[int],
    figures: Mapping[str, Mapping[int, int]],
    *,
    money_in_dong: bool = True,
) -> pd.DataFrame:
    """One unit's figures as a rollup table (every form row; absent figures are 0 counted)."""
    unit = unit_directory().require(AdminMap.parse(admin_map), unit_code)
    records = []
    for row in form_rows():
        values = figures.get(row.row_id, {})
        cells: dict[str, Any] = {}
        for year in years:
            value = values.get(year, 0)
            assert isinstance(value, int), f"{row.row_id} {year}: a count is a whole number"
            cells[year_column(year)] = (
                float(million_vnd(value)) if row.is_money and money_in_dong else float(value)
            )
        total = math.fsum(cells.values())
        records.append(
            {
                "unit_map": unit.map.value,
                "unit_code": unit.code,
                "unit_level": unit.level.value,
                "row_id": row.row_id,
                **cells,
                TOTAL_COLUMN: total,
            }
        )
    return normalise(pd.DataFrame(records))


def computed_rollups(
    projections_engine: Any, units: Sequence[tuple[str, str]], years: Sequence[int]
) -> pd.DataFrame:
    """The rollups computed from events for ``units`` = [(map, code)...] over ``years``.

    ``projections_engine`` is the SQLAlchemy engine of the projection tables (infra opens it).
    """
    tables = []
    for admin_map, code in units:
        rollup = compute_rollup(projections_engine, AdminMap.parse(admin_map), code, list(years))
        tables.append(table_from_figures(admin_map, code, years, rollup.values))
    return normalise(pd.concat(tables, ignore_index=True))
