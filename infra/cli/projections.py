"""``socai projections``: build, rebuild and inspect the read models; ``socai kpi`` and
``socai rollup`` read them.

Reading commands first bring the projections up to date with the store (the embedded,
in-process driver), so what they show includes every event recorded so far; with
``--known-at T`` they instead rebuild privately from the events recorded by T.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from domain.access.policy import Action
from domain.case.values import parse_case_id
from domain.errors import InvalidInput
from domain.period import Period
from domain.reference.units import AdminMap
from domain.time import business_date, parse_date, parse_instant
from infra.cli.commands import cli_command, command
from infra.cli.context import EXIT_FINDINGS, EXIT_OK, console, say, state
from infra.cli.options import (
    FORMAT,
    KNOWN_AT,
    OUTPUT,
    PERIOD,
    PUBLIC,
    UNTIL,
    XLSX,
    ReportPeriod,
)
from infra.cli.output import Column, Reply, Report, answer, check_format
from infra.cli.progress import known_at_engine, run_with_progress
from infra.cli.unit_option import ReportUnit
from infra.projection_db import projections_engine, runner_for
from projections import asof
from projections.case_search import CaseQuery, find_cases
from projections.case_status import read_status
from projections.framework import (
    REBUILD_BATCH_SIZE_EVENTS,
    InProcessRunner,
    Projection,
    content_digest,
    position_of,
    reset,
)
from projections.kpi import Kpi, compute_kpis
from projections.proceedings import prosecution_kpis
from projections.registry import all_projections, by_name
from projections.rollup import (
    Rollup,
    compute_rollup,
    reporting_period,
    resolve_unit,
    rollup_changes,
)
from projections.rollup_export import cell_text, money, title_lines, to_xlsx
from projections.small_counts import notice, public_form, public_share
from projections.support_use import support_use
from projections.verify import ProjectionReport, all_intact, verify_projections

app = typer.Typer(no_args_is_help=True)

#: Most cases one listing shows (use the rollup or an export for more).
MAX_LISTED_CASES = 1_000

#: Seconds between polls of the notification log in ``socai projections run --follow``.
FOLLOW_POLL_SECONDS = 1.0


def _engine(ctx: typer.Context) -> Engine:
    return projections_engine(state(ctx).settings())


def caught_up(
    ctx: typer.Context, known_at: str | None = None
) -> tuple[Any, Engine, datetime | None]:
    """The application and projections as of now (brought up to date) or as known at T."""
    application = state(ctx).app()
    if known_at is not None:
        instant = parse_instant(known_at, "--known-at")
        return application, known_at_engine(application.log, instant), instant
    engine = _engine(ctx)
    runner = runner_for(application.log, engine)
    run_with_progress(runner, max(runner.lag().values(), default=0), "updating the projections")
    return application, engine, None


@command(app)
def rebuild(
    ctx: typer.Context,
    name: str = typer.Argument(None, help="One projection (default: all)."),
) -> None:
    """Drop a projection's tables and rebuild them from every event."""
    state(ctx).allowed(Action.PROJECTIONS_RUN, subject="projections")
    application = state(ctx).app()
    engine = _engine(ctx)
    chosen = [by_name(name)] if name else all_projections()
    for projection in chosen:
        reset(engine, projection)
    runner = InProcessRunner(application.log, engine, chosen, batch_size=REBUILD_BATCH_SIZE_EVENTS)
    covered = run_with_progress(
        runner, application.log.head(), f"rebuilding {', '.join(p.name for p in chosen)}"
    )
    console.print(f"rebuilt from {covered} notifications")


@command(app)
def run(
    ctx: typer.Context,
    follow: bool = typer.Option(False, "--follow", help="Keep polling for new events."),
) -> None:
    """Bring every projection up to date with the store (the in-process driver)."""
    state(ctx).allowed(Action.PROJECTIONS_RUN, subject="projections")
    application = state(ctx).app()
    runner = runner_for(application.log, _engine(ctx))
    lag = max(runner.lag().values())
    covered = run_with_progress(runner, lag, "applying")
    console.print(f"applied {covered} notifications")
    while follow:
        time.sleep(FOLLOW_POLL_SECONDS)
        runner.run()


@command(app)
def status(ctx: typer.Context, reply: Reply) -> None:
    """Each projection's position in the notification log and how far behind it is."""
    state(ctx).allowed_somewhere(Action.REPORT_READ, "projections")
    application = state(ctx).app()
    runner = runner_for(application.log, _engine(ctx))
    positions, lag = runner.positions(), runner.lag()
    rows = [{"projection": n, "position": positions[n], "lag": lag[n]} for n in positions]
    columns = (
        Column("projection", "projection"),
        Column("position", "position", "right"),
        Column("lag", "lag", "right"),
    )
    head = application.log.head()
    report = Report(columns, rows, f"projections (log head {head})", {"log_head": head})
    reply.answer(state(ctx), report, "projections status", "projections")


