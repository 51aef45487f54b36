"""Properties of the suites, on both engines (hypothesis).

* A generated clean rollup — any seed, any run of years, a province with all its communes and
  the nation — has no finding at all (no error, no warning).
* Each single planted error of each kind, in a unit checked alone, gives exactly the finding
  for that cell; a structural error gives exactly one finding, with what it causes grouped
  under it; a consistent change in a commune gives exactly its district's hierarchy finding.
  The engines agree finding for finding.

The planting code states the expected finding from what it planted (rule, row, year); it
never asks the validator. Kinds are planted on rows whose other rules the change cannot
break (an activity row has no rule with other rows; a part grows within its nesting...).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from domain.reference.rollup_form import BOUNDS, NESTING, form_rows
from domain.reference.units import AdminMap, unit_directory
from quality.generate import generate_rollup
from quality.importer import read_submission
from quality.run import validate
from quality.table import TOTAL_COLUMN, year_columns
from tests.quality.support import Key, key

pytestmark = pytest.mark.property

#: Examples per property in the default run (each validates on both engines); ``-m slow``
#: runs the same properties with SLOW_EXAMPLES.
EXAMPLES = 5
SLOW_EXAMPLES = 40
SEEDS = (1, 2, 3)
YEARS = (2016, 2017, 2018, 2019, 2020)
#: Rows with no rule linking them to another row: a change there breaks only its own rules.
ACTIVITY = tuple(r.row_id for r in form_rows() if r.row_id.startswith(("II.1", "II.2", "II.3")))
#: Parts whose growth breaks only their sum (no bound or nesting caps them).
GROWING_PARTS = {
    "I.2.a.female": ("victims_by_sex", "I.2"),
    "I.2.b.kinh": ("victims_by_ethnicity", "I.2"),
    "I.2.d.domestic": ("victims_by_scope", "I.2"),
    "I.2.d.abroad.laos": ("abroad_by_country", "I.2.d.abroad"),
    "I.2.e.rescued": ("victims_by_reception_form", "I.2"),
    "II.4.3.a.male": ("sheltered_by_sex", "II.4.3"),
}
#: Bounds whose smaller row is in no other rule.
FREE_BOUNDS = [b for b in BOUNDS if b.smaller.startswith(("I.2.c", "II.4.3.b", "II.4.4.a"))]

TABLES = {
    seed: generate_rollup(
        years=YEARS, maps=(AdminMap.OLD,), provinces={AdminMap.OLD: ["87"]}, seed=seed
    )
    for seed in SEEDS
}
UNITS = sorted(
    {
        code
        for code, level in zip(TABLES[1]["unit_code"], TABLES[1]["unit_level"], strict=True)
        if level in ("district", "commune")
    }
)


@dataclass
class Unit:
    """One unit's rows, to plant in: ``at(row, column)`` / ``put(...)`` keep nothing else."""

    frame: pd.DataFrame

    def __post_init__(self) -> None:
        self.frame = self.frame.reset_index(drop=True)
        self.index = {r: i for i, r in enumerate(self.frame["row_id"])}
        self.code = str(self.frame["unit_code"].iloc[0])

    def at(self, row: str, column: str) -> float:
        return float(self.frame.at[self.index[row], column])

    def put(self, row: str, column: str, value: float, retotal: bool = True) -> None:
        i = self.index[row]
        self.frame.at[i, column] = value
        if retotal and column != TOTAL_COLUMN:
            self.frame.at[i, TOTAL_COLUMN] = self.frame.loc[i, year_columns(self.frame)].sum()

    def key(self, row: str, year: str, rule: str) -> Key:
        return ("old", self.code, row, year, rule)


def one_unit(seed: int, code: str) -> Unit:
    table = TABLES[seed]
    return Unit(table[table["unit_code"] == code].copy())


def findings_on_both(table: pd.DataFrame, **kwargs: object) -> set[Key]:
    """The top-level findings, identical on pandas and SQL (asserted)."""
    found = {}
    for engine in ("pandas", "sql"):
        report = validate(table, engine=engine, **kwargs)  # type: ignore[arg-type]
        found[engine] = [
            (key(f), f.severity, tuple(sorted(map(key, f.consequences)))) for f in report.findings
        ]
    assert found["pandas"] == found["sql"], "the engines disagree"
    return {k for k, _s, _c in found["pandas"]}


# -- a clean rollup has no finding -----------------------------------------------------------


@settings(max_examples=4, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    first=st.integers(2016, 2024),
    span=st.integers(1, 5),
)
def test_a_generated_clean_rollup_has_no_finding(seed: int, first: int, span: int) -> None:
    years = tuple(range(first, min(first + span, 2026)))
    table = generate_rollup(
        years=years, maps=(AdminMap.NEW,), provinces={AdminMap.NEW: ["12"]}, seed=seed
    )
    assert findings_on_both(table) == set()


# -- each single planted error gives exactly its finding --------------------------------------

