"""Write the corpus of submitted rollups: files as district and provincial staff fill them.

    PYTHONPATH=. python tests/quality/corpus/make_corpus.py     # rewrites the files here

Each file gets ``<file>.expected.json`` next to it: how to read it (``unit``, ``years``), the
encoding the importer must detect, the errors planted in it (in words), and the exact findings
they must produce — derived *here*, from what was planted, never by running the validator.
Findings are ``[unit, row_id, year, rule, severity]`` with, for a structural fault, the keys
of the findings grouped under it.

The figures are a clean generated rollup of Đồng Tháp (old map) and Lai Châu (2025 map): every
rule holds. People's forms have no "không rõ" lines, so the base figures put nobody on them
(the breakdowns add up without them).
"""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from domain.reference.rollup_form import PARTS, form_rows, row_index
from domain.reference.units import AdminMap, unit_directory
from projections.rollup_export import HEADINGS, UNIT_VI  # the form's headings and units
from quality.generate import generate_rollup
from tests.quality.encodings import to_cp1258, to_legacy

HERE = Path(__file__).resolve().parent
YEARS = [2016, 2017, 2018, 2019, 2020]
DISTRICT = ("old", "870")  # Huyện Hồng Ngự, Đồng Tháp
PROVINCE_2025 = ("2025", "12")  # Tỉnh Lai Châu: 38 communes
OFFICIAL = [r for r in form_rows() if r.official]

Key = list[str]


@dataclass
class Case:
    """One corpus file: its figures, how it is written, what was planted and must be found."""

    name: str
    about: str
    unit: str | None = None
    years: str | None = None
    encoding: str = "UTF-8"
    planted: list[str] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)

    def expect(
        self,
        unit: tuple[str, str] | None,
        row_id: str,
        year: str,
        rule: str,
        severity: str = "error",
        consequences: list[Key] | None = None,
    ) -> None:
        self.findings.append(
            {
                "key": [f"{unit[0]}:{unit[1]}" if unit else "", row_id, year, rule, severity],
                "consequences": sorted(consequences or []),
            }
        )


# -- figures -----------------------------------------------------------------------------------


def base_tables() -> dict[str, pd.DataFrame]:
    table = generate_rollup(
        years=tuple(YEARS),
        maps=(AdminMap.OLD, AdminMap.NEW),
        provinces={AdminMap.OLD: ["87"], AdminMap.NEW: ["12"]},
        seed=16,
    )
    table = table.copy()
    # nobody on the "không rõ" lines: a paper form has none (their people go to a named line)
    for s in PARTS:
        unknown = [p for p in s.parts if not row_index()[p].official]
        for p in unknown:
            named = s.parts[0]
            for unit in table[["unit_map", "unit_code"]].drop_duplicates().itertuples(index=False):
                at = (table["unit_map"] == unit[0]) & (table["unit_code"] == unit[1])
                src = table.index[at & (table["row_id"] == p)][0]
                dst = table.index[at & (table["row_id"] == named)][0]
                for c in [f"y{y}" for y in YEARS] + ["total_stated"]:
                    table.at[dst, c] += table.at[src, c]
                    table.at[src, c] = 0.0
    return {"all": table}


def unit_figures(table: pd.DataFrame, unit: tuple[str, str]) -> dict[str, dict[str, float]]:
    rows = table[(table["unit_map"] == unit[0]) & (table["unit_code"] == unit[1])]
    return {
        r["row_id"]: {
            **{f"y{y}": float(r[f"y{y}"]) for y in YEARS},
            "total": float(r["total_stated"]),
        }
        for _i, r in rows.iterrows()
    }


