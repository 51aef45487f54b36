"""``socai finance``: record a programme's money and reconcile it (đối chiếu kinh phí).

Recording commands (each takes ``--officer``/``--agency`` or SOCAI_OFFICER/SOCAI_AGENCY, a
transaction ``--id`` that makes a retry harmless, ``--on`` for the business date and
``--basis`` for the decision or voucher number):

- ``programme`` establishes a programme; ``pledge`` adds a source's budget; ``line`` puts
  budget into a line; ``allocate`` gives a line's money to a unit for a period;
- ``commit`` approves a payment (reserves it), ``pay`` pays a commitment (or pays directly),
  ``void`` releases a commitment, ``reverse`` corrects a posted transaction by moving it back.

Reading: ``programmes``, ``show``, ``reconcile`` (text table with amounts as Vietnamese finance
staff write them — ``77.300.000.000 đ`` — and CSV/XLSX export), ``behind`` (the transactions
behind a figure, down to the case or activity) and ``discrepancies`` (money vs cases).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import typer
from sqlalchemy import Engine

from domain.access.policy import Action
from domain.errors import InvalidInput
from domain.funding import commands as money
from domain.funding.values import ActivityKind, SourceKind
from domain.time import VIETNAM_TZ, business_date, parse_date, parse_instant
from infra.cli.commands import command
from infra.cli.context import EXIT_FINDINGS, console, say, state
from infra.cli.declare import Opt, Run, declare, option
from infra.cli.options import (
    AS_OF,
    BASIS,
    KNOWN_AT,
    MAP,
    ON,
    PERIOD,
    STEP_UNIT,
    XLSX,
)
from infra.cli.output import Column, Reply, Report
from infra.cli.progress import known_at_engine, run_with_progress
from infra.cli.unit_option import unit_with_map
from infra.projection_db import projections_engine
from infra.services.funding_view import FundingView
from projections.framework import InProcessRunner
from projections.funding import DIMENSIONS, MEASURES, legs_behind, totals
from projections.funding_export import (
    DIMENSION_HEADERS,
    DISCREPANCY_LABELS,
    MEASURE_HEADERS,
    UNIT_DIMENSIONS,
    WorkbookContext,
    unit_name,
    write_reconciliation_csv,
    write_reconciliation_xlsx,
)
from projections.funding_sql import FundingProjection, FundingQueries

app = typer.Typer(no_args_is_help=True)


def _day(ctx: typer.Context, on: str | None) -> date:
    if on:
        return parse_date(on, "--on")
    return business_date(state(ctx).app().now())


#: Who records a transaction, when, and on what basis; every recording command takes them.
STEP = (
    Opt("occurred_on", ON),
    Opt("legal_basis", BASIS),
)
PROGRAMME = Opt("programme", typer.Option(..., "--programme", "-p", help="Programme code."))
TID = Opt(
    "transaction_id",
    typer.Option(..., "--id", help="Transaction id (idempotency key), e.g. QD-123/2006."),
)
AMOUNT_HELP = "Whole đồng; 77.300.000.000 or 77300000000."
AMOUNT = Opt("amount_vnd", typer.Option(..., "--amount", help=AMOUNT_HELP))
LINE = Opt("line", typer.Option(..., "--line", help="Line code."))
SOURCE = Opt("source", typer.Option(..., "--source", help="Source code, e.g. NSTW."))
REASON = Opt("reason", typer.Option(..., "--reason", help="Why."))
#: What a payment is for: a case's support (by its event version) or an activity.
PAID_FOR = (
    option("case_id", "--case", help="Case id whose support this pays."),
    option(
        "support_version",
        "--support-version",
        help="Version of the case's SupportProvided event.",
        type_=int,
    ),
    option("activity", "--activity", help=" | ".join(a.value for a in ActivityKind)),
    option("description", "--description", help="What the activity was."),
)


def _money(command_class: type[money.MoneyCommand]) -> Run:
    """The service call behind a money command: build it, record it, report."""

    def run(ctx: typer.Context, values: dict[str, Any]) -> None:
        programme, principal = values.pop("programme"), state(ctx).principal()
        values["occurred_on"] = _day(ctx, values["occurred_on"])
        if "unit_code" in values:
            values["unit_map"], values["unit_code"] = unit_with_map(
                values.pop("unit_code"), values.pop("unit_map"), values["occurred_on"]
            )
        command = command_class(**values)
        outcome = state(ctx).app().funding.record(programme, command, principal)
        if outcome.recorded:
            console.print(
                f"recorded {command.KIND} {outcome.transaction_id} in programme"
                f" {outcome.programme} (version {outcome.version})"
            )
        else:
            console.print(
                f"{command.KIND} {outcome.transaction_id} was already recorded with the"
                " same content: nothing changed"
            )

    return run


def _establish(ctx: typer.Context, values: dict[str, Any]) -> None:
    values["occurred_on"] = _day(ctx, values["occurred_on"])
    command = money.Establish(**values)
    state(ctx).app().funding.establish(command, state(ctx).principal())
    console.print(f"programme {command.code} established")


declare(app, "programme", "Establish a programme (lập chương trình / đề án).", (
    Opt("code", typer.Option(..., "--code", help="Programme code, e.g. DA-2005-2010.")),
    Opt("title", typer.Option(..., "--title")),
    Opt("starts_on", typer.Option(..., "--starts", help="First day, YYYY-MM-DD.")),
    Opt("ends_on", typer.Option(..., "--ends", help="Last day, YYYY-MM-DD.")),
    *STEP,
), _establish)  # fmt: skip
declare(app, "pledge", "Add a source's budget to a programme (nguồn kinh phí).", (
    PROGRAMME, TID, SOURCE,
    Opt("source_kind", typer.Option(..., "--kind", help=" | ".join(k.value for k in SourceKind))),
    AMOUNT,
    option("donor", "--donor", help="The donor (aid only)."),
    *STEP,
), _money(money.Pledge))  # fmt: skip
declare(app, "line", "Put part of a source's budget into a line (dòng ngân sách).", (
    PROGRAMME, TID, LINE,
    Opt("line_title", typer.Option(..., "--title", help="Line title (repeat it to add budget).")),
    SOURCE, AMOUNT, *STEP,
), _money(money.BudgetLine))  # fmt: skip
declare(app, "allocate",
    "Allocate a line's money to a unit for a period (phân bổ); --id names the allocation.", (
    PROGRAMME, TID, LINE, SOURCE,
    Opt("unit_map", MAP),
    Opt("unit_code", STEP_UNIT),
    Opt("period", PERIOD),
    AMOUNT, *STEP,
), _money(money.Allocate))  # fmt: skip
declare(app, "commit",
    "Approve a payment from an allocation (cam kết chi): reserves the amount.", (
    PROGRAMME, TID,
    Opt("allocation", typer.Option(..., "--allocation")),
    AMOUNT, *PAID_FOR, *STEP,
), _money(money.Commit))  # fmt: skip
declare(app, "pay", "Pay (chi): a commitment in full, or directly from an allocation.", (
    PROGRAMME, TID,
    option("commitment", "--commitment", help="The commitment to pay."),
    option("allocation", "--allocation", help="Pay directly from it."),
    option("amount_vnd", "--amount", help="Whole đồng (confirms a commitment's)."),
    *PAID_FOR, *STEP,
), _money(money.Pay))  # fmt: skip
declare(app, "void", "Release an approved, unpaid commitment (hủy cam kết).", (
    PROGRAMME, TID, Opt("commitment", typer.Option(..., "--commitment")), REASON, *STEP,
), _money(money.Void))  # fmt: skip
declare(app, "reverse", "Correct a posted transaction with a reversing transfer (bút toán đảo).", (
    PROGRAMME, TID,
    Opt("reverses", typer.Option(..., "--reverses", help="The transaction to move back.")),
    REASON, *STEP,
), _money(money.Reverse))  # fmt: skip


# -- reading ----------------------------------------------------------------------------------


@command(app, "programmes")
def programmes(ctx: typer.Context, reply: Reply) -> None:
    """List the programmes."""
    funding = state(ctx).app().funding
    rows = []
    for code in funding.readable_codes(state(ctx).principal()):
        programme = funding.programme(code)
        rows.append(
            {
                "code": code,
                "starts_on": programme.starts_on,
                "ends_on": programme.ends_on,
                "title": programme.title,
            }
        )
    columns = (
        Column("code", "mã (code)"),
        Column("starts_on", "từ (from)"),
        Column("ends_on", "đến (to)"),
        Column("title", "tên (title)"),
    )
    reply.answer(state(ctx), Report(columns, rows), "finance programmes", "programmes")


@command(app, "show")
def show(
    ctx: typer.Context,
    reply: Reply,
    code: str = typer.Argument(..., help="Programme code."),
) -> None:
    """A programme's sources, lines, allocations and account balances (from its events)."""
    state(ctx).allowed(Action.FUNDING_READ, subject="show")  # programme-wide: national
    programme = state(ctx).app().funding.programme(code)
    programme.ledger.assert_invariants()
    sources = [
        {
            "code": source.code,
            "kind": SourceKind.parse(source.kind, "source").label_vi,
            "donor": source.donor,
        }
        for source in programme.sources.values()
    ]
    figures = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
    rows = [
        {
            "account": key,
            **{f: getattr(account, f) for f in figures},
            "meaning": programme.describe_account(key),
        }
        for key, account in programme.ledger.accounts.items()
    ]
    columns = (
        Column("account", "account"),
        *(Column(f, f.replace("_", " "), "right", money=True) for f in figures),
        Column("meaning", "meaning"),
    )
    meta = {
        "programme": programme.code,
        "title": programme.title,
        "starts_on": programme.starts_on,
        "ends_on": programme.ends_on,
        "transactions": len(programme.transactions),
        "balances": "the ledger balances (Σ = 0)",
        "sources": [
            f"{x['code']}: {x['kind']}" + (f", {x['donor']}" if x["donor"] else "") for x in sources
        ],
    }
    report = Report(columns, rows, f"{programme.code} {programme.title}", meta)
    reply.answer(state(ctx), report, "finance show", programme.code)


