"""The corpus: rollups as provinces really submit them, each with its planted errors and the
exact findings expected (``corpus/*.expected.json``, written by ``corpus/make_corpus.py`` from
what it planted). Every file gives exactly its findings — structural faults with exactly the
findings grouped under them — with the encoding it was saved in detected, on both engines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from projections.rollup import parse_years
from quality.importer import read_submission
from quality.results import Finding
from quality.run import validate

CORPUS = Path(__file__).resolve().parent / "corpus"
EXPECTED = sorted(CORPUS.glob("*.expected.json"))


def key(f: Finding) -> list[str]:
    unit = f"{f.unit_map}:{f.unit_code}" if f.unit_code else ""
    return [unit, f.row_id, f.year, f.rule, f.severity]


def shape(findings: list[Finding]) -> list[dict[str, Any]]:
    return sorted(
        ({"key": key(f), "consequences": sorted(key(c) for c in f.consequences)} for f in findings),
        key=lambda f: f["key"],
    )


def test_the_corpus_holds_every_kind_of_file() -> None:
    names = {p.name.removesuffix(".expected.json") for p in EXPECTED}
    assert {Path(n).suffix for n in names} == {".csv", ".xlsx"}
    encodings = {json.loads(p.read_text("utf-8"))["encoding"] for p in EXPECTED}
    assert {"UTF-8", "UTF-8 with BOM", "UTF-16", "Windows-1258", "TCVN3 (ABC)", "VNI"} <= encodings
    for name in names:
        assert (CORPUS / name).is_file(), f"{name} is listed but missing"


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda p: p.name.removesuffix(".expected.json"))
@pytest.mark.parametrize("engine", ["pandas", pytest.param("sql", marks=pytest.mark.slow)])
def test_each_file_gives_exactly_its_planted_findings(expected: Path, engine: str) -> None:
    spec = json.loads(expected.read_text("utf-8"))
    years = parse_years(spec["years"]) if spec["years"] else None
    submission = read_submission(CORPUS / spec["file"], spec["unit"], years)
    assert submission.encoding == spec["encoding"]
    report = validate(submission.table, engine=engine, structural=submission.structural)
    assert shape(report.findings) == spec["findings"], "\n".join(f.line() for f in report.findings)
    assert report.success == all(f["key"][4] == "warning" for f in spec["findings"])
