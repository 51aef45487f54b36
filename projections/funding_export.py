"""The funding reconciliation as files (bảng đối chiếu kinh phí): CSV for machines, XLSX for
finance departments.

Both carry every group of :func:`projections.funding_sql.FundingQueries.reconcile` and its five
figures in whole đồng — never rounded, never in millions — so that a finance officer's sum in
Excel equals socai's to the last đồng. The XLSX adds the Vietnamese headers, unit names beside
their codes, and the total row (TỔNG CỘNG); the CSV keeps raw keys for machines.
"""

from __future__ import annotations

import csv
from pathlib import Path

from domain.reference.units import AdminMap, unit_directory
from projections.funding import MEASURES, UNASSIGNED, Row

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


def group_label(dimension: str, value: str) -> str:
    """A group's key as people read it: a unit is named beside its ``map:code`` key."""
    if dimension not in ("unit", "province") or value == UNASSIGNED or ":" not in value:
        return value
    admin_map, code = value.split(":", 1)
    unit = unit_directory().get(AdminMap(admin_map), code)
    return f"{unit.name} ({value})" if unit else value


def write_reconciliation_csv(path: Path, dims: tuple[str, ...], rows: list[Row]) -> None:
    """One row per group, amounts in whole đồng without separators (for machines)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*dims, *(f"{m}_vnd" for m in MEASURES)])
        for row in rows:
            writer.writerow([*row.key, *row.figures])


def write_reconciliation_xlsx(
    path: Path, dims: tuple[str, ...], rows: list[Row], total: Row
) -> None:
    """The groups, then the total row, with đồng formatted by thousands."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Doi chieu kinh phi"
    sheet.append([*dims, *(f"{MEASURE_HEADERS[m]} ({m}, đồng)" for m in MEASURES)])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        labels = [group_label(d, v) for d, v in zip(dims, row.key, strict=True)]
        sheet.append([*labels, *row.figures])
    sheet.append([*(["TỔNG CỘNG"] + [""] * (len(dims) - 1) if dims else []), *total.figures])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column in sheet.iter_cols(min_col=len(dims) + 1, min_row=2):
        for cell in column:
            cell.number_format = "#,##0"
    for index in range(1, len(dims) + len(MEASURES) + 1):
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = XLSX_COLUMN_WIDTH_CHARS
    book.save(path)