Plant = Callable[[Unit, st.DataObject], Key]


def plant_total(u: Unit, data: st.DataObject) -> Key:
    row = data.draw(st.sampled_from([r.row_id for r in form_rows()]))
    u.put(row, TOTAL_COLUMN, u.at(row, TOTAL_COLUMN) + data.draw(st.sampled_from([-2, 1, 7])))
    return u.key(row, "total", "total_equals_sum_of_years")


def plant_blank_hiding(u: Unit, data: st.DataObject) -> Key:
    row, year = data.draw(st.sampled_from(ACTIVITY)), data.draw(st.sampled_from(YEARS))
    assume(u.at(row, f"y{year}") > 0)
    u.put(row, f"y{year}", math.nan, retotal=False)
    return u.key(row, "total", "total_incomplete")


def plant_blank_as_zero(u: Unit, data: st.DataObject) -> Key:
    row, year = data.draw(st.sampled_from(ACTIVITY)), data.draw(st.sampled_from(YEARS))
    u.put(row, f"y{year}", 0.0)
    u.put(row, f"y{year}", math.nan, retotal=False)
    return u.key(row, "total", "total_blank_as_zero")


def plant_nesting(u: Unit, data: st.DataObject) -> Key:
    rule = data.draw(st.sampled_from([r for r in NESTING if r.smaller.endswith("_u16")]))
    year = data.draw(st.sampled_from(YEARS))
    u.put(rule.smaller, f"y{year}", u.at(rule.larger, f"y{year}") + 1)
    return u.key(rule.smaller, str(year), rule.name)


def plant_parts(u: Unit, data: st.DataObject) -> Key:
    part = data.draw(st.sampled_from(sorted(GROWING_PARTS)))
    year = data.draw(st.sampled_from(YEARS))
    rule, whole = GROWING_PARTS[part]
    u.put(part, f"y{year}", u.at(part, f"y{year}") + data.draw(st.integers(1, 5)))
    return u.key(whole, str(year), rule)


def plant_bound(u: Unit, data: st.DataObject) -> Key:
    rule = data.draw(st.sampled_from(FREE_BOUNDS))
    year = data.draw(st.sampled_from(YEARS))
    u.put(rule.smaller, f"y{year}", u.at(rule.larger, f"y{year}") + data.draw(st.integers(1, 4)))
    return u.key(rule.smaller, str(year), rule.name)


def plant_money_without_persons(u: Unit, data: st.DataObject) -> Key:
    year = data.draw(st.sampled_from(YEARS))
    assume(u.at("II.4.4.e.loan", f"y{year}") > 0)
    u.put("II.4.4.e.loan_amount", f"y{year}", 0.0)
    return u.key("II.4.4.e.loan_amount", str(year), "loan_amount_matches_persons")


def plant_money_in_dong(u: Unit, data: st.DataObject) -> Key:
    row = data.draw(st.sampled_from(["e.loan", "g.hardship_allowance"]))
    year = data.draw(st.sampled_from(YEARS))
    persons, amount = f"II.4.4.{row}", f"II.4.4.{row}_amount"
    assume(u.at(persons, f"y{year}") > 0)
    u.put(amount, f"y{year}", u.at(amount, f"y{year}") * 1_000_000)
    return u.key(amount, str(year), "amount_in_wrong_unit")


def plant_negative_count(u: Unit, data: st.DataObject) -> Key:
    row, year = data.draw(st.sampled_from(ACTIVITY)), data.draw(st.sampled_from(YEARS))
    u.put(row, f"y{year}", -1 - u.at(row, f"y{year}"))
    return u.key(row, str(year), "non_negative_integer")


def plant_fractional_count(u: Unit, data: st.DataObject) -> Key:
    row, year = data.draw(st.sampled_from(ACTIVITY)), data.draw(st.sampled_from(YEARS))
    u.put(row, f"y{year}", u.at(row, f"y{year}") + 0.5)
    return u.key(row, str(year), "non_negative_integer")


def plant_negative_amount(u: Unit, data: st.DataObject) -> Key:
    year = data.draw(st.sampled_from(YEARS))
    assume(u.at("II.4.4.e.loan", f"y{year}") == 0)
    u.put("II.4.4.e.loan_amount", f"y{year}", -5.0)
    return u.key("II.4.4.e.loan_amount", str(year), "non_negative_amount")


def plant_missing_row(u: Unit, data: st.DataObject) -> Key:
    """Structural: a form row deleted; what it breaks is grouped under one finding."""
    row = data.draw(st.sampled_from([r.row_id for r in form_rows() if r.official]))
    u.frame = u.frame[u.frame["row_id"] != row].reset_index(drop=True)
    return ("old", u.code, row, "", "form_rows_missing")


