"""Import a submitted rollup (báo cáo gửi lên) — CSV or XLSX, as people fill them.

:func:`read_submission` returns a :class:`Submission`: the rollup table, the structural faults
found while reading (each a finding with the cells it affects, see :mod:`quality.structure`),
the encoding detected and the number convention used. What the importer cannot make sense of
at all — no unit, no year column, not a CSV or XLSX — is refused (:class:`NotARollup`) with
a hint; everything else is read and its faults reported, so a district sees every problem of
its file at once.

**Two layouts, one parser for both.**

* *The table* — a header with ``row_id``, years (``y2016`` or ``2016``) and the total
  (``total_stated`` or ``total``), optionally ``unit_map, unit_code`` (then one file may hold
  many units) and label columns (``stt``, ``label_vi``, ``unit``...), which are ignored.
* *The official form* (BIỂU TỔNG HỢP SỐ LIỆU) — a title, a line ``Đơn vị: NAME (old:870)``, a
  header row starting at ``STT`` with the content, unit of measure, one column per year
  (often under a merged ``Năm`` cell) and a total (``Tổng cộng``, ``Tổng giai đoạn
  2016-2020``), then one line per form row with its Vietnamese label, matched to the form in
  order (labels repeat — "Nam" is both victims and sheltered — so order decides), or named by
  an explicit ``Mã chỉ tiêu`` / ``row_id`` column. An XLSX is always this layout; so is a CSV
  whose header has no ``row_id``.

Every cell goes through :func:`quality.numbers.read_cell` — the Vietnamese convention unless
the file declares the machine one (a first line ``#numbers=machine``, or the ``unit`` column of
socai's own CSV export with machine units such as ``million_vnd``).

**A whole workbook** (một sổ, mỗi đơn vị một trang): every sheet with a form header is read,
each for the unit its own ``Đơn vị`` line names, so a province and its communes are checked
together (the hierarchy rule) from one file.

**Structural faults** named here: ``year_column_missing`` (a year of the declared period —
``--years``, or the total header's ``2016-2020`` — or a gap inside the years given), with the
unknown columns that may have been meant as it; ``unknown_column``; ``total_column_missing``;
``unknown_row`` (a row id or label not on the form); ``row_repeated``; ``ambiguous_number`` and
``not_a_number`` cells; ``sheet_skipped`` (a sheet that is not a form).
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from domain.errors import SocaiError
from domain.reference.rollup_form import MONEY_UNIT, PERSON_UNITS, form_rows, row_ids
from domain.reference.units import AdminMap, unit_directory
from quality.encoding import TCVN3, UTF8, decode, legacy_conversion, vietnamese_share
from quality.numbers import (
    AMBIGUOUS,
    MACHINE,
    NOT_A_NUMBER,
    VIETNAMESE,
    Reading,
    parse_texts,
    read_cell,
)
from quality.results import ERROR, WARNING, Finding
from quality.structure import Scope, Structural
from quality.table import (
    TOTAL_COLUMN,
    YEAR_MAX,
    YEAR_MIN,
    NotARollup,
    duplicated_keys,
    require_rollup,
    year_column,
)

_UNIT_REF = re.compile(r"\b(old|2025)\s*:\s*(VN|\d{2,5})\b", re.IGNORECASE)
#: The export's own unit line: "Đơn vị: NAME (mã 870, bản đồ hành chính cũ (63 tỉnh))".
_UNIT_LINE = re.compile(r"\bmã\s+(VN|\d{2,5})\s*,\s*bản đồ hành chính\s+(cũ|2025)", re.I)
_LABEL_PREFIX = re.compile(r"^(?:[-–•]\s*|[a-zđ]\.\s+|\d+(?:\.\d+)*\.?\s+)")
_COLUMN_NUMBER = re.compile(r"^\(?\d{1,2}\)?$")
_YEAR = re.compile(r"(?:^|\D)((?:19|20)\d{2})(?:\D|$)")
_PERIOD = re.compile(r"((?:19|20)\d{2})\s*[-–—]\s*((?:19|20)\d{2})")
_DECLARATION = re.compile(r"^#\s*numbers\s*=\s*(\w+)\s*$", re.I)
#: How far below the STT header the year / total header cells may sit (merged header rows).
HEADER_ROWS_MAX = 3
#: Largest sheet read, in rows (a form has ~60; a file this large is not a form).
SHEET_ROWS_MAX = 5000
#: Labels shorter than this never match a form label by prefix (a wrapped label's first line).
PREFIX_MIN = 15

#: Columns of the table layout that carry no figures.
_IDENTITY = {"unit_map", "unit_code", "unit_level", "row_id"}
_LABELS = {
    "stt",
    "label",
    "label_vi",
    "label_en",
    "unit",
    "nội dung",
    "đơn vị tính",
    "ghi chú",
    "ghi_chu",
    "note",
    "notes",
}
_MACHINE_UNITS = PERSON_UNITS | {MONEY_UNIT}


@dataclass
class Submission:
    """A submitted rollup as read: the table, the faults found reading it, and how it was
    read (encoding, number convention, sheets)."""

    table: pd.DataFrame
    structural: list[Structural] = field(default_factory=list)
    encoding: str = UTF8
    numbers: str = VIETNAMESE
    sheets: list[str] = field(default_factory=list)

    def describe(self) -> str:
        convention = "machine (1.5)" if self.numbers == MACHINE else "Vietnamese (1.200 = 1200)"
        sheets = f", {len(self.sheets)} sheets" if len(self.sheets) > 1 else ""
        return f"encoding {self.encoding}, numbers {convention}{sheets}"


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


def parse_period(text: str) -> tuple[int, ...] | None:
    """``2016-2020`` (anywhere in ``text``) → the years, or None."""
    match = _PERIOD.search(text or "")
    if match is None:
        return None
    first, last = int(match.group(1)), int(match.group(2))
    if not YEAR_MIN <= first <= last <= YEAR_MAX or last - first > 50:
        return None
    return tuple(range(first, last + 1))


def read_submission(
    path: Path, unit: str | None = None, years: Sequence[int] | None = None
) -> Submission:
    """The rollup in ``path`` (``.csv`` or ``.xlsx``); ``unit`` (``old:870``) when the file
    does not say, ``years`` the period the file should cover when it does not say."""
    if not path.is_file():
        raise SocaiError(f"no file {path}", hint="give the path of a CSV or XLSX rollup")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, unit, years)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, unit, years)
    raise NotARollup(
        f"{path.name} is not a rollup file (expected .csv or .xlsx)",
        hint="export the form as CSV (row_id, y2016..., total_stated) or XLSX (official layout)",
    )


def read_rollup(path: Path, unit: str | None = None) -> pd.DataFrame:
    """The table only (for callers that build their own; faults are in :func:`read_submission`)."""
    return read_submission(path, unit).table


# -- shared: findings, units, columns ---------------------------------------------------------


def _file_fault(rule: str, expected: str, actual: str, scope: Scope, year: str = "") -> Structural:
    return Structural(Finding("", "", "", year, rule, expected, actual, ERROR), scope)


def _cell_fault(
    unit: tuple[str, str], row_id: str, column: str, text: str, reading: Reading, where: str
) -> Structural:
    year = "total" if column == TOTAL_COLUMN else column[1:]
    if reading.outcome == AMBIGUOUS:
        actual = f"{text!r} at {where}: could be {reading.readings}"
        expected = "one reading (Vietnamese: 1.200 = 1200, 1,5 = 1.5)"
    else:
        actual = f"{text!r} at {where}"
        expected = "a number (Vietnamese: 1.200 = 1200, 1,5 = 1.5) or blank"
    finding = Finding(*unit, row_id, year, reading.outcome, expected, actual, ERROR)
    return Structural(finding, Scope(cells=frozenset({(*unit, row_id, column)})))


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
    # Each distinct text is read once (a national table names 3,000 units on 200,000
    # rows): the map and code columns are factorized, their few distinct values parsed, and
    # each unit (map, code) looked up once, in order of first appearance.
    directory = unit_directory()
    frame = frame.drop(columns=["unit_level"], errors="ignore")
    map_at, map_texts = _distinct(frame["unit_map"])
    code_at, code_texts = _distinct(frame["unit_code"])
    map_at, maps = _distinct_of(
        map_at, [AdminMap.parse(str(m).strip(), "unit_map").value for m in map_texts]
    )
    code_at, codes = _distinct_of(code_at, [str(c).strip() for c in code_texts])
    unit_at, units = pd.factorize(map_at * len(codes) + code_at)
    levels = [
        directory.require(
            AdminMap(maps[u // len(codes)]), codes[u % len(codes)], "unit_code"
        ).level.value
        for u in units.tolist()
    ]
    frame["unit_map"] = np.asarray(maps, dtype=object)[map_at]
    frame["unit_code"] = np.asarray(codes, dtype=object)[code_at]
    frame["unit_level"] = np.asarray(levels, dtype=object)[unit_at]
    return frame


def _distinct(column: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Each row's position among the column's distinct values (blank included), and those
    values in order of first appearance."""
    at, values = pd.factorize(column, use_na_sentinel=False)
    return at, list(values)