def _workbook_context(
    ctx: typer.Context, engine: Engine, as_of: date | None, known_at: str | None
) -> WorkbookContext:
    """When the workbook is made, its cut-off and where its figures come from (the funding
    tables it was read from: the live ones, or those built as known at ``known_at``)."""
    now = state(ctx).app().now()
    return WorkbookContext.of(
        engine, now.astimezone(VIETNAM_TZ), as_of or business_date(now), known_at
    )


def refreshed_queries(ctx: typer.Context, known_at: str | None = None) -> FundingQueries:
    """The funding tables (the registered ``funding`` projection), caught up with the log by
    the in-process runner: positions in ``projection_positions``, as ``socai projections``;
    with ``known_at``, built from the events recorded by then (the books as known at T)."""
    application = state(ctx).app()
    if known_at is not None:
        instant = parse_instant(known_at, "--known-at")
        return FundingQueries(known_at_engine(application.log, instant, [FundingProjection()]))
    engine = projections_engine(state(ctx).settings())
    runner = InProcessRunner(application.log, engine, [FundingProjection()])
    run_with_progress(runner, max(runner.lag().values(), default=0), "updating the funding tables")
    return FundingQueries(engine)


def funding_view(ctx: typer.Context, subject: str, known_at: str | None = None) -> FundingView:
    """The logged-in user's view of the funding tables (their scope's rows; all with a
    national grant), checked before the tables are brought up to date."""
    cli = state(ctx)
    return cli.app().funding.view(
        cli.principal(), lambda: refreshed_queries(ctx, known_at), subject
    )