@command(app)
def verify(ctx: typer.Context, reply: Reply) -> None:
    """Rebuild every projection from the events into a scratch database and compare it, row by
    row, with the live tables: an edited report is named (projection, table, row, columns).
    Exit 0 when every table is what the events give, 1 when any differs. ``--format json|csv``
    or ``-o FILE``: one row per projection, its tables' differences as data."""
    state(ctx).allowed(Action.PROJECTIONS_RUN, subject="projections")
    application = state(ctx).app()
    live = _engine(ctx)
    chosen = all_projections()
    runner = InProcessRunner(application.log, live, chosen)
    run_with_progress(runner, max(runner.lag().values(), default=0), "updating the projections")

    def rebuild_into(projections: Sequence[Projection]) -> Engine:
        scratch = asof.memory_engine()
        rebuilt = InProcessRunner(
            application.log, scratch, projections, batch_size=REBUILD_BATCH_SIZE_EVENTS
        )
        names = ", ".join(p.name for p in projections)
        run_with_progress(rebuilt, application.log.head(), f"rebuilding {names} to compare")
        return scratch

    reports = verify_projections(chosen, live, rebuild_into)
    if reply.as_data:
        found = _verify_report(reports)
        reply.answer(state(ctx), found, "projections verify", "projections")
        raise typer.Exit(EXIT_OK if all_intact(reports) else EXIT_FINDINGS)
    for report in reports:
        verdict = "intact" if report.intact else "DIFFERS FROM THE EVENTS"
        console.print(
            f"{report.name}: {verdict} at log position {report.position} (sha256 {report.digest})",
            markup=False,
            soft_wrap=True,
        )
        if report.position != report.rebuilt_position:
            console.print(
                f"  position {report.position} in the live tables, {report.rebuilt_position}"
                " rebuilt from the log: the positions table was edited, or the store moved"
                " while verifying (run again)",
                markup=False,
                soft_wrap=True,
            )
        for table in report.tables:
            if not table.differences:
                continue
            console.print(
                f"  table {table.table}: {table.differences} of {table.rows_compared} rows differ",
                markup=False,
                soft_wrap=True,
            )
            for difference in table.listed:
                console.print(f"    {difference.describe()}", markup=False, soft_wrap=True)
            if table.differences > len(table.listed):
                console.print(
                    f"    … and {table.differences - len(table.listed)} more", markup=False
                )
    if not all_intact(reports):
        console.print(
            "hint: `socai projections rebuild` restores the tables from the events;"
            " find out first who changed them",
            markup=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)


def _verify_report(reports: Sequence[ProjectionReport]) -> Report:
    """``projections verify`` as data: per projection its verdict, positions and digests, and
    for each table that differs the rows listed (kind, primary key, columns)."""
    rows = [
        {
            "projection": r.name,
            "intact": r.intact,
            "position": r.position,
            "rebuilt_position": r.rebuilt_position,
            "digest": r.digest,
            "rebuilt_digest": r.rebuilt_digest,
            "differences": [
                {
                    "table": t.table,
                    "rows_compared": t.rows_compared,
                    "rows_differing": t.differences,
                    "listed": [
                        {"kind": d.kind, "key": list(d.key), "columns": list(d.columns)}
                        for d in t.listed
                    ],
                }
                for t in r.tables
                if t.differences
            ],
        }
        for r in reports
    ]
    columns = (
        Column("projection", "projection"),
        Column("intact", "intact"),
        Column("position", "position", "right"),
        Column("rebuilt_position", "rebuilt position", "right"),
        Column("digest", "sha256"),
        Column("rebuilt_digest", "rebuilt sha256"),
        Column("differences", "differences"),
    )
    return Report(columns, rows, "projections verify", {"intact": all_intact(reports)})


