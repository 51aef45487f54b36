"""Import a submitted rollup (báo cáo gửi lên) from CSV or XLSX into the rollup table shape.

**CSV** — the shape of ``hong_ngu_2016_2020.csv``: ``row_id, y2016, ..., total_stated`` (a
year may also be written ``2016``; the total ``total``). The unit is given by columns
``unit_map, unit_code`` (then one file may hold many units), or by the ``unit`` argument
(``"old:870"``, CLI ``--unit``).

**XLSX** — the official form layout as districts fill it: a title, a line ``Đơn vị: NAME
(old:870)``, a header row starting at ``STT`` with the content, unit of measure, one column per
year (often under a merged ``Năm`` cell) and a total (``Tổng cộng``, often merged over two header
rows), then one line per form row with its Vietnamese label. An optional ``Mã chỉ tiêu`` /
``row_id`` column names rows exactly; without it rows are matched to the form by label, in form
order (labels repeat — "Nam" is both victims and sheltered — so order decides).

Cells as people type them (text cells of an XLSX): blank, ``-`` and ``–`` are blank (never
zero); ``1.800`` and ``1,800`` are one thousand eight hundred (Vietnamese writes the dot as
thousands separator); ``1,5`` is one and a half. A CSV is written by a program, so there
``1.5`` is a decimal (money in million VND) and only text with a comma is read the Vietnamese
way. Anything else that is not a number is an error naming the cell.

The unit line may also be the projections export's ``Đơn vị: NAME (mã 870, bản đồ hành chính
cũ (63 tỉnh))``; its labels may carry the printed prefixes (``- Nam``, ``a. Trợ giúp pháp lý``)
and amount rows may read just ``Tổng số tiền``.
"""

from __future__ import annotations

import math
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from domain.errors import SocaiError
from domain.reference.rollup_form import form_rows, row_ids
from domain.reference.units import AdminMap, unit_directory
from quality.table import TOTAL_COLUMN, NotARollup, require_rollup, year_column

_BLANKS = frozenset({"", "-", "–", "—"})
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")
_DECIMAL = re.compile(r"^-?\d+[.,]\d+$")
_INTEGER = re.compile(r"^-?\d+$")
_UNIT_REF = re.compile(r"\b(old|2025)\s*:\s*(VN|\d{2,5})\b", re.IGNORECASE)
#: The export's own unit line: "Đơn vị: NAME (mã 870, bản đồ hành chính cũ (63 tỉnh))".
_UNIT_LINE = re.compile(r"\bmã\s+(VN|\d{2,5})\s*,\s*bản đồ hành chính\s+(cũ|2025)", re.I)
_MACHINE_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_LABEL_PREFIX = re.compile(r"^(?:[-–•]\s*|[a-zđ]\.\s+|\d+(?:\.\d+)*\.?\s+)")
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")
_YEAR = re.compile(r"(?:^|\D)((?:19|20)\d{2})(?:\D|$)")
#: How far below the STT header the year / total header cells may sit (merged header rows).
HEADER_ROWS_MAX = 3
#: Largest sheet read, in rows (a form has ~60; a file this large is not a form).
SHEET_ROWS_MAX = 5000


def parse_cell(value: Any, where: str) -> float:
    """A cell's number, NaN for blank; :class:`NotARollup` naming ``where`` otherwise."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        raise NotARollup(f"{where}: {value!r} is not a number")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "")
    if text in _BLANKS:
        return math.nan
    if _THOUSANDS.match(text):
        return float(re.sub(r"[.,]", "", text))
    if _DECIMAL.match(text):
        return float(text.replace(",", "."))
    if _INTEGER.match(text):
        return float(text)
    raise NotARollup(
        f"{where}: {value!r} is not a number",
        hint="write whole numbers (1.800 or 1800), leave unknown cells blank",
    )


def _unit_ref(text: str) -> str | None:
    """``MAP:CODE`` from ``old:870`` or from the export's ``(mã 870, bản đồ hành chính cũ``."""
    if match := _UNIT_REF.search(text or ""):
        return f"{match.group(1)}:{match.group(2)}"
    if match := _UNIT_LINE.search(text or ""):
        return f"{'old' if match.group(2).lower() == 'cũ' else '2025'}:{match.group(1)}"
    return None


def parse_unit(text: str) -> tuple[str, str, str]:
    """``"old:870"`` → (map, code, level), checked against the unit directory."""
    match = _UNIT_REF.search(_unit_ref(text) or "")
    if match is None:
        raise NotARollup(
            f"{text!r} does not name a unit",
            hint="name a unit as MAP:CODE, e.g. old:870 (a district) or 2025:82 (a province)",
        )
    admin_map = AdminMap.parse(match.group(1), "unit")
    unit = unit_directory().require(admin_map, match.group(2).upper(), "unit")
    return admin_map.value, unit.code, unit.level.value