CELL_KINDS: dict[str, Plant] = {
    "total": plant_total,
    "blank_hiding_a_value": plant_blank_hiding,
    "blank_as_zero": plant_blank_as_zero,
    "nesting": plant_nesting,
    "parts": plant_parts,
    "bound": plant_bound,
    "money_without_persons": plant_money_without_persons,
    "money_in_dong": plant_money_in_dong,
    "negative_count": plant_negative_count,
    "fractional_count": plant_fractional_count,
    "negative_amount": plant_negative_amount,
    "missing_row": plant_missing_row,
}


def single_error(kind: str, data: st.DataObject, seed: int, code: str) -> None:
    unit = one_unit(seed, code)
    expected = CELL_KINDS[kind](unit, data)
    assert findings_on_both(unit.frame) == {expected}


def single_error_test(examples: int) -> Callable[..., None]:
    """The property "each single planted error gives exactly its finding", with ``examples``
    examples per kind (the default run and ``-m slow`` differ only in that)."""

    @pytest.mark.parametrize("kind", sorted(CELL_KINDS))
    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data(), seed=st.sampled_from(SEEDS), code=st.sampled_from(UNITS))
    def test(kind: str, data: st.DataObject, seed: int, code: str) -> None:
        single_error(kind, data, seed, code)

    return test


test_each_single_planted_error_gives_exactly_its_finding = single_error_test(EXAMPLES)
test_each_single_planted_error_gives_exactly_its_finding_many_examples = pytest.mark.slow(
    single_error_test(SLOW_EXAMPLES)
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(data=st.data(), seed=st.sampled_from(SEEDS))
def test_a_consistent_change_in_a_commune_is_its_districts_hierarchy_finding(
    data: st.DataObject, seed: int
) -> None:
    directory = unit_directory()
    district = data.draw(
        st.sampled_from(
            [u for u in UNITS if directory.require(AdminMap.OLD, u).level.value == "district"]
        )
    )
    communes = [c.code for c in directory.children(directory.require(AdminMap.OLD, district))]
    assume(communes)
    table = TABLES[seed]
    frame = table[table["unit_code"].isin([district, *communes])].reset_index(drop=True)
    commune = Unit(frame[frame["unit_code"] == data.draw(st.sampled_from(communes))].copy())
    row, year = data.draw(st.sampled_from(ACTIVITY)), data.draw(st.sampled_from(YEARS))
    commune.put(row, f"y{year}", commune.at(row, f"y{year}") + data.draw(st.integers(1, 9)))
    rest = frame[frame["unit_code"] != commune.code]
    changed = pd.concat([rest, commune.frame], ignore_index=True)
    assert findings_on_both(changed) == {
        ("old", district, row, str(year), "children_sum_to_parent")
    }


# -- structural errors of a file: one finding each ---------------------------------------------


def csv_text(
    u: Unit, drop_year: int | None = None, cell: tuple[str, int, str] | None = None
) -> str:
    """The unit as a Vietnamese statistician's table CSV (1.200 thousands, 1,5 decimals)."""

    def vi(value: float) -> str:
        if math.isnan(value):
            return ""
        if value.is_integer():
            return f"{int(value):,}".replace(",", ".")
        return f"{value:.6f}".rstrip("0").replace(".", ",")

    years = [y for y in YEARS if y != drop_year]
    lines = ["row_id," + ",".join(f"y{y}" for y in years) + ",total_stated"]
    for row in u.frame["row_id"]:
        values = []
        for y in years:
            text = vi(u.at(row, f"y{y}"))
            if cell is not None and cell[:2] == (row, y):
                text = cell[2]
            values.append(f'"{text}"')
        lines.append(",".join([row, *values, f'"{vi(u.at(row, TOTAL_COLUMN))}"']))
    return "\n".join(lines) + "\n"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.sampled_from(SEEDS), code=st.sampled_from(UNITS))
def test_a_file_fault_is_one_finding_with_its_consequences_under_it(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, seed: int, code: str
) -> None:
    unit = one_unit(seed, code)
    path = Path(tmp_path_factory.mktemp("file")) / "rollup.csv"
    fault = data.draw(st.sampled_from(["year_column_missing", "ambiguous_number", "clean"]))
    if fault == "year_column_missing":
        year = data.draw(st.sampled_from(YEARS[1:-1]))  # a gap the period makes visible
        path.write_text(csv_text(unit, drop_year=year), "utf-8")
        expected = {("", "", "", str(year), fault)}
    elif fault == "ambiguous_number":
        row, year = data.draw(st.sampled_from(ACTIVITY)), data.draw(st.sampled_from(YEARS))
        text = f"{data.draw(st.integers(1, 999))},{data.draw(st.integers(0, 999)):03d}"
        path.write_text(csv_text(unit, cell=(row, year, text)), "utf-8")
        expected = {("old", code, row, str(year), fault)}
    else:
        path.write_text(csv_text(unit), "utf-8")
        expected = set()
    submission = read_submission(path, unit=f"old:{code}")
    assert findings_on_both(submission.table, structural=submission.structural) == expected
