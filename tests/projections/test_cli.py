"""The CLI end to end on a real SQLite store: demo scenario, activities, rollup exports,
KPIs, projection status and rebuild, as-known-at, and refusals of bad input."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from infra.cli.main import app
from infra.services.socai import Socai
from infra.settings import Settings
from projections.rollup import form_rows
from tests.cli_runner import CliRunnerOnce
from tests.infra.cli.support import script_token

runner = CliRunnerOnce()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli") / "s.db"
    url = f"sqlite:///{path}"
    result = runner.invoke(app, ["--store", url, "demo", "--cases", "40"])
    assert result.exit_code == 0, result.output
    return url


def env(store: str) -> dict[str, str]:
    return {"SOCAI_TOKEN": script_token(store)}


def _cli(store: str, *args: str) -> str:
    signed_in = args[0] not in ("keys", "demo")
    result = runner.invoke(app, ["--store", store, *args], env=env(store) if signed_in else {})
    assert result.exit_code == 0, result.output
    return result.output


def _national_rows(store: str) -> dict[str, dict[str, str]]:
    text = _cli(
        store, "rollup", "--unit", "VN", "--period", "2016-2026", "--map", "2025", "--format", "csv"
    )
    return {r["row_id"]: r for r in csv.DictReader(io.StringIO(text))}


def test_activity_rollup_csv_matches_the_cases(store: str, tmp_path: Path) -> None:
    before = _national_rows(store)  # the demo records seed 003's Hồng Ngự activities
    _cli(
        store, "activity", "session", "--unit", "870", "--on", "2018-05-02", "--participants", "30"
    )
    out = _cli(
        store, "activity", "directive", "--unit", "87", "--on", "2019-03-01", "--documents", "2"
    )
    activity_id = out.strip().split()[-1]
    _cli(store, "activity", "withdraw", activity_id, "--reason", "ghi nhầm")
    rows = _national_rows(store)
    settings = Settings.load(store)
    application = Socai(settings)
    try:
        statuses = [application.cases.get(cid).status for cid in application.cases.ids()]
    finally:
        application.close()
    assert int(rows["I.1"]["total"]) == len(statuses)
    assert int(rows["I.2"]["total"]) == sum(s.verification_outcome == "victim" for s in statuses)
    participants = int(rows["II.2.participants"]["y2018"])
    assert participants == int(before["II.2.participants"]["y2018"]) + 30
    assert rows["II.1"]["total"] == before["II.1"]["total"]  # the directive was withdrawn
    for row in rows.values():
        years = [row[f"y{y}"] for y in range(2016, 2027)]
        if row["unit"] != "million_vnd":
            assert int(row["total"]) == sum(int(v) for v in years)


def test_xlsx_reproduces_the_form(store: str, tmp_path: Path) -> None:
    target = tmp_path / "bieu.xlsx"
    _cli(
        store,
        "rollup",
        "--unit",
        "87",
        "--period",
        "2016-2020",
        "--format",
        "xlsx",
        "-o",
        str(target),
    )
    sheet = openpyxl.load_workbook(target).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "BIỂU TỔNG HỢP SỐ LIỆU"
    assert values[1][0].startswith("(Kèm theo Báo cáo số")
    assert values[1][0].endswith("của Ủy ban nhân dân tỉnh Đồng Tháp)")
    assert "Đồng Tháp" in values[2][0]
    header_row = next(n for n, r in enumerate(values, start=1) if r[0] == "STT")
    assert sheet.print_title_rows == f"${header_row}:${header_row}"
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.fitToWidth == 1
    header = next(r for r in values if r[0] == "STT")
    assert header[3:] == [
        "Năm 2016",
        "Năm 2017",
        "Năm 2018",
        "Năm 2019",
        "Năm 2020",
        "Tổng giai đoạn 2016-2020",
    ]
    body = [r for r in values if r[2] is not None and r[0] != "STT"]
    assert len(body) == len(form_rows())  # every row of the template
    assert [r[1] for r in values if r[0] in ("I.", "II")] == [
        "THỰC TRẠNG TÌNH HÌNH",
        "KẾT QUẢ CÔNG TÁC",
    ]
    assert {r[2] for r in body} >= {"Người", "Văn bản", "Buổi", "Lượt người", "Triệu đồng"}
    for r in body:
        assert r[8] == sum(r[3:8])


def test_status_rebuild_kpi_and_known_at(store: str) -> None:
    _cli(store, "projections", "run")
    status = _cli(store, "projections", "status")
    assert "case_status" in status
    assert "activity" in status
    assert "rebuilt from" in _cli(store, "projections", "rebuild", "case_status")
    kpis = _cli(store, "kpi", "--unit", "VN", "--period", "2019")
    assert "verified" in kpis
    assert "procedures_overdue" in kpis
    before = _cli(
        store,
        "rollup",
        "--unit",
        "VN",
        "--period",
        "2016-2020",
        "--format",
        "csv",
        "--known-at",
        "2015-12-31",
    )
    totals = [r["total"] for r in csv.DictReader(io.StringIO(before))]
    assert set(totals) == {"0"}


def test_case_listing_and_changes_since_a_report(store: str) -> None:
    listing = runner.invoke(
        app,
        ["--store", store, "projections", "cases", "--unit", "VN", "--limit", "3"],
        env=env(store),
        terminal_width=200,
    )
    assert listing.exit_code == 0, listing.output
    ids = [w for w in listing.output.split() if len(w) == 36 and w.count("-") == 4]
    assert len(ids) == 3
    shown = _cli(store, "projections", "case", ids[0])
    assert "stage" in shown
    assert "full_name" not in shown
    changes = runner.invoke(
        app,
        [
            "--store",
            store,
            "rollup",
            "--unit",
            "VN",
            "--period",
            "2016-2026",
            "--map",
            "2025",
            "--known-at",
            "2018-12-31",
            "--changes",
        ],
        env=env(store),
        terminal_width=200,
    )
    assert changes.exit_code == 0, changes.output
    assert "I.1" in changes.output
    assert "2024" in changes.output


@pytest.mark.parametrize(
    "args",
    [
        ["rollup", "--unit", "87", "--period", "2016", "--changes"],
        ["rollup", "--unit", "87", "--period", "20x6"],
        ["rollup", "--unit", "9999", "--period", "2016-2020"],
        ["rollup", "--unit", "87", "--period", "2016", "--format", "pdf"],
        ["rollup", "--unit", "87", "--period", "2016", "--format", "xlsx"],
        ["projections", "rebuild", "nonesuch"],
        ["activity", "session", "--unit", "87", "--on", "2018-01-01", "--participants", "-3"],
        ["activity", "materials", "--unit", "87", "--on", "2018-01-01"],
        ["activity", "training", "--unit", "87", "--on", "2099-01-01", "--trainees", "3"],
    ],
)
def test_bad_input_is_refused_with_a_hint(store: str, args: list[str]) -> None:
    result = runner.invoke(app, ["--store", store, *args], env=env(store))
    assert result.exit_code == 2, result.output


# -- KPIs: one definition of overdue, a list behind every figure, no data is not "met" ------


def _json(store: str, *args: str) -> dict[str, object]:
    import json

    return dict(json.loads(_cli(store, *args, "--format", "json")))


def test_the_overdue_kpi_and_the_overdue_list_are_one_definition(store: str) -> None:
    kpis = {r["indicator"]: r for r in _json(store, "kpi", "--unit", "VN", "--map", "2025")["rows"]}
    listed = _json(
        store, "projections", "cases", "--unit", "VN", "--map", "2025", "--overdue",
        "--limit", "1000",
    )["rows"]  # fmt: skip
    assert kpis["procedures_overdue"]["numerator"] == len(listed) > 0
    assert all(row["overdue_days"] > 0 for row in listed)


@pytest.mark.parametrize(
    "key", ["verified", "victims_supported", "victims_essential_needs", "procedures_overdue"]
)
def test_every_kpi_figure_has_its_list_of_cases(store: str, key: str) -> None:
    kpis = {r["indicator"]: r for r in _json(store, "kpi", "--unit", "VN", "--map", "2025")["rows"]}
    behind = _json(store, "kpi", "--unit", "VN", "--map", "2025", "--list", key)["rows"]
    assert sum(1 for row in behind if row["counted"]) == kpis[key]["numerator"]
    if kpis[key]["denominator"] is not None:
        assert len(behind) == kpis[key]["denominator"]


def test_a_share_of_nothing_is_no_data_not_met(tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    _cli(empty, "keys", "init")
    rows = {r["indicator"]: r for r in _json(empty, "kpi", "--unit", "VN", "--map", "2025")["rows"]}
    assert rows["verified"]["met"] == "no data"
    assert rows["verified"]["denominator"] == 0 and "100%" not in rows["verified"]["value"]
    assert rows["procedures_overdue"]["met"] == "yes"  # a count of nothing is 0, the target
    refused = runner.invoke(app, ["--store", empty, "kpi", "--list", "nonsense"], env=env(empty))
    assert refused.exit_code == 2 and "not an indicator" in refused.output


# -- periods and cut-off dates ----------------------------------------------------------------


@pytest.mark.parametrize(("period", "until"), [("2024-H1", None), ("2023", "2023-08-31")])
def test_a_rollup_of_a_period_counts_exactly_the_steps_dated_in_it(
    store: str, period: str, until: str | None
) -> None:
    """Computed independently from the cases themselves, not from the projections."""
    from datetime import date
    from decimal import Decimal

    from domain.period import Period

    window = Period.parse(period).until(date.fromisoformat(until) if until else None)
    args = ["rollup", "--unit", "VN", "--map", "2025", "--period", period, "--format", "csv"]
    text = _cli(store, *args, *(["--until", until] if until else []))
    rows = {r["row_id"]: r for r in csv.DictReader(io.StringIO(text))}
    column = f"y{window.starts_on.year}"
    received, essential, loans = set(), set(), Decimal(0)
    application = Socai(Settings.load(store))
    try:
        for case_id in application.cases.ids():
            steps = application.cases.get(case_id).steps.values()
            for step in steps:
                if not window.contains(step.occurred_on):
                    continue
                if step.kind == "Received":
                    received.add(case_id)
                if (
                    step.kind == "SupportProvided"
                    and step.value("support_type") == "essential_needs"
                ):
                    essential.add(case_id)
                if step.kind == "SupportProvided" and step.value("support_type") == "loan":
                    loans += Decimal(step.value("amount_vnd")) / 1_000_000
    finally:
        application.close()
    assert received, "the demo has receptions in the period"
    assert int(rows["I.1"][column]) == len(received)
    assert int(rows["II.4.2"][column]) == len(essential)
    assert Decimal(rows["II.4.4.e.loan_amount"][column] or 0) == loans


def test_a_period_is_written_one_way(store: str) -> None:
    result = runner.invoke(app, ["--store", store, "rollup", "--period", "2024-H3"], env=env(store))
    assert result.exit_code == 2 and "2024-Q3" in result.output  # the hint lists the forms
    both = ["--store", store, "rollup", "--period", "2024", "--years", "2024"]
    assert runner.invoke(app, both, env=env(store)).exit_code == 2


# -- criminal proceedings (vụ án) -----------------------------------------------------------


def test_the_prosecution_targets_equal_an_independent_count(store: str) -> None:
    """The demo's criminal cases, counted from the aggregates themselves, not the projection."""
    from domain.proceedings.aggregate import Proceedings

    application = Socai(Settings.load(store))
    try:
        ids = [
            event.originator_id
            for _, event in application.log.events(topics=(Proceedings.Opened.TOPIC,))
        ]
        reached = [application.proceedings.get(i).reached for i in ids]
    finally:
        application.close()
    assert reached, "the demo opens criminal cases"
    expected = {}
    for key, stage, before in (
        ("cases_solved", "Solved", "Opened"),
        ("cases_prosecuted", "Prosecuted", "Solved"),
        ("cases_tried", "Tried", "Prosecuted"),
    ):
        expected[key] = (sum(stage in r for r in reached), sum(before in r for r in reached))
    rows = {r["indicator"]: r for r in _json(store, "kpi", "--unit", "VN", "--map", "2025")["rows"]}
    for key, (numerator, denominator) in expected.items():
        assert (rows[key]["numerator"], rows[key]["denominator"]) == (numerator, denominator)
    listed = _json(store, "proceedings", "list", "--unit", "VN")["rows"]
    assert len(listed) == len(reached)


@pytest.mark.parametrize(
    ("args", "unit"),
    [
        (["--unit", "870"], "old:870"),  # a district: only the old map has one
        (["--unit", "old:870"], "old:870"),
        (["--unit", "huyện hồng ngự"], "old:870"),
        (["--unit", "2025:82"], "2025:82"),
        (["--unit", "82", "--map", "2025"], "2025:82"),  # the old spelling still works
    ],
)
def test_a_unit_is_written_map_code_or_by_name(store: str, args: list[str], unit: str) -> None:
    assert _json(store, "kpi", *args)["unit"] == unit


def test_an_ambiguous_unit_lists_its_candidates(store: str) -> None:
    result = runner.invoke(app, ["--store", store, "kpi", "--unit", "Hong Ngu"], env=env(store))
    assert result.exit_code == 2 and "old:870 (Huyện Hồng Ngự)" in result.output