def _dims(by: str) -> tuple[str, ...]:
    return tuple(d.strip() for d in by.split(",") if d.strip())


#: The old spelling of ``-o FILE --format csv`` (hidden).
CSV_OUT = typer.Option(None, "--csv", hidden=True, help="Also write the rows as CSV.")


@command(app, "reconcile")
def reconcile(
    ctx: typer.Context,
    reply: Reply,
    by: str = typer.Option(
        "programme,line,source", "--by", help="Comma-separated: " + ", ".join(DIMENSIONS)
    ),
    programme: str = typer.Option(None, "--programme", "-p", help="Only this programme."),
    as_of: str | None = AS_OF,
    known_at: str | None = KNOWN_AT,
    csv_path: Path | None = CSV_OUT,
    xlsx_path: Path | None = XLSX,
) -> None:
    """Budget vs allocated vs committed vs disbursed vs remaining, grouped as asked; as the
    books stood on a business date (--as-of) or as they were known at a moment (--known-at)."""
    dims = _dims(by)
    day = parse_date(as_of, "--as-of") if as_of else None
    view = funding_view(ctx, "reconcile", known_at)
    rows = view.reconcile(dims, programme, day)
    total = totals(rows)
    report = Report(
        (
            *_group_columns(dims),
            *(Column(m, f"{MEASURE_HEADERS[m]} ({m})", "right", money=True) for m in MEASURES),
        ),
        [
            {**_group_cells(dims, row.key), **dict(zip(MEASURES, row.figures, strict=True))}
            for row in rows
        ],
        "Đối chiếu kinh phí (funding reconciliation)",
        total=dict(zip(MEASURES, total.figures, strict=True)),
    )
    about = f"{programme or 'all programmes'} in {view.scope}"
    reply.answer(state(ctx), report, "finance reconcile", about)
    if csv_path:
        write_reconciliation_csv(csv_path, dims, rows)
        say(f"wrote {csv_path}", err=True)
        state(ctx).exported(csv_path, "finance reconcile", about, "csv")
    if xlsx_path:
        legs = list(view.legs(programme, day))
        write_reconciliation_xlsx(
            xlsx_path,
            dims,
            rows,
            total,
            legs=legs,
            found=view.discrepancies(),
            context=_workbook_context(ctx, view.queries.engine, day, known_at),
        )
        say(f"wrote {xlsx_path}", err=True)
        state(ctx).exported(xlsx_path, "finance reconcile", about, "xlsx")


