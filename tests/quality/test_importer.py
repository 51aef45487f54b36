"""Submitted rollups from CSV and from XLSX in the official layout, as people fill them."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from openpyxl import Workbook

from domain.errors import SocaiError
from domain.reference.rollup_form import form_rows
from quality.importer import parse_cell, read_rollup, read_submission
from quality.table import NotARollup

HONG_NGU = Path(__file__).resolve().parents[2] / "examples" / "hong_ngu_2016_2020.csv"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.800", 1800.0),
        ("12.345.678", 12345678.0),
        (" 30 ", 30.0),
        ("1,5", 1.5),
        ("2,25", 2.25),
        ("1.234,5", 1234.5),
        (7, 7.0),
        (2.5, 2.5),
        ("-3", -3.0),
        ("\u00a01 200", 1200.0),
    ],
)
def test_cells_as_people_type_them(text: object, value: float) -> None:
    assert parse_cell(text, "here") == value


@pytest.mark.parametrize("blank", [None, "", "  ", "-", "–"])
def test_blank_cells_stay_blank_never_zero(blank: object) -> None:
    assert math.isnan(parse_cell(blank, "here"))


def test_text_in_a_cell_is_an_error_naming_the_cell() -> None:
    with pytest.raises(NotARollup, match=r"Sheet1 row 9, column y2018: 'ba mươi'"):
        parse_cell("ba mươi", "Sheet1 row 9, column y2018")


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("1,800", "1.8 or 1800"),  # Vietnamese decimal comma, or English thousands
        ("2.25", "2.25 in the machine convention only"),  # "." groups thousands here
        ("1,234,567", "1234567 in the machine convention only"),
    ],
)
def test_a_cell_that_could_mean_two_things_is_never_guessed(text: str, readings: str) -> None:
    with pytest.raises(NotARollup, match=f"could be {readings}"):
        parse_cell(text, "here")


def test_hong_ngu_csv_with_the_unit_given() -> None:
    table = read_rollup(HONG_NGU, unit="old:870")
    assert list(table.columns) == [
        "unit_map",
        "unit_code",
        "unit_level",
        "row_id",
        "y2016",
        "y2017",
        "y2018",
        "y2019",
        "y2020",
        "total_stated",
    ]
    assert set(table["unit_level"]) == {"district"}
    posters = table.set_index("row_id").loc["II.2.posters"]
    assert posters["y2016"] == 20
    assert math.isnan(posters["y2017"])
    assert posters["total_stated"] == 150


def test_csv_without_a_unit_is_refused_with_a_hint() -> None:
    with pytest.raises(NotARollup, match="does not say which unit") as caught:
        read_rollup(HONG_NGU)
    assert "--unit" in caught.value.hint


def test_csv_with_unit_columns_and_plain_year_headers(tmp_path: Path) -> None:
    path = tmp_path / "two_units.csv"
    path.write_text(
        "unit_map,unit_code,row_id,2019,2020,total\n"
        'old,87,II.1,"1.200",3,"1.203"\n'
        'old,87,II.4.4.e.loan_amount,"2,5",0,"2,5"\n'
        "2025,82,II.1,,4,4\n",
        "utf-8",
    )
    table = read_rollup(path)
    assert table[["unit_map", "unit_code", "unit_level"]].values.tolist() == [
        ["old", "87", "province"],
        ["old", "87", "province"],
        ["2025", "82", "province"],
    ]
    assert table["y2019"].iloc[0] == 1200  # the Vietnamese thousands dot, in a CSV too
    assert table["y2019"].iloc[1] == 2.5  # the Vietnamese decimal comma
    assert math.isnan(table["y2019"].iloc[2])


def test_one_unit_written_several_ways_is_one_unit(tmp_path: Path) -> None:
    """Units and row ids are read once per distinct text: texts that differ only by spaces
    or the map's spelling are the same unit, each row keeps its own unit and level."""
    path = tmp_path / "spaced.csv"
    path.write_text(
        "unit_map,unit_code,row_id,2019,2020,total\n"
        "old, 87 , II.1 ,1,2,3\n"
        "2025,82,II.1,1,1,2\n"
        " OLD ,87,II.2.posters,4,,4\n"
        "2025, 82,II.2.posters,0,0,0\n",
        "utf-8",
    )
    table = read_rollup(path)
    assert table[["unit_map", "unit_code", "unit_level", "row_id"]].values.tolist() == [
        ["old", "87", "province", "II.1"],
        ["2025", "82", "province", "II.1"],
        ["old", "87", "province", "II.2.posters"],
        ["2025", "82", "province", "II.2.posters"],
    ]
    assert table["total_stated"].tolist() == [3, 2, 4, 0]


