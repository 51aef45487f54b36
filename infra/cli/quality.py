"""``socai quality``: check rollups (kiểm tra chất lượng số liệu) and name every wrong cell.

``check FILE`` validates a submitted rollup (CSV, or XLSX — a whole workbook, one sheet per
unit); ``rollups`` validates the rollups computed from events. Both print one line per
finding — unit, row id, Vietnamese label, year, rule, expected, actual — a structural fault
(a missing row or column, an unreadable cell) once, with the count of the findings it causes
grouped under it (all of them in ``--json``). Warnings (a blank consistent with 0) start with
``warning:``. Exit 1 when any error is found, 0 with warnings only, 2 when the input is
refused. How the file was read (encoding, number convention) goes to stderr. GX is imported
only when a suite runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from domain.errors import InvalidInput
from domain.reference.units import AdminMap
from infra.cli.commands import command
from infra.cli.context import EXIT_FINDINGS, console, err_console, state
from infra.cli.options import UNIT, OptionSet, ReportPeriod, option
from infra.cli.output import Column, Reply, Report
from infra.cli.progress import progress, run_with_progress
from infra.cli.unit_option import chosen_unit
from projections.rollup import parse_years

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(no_args_is_help=True)


FILE = typer.Argument(..., help="The submitted rollup, .csv or .xlsx.")
ENGINE = typer.Option("pandas", "--engine", help="pandas (in memory) or sql (a SQLite table).")
JSON = typer.Option(None, "--json", help="Write the GX validation results (JSON) here.")
DOCS = typer.Option(None, "--docs", help="Write GX Data Docs (HTML, renders offline) here.")


@dataclass(frozen=True)
class Results(OptionSet):
    """Where a check also writes its Great Expectations results: ``--json`` and ``--docs``."""

    json_path: Path | None = option(JSON)
    docs: Path | None = option(DOCS)


def _report(
    ctx: typer.Context,
    report: object,
    results: Results,
    reply: Reply,
    of_store: str | None,
    about: dict[str, str] | None = None,
) -> None:
    """Print each finding (or, with ``--format json|csv`` or ``-o``, write them as data: one
    row per finding, the counts and how the file was read beside them); exit 1 on an error.
    ``of_store`` (what was checked) when the findings hold figures computed from the store's
    events: each file written is then an export in the access log."""
    from quality.run import Report as QualityReport
    from quality.run import write_results_json

    assert isinstance(report, QualityReport)
    if of_store is not None:
        cli = state(ctx)
        cli.exported(results.json_path, of_store, "results", "json")
        cli.exported(results.docs, of_store, "data docs", "html")
        cli.exported(reply.output, of_store, "findings", reply.format_)
    if results.json_path is not None:
        write_results_json(report, results.json_path, about)
    checks = sum(report.expectations.values())
    if reply.as_data:
        reply.emit(_findings(report, checks, about or {}))
    else:
        for finding in report.findings:
            console.print(finding.line(), markup=False, soft_wrap=True)
    summary = (
        f"{report.rules} rules in {checks} checks: {len(report.errors)} errors,"
        f" {len(report.warnings)} warnings, {report.wrong_cells()} wrong cells"
    )
    err_console.print(summary, markup=False)
    if not report.success:
        sys.exit(EXIT_FINDINGS)


#: The columns of a finding as data (``--format json|csv``): the line's parts as fields.
FINDING_COLUMNS = (
    Column("severity", "severity"),
    Column("unit", "unit"),
    Column("unit_name", "unit name"),
    Column("row_id", "row"),
    Column("label_vi", "label"),
    Column("year", "year"),
    Column("rule", "rule"),
    Column("expected", "expected"),
    Column("actual", "actual"),
    Column("consequences", "consequences", "right"),
)


def _findings(report: object, checks: int, about: dict[str, str]) -> Report:
    """The findings as rows; a structural fault's consequences counted on its row (all of
    them are in the GX results of ``--json``)."""
    from quality.run import Report as QualityReport

    assert isinstance(report, QualityReport)
    rows = [
        {
            "severity": f.severity,
            "unit": f"{f.unit_map}:{f.unit_code}" if f.unit_code else "",
            "unit_name": f.unit_name,
            "row_id": f.row_id,
            "label_vi": f.label_vi,
            "year": f.year,
            "rule": f.rule,
            "expected": f.expected,
            "actual": f.actual,
            "consequences": len(f.consequences),
        }
        for f in report.findings
    ]
    meta = {
        **about,
        "rules": report.rules,
        "checks": checks,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "wrong_cells": report.wrong_cells(),
        "success": report.success,
    }
    return Report(FINDING_COLUMNS, rows, "quality findings", meta, rows_key="findings")


def _computed(
    ctx: typer.Context, units: list[tuple[str, str]], years: Sequence[int]
) -> pd.DataFrame:
    """The rollups computed from events: the projections brought up to date with the store
    first (as ``socai rollup`` does), then each unit's form; only for a user whose grants
    cover every unit (reports: statisticians, supervisors, inspectors, finance)."""
    from domain.access.policy import Action
    from domain.access.scope import UnitRef
    from infra.projection_db import projections_engine, runner_for
    from quality.events import computed_rollups

    cli = state(ctx)
    for admin_map, code in units:
        cli.allowed(Action.REPORT_READ, UnitRef(admin_map, code), "quality")
    settings = cli.settings()
    engine = projections_engine(settings)
    runner = runner_for(state(ctx).app().log, engine)
    run_with_progress(runner, max(runner.lag().values(), default=0), "updating the projections")
    try:
        return computed_rollups(engine, units, years)
    finally:
        engine.dispose()


def _engine(engine: str) -> str:
    if engine not in ("pandas", "sql"):
        raise InvalidInput("--engine", f"{engine!r} is not an engine", hint="pandas or sql")
    return engine


@command(app, "check")
def check(
    ctx: typer.Context,
    period: ReportPeriod,
    results: Results,
    reply: Reply,
    file: Path = FILE,
    unit: str | None = UNIT,
    against_events: bool = typer.Option(
        False,
        "--against-events",
        help="Also compare each cell with the rollup computed from events.",
    ),
    engine: str = ENGINE,
) -> None:
    """Check a submitted rollup file (or workbook); one line per wrong cell. ``--unit`` names
    the unit when the file does not; ``--period`` the years it must cover (else its header's)."""
    from quality.importer import read_submission
    from quality.table import years_of

    engine = _engine(engine)
    named = None if unit is None else _unit_key(unit)
    covered = parse_years(period.given) if period.given else None
    with progress(f"reading {file.name}"):
        submission = read_submission(file, named, covered)
    table = submission.table
    err_console.print(f"read {file.name}: {submission.describe()}", markup=False)
    computed = None
    if against_events:
        pairs = table[["unit_map", "unit_code"]].drop_duplicates()
        units = [
            (str(m), str(c)) for m, c in zip(pairs["unit_map"], pairs["unit_code"], strict=True)
        ]
        computed = _computed(ctx, units, years_of(table))
    from quality.run import validate

    with progress("checking the rules"):
        report = validate(
            table,
            engine=engine,
            computed=computed,
            docs_dir=results.docs,
            structural=submission.structural,
        )
    about = {"encoding": submission.encoding, "numbers": submission.numbers}
    against = None if computed is None else f"quality check {file.name} --against-events"
    _report(ctx, report, results, reply, against, about)


@command(app, "rollups")
def rollups(
    ctx: typer.Context,
    period: ReportPeriod,
    results: Results,
    reply: Reply,
    unit: str | None = UNIT,
    engine: str = ENGINE,
) -> None:
    """Check the rollups computed from events for a unit (default: the nation on the 2025 map)
    and its child units, over ``--period`` (default 2016-2020)."""
    from domain.reference.units import unit_directory

    directory = unit_directory()
    admin_map, code = chosen_unit(unit, None, AdminMap.NEW)
    parent = directory.require(admin_map, code)
    units = [(admin_map.value, code)] + [
        (admin_map.value, c.code) for c in directory.children(parent)
    ]
    table = _computed(ctx, units, parse_years(period.given or "2016-2020"))
    from quality.run import validate

    with progress("checking the rules"):
        report = validate(table, engine=_engine(engine), docs_dir=results.docs)
    what = f"quality rollups {admin_map.value}:{code}"
    _report(ctx, report, results, reply, what)


def _unit_key(text: str) -> str:
    """``MAP:CODE`` of the unit ``--unit`` names (a code on one map, a name, MAP:CODE)."""
    admin_map, code = chosen_unit(text, None, AdminMap.NEW)
    return f"{admin_map.value}:{code}"