@command(app, "case")
def case(
    ctx: typer.Context,
    reply: Reply,
    case_id: str = typer.Argument(..., help="The pseudonymous case id."),
    known_at: str = KNOWN_AT,
) -> None:
    """A case's status row (no personal data), now or as known at a past record time."""
    cid = parse_case_id(case_id, "CASE_ID")
    cli = state(ctx)
    cli.allowed(Action.CASE_READ, cli.app().cases.unit_of(cid), case_id)
    _application, engine, _instant = caught_up(ctx, known_at)
    with Session(engine) as session:
        row = read_status(session, case_id)
    if row is None:
        raise InvalidInput(
            "CASE_ID",
            f"no case {case_id} is known" + (f" at {known_at}" if known_at else ""),
            hint="`socai case list` shows the cases",
        )
    rows = [{"field": key, "value": value} for key, value in row.items()]
    title = f"case {case_id}" + (f" as known at {known_at}" if known_at else "")
    meta = {"case": case_id, "known_at": known_at}
    report = Report((Column("field", "field"), Column("value", "value")), rows, title, meta)
    reply.answer(cli, report, "projections case", case_id)


@cli_command
def kpi(
    ctx: typer.Context,
    where: ReportUnit,
    reply: Reply,
    period: str | None = PERIOD,
    until: str | None = UNTIL,
    year: int | None = typer.Option(None, "--year", hidden=True, help="Old spelling of --period."),
    known_at: str = KNOWN_AT,
    listed: str = typer.Option(
        None, "--list", help="Print the cases behind one indicator (its key, e.g. verified)."
    ),
    public: bool = PUBLIC,
) -> None:
    """Programme KPIs against their targets (100% verified, supported, protected...); a share
    of nothing is "no data", never "met". --list KEY prints the cases behind a figure;
    --public hides counts of 1-4 (and the shares they would give away)."""
    if public and listed is not None:
        raise InvalidInput(
            "--public", "a list of cases is never public", hint="drop --list, or drop --public"
        )
    cli = state(ctx)
    chosen_map, unit = cli.allowed_unit(Action.REPORT_READ, where, AdminMap.NEW, "kpi")
    application, engine, instant = caught_up(ctx, known_at)
    # as known at T, open procedures are judged on T's date (what the report then showed)
    today = business_date(instant or application.now())
    cut_off = parse_date(until, "--until") if until else None
    if cut_off is not None and cut_off > today:
        raise InvalidInput("--until", f"{cut_off} is after today ({today})")
    window: Period | None = None
    if period is not None or year is not None:
        window = reporting_period(period or str(year), cut_off, "--period")
    elif cut_off is not None:
        window = Period(date(2012, 1, 1), cut_off)
    judged_on = cut_off or today  # open procedures are judged on the cut-off date
    kpis = compute_kpis(engine, chosen_map, unit, judged_on, window)
    kpis += prosecution_kpis(engine, chosen_map, unit, judged_on, window)
    meta = {
        "unit": f"{chosen_map.value}:{unit}",
        "period": None if window is None else window.label,
        "on": judged_on,
    }
    if listed is not None:
        chosen = next((k for k in kpis if k.key == listed), None)
        if chosen is None:
            raise InvalidInput(
                "--list", f"{listed!r} is not an indicator", hint=", ".join(k.key for k in kpis)
            )
        counted = set(chosen.counted)
        rows = [{"case_id": c, "counted": c in counted} for c in chosen.population]
        columns = (Column("case_id", "case"), Column("counted", f"counted in {chosen.key}"))
        report = Report(columns, rows, f"{chosen.key}: {chosen.display()}", meta)
        reply.answer(cli, report, f"kpi --list {chosen.key}", str(meta["unit"]))
        return
    rows = [_kpi_row(k, public) for k in kpis]
    if public:
        meta["public"] = notice()
    columns = (
        Column("indicator", "indicator"),
        Column("label_vi", "chỉ tiêu"),
        Column("value", "value"),
        Column("target", "target"),
        Column("met", "met"),
        Column("numerator", "counted", "right"),
        Column("denominator", "of", "right"),
    )
    report = Report(columns, rows, "KPIs (chỉ tiêu)", meta)
    reply.answer(cli, report, "kpi", str(meta["unit"]))


def _kpi_row(k: Kpi, public: bool) -> dict[str, Any]:
    """One KPI as a row; public: small figures hidden, and the share (or the count) they
    would give away withheld (:mod:`projections.small_counts`)."""
    row: dict[str, Any] = {
        "indicator": k.key,
        "label_vi": k.label_vi,
        "numerator": k.numerator,
        "denominator": k.denominator,
        "value": k.display(),
        "target": _target(k),
        "met": {True: "yes", False: "NO", None: "no data"}[k.met],
    }
    if public:
        numerator, denominator, withheld = public_share(k.numerator, k.denominator)
        row.update(numerator=numerator, denominator=denominator)
        if withheld:
            row.update(value=numerator if k.denominator is None else "x", met="x")
    return row


