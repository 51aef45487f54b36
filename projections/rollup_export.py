"""Exports of the rollup form: plain text, CSV and the official XLSX layout (seed 003).

The XLSX reproduces BIỂU TỔNG HỢP SỐ LIỆU: a title, the reporting unit and period, then
``STT | Nội dung | Đơn vị tính | Năm Y… | Tổng giai đoạn`` with the form's section and group
headings (I. THỰC TRẠNG TÌNH HÌNH, II. KẾT QUẢ CÔNG TÁC, a. Giới tính, độ tuổi…), Vietnamese
labels, units of measure, one column per year and the total. Money rows are shown in
million VND (triệu đồng) as exact decimals of the integer đồng — never rounded floats in CSV
and text.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from domain.money import million_vnd
from domain.reference.units import AdminMap
from domain.time import VIETNAM_TZ
from projections.rollup import FormRow, Rollup

FORMATS = ("text", "csv", "xlsx")

UNIT_VI = {
    "person": "Người",
    "document": "Văn bản",
    "session": "Buổi",
    "attendance": "Lượt người",
    "item": "Cái",
    "course": "Cuộc",
    "million_vnd": "Triệu đồng",
}

#: Headings the paper form shows before a row: (stt, heading).
HEADINGS: dict[str, tuple[str, str]] = {
    "I.1": ("I.", "THỰC TRẠNG TÌNH HÌNH"),
    "I.2.a.male": ("a.", "Giới tính, độ tuổi"),
    "I.2.b.kinh": ("b.", "Dân tộc"),
    "I.2.d.domestic": ("d.", "Hình thức mua bán"),
    "I.2.e.self_returned": ("e.", "Hình thức tiếp nhận"),
    "II.1": ("II", "KẾT QUẢ CÔNG TÁC"),
    "II.2.sessions": ("2", "Các hoạt động truyền thông"),
    "II.2.pano": ("", "Số pano, áp phích, tờ rơi về mua bán người:"),
    "II.3.courses": ("3", "Tập huấn nâng cao năng lực cho cán bộ làm công tác hỗ trợ nạn nhân"),
    "II.4.1": ("4", "Kết quả công tác hỗ trợ nạn nhân"),
    "II.4.3.a.male": ("a.", "Giới tính, độ tuổi"),
    "II.4.3.b.essential_needs": (
        "b.",
        "Được hưởng các dịch vụ hỗ trợ trong thời gian tại cơ sở trợ giúp xã hội/cơ sở"
        " hỗ trợ nạn nhân",
    ),
}
#: Rows shown as items under a heading ("- Nam"), not with their own STT.
_GROUPED_PREFIXES = (
    "I.2.a.",
    "I.2.b.",
    "I.2.d.",
    "I.2.e.",
    "II.2.",
    "II.3.",
    "II.4.3.a.",
    "II.4.3.b.",
)


def money(row: FormRow, value: int) -> int | Decimal:
    """A cell as the form shows it: millions for money rows (exact), else the count."""
    if row.unit == "million_vnd":
        millions = million_vnd(value)
        whole = millions.to_integral_value()
        return whole if millions == whole else millions.normalize()
    return value


def cell_text(row: FormRow, value: int) -> str:
    """A cell as text: ``12`` persons, ``1.5`` million đồng (never an exponent)."""
    shown = money(row, value)
    return format(shown, "f") if isinstance(shown, Decimal) else str(shown)


def _label(row: FormRow) -> tuple[str, str]:
    """(STT, label) as printed on the form."""
    label = row.label_vi
    if row.row_id.startswith("II.4.4.") and not row.row_id.endswith("_amount"):
        return "", f"{row.stt}. {label}"
    if row.row_id.endswith("_amount"):
        return "", "Tổng số tiền"
    if row.row_id.startswith(_GROUPED_PREFIXES):
        return "", label if label.startswith("+") else f"- {label}"
    return (row.stt if "." in row.stt else f"{row.stt}."), label


def title_lines(rollup: Rollup, known_at: datetime | None) -> list[str]:
    years = f"{rollup.years[0]}-{rollup.years[-1]}"
    map_name = (
        "bản đồ hành chính cũ (63 tỉnh)"
        if rollup.admin_map is AdminMap.OLD
        else "bản đồ hành chính 2025 (34 tỉnh)"
    )
    lines = [
        "BIỂU TỔNG HỢP SỐ LIỆU",
        f"Đơn vị: {rollup.unit.name} (mã {rollup.unit.code}, {map_name})",
        f"Giai đoạn {years}; số liệu theo ngày xảy ra (ngày nghiệp vụ)"
        + (
            ""
            if rollup.window is None
            else f"; kỳ {rollup.window.label}: từ {rollup.window.starts_on:%d/%m/%Y}"
            f" đến {rollup.window.ends_on:%d/%m/%Y} (số liệu tính đến ngày"
            f" {rollup.window.ends_on:%d/%m/%Y})"
        ),
    ]
    if known_at is not None:
        lines.append(
            "Theo dữ liệu đã ghi nhận đến "
            f"{known_at.astimezone(VIETNAM_TZ).isoformat(timespec='seconds')}"
        )
    return lines


def to_csv(rollup: Rollup) -> str:
    """The canonical table: one line per (unit_map, unit_code, row_id), a column per year
    (``y2016``…) and ``total``; money rows in million VND as exact decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "unit_map",
            "unit_code",
            "row_id",
            "stt",
            "label_vi",
            "unit",
            *(f"y{y}" for y in rollup.years),
            "total",
        ]
    )
    for row, values, total in rollup.rows():
        writer.writerow(
            [
                rollup.admin_map.value,
                rollup.unit.code,
                row.row_id,
                row.stt,
                row.label_vi,
                row.unit,
                *(cell_text(row, v) for v in values),
                cell_text(row, total),
            ]
        )
    return out.getvalue()


