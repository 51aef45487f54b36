"""The funding reconciliation as files (bảng đối chiếu kinh phí): CSV for machines, XLSX for
finance departments.

Both carry every group of :func:`projections.funding_sql.FundingQueries.reconcile` and its five
figures in whole đồng — never rounded, never in millions — so that a finance officer's sum in
Excel equals socai's to the last đồng. The XLSX adds the Vietnamese headers, unit names beside
their codes, and the total row (TỔNG CỘNG); the CSV keeps raw keys for machines.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from domain.reference.units import AdminMap, unit_directory
from projections.framework import content_digest, position_of
from projections.funding import MEASURES, UNASSIGNED, Discrepancy, Leg, Row
from projections.funding_sql import FundingProjection

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

#: The Vietnamese header of each figure, as on the finance departments' own sheets.
MEASURE_HEADERS = {
    "budget": "Dự toán",
    "allocated": "Đã phân bổ",
    "committed": "Đã cam kết",
    "disbursed": "Đã chi",
    "remaining": "Còn lại",
}

#: Column width in the XLSX sheet (characters): wide enough for 77.300.000.000 and a unit name.
XLSX_COLUMN_WIDTH_CHARS = 22


#: The groupings whose key is a unit (``map:code``), named beside it for people.
UNIT_DIMENSIONS = ("unit", "province")


def unit_name(dimension: str, value: str) -> str | None:
    """The name of the unit a group's key is (``Huyện Hồng Ngự`` for ``old:870``); ``None``
    for a grouping that is not a unit, or a key that names none."""
    if dimension not in UNIT_DIMENSIONS or value == UNASSIGNED or ":" not in value:
        return None
    admin_map, code = value.split(":", 1)
    unit = unit_directory().get(AdminMap(admin_map), code)
    return unit.name if unit else None


def group_label(dimension: str, value: str) -> str:
    """A group's key as people read it: a unit is named beside its ``map:code`` key."""
    name = unit_name(dimension, value)
    return f"{name} ({value})" if name else value


#: What a CSV file starts with so that Excel on a Vietnamese Windows reads it as UTF-8.
UTF8_BOM = "\ufeff"
#: The Vietnamese header of each grouping (a code is shown with its name beside it).
DIMENSION_HEADERS = {
    "programme": "Chương trình",
    "line": "Dòng ngân sách",
    "source": "Nguồn kinh phí",
    "unit": "Đơn vị",
    "province": "Tỉnh",
    "period": "Kỳ",
    "purpose": "Mục đích chi",
}
#: Each kind of discrepancy in Vietnamese, then English.
DISCREPANCY_LABELS = {
    "unpaid_support": "Hỗ trợ chưa chi (support not disbursed)",
    "no_such_support": "Không có sự kiện hỗ trợ (no such support event)",
    "amount_disagrees": "Số tiền không khớp (amount disagrees)",
}


