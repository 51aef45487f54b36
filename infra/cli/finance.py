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

from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from domain.case.values import Actor
from domain.funding.commands import (
    Allocate,
    BudgetLine,
    Commit,
    Establish,
    MoneyCommand,
    Pay,
    Pledge,
    Reverse,
    Void,
)
from domain.funding.values import ActivityKind, SourceKind
from domain.money import format_vnd
from domain.time import business_date, parse_date
from infra.cli.context import console, refusing, say, state
from infra.cli.options import AGENCY, BASIS, OFFICER, ON
from infra.projection_db import projections_engine
from projections.framework import InProcessRunner
from projections.funding import (
    DIMENSIONS,
    MEASURES,
    discrepancies,
    legs_behind,
    totals,
)
from projections.funding_export import (
    MEASURE_HEADERS,
    group_label,
    write_reconciliation_csv,
    write_reconciliation_xlsx,
)
from projections.funding_sql import FundingProjection, FundingQueries

app = typer.Typer(no_args_is_help=True)

PROGRAMME = typer.Option(..., "--programme", "-p", help="Programme code.")
TID = typer.Option(..., "--id", help="Transaction id (idempotency key), e.g. QD-123/2006.")
AMOUNT = typer.Option(..., "--amount", help="Whole đồng; 77.300.000.000 or 77300000000.")

#: Tables of figures are never wrapped narrower than this many characters (a piped output
#: has no terminal width; a wrapped amount is unreadable).
TABLE_MIN_WIDTH_CHARS = 240


def _day(ctx: typer.Context, on: str | None) -> date:
    if on:
        return parse_date(on, "--on")
    return business_date(state(ctx).app().now())


def _record(
    ctx: typer.Context,
    programme: str,
    command_class: type[MoneyCommand],
    tid: str,
    who: tuple[str, str, str | None, str | None],
    **fields: Any,
) -> None:
    """Build the command (``who`` = officer, agency, --on, --basis), record it, report."""
    officer, agency, on, basis = who
    command = command_class(tid, _day(ctx, on), legal_basis=basis, **fields)
    outcome = state(ctx).app().funding.record(programme, command, Actor(officer, agency))
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


@app.command("programme")
@refusing
def programme(
    ctx: typer.Context,
    code: str = typer.Option(..., "--code", help="Programme code, e.g. DA-2005-2010."),
    title: str = typer.Option(..., "--title"),
    starts: str = typer.Option(..., "--starts", help="First day, YYYY-MM-DD."),
    ends: str = typer.Option(..., "--ends", help="Last day, YYYY-MM-DD."),
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
) -> None:
    """Establish a programme (lập chương trình / đề án)."""
    command = Establish(code, title, starts, ends, _day(ctx, on), basis)  # type: ignore[arg-type]
    state(ctx).app().funding.establish(command, Actor(officer, agency))
    console.print(f"programme {command.code} established")


@app.command("pledge")
@refusing
def pledge(
    ctx: typer.Context,
    programme: str = PROGRAMME,
    tid: str = TID,
    source: str = typer.Option(..., "--source", help="Source code, e.g. NSTW."),
    kind: str = typer.Option(..., "--kind", help=" | ".join(k.value for k in SourceKind)),
    amount: str = AMOUNT,
    donor: str = typer.Option(None, "--donor", help="The donor (aid only)."),
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
) -> None:
    """Add a source's budget to a programme (nguồn kinh phí)."""
    _record(ctx, programme, Pledge, tid, (officer, agency, on, basis), source=source,
            source_kind=kind, amount_vnd=amount, donor=donor)  # fmt: skip


@app.command("line")
@refusing
def line(
    ctx: typer.Context,
    programme: str = PROGRAMME,
    tid: str = TID,
    line: str = typer.Option(..., "--line", help="Line code."),
    title: str = typer.Option(..., "--title", help="Line title (repeat it to add budget)."),
    source: str = typer.Option(..., "--source"),
    amount: str = AMOUNT,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
) -> None:
    """Put part of a source's budget into a line (dòng ngân sách)."""
    _record(ctx, programme, BudgetLine, tid, (officer, agency, on, basis), line=line,
            line_title=title, source=source, amount_vnd=amount)  # fmt: skip


@app.command("allocate")
@refusing
def allocate(
    ctx: typer.Context,
    programme: str = PROGRAMME,
    tid: str = TID,
    line: str = typer.Option(..., "--line"),
    source: str = typer.Option(..., "--source"),
    unit_map: str = typer.Option(..., "--map", help="old | 2025"),
    unit: str = typer.Option(..., "--unit", help="Unit code (province, district, commune)."),
    period: str = typer.Option(..., "--period", help="2016, 2016-H1, 2016-03 or 2006/2010."),
    amount: str = AMOUNT,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
) -> None:
    """Allocate a line's money to a unit for a period (phân bổ); --id names the allocation."""
    _record(ctx, programme, Allocate, tid, (officer, agency, on, basis), line=line,
            source=source, unit_map=unit_map, unit_code=unit, period=period,
            amount_vnd=amount)  # fmt: skip


