"""A checked rollup marked up for its sender (biểu đã kiểm tra): every wrong cell filled red
with a comment naming its rule, what was expected and what was found, and a sheet listing the
findings one per line (as ``socai quality check`` prints them).

The web returns it after an upload; the table is the submission as read (canonical columns:
unit, row id, a column per year, the stated total), so a cell is named exactly as a finding
names it: ``(unit_map, unit_code, row_id, column)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from io import BytesIO

import pandas as pd
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from domain.reference.rollup_form import row_index
from quality.results import Cell, Finding
from quality.table import TOTAL_COLUMN, year_columns

WRONG_FILL = PatternFill("solid", start_color="FFC7CE", end_color="FFC7CE")
WARNING_FILL = PatternFill("solid", start_color="FFEB9C", end_color="FFEB9C")


def _all(findings: Iterable[Finding]) -> Iterable[Finding]:
    for finding in findings:
        yield finding
        yield from _all(finding.consequences)


def cell_findings(findings: Iterable[Finding]) -> dict[Cell, list[Finding]]:
    """Each cell a finding names → the findings naming it (consequences included)."""
    found: dict[Cell, list[Finding]] = {}
    for finding in _all(findings):
        for cell in finding.cells:
            found.setdefault(cell, []).append(finding)
    return found


def explain(findings: Iterable[Finding]) -> str:
    return "\n".join(
        f"{f.rule}: expected {f.expected}, actual {f.actual}"
        + (" (warning)" if not f.is_error else "")
        for f in findings
    )


def columns_of(table: pd.DataFrame) -> list[str]:
    return [*year_columns(table), TOTAL_COLUMN]


def annotated_xlsx(table: pd.DataFrame, findings: list[Finding]) -> bytes:
    """The workbook: the submission with its wrong cells marked, and the list of findings."""
    marked = cell_findings(findings)
    values = columns_of(table)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Kiem tra"
    header = ["unit_map", "unit_code", "row_id", "Nội dung", *values]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    labels = row_index()
    for n, record in enumerate(table.to_dict("records"), start=2):
        row_id = str(record["row_id"])
        form_row = labels.get(row_id)
        sheet.append([
            record["unit_map"], record["unit_code"], row_id,
            form_row.label_vi if form_row is not None else "",
            *(None if pd.isna(record[c]) else record[c] for c in values),
        ])  # fmt: skip
        for i, column in enumerate(values, start=5):
            here = marked.get((str(record["unit_map"]), str(record["unit_code"]), row_id, column))
            if here:
                target = sheet.cell(row=n, column=i)
                errors = any(f.is_error for f in here)
                target.fill = WRONG_FILL if errors else WARNING_FILL
                target.comment = Comment(explain(here), "socai quality")
    sheet.freeze_panes = "E2"
    listing = book.create_sheet("Loi")
    listing.append(["unit", "row_id", "Nội dung", "year", "rule", "expected", "actual", "severity"])
    for f in _all(findings):
        listing.append([f"{f.unit_map}:{f.unit_code}" if f.unit_code else "file", f.row_id,
                        f.label_vi, f.year, f.rule, f.expected, f.actual, f.severity])  # fmt: skip
    out = BytesIO()
    book.save(out)
    return out.getvalue()