def write_reconciliation_csv(path: Path, dims: tuple[str, ...], rows: list[Row]) -> None:
    """One row per group, amounts in whole đồng without separators (for machines), with a
    byte-order mark so that Excel opens the Vietnamese text correctly."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write(UTF8_BOM)
        writer = csv.writer(handle)
        writer.writerow([*dims, *(f"{m}_vnd" for m in MEASURES)])
        for row in rows:
            writer.writerow([*row.key, *row.figures])


@dataclass(frozen=True)
class WorkbookContext:
    """What a finance workbook states about itself: when it was made, the cut-off it shows
    (số liệu tính đến), and the log position its figures come from."""

    made_at: datetime
    cut_off: str
    source: str

    @classmethod
    def of(
        cls, engine: Engine, made_at: datetime, cut_off: date, known_at: str | None = None
    ) -> WorkbookContext:
        """The context of a workbook made at ``made_at`` (Viet Nam time) from the funding
        tables in ``engine`` (the live ones, or those built as known at ``known_at``): its
        cut-off date and the log position and digest of the tables it was read from."""
        projection = FundingProjection()
        with Session(engine) as session:
            position = position_of(session, projection.name)
        return cls(
            made_at=made_at,
            cut_off=cut_off.strftime("%d/%m/%Y")
            + (f"; như đã biết lúc (as known at) {known_at}" if known_at else ""),
            source=f"nguồn: {projection.name} tại vị trí sổ {position},"
            f" sha256 {content_digest(engine, projection)}",
        )


def write_reconciliation_xlsx(
    path: Path,
    dims: tuple[str, ...],
    rows: list[Row],
    total: Row,
    *,
    legs: list[Leg],
    found: list[Discrepancy],
    context: WorkbookContext,
) -> None:
    """The finance department's workbook: one sheet per view — the reconciliation (with a
    chart of budget against disbursed), the transactions behind every figure, and the
    discrepancies — each with a title, the cut-off date, Vietnamese headers, frozen headers,
    filters, borders and đồng by thousands. Amounts are whole đồng, so Excel's sums equal
    socai's to the last đồng."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    headers = [DIMENSION_HEADERS.get(d, d) for d in dims]
    _sheet(
        sheet,
        "Doi chieu",
        "ĐỐI CHIẾU KINH PHÍ (funding reconciliation)",
        context,
        [*headers, *(f"{MEASURE_HEADERS[m]} (đồng)" for m in MEASURES)],
        [
            *([*(group_label(d, v) for d, v in zip(dims, row.key, strict=True)), *row.figures]
              for row in rows),
            [*(["TỔNG CỘNG"] + [""] * (len(dims) - 1) if dims else []), *total.figures],
        ],
        money_from=len(dims) + 1,
    )  # fmt: skip
    _chart(sheet, len(dims), len(rows))
    _sheet(
        book.create_sheet(),
        "Chi tiet",
        "CHI TIẾT GIAO DỊCH (the transactions behind each figure)",
        context,
        ["Ngày", "Chương trình", "Giao dịch", "Loại", "Nguồn", "Dòng", "Đơn vị", "Hồ sơ",
         "Sự kiện hỗ trợ", "Hoạt động", *(f"{MEASURE_HEADERS[m]} (đồng)" for m in MEASURES)],
        [[leg.occurred_on, leg.programme, leg.transaction_id, leg.kind, leg.source, leg.line,
          group_label("unit", f"{leg.unit_map}:{leg.unit_code}") if leg.unit_code else None,
          str(leg.case_id) if leg.case_id else None, leg.support_version, leg.activity,
          *(getattr(leg, m) for m in MEASURES)] for leg in legs],
        money_from=11,
    )  # fmt: skip
    _sheet(
        book.create_sheet(),
        "Chenh lech",
        "CHÊNH LỆCH GIỮA TIỀN VÀ HỒ SƠ (discrepancies between money and cases)",
        context,
        ["Vấn đề", "Hồ sơ", "Sự kiện hỗ trợ", "Hồ sơ ghi (đồng)", "Đã chi (đồng)", "Giao dịch"],
        [[DISCREPANCY_LABELS[d.problem], str(d.case_id), d.support_version, d.support_amount,
          d.disbursed, ", ".join(d.transactions)] for d in found],
        money_from=4,
        money_to=5,
    )  # fmt: skip
    book.save(path)


#: Rows above a sheet's header: the title, the cut-off line, the source line, a blank.
_TITLE_ROWS = 4


def _sheet(
    sheet: Worksheet,
    name: str,
    title: str,
    context: WorkbookContext,
    header: list[str],
    body: Iterable[Sequence[object]],
    *,
    money_from: int,
    money_to: int | None = None,
) -> None:
    from openpyxl.styles import Alignment, Border, Font, Side

    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    sheet.title = name
    sheet.append([title])
    sheet.append([f"Số liệu tính đến (cut-off): {context.cut_off}"])
    sheet.append(
        [f"Lập lúc (made): {context.made_at.isoformat(timespec='minutes')}; {context.source}"]
    )
    sheet.append([])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(header)
    for cell in sheet[_TITLE_ROWS + 1]:
        cell.font = Font(bold=True)
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for values in body:
        sheet.append(list(values))
        for index, cell in enumerate(sheet[sheet.max_row], start=1):
            cell.border = border
            if isinstance(cell.value, date):
                cell.number_format = "DD/MM/YYYY"
            elif index >= money_from and (money_to is None or index <= money_to):
                cell.number_format = "#,##0"
    last_column = sheet.cell(_TITLE_ROWS + 1, len(header)).column_letter
    sheet.freeze_panes = sheet.cell(_TITLE_ROWS + 2, 1)
    sheet.auto_filter.ref = f"A{_TITLE_ROWS + 1}:{last_column}{max(sheet.max_row, _TITLE_ROWS + 2)}"
    sheet.print_title_rows = f"{_TITLE_ROWS + 1}:{_TITLE_ROWS + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    for index in range(1, len(header) + 1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = XLSX_COLUMN_WIDTH_CHARS


def _chart(sheet: Worksheet, dimensions: int, groups: int) -> None:
    """Budget against disbursed for each group (the total row left out), beside the table."""
    from openpyxl.chart import BarChart, Reference

    if groups == 0 or dimensions == 0:
        return
    header_row = _TITLE_ROWS + 1
    chart = BarChart()
    chart.title = "Dự toán và đã chi (budget and disbursed)"
    chart.y_axis.title = "đồng"
    for measure in ("budget", "disbursed"):
        column = dimensions + 1 + MEASURES.index(measure)
        data = Reference(sheet, min_col=column, min_row=header_row, max_row=header_row + groups)
        chart.add_data(data, titles_from_data=True)
    labels = Reference(sheet, min_col=1, min_row=header_row + 1, max_row=header_row + groups)
    chart.set_categories(labels)
    chart.width, chart.height = 24, 12
    sheet.add_chart(
        chart, f"{sheet.cell(1, dimensions + len(MEASURES) + 2).column_letter}{header_row}"
    )
