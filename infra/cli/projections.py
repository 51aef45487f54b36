"""``socai projections``: build, rebuild and inspect the read models; ``socai kpi`` and
``socai rollup`` read them.

Reading commands first bring the projections up to date with the store (the embedded,
in-process driver), so what they show includes every event recorded so far; with
``--known-at T`` they instead rebuild privately from the events recorded by T.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from domain.errors import InvalidInput
from domain.reference.units import NATIONAL_CODE, AdminMap
from domain.time import business_date, parse_instant
from infra.cli.context import console, refusing, state
from infra.projection_db import projections_engine, runner_for
from projections import asof
from projections.case_status import read_status
from projections.framework import InProcessRunner, reset
from projections.kpi import compute_kpis
from projections.registry import all_projections, by_name
from projections.rollup import compute_rollup, parse_years
from projections.rollup_export import FORMATS, to_csv, to_text, to_xlsx

app = typer.Typer(no_args_is_help=True)

#: Seconds between polls of the notification log in ``socai projections run --follow``.
FOLLOW_POLL_SECONDS = 1.0

KNOWN_AT = typer.Option(
    None, "--known-at",
    help="Show it as known at this record time (ISO instant, or a date = end of that day).",
)
MAP = typer.Option("2025", "--map", help="old (63 provinces, districts) or 2025 (34 provinces).")
OUTPUT = typer.Option(None, "-o", "--output", help="File to write (xlsx needs one).")
UNIT = typer.Option(NATIONAL_CODE, "--unit", help="Unit code on that map; VN for the nation.")


def _engine(ctx: typer.Context) -> Engine:
    return projections_engine(state(ctx).settings())


def caught_up(ctx: typer.Context, known_at: str | None = None) -> tuple[Any, Engine,
                                                                         datetime | None]:
    """The application and projections as of now (brought up to date) or as known at T."""
    application = state(ctx).app()
    if known_at is not None:
        instant = parse_instant(known_at, "--known-at")
        return application, asof.known_at(application, instant), instant
    engine = _engine(ctx)
    runner_for(application, engine).run()
    return application, engine, None


def _progress_run(runner: InProcessRunner, total: int, label: str) -> int:
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[rate]} events/s"), console=console) as progress:
        task = progress.add_task(label, total=max(total, 1), rate="-")
        started = time.perf_counter()
        done = 0

        def advance(covered: int) -> None:
            nonlocal done
            done += covered
            rate = done / max(time.perf_counter() - started, 1e-9)
            progress.update(task, advance=covered, rate=f"{rate:,.0f}")

        return runner.run(progress=advance)


@app.command()
@refusing
def rebuild(
    ctx: typer.Context,
    name: str = typer.Argument(None, help="One projection (default: all)."),
) -> None:
    """Drop a projection's tables and rebuild them from every event."""
    application = state(ctx).app()
    engine = _engine(ctx)
    chosen = [by_name(name)] if name else all_projections()
    for projection in chosen:
        reset(engine, projection)
    runner = InProcessRunner(application, engine, chosen)
    covered = _progress_run(runner, application.max_position(),
                            f"rebuilding {', '.join(p.name for p in chosen)}")
    console.print(f"rebuilt from {covered} notifications")


@app.command()
@refusing
def run(
    ctx: typer.Context,
    follow: bool = typer.Option(False, "--follow", help="Keep polling for new events."),
) -> None:
    """Bring every projection up to date with the store (the in-process driver)."""
    application = state(ctx).app()
    runner = runner_for(application, _engine(ctx))
    lag = max(runner.lag().values())
    covered = _progress_run(runner, lag, "applying")
    console.print(f"applied {covered} notifications")
    while follow:
        time.sleep(FOLLOW_POLL_SECONDS)
        runner.run()


@app.command()
@refusing
def status(ctx: typer.Context) -> None:
    """Each projection's position in the notification log and how far behind it is."""
    application = state(ctx).app()
    runner = runner_for(application, _engine(ctx))
    table = Table(title=f"projections (log head {application.max_position()})")
    for column in ("projection", "position", "lag"):
        table.add_column(column, justify="left" if column == "projection" else "right")
    positions, lag = runner.positions(), runner.lag()
    for name in positions:
        table.add_row(name, str(positions[name]), str(lag[name]))
    console.print(table)


@app.command("case")
@refusing
def case(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., help="The pseudonymous case id."),
    known_at: str = KNOWN_AT,
) -> None:
    """A case's status row (no personal data), now or as known at a past record time."""
    try:
        UUID(case_id)
    except ValueError:
        raise InvalidInput("CASE_ID", f"{case_id!r} is not a case id") from None
    _application, engine, _instant = caught_up(ctx, known_at)
    with Session(engine) as session:
        row = read_status(session, case_id)
    if row is None:
        raise InvalidInput("CASE_ID", f"no case {case_id} is known"
                           + (f" at {known_at}" if known_at else ""),
                           hint="`socai case list` shows the cases")
    table = Table(title=f"case {case_id}" + (f" as known at {known_at}" if known_at else ""))
    table.add_column("field")
    table.add_column("value")
    for key, value in row.items():
        table.add_row(key, "" if value is None else str(value))
    console.print(table)


@refusing
def kpi(
    ctx: typer.Context,
    unit: str = UNIT,
    admin_map: str = MAP,
    year: int = typer.Option(None, "--year", help="Only cases received in this year."),
    known_at: str = KNOWN_AT,
) -> None:
    """Programme KPIs against their targets (100% verified, supported, protected...)."""
    application, engine, _instant = caught_up(ctx, known_at)
    today = business_date(application.now())
    chosen_map = AdminMap.parse(admin_map, "--map")
    kpis = compute_kpis(engine, chosen_map, unit, today, year)
    table = Table(title=f"KPIs: unit {unit} ({chosen_map.value} map)"
                  + (f", received in {year}" if year else "") + f", on {today}")
    for column in ("indicator", "chỉ tiêu", "value", "target", "met"):
        table.add_column(column)
    for k in kpis:
        target = f"{float(k.target) * 100:.0f}%" if k.denominator is not None else str(k.target)
        table.add_row(k.key, k.label_vi, k.display(), target, "yes" if k.met else "NO")
    console.print(table)


@refusing
def rollup(
    ctx: typer.Context,
    unit: str = UNIT,
    years: str = typer.Option(..., "--years", help="e.g. 2016-2020"),
    admin_map: str = typer.Option("old", "--map", help="old or 2025"),
    known_at: str = KNOWN_AT,
    output_format: str = typer.Option("text", "--format", help="text | csv | xlsx"),
    output: Path = OUTPUT,
) -> None:
    """The provincial rollup form (BIỂU TỔNG HỢP SỐ LIỆU) for a unit and years."""
    if output_format not in FORMATS:
        raise InvalidInput("--format", f"{output_format!r} is not a format",
                           hint="text, csv or xlsx")
    if output_format == "xlsx" and output is None:
        raise InvalidInput("-o", "an XLSX export needs a file", hint="-o rollup.xlsx")
    chosen_map = AdminMap.parse(admin_map, "--map")
    chosen_years = parse_years(years)
    _application, engine, instant = caught_up(ctx, known_at)
    result = compute_rollup(engine, chosen_map, unit, chosen_years)
    if output_format == "xlsx":
        to_xlsx(result, output, instant)
        console.print(f"wrote {output}")
        return
    text = to_csv(result) if output_format == "csv" else to_text(result, instant)
    if output is None:
        print(text, end="")
    else:
        output.write_text(text, encoding="utf-8")
        console.print(f"wrote {output}")