@pytest.mark.parametrize(
    ("rows", "named"),
    [
        ("old,87,II.1,1\nold,99999,II.1,1\nold,88888,II.1,1\n", "99999"),
        ("old,87,II.1,1\nmars,87,II.1,1\nvenus,87,II.1,1\n", "mars"),
    ],
)
def test_the_first_unknown_unit_or_map_is_named(tmp_path: Path, rows: str, named: str) -> None:
    path = tmp_path / "unknown.csv"
    path.write_text("unit_map,unit_code,row_id,2019\n" + rows, "utf-8")
    with pytest.raises(SocaiError, match=named):
        read_rollup(path)


def test_a_csv_declaring_machine_numbers_reads_the_dot_as_decimal(tmp_path: Path) -> None:
    path = tmp_path / "machine.csv"
    path.write_text("#numbers=machine\nrow_id,y2019,total\nII.4.4.e.loan_amount,1.200,1.2\n")
    submission = read_submission(path, unit="old:87")
    assert submission.numbers == "machine"
    assert submission.table["y2019"].iloc[0] == 1.2
    assert submission.structural == []


@pytest.mark.parametrize(
    ("content", "rule", "where"),
    [
        ("row_id,y2016,total_stated\nI.9,1,1\n", "unknown_row", ("", "")),
        ("row_id,y2016,total_stated\nI.1,một,1\n", "not_a_number", ("I.1", "2016")),
        ('row_id,y2016,total_stated\nI.1,"1,200",1\n', "ambiguous_number", ("I.1", "2016")),
        ("row_id,y2016,total_stated\nI.1,1,1\nI.1,2,2\n", "row_repeated", ("I.1", "")),
        ("row_id,y2016,y2018,total_stated\nI.1,1,1,2\n", "year_column_missing", ("", "2017")),
        ("row_id,y2016\nI.1,1\n", "total_column_missing", ("", "")),
        ("row_id,y2016,y2O17,total\nI.1,1,1,2\n", "unknown_column", ("", "")),
    ],
)
def test_faults_of_a_file_are_findings_not_refusals(
    tmp_path: Path, content: str, rule: str, where: tuple[str, str]
) -> None:
    path = tmp_path / "form.csv"
    path.write_text(content, "utf-8")
    (fault,) = read_submission(path, unit="old:870").structural
    assert (fault.finding.rule, fault.finding.row_id, fault.finding.year) == (rule, *where)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.csv", "a,b\n1,2\n", "no row_id column"),
        ("form.csv", "row_id,total_stated\nI.1,1\n", "no year column"),
        ("form.txt", "row_id,y2016\n", "not a rollup file"),
        ("form.xlsx", "this is not a spreadsheet", "not a readable XLSX"),
    ],
)
def test_files_that_are_not_rollups_get_a_clear_error(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, "utf-8")
    with pytest.raises(NotARollup, match=message):
        read_rollup(path, unit="old:870")


def official_form(path: Path, unit_line: str = "Đơn vị: Huyện Hồng Ngự (old:870)") -> Path:
    """The form as a district fills it: title, unit, merged headers, numbering, headings."""
    book = Workbook()
    sheet = book.active
    sheet.title = "Biểu 01"
    sheet["A1"] = "BIỂU TỔNG HỢP SỐ LIỆU CÔNG TÁC TIẾP NHẬN, XÁC MINH, BẢO VỆ, HỖ TRỢ NẠN NHÂN"
    sheet.merge_cells("A1:I1")
    sheet["A2"] = unit_line
    sheet["A4"], sheet["B4"], sheet["C4"] = "STT", "Nội dung", "Đơn vị tính"
    sheet["D4"], sheet["I4"] = "Năm", "Tổng cộng"
    sheet.merge_cells("D4:H4")
    sheet.merge_cells("I4:I5")
    for col, year in zip("DEFGH", range(2016, 2021), strict=True):
        sheet[f"{col}5"] = year
    for col, number in zip("ABCDEFGHI", range(1, 10), strict=True):
        sheet[f"{col}6"] = f"({number})"
    rows = [
        ("I", "KẾT QUẢ TIẾP NHẬN, XÁC MINH NẠN NHÂN", None, []),
        ("1", form_rows()[0].label_vi, "người", [3, 4, "", 2, 1], 10),
        ("II", "CÔNG TÁC PHÒNG NGỪA", None, []),
        ("1", "Văn bản chỉ đạo, điều hành", "văn bản", [3, 1, 1, 1, 1], 7),
        ("2", "Số người tham gia các buổi truyền thông", "lượt", ["30", 30, "30", 30, 30], "1.800"),
        ("2", "Số áp phích", "tờ", [20, None, "-", None, None], 150),
    ]
    line = 7
    for stt, label, unit, values, *total in rows:
        sheet[f"A{line}"], sheet[f"B{line}"], sheet[f"C{line}"] = stt, label, unit
        for col, value in zip("DEFGH", values, strict=False):
            sheet[f"{col}{line}"] = value
        if total:
            sheet[f"I{line}"] = total[0]
        line += 1
    sheet[f"B{line + 1}"] = "Người lập biểu"
    book.save(path)
    return path


