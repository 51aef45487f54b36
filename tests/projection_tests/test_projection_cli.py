"""The CLI end to end on a real SQLite store: demo scenario, activities, rollup exports,
KPIs, projection status and rebuild, as-known-at, and refusals of bad input."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from infra.application import SocaiApplication
from infra.cli.main import app
from infra.settings import Settings
from projections.rollup import form_rows

runner = CliRunner()
ENV = {"SOCAI_OFFICER": "CB-7", "SOCAI_AGENCY": "labour_social_affairs"}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "s.db"
    url = f"sqlite:///{path}"
    result = runner.invoke(app, ["--store", url, "demo", "--cases", "40"], env=ENV)
    assert result.exit_code == 0, result.output
    return url


def _cli(store: str, *args: str) -> str:
    result = runner.invoke(app, ["--store", store, *args], env=ENV)
    assert result.exit_code == 0, result.output
    return result.output


def test_activity_rollup_csv_matches_the_cases(store: str, tmp_path: Path) -> None:
    _cli(store, "activity", "session", "--unit", "870", "--on", "2018-05-02",
         "--participants", "30")
    out = _cli(store, "activity", "directive", "--unit", "87", "--on", "2019-03-01",
               "--documents", "2")
    activity_id = out.strip().split()[-1]
    _cli(store, "activity", "withdraw", activity_id, "--reason", "ghi nhầm")
    text = _cli(store, "rollup", "--unit", "VN", "--years", "2016-2026", "--map", "2025",
                "--format", "csv")
    rows = {r["row_id"]: r for r in csv.DictReader(io.StringIO(text))}
    settings = Settings.load(store)
    application = SocaiApplication(settings)
    try:
        statuses = [application.get_case(cid).status for cid in application.case_ids()]
    finally:
        application.close()
    assert int(rows["I.1"]["total"]) == len(statuses)
    assert int(rows["I.2"]["total"]) == sum(s.verification_outcome == "victim" for s in statuses)
    assert rows["II.2.participants"]["y2018"] == "30"
    assert rows["II.1"]["total"] == "0"  # the directive was withdrawn
    for row in rows.values():
        years = [row[f"y{y}"] for y in range(2016, 2027)]
        if row["unit"] != "million_vnd":
            assert int(row["total"]) == sum(int(v) for v in years)


def test_xlsx_reproduces_the_form(store: str, tmp_path: Path) -> None:
    target = tmp_path / "bieu.xlsx"
    _cli(store, "rollup", "--unit", "87", "--years", "2016-2020", "--format", "xlsx",
         "-o", str(target))
    sheet = openpyxl.load_workbook(target).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "BIỂU TỔNG HỢP SỐ LIỆU"
    assert "Đồng Tháp" in values[1][0]
    header = next(r for r in values if r[0] == "STT")
    assert header[3:] == ["Năm 2016", "Năm 2017", "Năm 2018", "Năm 2019", "Năm 2020",
                          "Tổng giai đoạn 2016-2020"]
    body = [r for r in values if r[2] is not None and r[0] != "STT"]
    assert len(body) == len(form_rows())  # every row of the template
    assert [r[1] for r in values if r[0] in ("I.", "II")] == ["THỰC TRẠNG TÌNH HÌNH",
                                                            "KẾT QUẢ CÔNG TÁC"]
    assert {r[2] for r in body} >= {"Người", "Văn bản", "Buổi", "Lượt người", "Triệu đồng"}
    for r in body:
        assert r[8] == sum(r[3:8])


def test_status_rebuild_kpi_and_known_at(store: str) -> None:
    _cli(store, "projections", "run")
    status = _cli(store, "projections", "status")
    assert "case_status" in status
    assert "activity" in status
    assert "rebuilt from" in _cli(store, "projections", "rebuild", "case_status")
    kpis = _cli(store, "kpi", "--unit", "VN", "--year", "2019")
    assert "verified" in kpis
    assert "procedures_overdue" in kpis
    before = _cli(store, "rollup", "--unit", "VN", "--years", "2016-2020", "--format", "csv",
                  "--known-at", "2015-12-31")
    totals = [r["total"] for r in csv.DictReader(io.StringIO(before))]
    assert set(totals) == {"0"}


@pytest.mark.parametrize("args", [
    ["rollup", "--unit", "87", "--years", "20x6"],
    ["rollup", "--unit", "9999", "--years", "2016-2020"],
    ["rollup", "--unit", "87", "--years", "2016", "--format", "pdf"],
    ["rollup", "--unit", "87", "--years", "2016", "--format", "xlsx"],
    ["projections", "rebuild", "nonesuch"],
    ["activity", "session", "--unit", "87", "--on", "2018-01-01", "--participants", "-3"],
    ["activity", "materials", "--unit", "87", "--on", "2018-01-01"],
    ["activity", "training", "--unit", "87", "--on", "2099-01-01", "--trainees", "3"],
])
def test_bad_input_is_refused_with_a_hint(store: str, args: list[str]) -> None:
    result = runner.invoke(app, ["--store", store, *args], env=ENV)
    assert result.exit_code == 2, result.output