def _target(k: Kpi) -> str:
    """A share's target as a percentage; a count's as the count."""
    return str(k.target) if k.denominator is None else f"{float(k.target) * 100:.0f}%"


@cli_command
def rollup(
    ctx: typer.Context,
    where: ReportUnit,
    period: ReportPeriod,
    until: str | None = UNTIL,
    known_at: str = KNOWN_AT,
    output_format: str = FORMAT,
    output: Path | None = OUTPUT,
    xlsx: Path | None = XLSX,
    changes: bool = typer.Option(
        False, "--changes", help="With --known-at: list the cells that changed since then."
    ),
    public: bool = PUBLIC,
) -> None:
    """The provincial rollup form (BIỂU TỔNG HỢP SỐ LIỆU) for a unit and a period: one line
    per row of the form with a column per year (money rows in million đồng, exact), as a
    table, JSON or CSV; ``--xlsx FILE`` writes the printable form for Excel."""
    only_workbook = output_format == "xlsx"  # the old spelling: --format xlsx -o FILE
    if only_workbook:
        if output is None:
            raise InvalidInput("-o", "an XLSX export needs a file", hint="--xlsx rollup.xlsx")
        xlsx, output, output_format = output, None, "table"
    output_format = check_format(output_format)
    if public and (xlsx is not None or changes):
        raise InvalidInput(
            "--public",
            "only the table, JSON and CSV of a rollup are made public (not the workbook, not"
            " a list of changed cells)",
            hint="drop --xlsx/--changes, e.g. --public --format csv -o public.csv",
        )
    if changes and known_at is None:
        raise InvalidInput(
            "--changes",
            "compares with a past report: give --known-at T too",
            hint="e.g. --known-at 2021-01-15 --changes",
        )
    cli = state(ctx)
    chosen_map, unit = cli.allowed_unit(Action.REPORT_READ, where, AdminMap.OLD, "rollup")
    window = period.window(until)
    chosen_years = window.year_numbers
    whole = window == Period.years(chosen_years[0], chosen_years[-1])
    _application, engine, instant = caught_up(ctx, known_at)
    result = compute_rollup(engine, chosen_map, unit, chosen_years, None if whole else window)
    scope = f"{chosen_map.value}:{unit}"
    if changes:
        now = compute_rollup(caught_up(ctx)[1], chosen_map, unit, chosen_years, result.window)
        _print_changes(result, now, known_at)
        return
    if xlsx is not None:
        to_xlsx(result, xlsx, instant)
        say(f"wrote {xlsx}", err=True)
        cli.exported(xlsx, "rollup", scope, "xlsx")
        if only_workbook:
            return
    report = rollup_report(result, instant, public)
    answer(cli, report, output_format, output, "rollup --public" if public else "rollup", scope)
    if output_format == "table" and output is None:
        _print_provenance(engine)


def rollup_report(result: Rollup, known_at: datetime | None, public: bool = False) -> Report:
    """The rollup as a report: the canonical table of :func:`projections.rollup_export.to_csv`
    (the columns ``socai quality check`` reads back), the form's title lines as facts.
    ``public``: counts of people of 1-4 hidden, and the cells that would give them back by
    subtraction in a row or a sum of the form withheld
    (:func:`projections.small_counts.public_form`)."""
    columns = (
        Column("unit_map", "bản đồ (map)"),
        Column("unit_code", "mã đơn vị"),
        Column("row_id", "mã dòng (row)"),
        Column("stt", "STT"),
        Column("label_vi", "Nội dung"),
        Column("unit", "Đơn vị tính"),
        *(Column(f"y{y}", f"Năm {y}", "right") for y in result.years),
        Column("total", "Tổng", "right"),
    )
    rows = []
    people = {r.row_id: [*v, t] for r, v, t in result.rows() if r.unit == "person"}
    published = public_form({result.unit.code: people})[result.unit.code] if public else {}
    for row, values, total in result.rows():
        cells: list[Any] = [money(row, v) for v in values]
        whole: Any = money(row, total)
        if row.row_id in published:
            *cells, whole = published[row.row_id]
        rows.append(
            {
                "unit_map": result.admin_map.value,
                "unit_code": result.unit.code,
                "row_id": row.row_id,
                "stt": row.stt,
                "label_vi": row.label_vi,
                "unit": row.unit,
                **{f"y{y}": v for y, v in zip(result.years, cells, strict=True)},
                "total": whole,
            }
        )
    title, *facts = title_lines(result, known_at)
    meta: dict[str, Any] = {
        "unit": f"{result.admin_map.value}:{result.unit.code}",
        "unit_name": result.unit.name,
        "period": None if result.window is None else result.window.label,
        "years": f"{result.years[0]}-{result.years[-1]}",
        "known_at": known_at,
        "form": facts,
    }
    if public:
        meta["public"] = notice()
    return Report(columns, rows, title, meta)