def _distinct_of(at: np.ndarray, read: list[str]) -> tuple[np.ndarray, list[str]]:
    """``at`` (positions among distinct texts) re-pointed at the distinct readings of those
    texts (two texts can read the same: ``" 87"`` and ``"87"``)."""
    again, values = pd.factorize(np.asarray(read, dtype=object))
    return again[at], list(values)


def _column_kind(name: str) -> tuple[str, str | None]:
    """("identity" | "label" | "year" | "total" | "unknown", the year column)."""
    text = " ".join(unicodedata.normalize("NFC", name).strip().lower().split())
    if text in _IDENTITY:
        return "identity", None
    if text in _LABELS:
        return "label", None
    if text in ("total", "total_stated", "tổng", "tổng cộng", "cộng") or text.startswith(
        ("tổng giai đoạn", "tổng số giai đoạn")
    ):
        return "total", None
    if match := re.fullmatch(r"(?:y|năm\s*)?((?:19|20)\d{2})", text):
        return "year", year_column(int(match.group(1)))
    return "unknown", None


def _year_faults(
    present: list[str], expected: Sequence[int] | None, unknown: list[str], source: str
) -> list[Structural]:
    """A year of the period without its column: one finding per year, naming the unknown
    columns that may have been meant as it; unknown columns otherwise one finding each."""
    have = sorted(int(c[1:]) for c in present)
    period = list(expected) if expected else list(range(have[0], have[-1] + 1))
    missing = [y for y in period if y not in have]
    faults = []
    for year in missing:
        guess = f" (columns not recognised: {', '.join(map(repr, unknown))})" if unknown else ""
        faults.append(
            _file_fault(
                "year_column_missing",
                f"a column for each year {period[0]}–{period[-1]}",
                f"no column for {year} in {source}{guess}",
                Scope(columns=frozenset({year_column(year), TOTAL_COLUMN})),
                str(year),
            )
        )
    if not missing:
        for name in unknown:
            faults.append(
                _file_fault(
                    "unknown_column",
                    "the form's columns (row id or label, years, total)",
                    f"column {name!r} in {source} holds figures and was ignored",
                    Scope(cells=frozenset()),
                )
            )
    return faults


