"""The real Hồng Ngự district report: exactly its two errors, on pandas and on SQL.

Participants read 30 a year for five years (150) but the stated total is 1,800; posters have
one year filled (20) and a total of 150 — blank is not zero, so that total is incomplete.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quality.docs import make_offline
from quality.importer import read_rollup
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
REMOTE = re.compile(
    r"<(?:script|img|link)[^>]*\b(?:src|href)=[\"']https?://|url\(\s*['\"]?https?://", re.I
)


def found(report: object) -> set[tuple[str, ...]]:
    return {
        (f.unit_map, f.unit_code, f.row_id, f.year, f.rule, f.expected, f.actual)
        for f in report.failures  # type: ignore[attr-defined]
    }


def test_both_errors_and_nothing_else_with_offline_data_docs(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    report = validate(read_rollup(HONG_NGU, unit="old:870"), docs_dir=docs)
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
    report = validate(read_rollup(HONG_NGU, unit="old:870"), engine=engine)
    assert found(report) == EXPECTED
