"""Helpers of the quality tests: findings flattened and keyed, whatever their grouping."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from quality.results import Finding

Key = tuple[str, str, str, str, str]


def flatten(findings: Iterable[Finding]) -> list[Finding]:
    """Every finding, consequences included (depth first)."""
    out: list[Finding] = []
    for f in findings:
        out.append(f)
        out.extend(flatten(f.consequences))
    return out


def key(f: Finding) -> Key:
    return (f.unit_map, f.unit_code, f.row_id, f.year, f.rule)


def keys(report: Any, *, grouped: bool = False) -> set[Key]:
    """The (unit, row, year, rule) of the top-level findings, or of all when ``grouped``."""
    findings = flatten(report.findings) if grouped else report.findings
    return {key(f) for f in findings}