def _dedupe(frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[Structural]]:
    """Keep the first of each repeated unit × row; each repetition is a finding."""
    keys = ["unit_map", "unit_code", "row_id"]
    repeated = duplicated_keys(frame)
    faults = []
    if repeated.any():
        counts = frame[keys].value_counts()
        for index, n in counts[counts > 1].items():
            m, c, r = (str(x) for x in cast(tuple[Any, ...], index))  # a 3-key index
            finding = Finding(
                m,
                c,
                r,
                "",
                "row_repeated",
                "each form row once per unit",
                f"{n} times in {source}; the first is checked",
                ERROR,
            )
            faults.append(Structural(finding, Scope(cells=frozenset())))
    return frame[~repeated].reset_index(drop=True), faults


# -- CSV ---------------------------------------------------------------------------------------


def _read_csv(path: Path, unit: str | None, years: Sequence[int] | None) -> Submission:
    decoded = decode(path.read_bytes(), path.name)
    text = decoded.text
    convention = VIETNAMESE
    first, _, rest = text.partition("\n")
    if match := _DECLARATION.match(first.strip()):
        if match.group(1).lower() not in (VIETNAMESE, MACHINE):
            raise NotARollup(
                f"{path.name}: the first line declares numbers={match.group(1)!r}",
                hint="declare #numbers=machine (1.5) or #numbers=vi (1.200 = 1200)",
            )
        convention, text = match.group(1).lower(), rest
    first_row = next(csv.reader(io.StringIO(text.partition("\n")[0])), [])
    if "row_id" not in [c.strip() for c in first_row]:
        rows = [list(r) for r in csv.reader(io.StringIO(text))]
        if _header_row(rows[:60]) is None:
            raise NotARollup(
                f"{path.name} is not a rollup: no row_id column",
                hint="the first line names the columns: row_id,y2016,...,total_stated"
                " (or use the form's layout: STT, Nội dung, ..., years, Tổng cộng)",
            )
        table, faults = _read_form_rows(rows, path.name, unit, years, convention)
        table, repeated = _dedupe(table, path.name)
        table = require_rollup(table, path.name)
        return Submission(table, faults + repeated, decoded.encoding, convention, [path.name])
    try:
        raw = pd.read_csv(io.StringIO(text), dtype=object, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise NotARollup(f"{path.name} is not a readable CSV ({error})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    if "unit" in raw.columns:
        units = {str(v).strip() for v in raw["unit"].unique()} - {""}
        if units and units <= _MACHINE_UNITS:
            convention = MACHINE  # socai's canonical export declares machine numbers
    table, faults = _read_table(raw, path.name, unit, years, convention)
    return Submission(table, faults, decoded.encoding, convention, [path.name])


def _read_table(
    raw: pd.DataFrame,
    source: str,
    unit: str | None,
    years: Sequence[int] | None,
    convention: str,
) -> tuple[pd.DataFrame, list[Structural]]:
    kinds = {c: _column_kind(c) for c in raw.columns}
    year_cols = {c: y for c, (k, y) in kinds.items() if k == "year" and y is not None}
    totals = [c for c, (k, _) in kinds.items() if k == "total"]
    if not year_cols:
        raise NotARollup(
            f"{source} is not a rollup: no year column",
            hint="name year columns y2016, y2017, ... (or 2016, 2017, ...)",
        )
    unknown = [
        c
        for c, (k, _) in kinds.items()
        if k == "unknown" and (raw[c].astype(str).str.strip() != "").any()
    ]
    faults = _year_faults(list(year_cols.values()), years, unknown, source)
    frame = pd.DataFrame({c: raw[c] for c in raw.columns if kinds[c][0] == "identity"})
    row_at, row_texts = _distinct(frame["row_id"])
    frame["row_id"] = np.asarray([str(r).strip() for r in row_texts], dtype=object)[row_at]
    frame = _with_unit(frame, unit, source)
    value_sources = {
        **{c: y for c, y in year_cols.items()},
        **{t: TOTAL_COLUMN for t in totals[:1]},
    }
    problems: list[tuple[int, str, str, Reading]] = []
    for original, column in value_sources.items():
        parsed = parse_texts(raw[original], convention)
        frame[column] = parsed.values
        problems += [(pos, column, text, r) for pos, text, r in parsed.problems]
    if not totals:
        frame[TOTAL_COLUMN] = np.nan
        faults.append(
            _file_fault(
                "total_column_missing",
                "the form's total column (total_stated, Tổng cộng)",
                f"no total column in {source}",
                Scope(columns=frozenset({TOTAL_COLUMN})),
            )
        )
    known = set(row_ids())
    unknown_rows = ~frame["row_id"].isin(known)
    for position in np.flatnonzero(unknown_rows.to_numpy()):
        finding = Finding(
            str(frame.at[position, "unit_map"]),
            str(frame.at[position, "unit_code"]),
            "",
            "",
            "unknown_row",
            "a row id of the form",
            f"{frame.at[position, 'row_id']!r} at line {position + 2} of {source}; ignored",
            ERROR,
        )
        faults.append(Structural(finding, Scope(cells=frozenset())))
    for line, column, text, reading in problems:
        if unknown_rows.iat[line]:
            continue
        unit_key = (str(frame.at[line, "unit_map"]), str(frame.at[line, "unit_code"]))
        where = f"line {line + 2}, column {column}"
        faults.append(
            _cell_fault(unit_key, str(frame.at[line, "row_id"]), column, text, reading, where)
        )
    frame = frame[~unknown_rows.to_numpy()].reset_index(drop=True)
    frame, repeated = _dedupe(frame, source)
    return require_rollup(frame, source), faults + repeated


# -- the official form layout (XLSX, or CSV without row ids) -----------------------------------


def _norm(text: Any) -> str:
    plain = unicodedata.normalize("NFC", str(text or "")).lower()
    return " ".join(plain.replace("\n", " ").split())


def _bare(label: str) -> str:
    return _LABEL_PREFIX.sub("", label).rstrip(" ;:.")


def _read_xlsx(path: Path, unit: str | None, years: Sequence[int] | None) -> Submission:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise NotARollup(f"{path.name} is not a readable XLSX file ({error})") from None
    sheets: list[tuple[str, list[list[Any]]]] = []
    try:
        for sheet in book.worksheets:
            rows = [list(r) for r in sheet.iter_rows(max_row=SHEET_ROWS_MAX, values_only=True)]
            sheets.append((sheet.title, rows))
    finally:
        book.close()
    encoding = "XLSX (Unicode)"
    converted = _legacy_text(sheets)
    if converted is not None:
        sheets, legacy = converted
        encoding = f"XLSX, {legacy} text converted to Unicode"
    forms = [(t, r) for t, r in sheets if _header_row(r) is not None]
    if not forms:
        raise NotARollup(
            f"{path.name} ({sheets[0][0] if sheets else 'no sheet'}) is not a rollup:"
            " no header row with STT",
            hint="use the official form layout (STT, Nội dung, Đơn vị tính, years, Tổng cộng)",
        )
    if unit is not None and len(forms) > 1:
        raise NotARollup(
            f"{path.name} has {len(forms)} form sheets; --unit names only one unit",
            hint="write 'Đơn vị: NAME (2025:82)' on each sheet and leave --unit out",
        )
    tables, faults = [], []
    for title, rows in forms:
        where = f"{path.name} ({title})"
        table, found = _read_form_rows(rows, where, unit, years, VIETNAMESE)
        tables.append(table)
        faults += found
    for title, _rows in sheets:
        if all(title != t for t, _r in forms):
            finding = Finding(
                "",
                "",
                "",
                "",
                "sheet_skipped",
                "a form sheet",
                f"sheet {title!r} has no form",
                WARNING,
            )
            faults.append(Structural(finding, Scope(cells=frozenset())))
    table = pd.concat(tables, ignore_index=True) if len(tables) > 1 else tables[0]
    table, repeated = _dedupe(table, path.name)
    table = require_rollup(table, path.name)
    return Submission(table, faults + repeated, encoding, VIETNAMESE, [t for t, _r in forms])


def _legacy_text(
    sheets: list[tuple[str, list[list[Any]]]],
) -> tuple[list[tuple[str, list[list[Any]]]], str] | None:
    """Text cells typed in a TCVN3 or VNI font (``.VnTime``, ``VNI-Times``) are stored as the
    font's code points; converted with viparse's charmaps when its detector is sure."""
    texts = [v for _t, rows in sheets for r in rows for v in r if isinstance(v, str)]
    sample = "\n".join(texts)
    if vietnamese_share(sample) >= 0.9:
        return None
    found = legacy_conversion(sample)
    if found is None:
        return None
    legacy, _text = found
    from viparse.normalize.encodings import AUTO_DETECT_CHARMAPS
    from viparse.normalize.tables import convert

    charmap = AUTO_DETECT_CHARMAPS["tcvn3" if legacy == TCVN3 else "vni"]

    def fix(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        return unicodedata.normalize("NFC", convert(value, charmap))

    fixed = [(title, [[fix(v) for v in r] for r in rows]) for title, rows in sheets]
    return fixed, legacy


def _header_row(rows: list[list[Any]]) -> int | None:
    return next((i for i, r in enumerate(rows) if any(_norm(v) == "stt" for v in r)), None)


def _read_form_rows(
    rows: list[list[Any]],
    where: str,
    unit: str | None,
    years: Sequence[int] | None,
    convention: str,
) -> tuple[pd.DataFrame, list[Structural]]:
    header = _header_row(rows)
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
    if not columns["years"]:
        raise NotARollup(
            f"{where} is not a rollup: the header has no year columns",
            hint="the header names each year (2016, 2017...) and the total (Tổng cộng)",
        )
    period = years or columns["period"]
    if not period:
        period = next((p for r in rows[:header] for v in r if (p := parse_period(str(v)))), None)
    faults = _year_faults(list(columns["years"].values()), period, columns["unknown"], where)
    if unit is None:
        unit = next(
            (ref for r in rows[:header] for v in r if v and (ref := _unit_ref(str(v)))), None
        )
        if unit is None:
            raise NotARollup(
                f"{where} does not say which unit it reports",
                hint="write 'Đơn vị: NAME (old:870)' above the table, or give --unit old:870",
            )
    unit_map, code, _level = parse_unit(unit)
    first_data = header + 1 + max(columns["depth"], 0)
    records, found = _data_rows(rows, first_data, columns, where, convention, (unit_map, code))
    faults += found
    if columns["total"] is None:
        faults.append(
            _file_fault(
                "total_column_missing",
                "the form's total column (Tổng cộng)",
                f"no total column in {where}",
                Scope(units=frozenset({(unit_map, code)}), columns=frozenset({TOTAL_COLUMN})),
            )
        )
    if not records:
        raise NotARollup(f"{where} has no form rows")
    frame = pd.DataFrame(records)
    if TOTAL_COLUMN not in frame.columns:
        frame[TOTAL_COLUMN] = np.nan
    return _with_unit(frame, unit, where), faults


def _header_columns(block: list[list[Any]], stt_col: int) -> dict[str, Any]:
    """Find the label, row id, year and total columns in the (merged) header rows."""
    found: dict[int, str] = {}
    total = row_id = None
    depth = 0
    period = None
    unknown: list[str] = []
    width = max(len(r) for r in block)
    label = stt_col + 1
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
                period = parse_period(text) or period
            elif (
                (m := _YEAR.search(text))
                and not text.startswith("năm báo cáo")
                and (isinstance(r[j], int | float) or len(text) <= 12)
            ):
                found[j] = year_column(int(m.group(1)))
                depth = max(depth, depth_here)
    if row_id == label:
        label += 1
    for j in range(width):
        if j in found or j in (total, row_id, label, stt_col) or j <= stt_col:
            continue
        texts = [_norm(r[j]) for r in block if j < len(r) and _norm(r[j])]
        if texts and not any(t in _LABELS or t == "năm" for t in texts):
            unknown.append(texts[-1])
    return {
        "stt": stt_col,
        "label": label,
        "row_id": row_id,
        "years": found,
        "total": total,
        "depth": depth,
        "period": period,
        "unknown": unknown,
    }


def _data_rows(
    rows: list[list[Any]],
    start: int,
    columns: dict[str, Any],
    where: str,
    convention: str,
    unit: tuple[str, str],
) -> tuple[list[dict[str, Any]], list[Structural]]:
    form = list(form_rows())
    labels = [_norm(r.label_vi) for r in form]
    short = [re.sub(r"\s*\([^)]*\)$", "", label) for label in labels]
    bare = [_bare(s) for s in short]
    known = set(row_ids())
    cursor = 0
    records, faults = [], []
    value_cols = dict(columns["years"])
    if columns["total"] is not None:
        value_cols[columns["total"]] = TOTAL_COLUMN
    for i in range(start, len(rows)):
        r = rows[i]

        def cell(j: int | None, r: list[Any] = r) -> Any:
            return r[j] if j is not None and j < len(r) else None

        label = _norm(cell(columns["label"]))
        if _COLUMN_NUMBER.match(label):
            continue  # the line numbering the columns: (1) (2) (3)...
        readings = {
            name: (cell(j), read_cell(cell(j), convention)) for j, name in value_cols.items()
        }
        filled = any(x.outcome != "blank" for _v, x in readings.values())
        given_id = str(cell(columns["row_id"]) or "").strip()
        row_id = None
        if given_id:
            if given_id in known:
                row_id = given_id
        else:
            plain = _bare(label)
            row_id_at = next(
                (
                    k
                    for k in range(cursor, len(form))
                    if label in (labels[k], short[k])
                    or plain in (labels[k], short[k], bare[k])
                    or (len(plain) >= PREFIX_MIN and bare[k].startswith(plain))
                ),
                None,
            )
            if row_id_at is not None:
                row_id = form[row_id_at].row_id
                cursor = row_id_at + 1
        if row_id is None:
            if filled or given_id:
                finding = Finding(
                    *unit,
                    "",
                    "",
                    "unknown_row",
                    "a row of the form, in the form's order (or a row_id column)",
                    f"{given_id or cell(columns['label'])!r} at row {i + 1} of {where}; ignored",
                    ERROR,
                )
                faults.append(Structural(finding, Scope(cells=frozenset())))
            continue  # a heading, a signature line, a note
        figures = {}
        for name, (value, reading) in readings.items():
            figures[name] = reading.value
            if reading.outcome in (AMBIGUOUS, NOT_A_NUMBER):
                text = str(value)
                at = f"row {i + 1}, column {name} of {where}"
                faults.append(_cell_fault(unit, row_id, name, text, reading, at))
        records.append({"row_id": row_id, **figures})
    return records, faults


def parse_cell(value: Any, where: str) -> float:
    """One cell in the Vietnamese convention: NaN for blank; :class:`NotARollup` naming
    ``where`` for text that is not a number or is ambiguous."""
    reading = read_cell(value)
    if reading.outcome in (AMBIGUOUS, NOT_A_NUMBER):
        extra = f" (could be {reading.readings})" if reading.readings else ""
        raise NotARollup(
            f"{where}: {value!r} is not a number{extra}",
            hint="write whole numbers (1.800 or 1800), decimals with a comma (1,5);"
            " leave unknown cells blank",
        )
    return math.nan if reading.outcome == "blank" else reading.value