def test_xlsx_in_the_official_layout(tmp_path: Path) -> None:
    table = read_rollup(official_form(tmp_path / "hong_ngu.xlsx"))
    assert table["row_id"].tolist() == ["I.1", "II.1", "II.2.participants", "II.2.posters"]
    assert set(zip(table["unit_map"], table["unit_code"], strict=True)) == {("old", "870")}
    rows = table.set_index("row_id")
    assert math.isnan(rows.loc["I.1", "y2018"])
    assert rows.loc["II.2.participants", "total_stated"] == 1800
    assert rows.loc["II.2.posters", "y2016"] == 20
    assert rows.loc[["II.2.posters"], ["y2017", "y2018", "y2019", "y2020"]].isna().all(axis=None)


def test_xlsx_unit_from_the_option_when_the_sheet_has_none(tmp_path: Path) -> None:
    path = official_form(tmp_path / "form.xlsx", unit_line="Đơn vị: Huyện Hồng Ngự")
    with pytest.raises(NotARollup, match="does not say which unit"):
        read_rollup(path)
    assert set(read_rollup(path, unit="old:868")["unit_code"]) == {"868"}


def test_xlsx_without_the_form_header_is_not_a_rollup(tmp_path: Path) -> None:
    book = Workbook()
    book.active["A1"] = "Danh sách cán bộ"
    book.save(tmp_path / "staff.xlsx")
    with pytest.raises(NotARollup, match="no header row with STT"):
        read_rollup(tmp_path / "staff.xlsx", unit="old:870")


def test_xlsx_row_not_on_the_form_is_named(tmp_path: Path) -> None:
    path = official_form(tmp_path / "form.xlsx")
    from openpyxl import load_workbook

    book = load_workbook(path)
    book.active["B10"] = "Số lượt xe"
    book.save(path)
    submission = read_submission(path)
    unknown = [s.finding for s in submission.structural if s.finding.rule == "unknown_row"]
    assert len(unknown) == 1
    assert "'Số lượt xe' at row 10" in unknown[0].actual
    assert "II.1" not in set(submission.table["row_id"])  # the line the label replaced


def test_xlsx_as_the_projections_export_lays_it_out(tmp_path: Path) -> None:
    """Unit line "(mã 870, bản đồ hành chính cũ ...)", "Năm 2016" headers, printed prefixes."""
    book = Workbook()
    sheet = book.active
    sheet.append(["BIỂU TỔNG HỢP SỐ LIỆU"])
    sheet.append(["Đơn vị: Huyện Hồng Ngự (mã 870, bản đồ hành chính cũ (63 tỉnh))"])
    sheet.append(["Giai đoạn 2019-2020; số liệu theo ngày xảy ra (ngày nghiệp vụ)"])
    sheet.append([])
    sheet.append(
        ["STT", "Nội dung", "Đơn vị tính", "Năm 2019", "Năm 2020", "Tổng giai đoạn 2019-2020"]
    )
    sheet.append(["I", "KẾT QUẢ TIẾP NHẬN"])
    sheet.append(["2.", "Tổng số người được xác định là nạn nhân", "người", 3, 1, 4])
    sheet.append(["", "- Nam", "người", 1, 0, 1])
    sheet.append(["", "+ Dưới 18 tuổi (Nam)", "người", 1, 0, 1])
    sheet.append(["", "- Nữ", "người", 2, 1, 3])
    sheet.append(["", "e. Hỗ trợ vay vốn", "người", 1, 0, 1])
    sheet.append(["", "Tổng số tiền", "triệu đồng", 2.5, 0, 2.5])
    sheet.append(["", "g. Trợ cấp khó khăn ban đầu", "người", 0, 1, 1])
    sheet.append(["", "Tổng số tiền", "triệu đồng", 0, 3, 3])
    book.save(tmp_path / "export.xlsx")
    table = read_rollup(tmp_path / "export.xlsx")
    assert set(table["unit_code"]) == {"870"}
    assert set(table["unit_map"]) == {"old"}
    assert table["row_id"].tolist() == [
        "I.2",
        "I.2.a.male",
        "I.2.a.male_u18",
        "I.2.a.female",
        "II.4.4.e.loan",
        "II.4.4.e.loan_amount",
        "II.4.4.g.hardship_allowance",
        "II.4.4.g.hardship_allowance_amount",
    ]
    rows = table.set_index("row_id")
    assert rows.loc["II.4.4.e.loan_amount", "y2019"] == 2.5
    assert rows.loc["II.4.4.g.hardship_allowance_amount", "total_stated"] == 3