def read_rollup(path: Path, unit: str | None = None) -> pd.DataFrame:
    """The rollup in ``path`` (``.csv`` or ``.xlsx``) as a rollup table."""
    if not path.is_file():
        raise SocaiError(f"no file {path}", hint="give the path of a CSV or XLSX rollup")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, unit)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, unit)
    raise NotARollup(
        f"{path.name} is not a rollup file (expected .csv or .xlsx)",
        hint="export the form as CSV (row_id, y2016..., total_stated) or XLSX (official layout)",
    )


def _with_unit(frame: pd.DataFrame, unit: str | None, source: str) -> pd.DataFrame:
    if unit is not None:
        unit_map, code, level = parse_unit(unit)
        frame = frame.drop(
            columns=[c for c in ("unit_map", "unit_code", "unit_level") if c in frame.columns]
        )
        frame.insert(0, "unit_map", unit_map)
        frame.insert(1, "unit_code", code)
        frame.insert(2, "unit_level", level)
        return frame
    if not {"unit_map", "unit_code"} <= set(frame.columns):
        raise NotARollup(
            f"{source} does not say which unit it reports",
            hint="give --unit MAP:CODE (e.g. --unit old:870) or unit_map, unit_code columns",
        )
    directory = unit_directory()
    frame = frame.copy()
    maps = {m: AdminMap.parse(m).value for m in frame["unit_map"].unique()}
    frame["unit_map"] = frame["unit_map"].map(maps)
    frame["unit_code"] = frame["unit_code"].map(
        {c: str(c).strip() for c in frame["unit_code"].unique()}
    )
    pairs = frame[["unit_map", "unit_code"]].drop_duplicates()
    pairs["unit_level"] = [
        directory.require(AdminMap(m), c).level.value for m, c in pairs.itertuples(index=False)
    ]
    frame = frame.drop(columns=["unit_level"], errors="ignore")
    return frame.merge(pairs, on=["unit_map", "unit_code"], how="left", validate="many_to_one")