def to_text(rollup: Rollup, known_at: datetime | None = None) -> str:
    lines = title_lines(rollup, known_at)
    header = ["STT", "Nội dung", "Đơn vị tính", *(f"Năm {y}" for y in rollup.years), "Tổng"]
    body: list[list[str]] = []
    for row, values, total in rollup.rows():
        if row.row_id in HEADINGS:
            stt, heading = HEADINGS[row.row_id]
            body.append([stt, heading, "", *([""] * len(rollup.years)), ""])
        stt, label = _label(row)
        body.append(
            [
                stt,
                label,
                UNIT_VI[row.unit],
                *(cell_text(row, v) for v in values),
                cell_text(row, total),
            ]
        )
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    widths[1] = min(widths[1], 70)

    def fmt(cells: list[str]) -> str:
        parts = [
            cells[0].ljust(widths[0]),
            cells[1][: widths[1]].ljust(widths[1]),
            cells[2].ljust(widths[2]),
        ]
        parts += [c.rjust(w) for c, w in zip(cells[3:], widths[3:], strict=True)]
        return "  ".join(parts).rstrip()

    return "\n".join([*lines, "", fmt(header), *(fmt(r) for r in body)]) + "\n"


def to_xlsx(rollup: Rollup, path: Path, known_at: datetime | None = None) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Bieu tong hop"
    ncols = 3 + len(rollup.years) + 1
    bold = Font(bold=True)
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    row_no = 1
    for i, line in enumerate(_workbook_title_lines(rollup, known_at)):
        ws.cell(row=row_no, column=1, value=line).font = Font(
            bold=i == 0, size=14 if i == 0 else 11
        )
        ws.merge_cells(start_row=row_no, start_column=1, end_row=row_no, end_column=ncols)
        ws.cell(row=row_no, column=1).alignment = Alignment(horizontal="center")
        row_no += 1
    row_no += 1
    years = f"{rollup.years[0]}-{rollup.years[-1]}"
    header = [
        "STT",
        "Nội dung",
        "Đơn vị tính",
        *(f"Năm {y}" for y in rollup.years),
        f"Tổng giai đoạn {years}",
    ]
    for col, text in enumerate(header, start=1):
        cell = ws.cell(row=row_no, column=col, value=text)
        cell.font = bold
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    row_no += 1
    for row, values, total in rollup.rows():
        if row.row_id in HEADINGS:
            stt, heading = HEADINGS[row.row_id]
            for col in range(1, ncols + 1):
                ws.cell(row=row_no, column=col).border = border
            ws.cell(row=row_no, column=1, value=stt).font = bold
            ws.cell(row=row_no, column=2, value=heading).font = bold
            row_no += 1
        stt, label = _label(row)
        cells = [stt, label, UNIT_VI[row.unit], *(money(row, v) for v in values), money(row, total)]
        for col, value in enumerate(cells, start=1):
            cell = ws.cell(row=row_no, column=col, value=value)
            cell.border = border
            if col == 2:
                cell.alignment = Alignment(wrap_text=True)
            if col > 3 and row.unit == "million_vnd":
                cell.number_format = "#,##0.######"
        row_no += 1
    ws.column_dimensions["A"].width = 6
    ws.column_dimensions["B"].width = 62
    ws.column_dimensions["C"].width = 12
    for col in range(4, ncols + 1):
        ws.column_dimensions[get_column_letter(col)].width = 11
    header_row = len(_workbook_title_lines(rollup, known_at)) + 2
    ws.freeze_panes = ws.cell(row=header_row + 1, column=4)
    # printed as the form is: landscape, one page wide, the column headers on every page
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.horizontalCentered = True
    wb.save(path)


def _workbook_title_lines(rollup: Rollup, known_at: datetime | None) -> list[str]:
    """The title lines with, under the form's title, its attachment line (Kèm theo Báo cáo
    số …), left blank for the People's Committee to fill in as on the official form."""
    first, *rest = title_lines(rollup, known_at)
    committee = f"Ủy ban nhân dân {rollup.unit.name[:1].lower()}{rollup.unit.name[1:]}"
    attachment = (
        f"(Kèm theo Báo cáo số ........./BC-UBND ngày ..... tháng ..... năm ........"
        f" của {committee})"
    )
    return [first, attachment, *rest]