def _group_columns(dims: Sequence[str]) -> list[Column]:
    """A column per grouping; a unit's key (``old:870``) with its name in the next column, so
    that a script reads the code as a field and a person reads the name."""
    columns = []
    for d in dims:
        columns.append(Column(d, DIMENSION_HEADERS.get(d, d)))
        if d in UNIT_DIMENSIONS:
            columns.append(Column(f"{d}_name", "Tên (name)"))
    return columns


def _group_cells(dims: Sequence[str], key: Sequence[str]) -> dict[str, str | None]:
    cells: dict[str, str | None] = {}
    for d, value in zip(dims, key, strict=True):
        cells[d] = value
        if d in UNIT_DIMENSIONS:
            cells[f"{d}_name"] = unit_name(d, value)
    return cells


@command(app, "behind")
def behind(
    ctx: typer.Context,
    reply: Reply,
    by: str = typer.Option(..., "--by", help="The grouping of the figure (as in reconcile)."),
    key: str = typer.Option(..., "--key", help="The row's key, comma-separated in --by order."),
    measure: str | None = typer.Option(None, "--measure", help=" | ".join(MEASURES)),
    programme: str = typer.Option(None, "--programme", "-p"),
) -> None:
    """The transactions behind one figure, down to the case or the activity."""
    dims = _dims(by)
    if measure is not None and measure not in MEASURES:
        raise InvalidInput(
            "measure", f"{measure!r} is not a figure", hint="one of: " + ", ".join(MEASURES)
        )
    view = funding_view(ctx, "behind")
    legs = view.legs(programme)
    rows = [
        {
            "occurred_on": leg.occurred_on,
            "programme": leg.programme,
            "transaction_id": leg.transaction_id,
            "kind": leg.kind,
            "case_id": leg.case_id,
            "support_version": leg.support_version,
            "activity": leg.activity,
            **{m: getattr(leg, m) for m in MEASURES},
        }
        for leg in legs_behind(legs, dims, tuple(k.strip() for k in key.split(",")))
        if measure is None or getattr(leg, measure) != 0
    ]
    columns = (
        Column("occurred_on", "date"),
        Column("programme", "programme"),
        Column("transaction_id", "transaction"),
        Column("kind", "kind"),
        Column("case_id", "case"),
        Column("support_version", "support event"),
        Column("activity", "activity"),
        *(Column(m, f"{MEASURE_HEADERS[m]} ({m}, đồng)", "right") for m in MEASURES),
    )
    report = Report(columns, rows, meta={"transaction_legs": len(rows)})
    reply.answer(state(ctx), report, f"finance behind {by} {key}", view.scope)


@command(app, "discrepancies")
def discrepancies_report(ctx: typer.Context, reply: Reply) -> None:
    """Support events with money and no disbursement; disbursements whose case event does
    not exist or disagrees in amount. Exits 1 when there is any (0 when none)."""
    view = funding_view(ctx, "discrepancies")
    found = view.discrepancies()
    rows = [
        {
            "problem": item.problem,
            "problem_label": DISCREPANCY_LABELS[item.problem],
            "case_id": item.case_id,
            "support_version": item.support_version,
            "case_amount_vnd": item.support_amount,
            "disbursed_vnd": item.disbursed,
            "transactions": list(item.transactions),
        }
        for item in found
    ]
    columns = (
        Column("problem", "problem"),
        Column("problem_label", "chênh lệch"),
        Column("case_id", "case"),
        Column("support_version", "support event"),
        Column("case_amount_vnd", "case records (đồng)", "right"),
        Column("disbursed_vnd", "disbursed (đồng)", "right"),
        Column("transactions", "transactions"),
    )
    report = Report(columns, rows, "Chênh lệch (discrepancies)", {"discrepancies": len(rows)})
    reply.answer(state(ctx), report, "finance discrepancies", view.scope)
    if rows:
        raise typer.Exit(EXIT_FINDINGS)