def _parse_column(values: pd.Series, source: str, column: str) -> pd.Series:
    """A CSV column as floats, each distinct text parsed once (fast on a national file).

    A CSV is written by a program, so ``1.5`` is one and a half (a decimal point, as the
    projections export money in million VND); text with a comma or a dash goes through
    :func:`parse_cell` (``1,800`` is 1800, ``-`` is blank).
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    parsed = []
    for k, text in enumerate(uniques):
        plain = str(text).strip()
        if _MACHINE_NUMBER.match(plain):  # a CSV is written by a program: "1.5" is 1.5
            parsed.append(float(plain))
            continue
        try:
            parsed.append(parse_cell(text, f"{source} column {column}"))
        except NotARollup:
            line = int((codes == k).argmax()) + 2
            parse_cell(text, f"{source} line {line}, column {column}")  # raises, naming the line
            raise
    return pd.Series(np.asarray(parsed, dtype="float64")[codes], index=values.index)


def _read_csv(path: Path, unit: str | None) -> pd.DataFrame:
    try:
        raw = pd.read_csv(path, dtype=object, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise NotARollup(f"{path.name} is not a readable CSV ({error})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    if "row_id" not in raw.columns:
        raise NotARollup(
            f"{path.name} is not a rollup: no row_id column",
            hint="the first line names the columns: row_id,y2016,...,total_stated",
        )
    renames = {c: year_column(int(c)) for c in raw.columns if re.fullmatch(r"(19|20)\d{2}", c)}
    renames.update({c: TOTAL_COLUMN for c in raw.columns if c.lower() == "total"})
    raw = raw.rename(columns=renames)
    values = [c for c in raw.columns if c == TOTAL_COLUMN or re.fullmatch(r"y\d{4}", c)]
    for column in values:
        raw[column] = _parse_column(raw[column], path.name, column)
    raw["row_id"] = raw["row_id"].str.strip()
    return require_rollup(_with_unit(raw, unit, path.name), path.name)


# -- XLSX -------------------------------------------------------------------------------------


def _norm(text: Any) -> str:
    plain = unicodedata.normalize("NFC", str(text or "")).lower()
    return " ".join(plain.replace("\n", " ").split())


def _read_xlsx(path: Path, unit: str | None) -> pd.DataFrame:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise NotARollup(f"{path.name} is not a readable XLSX file ({error})") from None
    try:
        sheet = book.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(max_row=SHEET_ROWS_MAX, values_only=True)]
    finally:
        book.close()
    where = f"{path.name} ({sheet.title})"
    header = next((i for i, r in enumerate(rows) if any(_norm(v) == "stt" for v in r)), None)
    if header is None:
        raise NotARollup(
            f"{where} is not a rollup: no header row with STT",
            hint="use the official form layout (STT, Nội dung, Đơn vị tính, years, Tổng cộng)",
        )
    stt_col = next(j for j, v in enumerate(rows[header]) if _norm(v) == "stt")
    # the header block: the STT row and the rows under it whose label cell is empty (merged
    # "Nội dung" cells); the first row with a label (numbering, a heading, data) ends it
    end = header + 1
    while (
        end < min(len(rows), header + HEADER_ROWS_MAX)
        and stt_col + 1 < len(rows[end])
        and not _norm(rows[end][stt_col + 1])
    ):
        end += 1
    columns = _header_columns(rows[header:end], stt_col)
    if not columns["years"] or columns["total"] is None:
        raise NotARollup(
            f"{where} is not a rollup: the header has no year columns or no total column",
            hint="the header names each year (2016, 2017...) and the total (Tổng cộng)",
        )
    if unit is None:
        unit = next(
            (ref for r in rows[:header] for v in r if v and (ref := _unit_ref(str(v)))), None
        )
        if unit is None:
            raise NotARollup(
                f"{where} does not say which unit it reports",
                hint="write 'Đơn vị: NAME (old:870)' above the table, or give --unit old:870",
            )
    first_data = header + 1 + max(columns["depth"], 0)
    records = _data_rows(rows, first_data, columns, where)
    frame = pd.DataFrame(records)
    if frame.empty:
        raise NotARollup(f"{where} has no form rows with figures")
    return require_rollup(_with_unit(frame, unit, where), where)


def _header_columns(block: list[list[Any]], stt_col: int) -> dict[str, Any]:
    """Find the label, row id, year and total columns in the (merged) header rows."""
    years: dict[int, str] = {}
    total = row_id = None
    depth = 0
    width = max(len(r) for r in block)
    for j in range(width):
        for depth_here, r in enumerate(block):
            text = _norm(r[j]) if j < len(r) else ""
            if not text or j <= stt_col:
                continue
            if text in ("row_id", "mã chỉ tiêu", "mã"):
                row_id = j
            elif text.startswith(("tổng", "total", "cộng")):
                total = j
                depth = max(depth, depth_here)
            elif (
                (m := _YEAR.search(text))
                and not text.startswith("năm báo cáo")
                and (isinstance(r[j], int | float) or len(text) <= 12)
            ):
                years[j] = year_column(int(m.group(1)))
                depth = max(depth, depth_here)
    label = stt_col + 1
    if row_id == label:
        label += 1
    return {
        "stt": stt_col,
        "label": label,
        "row_id": row_id,
        "years": years,
        "total": total,
        "depth": depth,
    }


def _data_rows(
    rows: list[list[Any]], start: int, columns: dict[str, Any], where: str
) -> list[dict[str, Any]]:
    form = list(form_rows())
    labels = [_norm(r.label_vi) for r in form]
    short = [re.sub(r"\s*\([^)]*\)$", "", label) for label in labels]
    known = set(row_ids())
    cursor = 0
    records = []
    value_cols = {**columns["years"], columns["total"]: TOTAL_COLUMN}
    for i in range(start, len(rows)):
        r = rows[i]

        def cell(j: int | None, r: list[Any] = r) -> Any:
            return r[j] if j is not None and j < len(r) else None

        label = _norm(cell(columns["label"]))
        if _COLUMN_NUMBER.match(label):
            continue  # the line numbering the columns: (1) (2) (3)...
        figures = {
            name: parse_cell(cell(j), f"{where} row {i + 1}, column {name}")
            for j, name in value_cols.items()
        }
        filled = any(not math.isnan(v) for v in figures.values())
        given_id = str(cell(columns["row_id"]) or "").strip()
        if given_id:
            if given_id not in known:
                raise NotARollup(f"{where} row {i + 1}: {given_id!r} is not a form row id")
            row_id = given_id
        else:
            bare = _LABEL_PREFIX.sub("", label)
            match = next(
                (
                    k
                    for k in range(cursor, len(form))
                    if label in (labels[k], short[k]) or bare in (labels[k], short[k])
                ),
                None,
            )
            if match is None:
                if filled:
                    raise NotARollup(
                        f"{where} row {i + 1}: {cell(columns['label'])!r} is not a row of the"
                        " form (or is out of the form's order)",
                        hint="keep the form's labels and order, or add a row_id column",
                    )
                continue  # a heading, a signature line, a note
            row_id = form[match].row_id
            cursor = match + 1
        records.append({"row_id": row_id, **figures})
    return records
