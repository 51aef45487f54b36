"""The real Hồng Ngự district report: exactly its two errors, on pandas and on SQL.

Participants read 30 a year for five years (150) but the stated total is 1,800; posters have
one year filled (20) and a total of 150 — blank is not zero, and here the blank years hide
130, so that total is incomplete. The CSV holds 5 of the form's 55 rows: the 50 others are
reported missing, once (issue 16: every form row is present or reported missing).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quality.docs import make_offline
from quality.importer import read_submission
from quality.run import validate

HONG_NGU = Path(__file__).resolve().parents[2] / "examples" / "hong_ngu_2016_2020.csv"
EXPECTED = {
    ("old", "870", "II.2.participants", "total", "total_equals_sum_of_years", "150", "1800"),
    (
        "old",
        "870",
        "II.2.posters",
        "total",
        "total_incomplete",
        "all years filled (blank: 2017, 2018, 2019, 2020)",
        "150",
    ),
}
MISSING = ("old", "870", "", "", "form_rows_missing")
REMOTE = re.compile(
    r"<(?:script|img|link)[^>]*\b(?:src|href)=[\"']https?://|url\(\s*['\"]?https?://", re.I
)


def found(report: object) -> set[tuple[str, ...]]:
    """The cell findings (the structural one is checked on its own)."""
    findings = report.failures  # type: ignore[attr-defined]
    missing = [f for f in findings if f.rule == "form_rows_missing"]
    assert [(f.unit_map, f.unit_code, f.row_id, f.year, f.rule) for f in missing] == [MISSING]
    assert missing[0].actual.startswith("50 missing: I.1, I.2, ")
    assert missing[0].consequences == ()
    return {
        (f.unit_map, f.unit_code, f.row_id, f.year, f.rule, f.expected, f.actual)
        for f in findings
        if f.rule != "form_rows_missing"
    }


def test_both_errors_and_nothing_else_with_offline_data_docs(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    submission = read_submission(HONG_NGU, unit="old:870")
    report = validate(submission.table, docs_dir=docs, structural=submission.structural)
    assert found(report) == EXPECTED
    assert report.results == sum(report.expectations.values())

    pages = list(docs.rglob("*.html"))
    assert len(pages) >= 5  # index, 2 suites, 2 validations
    for path in [*pages, *docs.rglob("*.css")]:
        assert not REMOTE.search(path.read_text("utf-8")), f"{path} loads a remote asset"
    index = (docs / "index.html").read_text("utf-8")
    assert "validations/socai/rollup/cells" in index
    cells_page = next(
        p for p in pages if p.name.endswith("cells.html") and "validations" in p.parts
    )
    assert "II.2.participants" in cells_page.read_text("utf-8")
    assert make_offline(docs) == len(pages)  # idempotent


@pytest.mark.parametrize("engine", ["sql"])
def test_sql_engine_finds_the_same_two(engine: str) -> None:
    submission = read_submission(HONG_NGU, unit="old:870")
    report = validate(submission.table, engine=engine, structural=submission.structural)
    assert found(report) == EXPECTED