CASE = typer.Option(None, "--case", help="Case id whose support this pays.")
SUPPORT_VERSION = typer.Option(
    None, "--support-version", help="Version of the case's SupportProvided event."
)
ACTIVITY = typer.Option(None, "--activity", help=" | ".join(a.value for a in ActivityKind))
DESCRIPTION = typer.Option(None, "--description", help="What the activity was.")


@app.command("commit")
@refusing
def commit(
    ctx: typer.Context,
    programme: str = PROGRAMME,
    tid: str = TID,
    allocation: str = typer.Option(..., "--allocation"),
    amount: str = AMOUNT,
    case: str = CASE,
    support_version: int = SUPPORT_VERSION,
    activity: str = ACTIVITY,
    description: str = DESCRIPTION,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
) -> None:
    """Approve a payment from an allocation (cam kết chi): reserves the amount."""
    _record(ctx, programme, Commit, tid, (officer, agency, on, basis), allocation=allocation,
            amount_vnd=amount, case_id=case, support_version=support_version,
            activity=activity, description=description)  # fmt: skip


@app.command("pay")
@refusing
def pay(
    ctx: typer.Context,
    programme: str = PROGRAMME,
    tid: str = TID,
    commitment: str = typer.Option(None, "--commitment", help="The commitment to pay."),
    allocation: str = typer.Option(None, "--allocation", help="Pay directly from it."),
    amount: str = typer.Option(None, "--amount", help="Whole đồng (confirms a commitment's)."),
    case: str = CASE,
    support_version: int = SUPPORT_VERSION,
    activity: str = ACTIVITY,
    description: str = DESCRIPTION,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
) -> None:
    """Pay (chi): a commitment in full, or directly from an allocation."""
    _record(ctx, programme, Pay, tid, (officer, agency, on, basis), commitment=commitment,
            allocation=allocation, amount_vnd=amount, case_id=case,
            support_version=support_version, activity=activity,
            description=description)  # fmt: skip


@app.command("void")
@refusing
def void(
    ctx: typer.Context,
    programme: str = PROGRAMME,
    tid: str = TID,
    commitment: str = typer.Option(..., "--commitment"),
    reason: str = typer.Option(..., "--reason"),
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
) -> None:
    """Release an approved, unpaid commitment (hủy cam kết)."""
    _record(ctx, programme, Void, tid, (officer, agency, on, basis), commitment=commitment,
            reason=reason)  # fmt: skip


@app.command("reverse")
@refusing
def reverse(
    ctx: typer.Context,
    programme: str = PROGRAMME,
    tid: str = TID,
    reverses: str = typer.Option(..., "--reverses", help="The transaction to move back."),
    reason: str = typer.Option(..., "--reason"),
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
) -> None:
    """Correct a posted transaction with a reversing transfer (bút toán đảo)."""
    _record(ctx, programme, Reverse, tid, (officer, agency, on, basis), reverses=reverses,
            reason=reason)  # fmt: skip


# -- reading ----------------------------------------------------------------------------------


@app.command("programmes")
@refusing
def programmes(ctx: typer.Context) -> None:
    """List the programmes."""
    for code in state(ctx).app().funding.codes():
        programme = state(ctx).app().funding.programme(code)
        console.print(f"{code}\t{programme.starts_on}–{programme.ends_on}\t{programme.title}")


@app.command("show")
@refusing
def show(ctx: typer.Context, code: str = typer.Argument(..., help="Programme code.")) -> None:
    """A programme's sources, lines, allocations and account balances (from its events)."""
    programme = state(ctx).app().funding.programme(code)
    programme.ledger.assert_invariants()
    say(
        (programme.code, "bold"),
        f" {programme.title} ({programme.starts_on} –"
        f" {programme.ends_on}), {len(programme.transactions)} transactions;"
        " the ledger balances (Σ = 0)",
    )
    for source in programme.sources.values():
        label = SourceKind.parse(source.kind, "source").label_vi
        console.print(
            f"  source {source.code}: {label}" + (f", {source.donor}" if source.donor else "")
        )
    table = Table(
        "account", "debits posted", "credits posted", "debits pending", "credits pending", "meaning"
    )
    for key, account in programme.ledger.accounts.items():
        table.add_row(
            key,
            *(
                format_vnd(v)
                for v in (
                    account.debits_posted,
                    account.credits_posted,
                    account.debits_pending,
                    account.credits_pending,
                )
            ),
            programme.describe_account(key),
        )
    _print_table(table)


