"""Reconciliation: a submitted rollup against the rollup computed from events, cell by cell."""

from __future__ import annotations

import math

import pandas as pd

from domain.reference.units import AdminMap
from quality.events import table_from_figures
from quality.generate import generate_rollup
from quality.run import validate
from tests.quality.support import flatten


def test_submitted_cells_that_differ_from_events_are_named() -> None:
    computed = generate_rollup(
        years=(2023, 2024), maps=(AdminMap.NEW,), provinces={AdminMap.NEW: ["82"]}, seed=3
    )
    units = computed["unit_code"].isin(["82", "VN"])
    computed = computed[units].reset_index(drop=True)
    submitted = computed.copy()
    rows = submitted.set_index(["unit_code", "row_id"]).index
    wrong = rows.get_loc(("82", "II.1"))
    blank = rows.get_loc(("82", "II.2.sessions"))
    submitted.loc[wrong, "y2024"] += 2
    submitted.loc[wrong, "total_stated"] += 2
    submitted.loc[blank, "y2023"] = math.nan
    submitted.loc[blank, "total_stated"] = math.nan  # all years blank would be "incomplete"
    submitted.loc[blank, "y2024"] = math.nan
    gone = submitted["row_id"] == "II.3.courses"
    dropped = computed.loc[gone & (computed["unit_code"] == "VN"), ["y2023", "y2024"]]
    submitted = submitted[~(gone & (submitted["unit_code"] == "VN"))]

    report = validate(submitted, computed=computed)
    got = {
        (f.unit_code, f.row_id, f.year, f.rule, f.expected, f.actual)
        for f in flatten(report.failures)
        if f.rule == "submitted_equals_events"
    }
    # the row the nation left out is one structural finding, its cells grouped under it
    (missing,) = [f for f in report.failures if f.rule == "form_rows_missing"]
    assert (missing.unit_code, missing.row_id) == ("VN", "II.3.courses")
    assert {(c.row_id, c.year) for c in missing.consequences} >= {
        ("II.3.courses", "2023"),
        ("II.3.courses", "2024"),
    }
    events = computed.set_index(["unit_code", "row_id"])
    expected = {
        (
            "82",
            "II.1",
            "2024",
            "submitted_equals_events",
            str(int(events.loc[("82", "II.1"), "y2024"])),
            str(int(events.loc[("82", "II.1"), "y2024"]) + 2),
        ),
        *(
            (
                "82",
                "II.2.sessions",
                str(y),
                "submitted_equals_events",
                str(int(events.loc[("82", "II.2.sessions"), f"y{y}"])),
                "blank",
            )
            for y in (2023, 2024)
        ),
        *(
            (
                "VN",
                "II.3.courses",
                str(y),
                "submitted_equals_events",
                str(int(dropped[f"y{y}"].iloc[0])),
                "blank",
            )
            for y in (2023, 2024)
        ),
    }
    assert got == expected
    # the hierarchy (province 82 vs the nation) flags the same changed cells, nothing else
    others = {(f.unit_code, f.row_id, f.rule) for f in flatten(report.failures)} - {
        (u, r, rule) for u, r, _y, rule, _e, _a in got
    }
    others -= {("VN", "II.3.courses", "form_rows_missing")}
    assert others <= {
        ("VN", "II.1", "children_sum_to_parent"),
        ("VN", "II.2.sessions", "children_sum_to_parent"),
        ("VN", "II.3.courses", "children_sum_to_parent"),  # under form_rows_missing
        ("VN", "", "child_units_missing"),  # the nation of one province: they go under it
    }


def test_figures_from_events_become_a_rollup_table_in_million_vnd() -> None:
    table = table_from_figures(
        "old",
        "870",
        [2019, 2020],
        {"II.1": {2019: 2, 2020: 3}, "II.4.4.e.loan_amount": {2020: 30_000_000}},
    )
    rows = table.set_index("row_id")
    assert len(rows) == 59  # the 55 rows of the paper form and socai's 4 "không rõ" lines
    assert rows.loc["II.1", "total_stated"] == 5
    assert rows.loc["II.4.4.e.loan_amount", "y2020"] == 30.0  # million VND, as on the form
    assert rows.loc["II.4.4.e.loan_amount", "y2019"] == 0
    assert set(table["unit_level"]) == {"district"}
    assert isinstance(rows.loc["I.1", "y2019"], float)
    assert pd.api.types.is_float_dtype(table["y2020"])
