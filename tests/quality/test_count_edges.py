"""Counts at the edges of "a whole number ≥ 0" (số nguyên không âm) read the same on both engines.

The count rule is written twice — numpy for pandas, an SQL expression for the SQL engines —
and the two must draw the line at the same place: a negative zero and a whole figure beyond
2**63 (where an SQL CAST to an integer saturates) are counts; a fraction just off a whole
number, a half, a tiny negative or a tiny positive figure are not. Each edge value is planted
in its own leaf commune on an activity row (a row no other form rule reads); the stated total
is kept equal to the sum of the years, so the count rule is the only row rule it can break.
"""

from __future__ import annotations

import pandas as pd
import pytest

from domain.reference.units import AdminMap
from quality.generate import generate_rollup
from quality.run import validate
from quality.table import TOTAL_COLUMN, year_columns
from tests.quality.support import key
from tests.quality.test_planted import leaf_communes

ROW = "II.2.pano"
YEAR = "y2018"
#: value → whether it is a count (a whole number ≥ 0)
EDGES = {
    -0.0: True,
    1e19: True,  # whole, beyond 2**63
    float(2**53): True,
    2.5: False,
    0.49999999999999994: False,  # rounds to 1 in a naive "x + 0.5" rounding
    -3.0: False,
    1e-9: False,
    -1e-9: False,
    3.0000000001: False,
}


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    table = generate_rollup(
        years=(2016, 2017, 2018, 2019, 2020),
        maps=(AdminMap.OLD,),
        provinces={AdminMap.OLD: ["87"]},
        seed=1,
    )
    years = year_columns(table)
    communes = iter(leaf_communes(AdminMap.OLD, "87"))
    wrong: set[tuple[str, str]] = set()
    for value, is_count in EDGES.items():
        unit = next(communes)
        at = (table["unit_map"] == unit[0]) & (table["unit_code"] == unit[1])
        at &= table["row_id"] == ROW
        (i,) = table.index[at]
        table.loc[i, YEAR] = value
        table.loc[i, TOTAL_COLUMN] = table.loc[i, years].sum()
        if not is_count:
            wrong.add(unit)
    return table, wrong


def test_the_engines_draw_the_count_line_in_the_same_place(
    planted: tuple[pd.DataFrame, set[tuple[str, str]]],
) -> None:
    table, wrong = planted
    pandas_report = validate(table)
    sql_report = validate(table, engine="sql")
    assert sql_report.findings == pandas_report.findings
    counts = {
        (f.unit_map, f.unit_code)
        for f in pandas_report.findings
        if f.rule == "non_negative_integer"
    }
    assert counts == wrong
    assert all(
        key(f)[2:4] == (ROW, YEAR[1:])
        for f in pandas_report.findings
        if f.rule == "non_negative_integer"
    )
