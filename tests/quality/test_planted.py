"""Plant each kind of error in a clean generated rollup; the suites name exactly those cells.

Errors are planted in distinct leaf communes (their stated totals kept consistent unless the
total is the error), so each planted cell yields its own rule's failure plus, where a year
figure changed, the hierarchy failure at the commune's parent — and nothing else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import pytest

from domain.reference.units import AdminMap, UnitLevel, unit_directory
from quality.run import validate
from quality.table import TOTAL_COLUMN, year_columns

YEARS = ["y2016", "y2017", "y2018", "y2019", "y2020"]


@dataclass
class Table:
    frame: pd.DataFrame

    def __post_init__(self) -> None:
        self.index = {
            (m, c, r): i
            for i, (m, c, r) in enumerate(
                self.frame[["unit_map", "unit_code", "row_id"]].itertuples(index=False)
            )
        }

    def get(self, unit: tuple[str, str], row: str, column: str) -> float:
        return float(self.frame.at[self.index[(*unit, row)], column])

    def set(
        self, unit: tuple[str, str], row: str, column: str, value: float, keep_total: bool = True
    ) -> None:
        i = self.index[(*unit, row)]
        self.frame.at[i, column] = value
        if keep_total and column != TOTAL_COLUMN:
            self.frame.at[i, TOTAL_COLUMN] = self.frame.loc[i, YEARS].sum()


def leaf_communes(admin_map: AdminMap, province: str) -> list[tuple[str, str]]:
    directory = unit_directory()
    stack, out = [directory.require(admin_map, province)], []
    while stack:
        unit = stack.pop()
        kids = directory.children(unit)
        if unit.level is UnitLevel.COMMUNE and not kids:
            out.append((admin_map.value, unit.code))
        stack.extend(kids)
    return sorted(out)


def parent(unit: tuple[str, str]) -> tuple[str, str]:
    code = unit_directory().require(AdminMap(unit[0]), unit[1]).parent_code
    assert code is not None
    return (unit[0], code)


def key(f: object) -> tuple[str, str, str, str, str]:
    return (f.unit_map, f.unit_code, f.row_id, f.year, f.rule)  # type: ignore[attr-defined]


def plant(table: Table) -> set[tuple[str, str, str, str, str]]:
    """Plant one error of every kind; return the failures the suites must report."""
    communes = iter(leaf_communes(AdminMap.OLD, "87"))
    expected: set[tuple[str, str, str, str, str]] = set()

    def at(unit: tuple[str, str], row: str, year: str, rule: str) -> None:
        expected.add((*unit, row, year, rule))

    def hierarchy(unit: tuple[str, str], row: str, column: str) -> None:
        at(parent(unit), row, column[1:], "children_sum_to_parent")

    def find(row: str, test: object) -> tuple[tuple[str, str], str]:
        for unit in communes:
            for column in YEARS:
                if test(table.get(unit, row, column)):  # type: ignore[operator]
                    return unit, column
        raise AssertionError(f"no commune with a suitable {row}")

    # the stated total disagrees with its years
    u = next(communes)
    table.set(u, "II.1", TOTAL_COLUMN, table.get(u, "II.1", TOTAL_COLUMN) + 5)
    at(u, "II.1", "total", "total_equals_sum_of_years")
    # a blank year under a stated total (blank is not zero)
    u = next(communes)
    table.set(u, "II.2.posters", "y2017", math.nan, keep_total=False)
    at(u, "II.2.posters", "total", "total_incomplete")
    hierarchy(u, "II.2.posters", "y2017")

    def wrong(
        unit: tuple[str, str],
        row: str,
        column: str,
        value: float,
        rule: str,
        named: str | None = None,
    ) -> None:
        """Set one year cell (total kept); expect ``rule`` at ``named`` and the parent off."""
        table.set(unit, row, column, value)
        at(unit, named or row, column[1:], rule)
        hierarchy(unit, row, column)

    def get(unit: tuple[str, str], row: str, column: str) -> float:
        return table.get(unit, row, column)

    # nesting: under 16 > under 18 (victims), under 18 > sex (sheltered)
    for row, column, larger, rule in (
        ("I.2.a.male_u16", "y2018", "I.2.a.male_u18", "victims_male_u16_le_u18"),
        ("II.4.3.a.female_u18", "y2019", "II.4.3.a.female", "sheltered_female_u18_le_total"),
    ):
        u = next(communes)
        wrong(u, row, column, get(u, larger, column) + 1, rule)
    # parts: a part changed without its whole (the failure names the whole)
    for row, rule, whole in (
        ("I.2.a.female", "victims_by_sex", "I.2"),
        ("I.2.d.abroad.laos", "abroad_by_country", "I.2.d.abroad"),
        ("I.2.e.rescued", "victims_by_reception_form", "I.2"),
        ("I.2.b.other_ethnic", "victims_by_ethnicity", "I.2"),
        ("I.2.d.domestic", "victims_by_scope", "I.2"),
        ("II.4.3.a.male", "sheltered_by_sex", "II.4.3"),
    ):
        u = next(communes)
        wrong(u, row, "y2016", get(u, row, "y2016") + 2, rule, named=whole)
    # bounds: identified > received; a shelter service > sheltered; a type > supported
    u, column = find("I.2", lambda v: v >= 1)
    wrong(u, "I.1", column, get(u, "I.2", column) - 1, "identified_le_received", named="I.2")
    u = next(communes)
    wrong(
        u,
        "II.4.3.b.medical_care",
        "y2020",
        get(u, "II.4.3", "y2020") + 1,
        "shelter_medical_care_le_sheltered",
    )
    u = next(communes)
    wrong(u, "II.4.2", "y2017", get(u, "II.4.1", "y2017") + 3, "support_2_le_supported")
    # money: an amount with no person; persons with no amount
    u, column = find("II.4.4.e.loan", lambda v: v == 0)
    wrong(u, "II.4.4.e.loan_amount", column, 20, "loan_amount_matches_persons")
    u, column = find("II.4.4.g.hardship_allowance", lambda v: v > 0)
    wrong(u, "II.4.4.g.hardship_allowance_amount", column, 0, "hardship_amount_matches_persons")
    # counts: negative, fractional
    wrong(next(communes), "II.2.pano", "y2019", -3, "non_negative_integer")
    u = next(communes)
    wrong(u, "II.3.courses", "y2020", get(u, "II.3.courses", "y2020") + 0.5, "non_negative_integer")
    # hierarchy alone: a commune's figure changed consistently, its district not updated
    u = next(communes)
    table.set(u, "II.1", "y2018", table.get(u, "II.1", "y2018") + 7)
    hierarchy(u, "II.1", "y2018")
    # the same on the 2025 map (commune → province), and province → nation on the old map
    u = leaf_communes(AdminMap.NEW, "82")[3]
    table.set(u, "II.2.sessions", "y2016", table.get(u, "II.2.sessions", "y2016") + 1)
    hierarchy(u, "II.2.sessions", "y2016")
    province = ("old", "87")
    table.set(province, "II.3.trainees", "y2020", table.get(province, "II.3.trainees", "y2020") + 4)
    # the nation holds one of its 63 provinces: its mismatch is grouped under the one
    # structural finding naming the 62 missing provinces (issue 16)
    at(("old", "VN"), "", "", "child_units_missing")
    at(province, "II.3.trainees", "2020", "children_sum_to_parent")  # ≠ its districts too
    return expected


def test_clean_generated_rollup_passes(clean_rollup: pd.DataFrame) -> None:
    assert year_columns(clean_rollup) == YEARS
    report = validate(clean_rollup)
    assert report.failures == []
    # one expectation per rule family (issue 16: one query per family on SQL)
    assert report.results == sum(report.expectations.values()) == 8
    assert report.rules > 80


@pytest.mark.parametrize("engine", ["pandas", pytest.param("sql", marks=pytest.mark.slow)])
def test_each_planted_error_is_named_at_its_cell(rollup: pd.DataFrame, engine: str) -> None:
    table = Table(rollup)
    expected = plant(table)
    assert len(expected) > 30
    report = validate(table.frame, engine=engine)
    found = {key(f) for f in report.failures}
    assert found - expected == set(), "reported cells that were not planted"
    assert expected - found == set(), "planted errors that were not reported"
    assert len(report.failures) == len(found), "a cell reported twice"


def test_failure_lines_carry_expected_and_actual(rollup: pd.DataFrame) -> None:
    table = Table(rollup)
    unit = leaf_communes(AdminMap.OLD, "87")[0]
    stated = table.get(unit, "I.2", "y2016")
    table.set(unit, "I.2.a.male", "y2016", table.get(unit, "I.2.a.male", "y2016") + 2)
    report = validate(table.frame)
    (sex,) = [f for f in report.failures if f.rule == "victims_by_sex"]
    assert (sex.row_id, sex.year, sex.actual) == ("I.2", "2016", str(int(stated)))
    assert sex.expected == str(int(stated) + 2)
    assert sex.label_vi == "Tổng số người được xác định là nạn nhân"
    (up,) = [f for f in report.failures if f.rule == "children_sum_to_parent"]
    assert up.unit_code == parent(unit)[1]
    assert up.row_id == "I.2.a.male"
    assert up.expected.startswith(str(int(float(up.actual)) + 2))
    line = sex.line()
    for part in (unit[1], "I.2", "nạn nhân", "2016", "victims_by_sex", "expected", "actual"):
        assert part in line
