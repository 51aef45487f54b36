"""Writing a data subject's file (hồ sơ của chủ thể dữ liệu): JSON, or an XLSX workbook.

The format follows the file's extension (``.json``, ``.xlsx``); anything else is refused
before anything is read or logged. In the workbook every value is a text or number cell,
never a formula: a stored name beginning with ``=`` stays the text it is (a spreadsheet
opening the file must not run what a person typed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from domain.errors import InvalidInput

FORMATS = {".json": "json", ".xlsx": "xlsx"}

#: The workbook's sheets: title, the file's key, the columns.
_SHEETS = (
    ("Dữ liệu (data)", "data", ("field", "value")),
    (
        "Các bước (steps)",
        "steps",
        (
            "version",
            "kind",
            "kind_label",
            "occurred_on",
            "recorded_at",
            "officer_id",
            "agency",
            "legal_basis",
            "fields",
        ),
    ),
    (
        "Truy cập (access)",
        "access_log",
        ("position", "recorded_at", "user", "kind", "fields", "purpose", "detail"),
    ),
)


def file_format(output: Path | None) -> str:
    """``json`` or ``xlsx``, from ``-o``'s extension; refused when there is none to go by."""
    if output is None:
        raise InvalidInput(
            "-o",
            "the subject's file is written to a file, never to the terminal",
            hint="-o FILE.json or -o FILE.xlsx",
        )
    chosen = FORMATS.get(output.suffix.lower())
    if chosen is None:
        raise InvalidInput(
            "-o",
            f"{output.name!r} is neither .json nor .xlsx",
            hint="-o FILE.json (data) or -o FILE.xlsx (a workbook for Excel)",
        )
    if not output.parent.is_dir():
        raise InvalidInput(
            "-o", f"folder {output.parent} does not exist", hint="create it, or choose another"
        )
    return chosen


def write_subject_file(content: dict[str, Any], output: Path, fmt: str) -> None:
    """Write the file (``content``: :meth:`SubjectFile.as_dict`) in ``fmt``."""
    if fmt == "json":
        output.write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", "utf-8")
        return
    from openpyxl import Workbook

    book = Workbook()
    about = book.active
    assert about is not None
    about.title = "Hồ sơ (about)"
    for key in ("case_id", "subject", "made_at", "made_by"):
        _row(about, [key, content[key]])
    for title, key, columns in _SHEETS:
        sheet = book.create_sheet(title)
        _row(sheet, list(columns))
        for item in content[key]:
            _row(sheet, [_cell(item.get(c)) for c in columns])
    book.save(output)


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return "; ".join(f"{k}={_cell(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(str(_cell(v)) for v in value)
    return value


def _row(sheet: Any, values: list[Any]) -> None:
    """Append a row; text cells are text, never formulas."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