def refreshed_queries(ctx: typer.Context) -> FundingQueries:
    """The funding tables (the registered ``funding`` projection), caught up with the log by
    the in-process runner: positions in ``projection_positions``, as ``socai projections``."""
    application = state(ctx).app()
    engine = projections_engine(state(ctx).settings())
    InProcessRunner(application.log, engine, [FundingProjection()]).run()
    return FundingQueries(engine)


def _print_table(table: Table) -> None:
    wide = Console(highlight=False, markup=False, width=max(console.width, TABLE_MIN_WIDTH_CHARS))
    wide.print(table)


def _dims(by: str) -> tuple[str, ...]:
    return tuple(d.strip() for d in by.split(",") if d.strip())


CSV_OUT = typer.Option(None, "--csv", help="Also write the rows as CSV (whole đồng).")
XLSX_OUT = typer.Option(None, "--xlsx", help="Also write an XLSX workbook.")


@app.command("reconcile")
@refusing
def reconcile(
    ctx: typer.Context,
    by: str = typer.Option(
        "programme,line,source", "--by", help="Comma-separated: " + ", ".join(DIMENSIONS)
    ),
    programme: str = typer.Option(None, "--programme", "-p", help="Only this programme."),
    csv_path: Path | None = CSV_OUT,
    xlsx_path: Path | None = XLSX_OUT,
) -> None:
    """Budget vs allocated vs committed vs disbursed vs remaining, grouped as asked."""
    dims = _dims(by)
    rows = refreshed_queries(ctx).reconcile(dims, programme)
    total = totals(rows)
    table = Table(
        *dims,
        *(f"{MEASURE_HEADERS[m]}\n{m}" for m in MEASURES),
        title="Đối chiếu kinh phí (funding reconciliation)",
    )
    for row in [*rows, total]:
        key = (
            [group_label(d, v) for d, v in zip(dims, row.key, strict=True)]
            if row.key
            else (["TỔNG CỘNG (total)", *[""] * (len(dims) - 1)] if dims else [])
        )
        table.add_row(*key, *(format_vnd(v) for v in row.figures))
    _print_table(table)
    if csv_path:
        write_reconciliation_csv(csv_path, dims, rows)
        console.print(f"wrote {csv_path}")
    if xlsx_path:
        write_reconciliation_xlsx(xlsx_path, dims, rows, total)
        console.print(f"wrote {xlsx_path}")


@app.command("behind")
@refusing
def behind(
    ctx: typer.Context,
    by: str = typer.Option(..., "--by", help="The grouping of the figure (as in reconcile)."),
    key: str = typer.Option(..., "--key", help="The row's key, comma-separated in --by order."),
    measure: str | None = typer.Option(None, "--measure", help=" | ".join(MEASURES)),
    programme: str = typer.Option(None, "--programme", "-p"),
) -> None:
    """The transactions behind one figure, down to the case or the activity."""
    dims = _dims(by)
    if measure is not None and measure not in MEASURES:
        from domain.errors import InvalidInput

        raise InvalidInput(
            "measure", f"{measure!r} is not a figure", hint="one of: " + ", ".join(MEASURES)
        )
    legs = refreshed_queries(ctx).legs(programme)
    table = Table("date", "programme", "transaction", "kind", "for", *MEASURES)
    found = 0
    for leg in legs_behind(legs, dims, tuple(k.strip() for k in key.split(","))):
        if measure is not None and getattr(leg, measure) == 0:
            continue
        found += 1
        what = (
            f"case {leg.case_id} v{leg.support_version}"
            if leg.case_id
            else leg.activity or leg.kind
        )
        table.add_row(
            leg.occurred_on.isoformat(),
            leg.programme,
            leg.transaction_id,
            leg.kind,
            what,
            *(format_vnd(getattr(leg, m)) for m in MEASURES),
        )
    _print_table(table)
    console.print(f"{found} transaction legs")


@app.command("discrepancies")
@refusing
def discrepancies_report(ctx: typer.Context) -> None:
    """Support events with money and no disbursement; disbursements whose case event does
    not exist or disagrees in amount."""
    queries = refreshed_queries(ctx)
    found = discrepancies(queries.legs(), queries.supports())
    labels = {
        "unpaid_support": "support not disbursed",
        "no_such_support": "no such support event",
        "amount_disagrees": "amount disagrees",
    }
    table = Table(
        "problem",
        "case",
        "support event",
        "case records",
        "disbursed",
        "transactions",
        title="Chênh lệch (discrepancies)",
    )
    for item in found:
        table.add_row(
            labels[item.problem],
            str(item.case_id),
            f"v{item.support_version}",
            format_vnd(item.support_amount) if item.support_amount else "—",
            format_vnd(item.disbursed),
            ", ".join(item.transactions),
        )
    _print_table(table)
    console.print(f"{len(found)} discrepancies")