def _print_provenance(engine: Engine) -> None:
    """Where a report's figures come from: each projection's log position and the digest of
    its tables. `socai projections verify` recomputes them from the events, so a reader can
    tell later whether the report they hold is what the events gave (see docs/PROJECTIONS.md)."""
    for projection in all_projections():
        with Session(engine) as session:
            position = position_of(session, projection.name)
        digest = content_digest(engine, projection)
        console.print(
            f"nguồn: {projection.name} at log position {position}, sha256 {digest}", soft_wrap=True
        )


def _print_changes(then: Rollup, now: Rollup, known_at: str) -> None:
    """Cells whose value differs between the report as known at T and now."""
    table = Table(title=f"changes since {known_at}: {now.unit} ")
    for column in ("row", "nội dung", "year", "then", "now"):
        table.add_column(column, justify="right" if column in ("then", "now") else "left")
    changed = rollup_changes(then, now)
    for change in changed:
        row = change.row
        table.add_row(
            row.row_id,
            row.label_vi,
            str(change.year),
            cell_text(row, change.before),
            cell_text(row, change.after),
        )
    console.print(table if changed else f"no cell changed since {known_at}")


@command(app)
def cases(
    ctx: typer.Context,
    where: ReportUnit,
    reply: Reply,
    agency: str = typer.Option(None, "--agency", help="Receiving agency, e.g. border_guard."),
    stage: str = typer.Option(None, "--stage", help="e.g. received, under_verification."),
    overdue: bool = typer.Option(
        False, "--overdue", help="Only cases whose procedures finished or are still open late."
    ),
    limit: int = typer.Option(50, "--limit", min=1, max=MAX_LISTED_CASES),
    known_at: str = KNOWN_AT,
) -> None:
    """Cases in a unit (pseudonymous ids only): stage, dates, deadlines, supports."""
    cli = state(ctx)
    chosen_map, unit = cli.allowed_unit(Action.CASE_READ, where, AdminMap.NEW, "cases")
    application, engine, instant = caught_up(ctx, known_at)
    target = resolve_unit(chosen_map, unit)
    today = business_date(instant or application.now())
    query = CaseQuery(agency=agency, stage=stage, overdue=overdue, limit=limit)
    rows = [
        {k: v for k, v in row.items() if k != "unit"}
        for row in find_cases(engine, chosen_map, target, query, today)
    ]
    columns = (
        Column("case_id", "case"),
        Column("received_on", "received"),
        Column("agency", "agency"),
        Column("stage", "stage"),
        Column("procedures_due_on", "procedures due"),
        Column("overdue_days", "overdue days", "right"),
        Column("supports", "supports", "right"),
        Column("essential_needs_days", "essential needs days", "right"),
        Column("essential_needs_limit_days", "of at most", "right"),
    )
    meta = {"unit": f"{target.map.value}:{target.code}", "on": today}
    report = Report(columns, rows, f"cases in {target} — {today}", meta)
    reply.answer(cli, report, "cases", str(meta["unit"]))


@command(app)
def spending(
    ctx: typer.Context,
    where: ReportUnit,
    period: ReportPeriod,
    reply: Reply,
    known_at: str = KNOWN_AT,
) -> None:
    """Support given per type and year in a unit, with amounts in đồng (for reconciliation)."""
    cli = state(ctx)
    chosen_map, unit = cli.allowed_unit(Action.FUNDING_READ, where, AdminMap.NEW, "spending")
    window = period.window()
    _application, engine, _instant = caught_up(ctx, known_at)
    rows = [
        {
            "support_type": use.support_type,
            "year": use.year,
            "supports": use.supports,
            "persons": use.persons,
            "amount_vnd": use.amount_vnd,
        }
        for use in support_use(engine, chosen_map, unit, window.year_numbers)
    ]
    columns = (
        Column("support_type", "support type"),
        Column("year", "year", "right"),
        Column("supports", "supports", "right"),
        Column("persons", "persons", "right"),
        Column("amount_vnd", "amount (đồng)", "right"),
    )
    scope = f"{chosen_map.value}:{unit}"
    meta = {"unit": scope, "period": window.label}
    report = Report(columns, rows, f"support use: {scope}, {window.label}", meta)
    reply.answer(cli, report, "spending", scope)
