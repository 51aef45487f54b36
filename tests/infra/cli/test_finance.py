"""``socai finance`` end to end, and the demo's money, on a real SQLite store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from openpyxl import load_workbook

from infra.scenario import seed_funding
from infra.scenario.builders import case_with_support, open_app
from projections.funding import FundingProjector, InMemoryLegs, SupportLedger, discrepancies
from projections.funding import reconcile as reconcile_legs
from projections.funding_sql import FundingProjection


def test_record_and_reconcile_from_the_command_line(run, tmp_path: Path) -> None:
    p = ("--programme", "DA-2005-2010")
    run("programme", "--code", "DA-2005-2010", "--title", "Đề án 2005–2010",
        "--starts", "2005-01-01", "--ends", "2010-12-31", "--on", "2005-06-01")  # fmt: skip
    run("pledge", *p, "--id", "NS-1", "--source", "NSTW", "--kind", "central",
        "--amount", "77.300.000.000", "--on", "2005-06-01")  # fmt: skip
    for tid, line, title, amount in (
        ("DL-1", "HOA-NHAP", "Hỗ trợ hòa nhập", "29.900.000.000"),
        ("DL-2", "TIEP-NHAN", "Nơi tiếp nhận", "6.000.000.000"),
    ):
        run("line", *p, "--id", tid, "--line", line, "--title", title, "--source", "NSTW",
            "--amount", amount, "--on", "2005-06-02")  # fmt: skip
    run("allocate", *p, "--id", "PB-QN", "--line", "TIEP-NHAN", "--source", "NSTW",
        "--map", "old", "--unit", "22", "--period", "2006/2010", "--amount", "1.000.000.000",
        "--on", "2006-01-10")  # fmt: skip
    commitment = ("commit", *p, "--id", "CK-1", "--allocation", "PB-QN", "--amount",
                  "950.000.000", "--activity", "reception_point_works",
                  "--description", "Nâng cấp", "--on", "2007-03-01")  # fmt: skip
    run(*commitment)
    again = run(*commitment)
    assert "already recorded" in again
    refused = run("commit", *p, "--id", "CK-2", "--allocation", "PB-QN", "--amount",
                  "100.000.000", "--activity", "directive", "--description", "x",
                  "--on", "2007-03-02", code=2)  # fmt: skip
    assert "50.000.000 đ available" in refused
    run("pay", *p, "--id", "CHI-1", "--commitment", "CK-1", "--on", "2007-09-28")
    out = run(
        "reconcile",
        "--by",
        "line",
        "--csv",
        str(tmp_path / "r.csv"),
        "--xlsx",
        str(tmp_path / "r.xlsx"),
    )
    assert "77.300.000.000 đ" in out
    assert "41.400.000.000 đ" in out  # unassigned
    assert (tmp_path / "r.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8
    with (tmp_path / "r.csv").open(encoding="utf-8-sig") as handle:
        rows = {r["line"]: r for r in csv.DictReader(handle)}
    assert rows["TIEP-NHAN"]["budget_vnd"] == "6000000000"
    assert rows["TIEP-NHAN"]["disbursed_vnd"] == "950000000"
    assert rows["TIEP-NHAN"]["remaining_vnd"] == "5050000000"
    book = load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["Doi chieu", "Chi tiet", "Chenh lech"]
    sheet = book["Doi chieu"]
    assert sheet.cell(sheet.max_row, 1).value == "TỔNG CỘNG"
    assert sheet.cell(sheet.max_row, 2).value == 77_300_000_000
    assert str(sheet["A2"].value).startswith("Số liệu tính đến")
    assert [c.value for c in sheet[5]][:3] == [
        "Dòng ngân sách",
        "Dự toán (đồng)",
        "Đã phân bổ (đồng)",
    ]
    assert sheet.freeze_panes == "A6" and sheet.auto_filter.ref.startswith("A5:")
    assert len(sheet._charts) == 1 and sheet.page_setup.orientation == "landscape"
    framed = [sheet.cell(row, 1).border.left.style for row in range(5, sheet.max_row + 1)]
    assert set(framed) == {"thin"}  # header and every row framed
    assert sheet["A1"].value and sheet["A1"].font.bold  # the title
    assert all(book[name].freeze_panes == "A6" for name in book.sheetnames)
    legs = book["Chi tiet"]
    disbursed = [c.value for c in legs["N"][5:]]  # Đã chi, every transaction leg
    assert sum(v for v in disbursed if isinstance(v, int)) == sheet.cell(sheet.max_row, 5).value
    by_unit = json.loads(run("reconcile", "--by", "unit", "--format", "json"))
    quang_ninh = next(r for r in by_unit["rows"] if r["unit"] == "old:22")
    assert quang_ninh["unit_name"] == "Tỉnh Quảng Ninh"  # the code a field, the name beside it
    assert quang_ninh["disbursed"] == 950_000_000
    behind = run("behind", "--by", "unit", "--key", "old:22", "--measure", "disbursed")
    assert "CHI-1" in behind
    assert "transaction_legs: 1" in behind
    shown = run("show", "DA-2005-2010")
    assert "allocation:PB-QN" in shown
    assert run("discrepancies").strip().endswith("discrepancies: 0")


def test_the_demo_money(tmp_path: Path) -> None:
    with open_app(tmp_path) as app:
        cases = [case_with_support(app, amount)[0] for amount in (2_000_000, 3_500_000)]
        cases.append(case_with_support(app, None, "medical_care")[0])
        demo = seed_funding(app, cases)
        assert demo.supports_paid == 2
        assert demo.discrepancy is not None
        again = seed_funding(app, cases)
        assert again.recorded == 0, "seeding twice must record nothing new"

        legs = InMemoryLegs()
        projector = FundingProjector(legs)
        supports = SupportLedger()
        for _, event in app.funding.events(topics=FundingProjection.topics):
            if type(event).__name__ in ("SupportProvided", "CorrectionRecorded"):
                supports.apply(event)
            else:
                legs.add(projector.apply(event))
        by_line = {row.key: row for row in reconcile_legs(legs.legs, ("programme", "line"))}
        assert by_line[("DA-2005-2010", "HT-HOA-NHAP")].budget == 29_900_000_000
        assert by_line[("DA-2005-2010", "DIEM-TIEP-NHAN")].budget == 6_000_000_000
        assert by_line[("DA-2005-2010", "(chưa phân)")].budget == 41_400_000_000
        hong_ngu = reconcile_legs(
            [leg for leg in legs.legs if leg.programme.startswith("DA3")], ("unit", "year")
        )
        yearly = {row.key[1]: row.allocated for row in hong_ngu if row.key[0] == "old:870"}
        assert yearly == {str(y): 3_000_000 for y in range(2016, 2021)}
        found = discrepancies(legs.legs, supports)
        assert [(d.problem, (d.case_id, d.support_version)) for d in found] == [
            ("amount_disagrees", demo.discrepancy)
        ]
        for code in demo.programmes:
            app.funding.programme(code).ledger.assert_invariants()
