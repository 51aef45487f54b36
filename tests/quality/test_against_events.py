"""``socai quality`` against the rollup computed from events, on a real synthetic store.

A store is built with the lead's synthetic scenario (~60 cases), the projections are run
over it, and the rollup for 2016–2020 of the old-map province that paid the most initial
hardship allowances then (so that a money cell is non-zero) is exported with ``socai rollup``
(CSV and XLSX). Re-imported by the quality importer, the export agrees with the events; a
planted wrong cell is reported at its unit, row and year (a count in the CSV, a money cell —
million VND on the form, đồng in the projections — in the XLSX). The events-built rollups
of the province and its districts satisfy the form's hierarchy and nesting suites.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from infra.keys import create_key_file
from infra.projection_db import projections_engine
from infra.scenario import ScenarioConfig, run_scenario
from infra.services.socai import Socai
from infra.settings import Settings
from projections.case_status import case_status, case_support
from projections.framework import InProcessRunner
from projections.registry import all_projections
from tests.infra.cli.support import script_token

ROOT = Path(__file__).resolve().parents[2]
SCENARIO_CASES = 60
YEARS = "2016-2020"
#: Cells planted wrong: (row id, year column) — a count row and a money row of the province.
COUNT_ROW, COUNT_YEAR = "I.2", "y2019"
#: The money cell's year is the first year in which the province paid the allowance.
MONEY_ROW = "II.4.4.g.hardship_allowance_amount"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding ``s.db`` (synthetic scenario) with its projections run."""
    directory = tmp_path_factory.mktemp("events_store")
    settings = Settings.load(f"sqlite:///{directory / 's.db'}", str(directory / "s.key"))
    create_key_file(settings.key_file)
    app = Socai(settings)
    engine = projections_engine(settings)
    try:
        run_scenario(app, ScenarioConfig(cases=SCENARIO_CASES))
        InProcessRunner(app.log, engine, all_projections()).run()
    finally:
        app.close()
        engine.dispose()
    return directory


@pytest.fixture(scope="module")
def province(store: Path) -> str:
    """The old-map province code that paid the most hardship allowances in 2016–2020."""
    engine = projections_engine(Settings.load(f"sqlite:///{store / 's.db'}", str(store / "s.key")))
    first, last = (int(y) for y in YEARS.split("-"))
    query = (
        sa.select(case_status.c.old_province, sa.func.count())
        .join(case_support, case_support.c.case_id == case_status.c.case_id)
        .where(
            case_support.c.support_type == "hardship_allowance",
            case_support.c.occurred_on.between(date(first, 1, 1), date(last, 12, 31)),
        )
        .group_by(case_status.c.old_province)
        .order_by(sa.func.count().desc(), case_status.c.old_province)
    )
    with engine.connect() as connection:
        paid = connection.execute(query).first()
    engine.dispose()
    assert paid is not None, "the scenario paid hardship allowances in 2016–2020"
    return str(paid[0])


def socai(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``socai`` on the test store, as the tests' registered user (reports of every unit)."""
    token = script_token(f"sqlite:///{store / 's.db'}", str(store / "s.key"))
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.cli.main",
            "--store",
            f"sqlite:///{store / 's.db'}",
            "--key-file",
            str(store / "s.key"),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=store,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "250", "SOCAI_TOKEN": token},
    )


def export(store: Path, province: str, fmt: str, name: str) -> Path:
    path = store / name
    run = socai(
        store,
        "rollup",
        "--unit",
        province,
        "--map",
        "old",
        "--period",
        YEARS,
        "--format",
        fmt,
        "-o",
        str(path),
    )
    assert run.returncode == 0, run.stderr
    return path


def failures(store: Path, path: Path) -> tuple[int, list[dict[str, str]]]:
    report = store / f"{path.name}.json"
    run = socai(store, "quality", "check", str(path), "--against-events", "--json", str(report))
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(report.read_text("utf-8"))["failures"]


def csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_export_agrees_with_the_events(store: Path, province: str, fmt: str) -> None:
    code, found = failures(store, export(store, province, fmt, f"clean.{fmt}"))
    assert found == []
    assert code == 0
    rows = csv_rows(export(store, province, "csv", "look.csv"))
    assert int(rows[0]["total"]) > 0, "the scenario received persons in the province (I.1)"


def test_a_planted_count_is_reported_at_its_unit_row_and_year(store: Path, province: str) -> None:
    rows = csv_rows(export(store, province, "csv", "planted.csv"))
    target = next(r for r in rows if r["row_id"] == COUNT_ROW)
    true_value = int(target[COUNT_YEAR])
    target[COUNT_YEAR] = str(true_value + 3)
    target["total"] = str(int(target["total"]) + 3)  # the total stays consistent: only events
    path = store / "planted.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    code, found = failures(store, path)
    assert code == 1
    against = [f for f in found if f["rule"] == "submitted_equals_events"]
    assert [(f["unit_map"], f["unit_code"], f["row_id"], f["year"]) for f in against] == [
        ("old", province, COUNT_ROW, COUNT_YEAR[1:])
    ]
    assert against[0]["expected"] == str(true_value)
    assert against[0]["actual"] == str(true_value + 3)


def test_a_planted_money_cell_is_reported_in_million_vnd(store: Path, province: str) -> None:
    path = export(store, province, "xlsx", "planted.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book.active
    lines = [list(line) for line in sheet.iter_rows()]
    header = next(line for line in lines if line[0].value == "STT")
    total_column = header[-1].column
    # the form prints no row ids: the amount is the "Triệu đồng" line after its persons line
    persons = next(
        n for n, line in enumerate(lines) if str(line[1].value).endswith("Trợ cấp khó khăn ban đầu")
    )
    amount = lines[persons + 1]
    assert amount[2].value == "Triệu đồng"
    paid = [
        (str(c.value).removeprefix("Năm "), c.column)
        for c in header
        if str(c.value).startswith("Năm ")
        and float(sheet.cell(row=amount[0].row, column=c.column).value or 0) > 0
    ]
    assert paid, f"the scenario paid a hardship allowance in old:{province} in 2016–2020"
    money_year, year_column = paid[0]
    cell = sheet.cell(row=amount[0].row, column=year_column)
    true_million = float(cell.value)
    cell.value = true_million + 1
    total = sheet.cell(row=amount[0].row, column=total_column)
    total.value = float(total.value) + 1
    book.save(path)
    code, found = failures(store, path)
    assert code == 1
    against = [f for f in found if f["rule"] == "submitted_equals_events"]
    assert [(f["unit_code"], f["row_id"], f["year"]) for f in against] == [
        (province, MONEY_ROW, money_year)
    ]
    assert float(against[0]["expected"]) == true_million
    assert float(against[0]["actual"]) == true_million + 1


def test_events_built_rollups_pass_the_hierarchy_and_nesting_suites(
    store: Path, province: str
) -> None:
    report = store / "rollups.json"
    run = socai(
        store,
        "quality",
        "rollups",
        "--unit",
        f"old:{province}",
        "--period",
        YEARS,
        "--json",
        str(report),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ""
    document = json.loads(report.read_text("utf-8"))
    assert document["success"] is True
    checks = [
        r["expectation_config"]["meta"]["socai_check"]
        for v in document["validations"]
        for r in v["results"]
    ]
    kinds = {c["kind"] for c in checks}
    assert {"hierarchy", "nesting", "parts", "total"} <= kinds, kinds
    assert "children_sum_to_parent" in {c["rule"] for c in checks}  # districts sum to province
    assert all(r["success"] for v in document["validations"] for r in v["results"])