def vi(value: float) -> str:
    """A figure as a Vietnamese statistician types it: 1.200 thousands, 1,5 decimals."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", ".")
    whole, _, frac = f"{value:.6f}".rstrip("0").partition(".")
    return f"{int(whole):,}".replace(",", ".") + "," + frac


# -- writers -----------------------------------------------------------------------------------

Cells = dict[str, dict[str, Any]]  # row id → {"y2016": value or text, ..., "total": ...}


def table_rows(cells: Cells, labels: bool, years: list[int] = YEARS) -> list[list[str]]:
    header = ["row_id", *(["stt", "label_vi"] if labels else []), *(f"y{y}" for y in years)]
    out = [[*header, "total_stated"]]
    for row in OFFICIAL:
        if row.row_id not in cells:
            continue
        values = cells[row.row_id]
        shown = [v if isinstance(v, str) else vi(v) for v in (values[f"y{y}"] for y in years)]
        total = values["total"]
        extra = [row.stt, row.label_vi] if labels else []
        out.append([row.row_id, *extra, *shown, total if isinstance(total, str) else vi(total)])
    return out


def form_rows_layout(cells: Cells, unit_line: str, years: list[int] = YEARS) -> list[list[Any]]:
    """The paper form: title, unit line, header, headings, labels with their printed prefixes."""
    period = f"{years[0]}-{years[-1]}"
    out: list[list[Any]] = [
        ["BIỂU TỔNG HỢP SỐ LIỆU"],
        [unit_line],
        [],
        [
            "STT",
            "Nội dung",
            "Đơn vị tính",
            *(f"Năm {y}" for y in years),
            f"Tổng giai đoạn {period}",
        ],
    ]
    for row in OFFICIAL:
        if row.row_id in HEADINGS:
            stt, heading = HEADINGS[row.row_id]
            out.append([stt, heading])
        if row.row_id not in cells:
            continue
        values = cells[row.row_id]
        label = row.label_vi
        if row.row_id.startswith(("I.2.a.", "I.2.b.", "I.2.d.", "I.2.e.", "II.4.3.a.")):
            label = label if label.startswith("+") else f"- {label}"
        if row.is_money:
            label = "Tổng số tiền"
        stt = "" if label.startswith(("-", "+")) or row.is_money else row.stt
        out.append(
            [stt, label, UNIT_VI[row.unit], *(values[f"y{y}"] for y in years), values["total"]]
        )
    out.append([])
    out.append(["", "Người lập biểu"])
    return out


def text_of(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for r in rows:
        writer.writerow(["" if v is None else (v if isinstance(v, str) else vi(v)) for v in r])
    return buffer.getvalue()


def write_csv(path: Path, rows: list[list[Any]], encoding: str) -> None:
    text = text_of(rows)
    data = {
        "utf-8": lambda: text.encode("utf-8"),
        "utf-8-sig": lambda: text.encode("utf-8-sig"),
        "utf-16": lambda: text.encode("utf-16"),
        "cp1258": lambda: to_cp1258(unicodedata.normalize("NFD", text)),
        "tcvn3": lambda: to_legacy(text, "tcvn3"),
        "vni": lambda: to_legacy(text, "vni"),
    }[encoding]()
    path.write_bytes(data)


def add_sheet(book: Workbook, title: str, rows: list[list[Any]], text_numbers: bool) -> None:
    sheet = book.create_sheet(title)
    for r in rows:
        sheet.append(
            [
                vi(v)
                if text_numbers and isinstance(v, float) and not math.isnan(v)
                else (None if isinstance(v, float) and math.isnan(v) else v)
                for v in r
            ]
        )
    sheet["A1"].font = Font(bold=True)
    width = max(len(r) for r in rows)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet["A1"].alignment = Alignment(horizontal="center")


def write_xlsx(path: Path, sheets: list[tuple[str, list[list[Any]]]], text_numbers: bool) -> None:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        add_sheet(book, title, rows, text_numbers)
    book.properties.creator = "socai corpus"
    book.save(path)


# -- the cases ---------------------------------------------------------------------------------


def unit_line(unit: tuple[str, str]) -> str:
    found = unit_directory().require(AdminMap(unit[0]), unit[1])
    return f"Đơn vị: {found.name} ({unit[0]}:{unit[1]})"


def district(table: pd.DataFrame) -> Cells:
    return {r: dict(v) for r, v in unit_figures(table, DISTRICT).items()}


def retotal(cells: Cells, row_id: str) -> None:
    values = cells[row_id]
    values["total"] = math.fsum(
        v for k, v in values.items() if k != "total" and not isinstance(v, str)
    )


def cases(table: pd.DataFrame) -> list[tuple[Case, Callable[[Path], None]]]:
    out: list[tuple[Case, Callable[[Path], None]]] = []

    # 1. the real Hồng Ngự form (seed 003): section I blank, its two real errors
    case = Case("hong_ngu_form_2016_2020.xlsx", "the real Hồng Ngự form, as sent in 2020")
    real = {
        "II.1": [3, 1, 1, 1, 1, 7],
        "II.2.sessions": [12, 12, 12, 12, 12, 60],
        "II.2.participants": [30, 30, 30, 30, 30, "1.800"],
        "II.2.pano": [26, 26, 26, 26, 26, 130],
        "II.2.posters": [20, None, None, None, None, 150],
    }
    cells: Cells = {}
    for row in OFFICIAL:
        figures = real.get(row.row_id, [None] * 6)
        cells[row.row_id] = {
            **{f"y{y}": figures[i] for i, y in enumerate(YEARS)},
            "total": figures[5],
        }
    case.encoding = "XLSX (Unicode)"
    case.planted = [
        "participants: 30 a year for five years, total written 1.800 (the real error)",
        "posters: 2016 = 20, other years blank, total 150 (the real error: blanks hide 130)",
    ]
    case.expect(DISTRICT, "II.2.participants", "total", "total_equals_sum_of_years")
    case.expect(DISTRICT, "II.2.posters", "total", "total_incomplete")
    rows = form_rows_layout(cells, unit_line(DISTRICT))
    out.append((case, lambda p, rows=rows: write_xlsx(p, [("Biểu 01", rows)], text_numbers=False)))

    # 2. a clean district table, Vietnamese numbers, UTF-8 with BOM
    case = Case(
        "district_clean_bom.csv", "a clean table as Excel saves 'CSV UTF-8'", unit="old:870"
    )
    case.encoding = "UTF-8 with BOM"
    rows = table_rows(district(table), labels=True)
    out.append((case, lambda p, rows=rows: write_csv(p, rows, "utf-8-sig")))

    # 3. the paper layout in Windows-1258 with combining tones: a nesting error, money in đồng
    case = Case("district_form_cp1258.csv", "the paper layout saved as Vietnamese Windows")
    case.encoding = "Windows-1258"
    cells = district(table)
    male = cells["I.2.a.male"]
    year = next(y for y in YEARS if male[f"y{y}"] >= 1)
    cells["I.2.a.male_u16"][f"y{year}"] = cells["I.2.a.male_u18"][f"y{year}"] + 1
    retotal(cells, "I.2.a.male_u16")
    case.planted.append(f"male victims under 16 > under 18 in {year}")
    case.expect(DISTRICT, "I.2.a.male_u16", str(year), "victims_male_u16_le_u18")
    paid = cells["II.4.4.g.hardship_allowance"]
    money_year = next(y for y in YEARS if paid[f"y{y}"] >= 1)
    amount = cells["II.4.4.g.hardship_allowance_amount"]
    amount[f"y{money_year}"] = amount[f"y{money_year}"] * 1_000_000  # written in đồng
    retotal(cells, "II.4.4.g.hardship_allowance_amount")
    case.planted.append(f"hardship allowance amount of {money_year} written in đồng")
    case.expect(
        DISTRICT, "II.4.4.g.hardship_allowance_amount", str(money_year), "amount_in_wrong_unit"
    )
    rows = form_rows_layout(cells, unit_line(DISTRICT))
    out.append((case, lambda p, rows=rows: write_csv(p, rows, "cp1258")))

    # 4. UTF-16 table: an ambiguous "1,200", a blank hiding a value, a blank consistent with 0
    case = Case("district_utf16.csv", "Excel's 'Unicode text' as CSV", unit="old:870")
    case.encoding = "UTF-16"
    cells = district(table)
    hidden = cells["II.2.participants"]["y2017"]
    cells["II.2.participants"]["y2017"] = "1,200"
    case.planted.append(f"participants 2017 ({vi(hidden)}) written '1,200' (1.2 or 1200?)")
    total_rule = ("total_incomplete", "error") if hidden else ("total_blank_as_zero", "warning")
    case.expect(
        DISTRICT,
        "II.2.participants",
        "2017",
        "ambiguous_number",
        consequences=[["old:870", "II.2.participants", "total", *total_rule]],
    )
    sessions = cells["II.2.sessions"]
    hide = next(y for y in YEARS if sessions[f"y{y}"] > 0)
    sessions[f"y{hide}"] = math.nan
    case.planted.append(f"sessions {hide} left blank, total kept (the blank hides a value)")
    case.expect(DISTRICT, "II.2.sessions", "total", "total_incomplete")
    pano = cells["II.2.pano"]
    zero = next((y for y in YEARS if pano[f"y{y}"] == 0), None)
    if zero is None:
        zero = YEARS[0]
        pano["y2016"] = 0.0
        retotal(cells, "II.2.pano")
    pano[f"y{zero}"] = math.nan
    case.planted.append(f"billboards {zero} left blank where it was 0 (consistent with 0)")
    case.expect(DISTRICT, "II.2.pano", "total", "total_blank_as_zero", "warning")
    rows = table_rows(cells, labels=False)
    out.append((case, lambda p, rows=rows: write_csv(p, rows, "utf-16")))

    # 5–6. legacy font encodings, paper layout: a part changed without its whole
    for encoding, label in (("tcvn3", "TCVN3 (ABC)"), ("vni", "VNI")):
        case = Case(f"district_form_{encoding}.csv", f"an old provincial file in {label}")
        case.encoding = label
        cells = district(table)
        cells["I.2.a.female"]["y2019"] += 2
        retotal(cells, "I.2.a.female")
        case.planted.append("female victims 2019 +2, the identified total not updated")
        case.expect(DISTRICT, "I.2", "2019", "victims_by_sex")
        if cells["I.2.a.female_u18"]["y2019"] > cells["I.2.a.female"]["y2019"]:
            raise AssertionError("unreachable: female grew")
        rows = form_rows_layout(cells, unit_line(DISTRICT))
        out.append((case, lambda p, rows=rows, e=encoding: write_csv(p, rows, e)))

    # 7. a year column deleted: one finding, the totals that disagree grouped under it
    case = Case(
        "district_no_2018.csv", "the 2018 column deleted", unit="old:870", years="2016-2020"
    )
    cells = district(table)
    kept = [y for y in YEARS if y != 2018]
    consequences = [
        ["old:870", r, "total", "total_equals_sum_of_years", "error"]
        for r, v in cells.items()
        if row_index()[r].official and v["y2018"] != 0
    ]
    case.planted.append("the y2018 column removed, the totals kept (they include 2018)")
    case.expect(None, "", "2018", "year_column_missing", consequences=consequences)
    rows = table_rows(cells, labels=False, years=kept)
    out.append((case, lambda p, rows=rows: write_csv(p, rows, "utf-8")))

    # 8. 16 rows deleted from the form: one finding, the country breakdown grouped under it
    case = Case("district_rows_deleted.xlsx", "activity and destination-country rows deleted")
    case.encoding = "XLSX (Unicode)"
    cells = district(table)
    gone = [r for r in cells if r.startswith(("II.1", "II.2.", "II.3.", "I.2.d.abroad."))]
    gone = [r for r in gone if row_index()[r].official]
    for r in gone:
        del cells[r]
    abroad = cells["I.2.d.abroad"]
    consequences = [
        ["old:870", "I.2.d.abroad", str(y), "abroad_by_country_incomplete", "error"]
        if abroad[f"y{y}"] > 0
        else ["old:870", "I.2.d.abroad", str(y), "abroad_by_country_blank_as_zero", "warning"]
        for y in YEARS
    ]
    case.planted.append(f"{len(gone)} rows deleted: {', '.join(gone)}")
    case.expect(DISTRICT, "", "", "form_rows_missing", consequences=consequences)
    rows = form_rows_layout(cells, unit_line(DISTRICT))
    out.append((case, lambda p, rows=rows: write_xlsx(p, [("Biểu 01", rows)], text_numbers=True)))

    # 9. more than 40 wrong cells (GX lists 20 failing rows unless asked for all)
    case = Case("district_many_wrong.csv", "42 stated totals off by one", unit="old:870")
    cells = district(table)
    off = [r.row_id for r in OFFICIAL][:42]
    for r in off:
        cells[r]["total"] += 1
        case.expect(DISTRICT, r, "total", "total_equals_sum_of_years")
    case.planted.append(f"the stated totals of the first 42 form rows +1 ({off[0]} … {off[-1]})")
    rows = table_rows(cells, labels=False)
    out.append((case, lambda p, rows=rows: write_csv(p, rows, "utf-8")))

    # 10–11. a province's workbook on the 2025 map: the province and one sheet per commune
    directory = unit_directory()
    province = directory.require(AdminMap.NEW, PROVINCE_2025[1])
    communes = [c for c in directory.children(province)]
    figures = {c.code: unit_figures(table, ("2025", c.code)) for c in communes}
    own = unit_figures(table, PROVINCE_2025)

    def workbook(skip: str | None, bump: str | None) -> list[tuple[str, list[list[Any]]]]:
        sheets = [("Tinh", form_rows_layout(own, unit_line(PROVINCE_2025)))]
        for c in communes:
            if c.code == skip:
                continue
            cells = {r: dict(v) for r, v in figures[c.code].items()}
            if c.code == bump:
                cells["II.1"]["y2020"] += 3
                retotal(cells, "II.1")
            sheets.append((c.code, form_rows_layout(cells, unit_line(("2025", c.code)))))
        return sheets

    bumped = communes[5].code
    case = Case("province_lai_chau_2025.xlsx", "a province and its 38 communes, one sheet each")
    case.encoding = "XLSX (Unicode)"
    case.planted.append(
        f"commune {bumped}: documents 2020 +3 (its total kept), province not updated"
    )
    case.expect(PROVINCE_2025, "II.1", "2020", "children_sum_to_parent")
    sheets = workbook(None, bumped)
    out.append((case, lambda p, s=sheets: write_xlsx(p, s, text_numbers=False)))

    skipped = next(
        c.code for c in communes if any(v["y2018"] > 0 for v in figures[c.code].values())
    )
    case = Case("province_lai_chau_missing_sheet.xlsx", "one commune's sheet missing")
    case.encoding = "XLSX (Unicode)"
    case.planted.append(f"the sheet of commune {skipped} left out")
    consequences = [
        ["2025:12", r, str(y), "children_sum_to_parent", "error"]
        for r, v in figures[skipped].items()
        if row_index()[r].official
        for y in YEARS
        if v[f"y{y}"] != 0
    ]
    case.expect(PROVINCE_2025, "", "", "child_units_missing", consequences=consequences)
    sheets = workbook(skipped, None)
    out.append((case, lambda p, s=sheets: write_xlsx(p, s, text_numbers=False)))
    return out


def main() -> None:
    table = base_tables()["all"]
    for case, write in cases(table):
        path = HERE / case.name
        write(path)
        document = {
            "file": case.name,
            "about": case.about,
            "unit": case.unit,
            "years": case.years,
            "encoding": case.encoding,
            "planted": case.planted,
            "findings": sorted(case.findings, key=lambda f: f["key"]),
        }
        (HERE / f"{case.name}.expected.json").write_text(
            json.dumps(document, ensure_ascii=False, indent=1) + "\n", "utf-8"
        )
        print(f"{case.name}: {len(case.findings)} findings expected")


if __name__ == "__main__":
    main()
