"""``socai quality`` run as a person runs it: one line per wrong cell, exit 1 when any."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from domain.reference.rollup_form import form_rows

ROOT = Path(__file__).resolve().parents[2]
HONG_NGU = str(Path(__file__).resolve().parents[2] / "examples" / "hong_ngu_2016_2020.csv")


def socai(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "--store", f"sqlite:///{cwd / 's.db'}", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "250"},
    )


def test_check_names_both_hong_ngu_errors_and_exits_1(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    run = socai("quality", "check", HONG_NGU, "--unit", "old:870", "--json", str(out), cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    lines = run.stdout.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith(
        "old:870 Huyện Hồng Ngự | - | - | - | form_rows_missing | expected all 55 rows of the form"
        " | actual 50 missing: I.1, I.2,"
    )
    lines = lines[1:]
    assert lines[0] == (
        "old:870 Huyện Hồng Ngự | II.2.participants | Số người tham gia các buổi truyền thông"
        " | total | total_equals_sum_of_years | expected 150 | actual 1800"
    )
    assert "II.2.posters | Số áp phích | total | total_incomplete" in lines[1]
    assert "3 errors, 0 warnings, 3 wrong cells" in run.stderr
    assert "read hong_ngu_2016_2020.csv: encoding UTF-8, numbers Vietnamese" in run.stderr
    assert "INFO" not in run.stderr  # no progress bars or GX chatter
    document = json.loads(out.read_text("utf-8"))
    assert document["success"] is False
    assert len(document["failures"]) == 3
    assert document["encoding"] == "UTF-8"
    suites = {v["suite_name"] for v in document["validations"]}
    assert suites == {"socai.rollup.cells", "socai.rollup.by_year"}


def fixed_form(blank_posters: bool) -> str:
    """Hồng Ngự's form with every row, the two errors corrected (section I blank, as sent)."""
    lines = ["row_id,y2016,y2017,y2018,y2019,y2020,total_stated"]
    figures = {
        "II.1": "3,1,1,1,1,7",
        "II.2.sessions": "12,12,12,12,12,60",
        "II.2.participants": "30,30,30,30,30,150",
        "II.2.pano": "26,26,26,26,26,130",
        "II.2.posters": "20,,,,,20" if blank_posters else "20,0,0,0,0,20",
    }
    lines += [f"{r.row_id},{figures.get(r.row_id, ',,,,,')}" for r in form_rows() if r.official]
    return "\n".join(lines) + "\n"


def test_check_of_a_correct_file_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "fixed.csv"
    path.write_text(fixed_form(blank_posters=False), "utf-8")
    run = socai("quality", "check", str(path), "--unit", "old:870", "--engine", "sql", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ""
    assert "0 errors, 0 warnings, 0 wrong cells" in run.stderr


def test_a_blank_consistent_with_zero_is_a_warning_and_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "blanks.csv"
    path.write_text(fixed_form(blank_posters=True), "utf-8")
    run = socai("quality", "check", str(path), "--unit", "old:870", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines() == [
        "warning: old:870 Huyện Hồng Ngự | II.2.posters | Số áp phích | total"
        " | total_blank_as_zero | expected blank read as 0 (blank: 2017, 2018, 2019, 2020)"
        " | actual 20"
    ]
    assert "0 errors, 1 warnings" in run.stderr


def test_a_file_that_is_not_a_rollup_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("name,phone\nA,1\n", "utf-8")
    run = socai("quality", "check", str(path), "--unit", "old:870", cwd=tmp_path)
    assert run.returncode == 2
    assert "not a rollup: no row_id column" in run.stderr


CORPUS = ROOT / "tests" / "quality" / "corpus"


def test_a_whole_province_workbook_is_checked_from_one_command(tmp_path: Path) -> None:
    """One sheet per unit: Lai Châu and its 38 communes on the 2025 map, one commune changed."""
    workbook = CORPUS / "province_lai_chau_2025.xlsx"
    run = socai("quality", "check", str(workbook), "--engine", "sql", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    (line,) = run.stdout.strip().splitlines()
    assert line.startswith("2025:12 Tỉnh Lai Châu | II.1 | Văn bản chỉ đạo, điều hành | 2020")
    assert "children_sum_to_parent" in line
    assert "encoding XLSX (Unicode), numbers Vietnamese (1.200 = 1200), 39 sheets" in run.stderr


def test_the_detected_encoding_is_said_and_unreadable_bytes_are_refused(tmp_path: Path) -> None:
    run = socai("quality", "check", str(CORPUS / "district_form_tcvn3.csv"), cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "encoding TCVN3 (ABC)" in run.stderr
    assert "Tổng số người được xác định là nạn nhân" in run.stdout  # labels read back in NFC
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(bytes(range(128, 256)) * 20)
    refused = socai("quality", "check", str(garbage), "--unit", "old:870", cwd=tmp_path)
    assert refused.returncode == 2
    assert "error:" in refused.stderr and "hint:" in refused.stderr
    assert "UnicodeDecodeError" not in refused.stderr and "Traceback" not in refused.stderr
