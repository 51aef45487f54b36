"""``socai quality`` run as a person runs it: one line per wrong cell, exit 1 when any."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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
    assert len(lines) == 2
    assert lines[0] == (
        "old:870 Huyện Hồng Ngự | II.2.participants | Số người tham gia các buổi truyền thông"
        " | total | total_equals_sum_of_years | expected 150 | actual 1800"
    )
    assert "II.2.posters | Số áp phích | total | total_incomplete" in lines[1]
    assert "2 wrong cells" in run.stderr
    assert "INFO" not in run.stderr  # no progress bars or GX chatter
    document = json.loads(out.read_text("utf-8"))
    assert document["success"] is False
    assert len(document["failures"]) == 2
    suites = {v["suite_name"] for v in document["validations"]}
    assert suites == {"socai.rollup.cells", "socai.rollup.by_year"}


def test_check_of_a_correct_file_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "fixed.csv"
    path.write_text(
        "row_id,y2016,y2017,y2018,y2019,y2020,total_stated\n"
        "II.2.participants,30,30,30,30,30,150\nII.2.posters,20,0,0,0,0,20\n",
        "utf-8",
    )
    run = socai("quality", "check", str(path), "--unit", "old:870", "--engine", "sql", cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout == ""
    assert "0 wrong cells" in run.stderr


def test_a_file_that_is_not_a_rollup_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("name,phone\nA,1\n", "utf-8")
    run = socai("quality", "check", str(path), "--unit", "old:870", cwd=tmp_path)
    assert run.returncode == 2
    assert "not a rollup: no row_id column" in run.stderr
