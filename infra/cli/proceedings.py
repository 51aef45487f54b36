"""``socai proceedings``: criminal cases of trafficking (vụ án mua bán người).

``open`` records the decision to open a case (khởi tố) in a unit, for the victims' cases it
concerns (their ids) and the number of accused; ``solve``, ``prosecute``, ``try`` record the
investigation's conclusion, the indictment and the judgment; ``suspend`` a suspension.
Defendants are counted, never named. ``list`` shows the criminal cases of a unit.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.access.policy import Action
from domain.access.principal import Principal
from domain.errors import InvalidInput
from domain.proceedings.commands import STAGE_COMMANDS, SUSPENSION_REASONS, Open
from domain.reference.units import AdminMap
from domain.time import business_date, parse_date
from infra.cli.commands import command
from infra.cli.context import console, state
from infra.cli.declare import Opt, Run, declare, option
from infra.cli.options import ON, STEP_UNIT
from infra.cli.output import Column, Reply, Report
from infra.cli.unit_option import ReportUnit, unit_on
from infra.projection_db import projections_engine, runner_for
from projections.proceedings import proceedings_status
from projections.rollup import resolve_unit, unit_filter

app = typer.Typer(no_args_is_help=True)

#: Who records it, and when; every stage names its document and the deciding body.
STEP = (
    Opt("occurred_on", ON),
    Opt("legal_basis", typer.Option(..., "--decision", help="Document number of the stage.")),
    Opt("deciding_body", typer.Option(..., "--by", help="police, border_guard, procuracy, court")),
)
DEFENDANTS = Opt(
    "defendants", typer.Option(..., "--defendants", help="How many accused (counted only)."), int
)
ID = Opt("proceedings_id", typer.Argument(..., help="The criminal case's id."))


def _prepare(ctx: typer.Context, values: dict[str, Any]) -> Principal:
    if values.get("occurred_on") is None:
        values["occurred_on"] = business_date(state(ctx).app().now()).isoformat()
    return state(ctx).principal()


def _open(ctx: typer.Context, values: dict[str, Any]) -> None:
    principal = _prepare(ctx, values)
    values["unit_code"] = unit_on(values["unit_code"], parse_date(values["occurred_on"], "--on"))
    new_id = state(ctx).app().proceedings.open(Open.parse(values), principal)
    console.print(f"opened: criminal case {new_id}")


def _stage(name: str) -> Run:
    def run(ctx: typer.Context, values: dict[str, Any]) -> None:
        principal = _prepare(ctx, values)
        text = values.pop("proceedings_id")
        try:
            proceedings_id = UUID(text)
        except ValueError:
            raise InvalidInput("PROCEEDINGS_ID", f"{text!r} is not a criminal case id") from None
        command = STAGE_COMMANDS[name].parse(values)
        version = state(ctx).app().proceedings.advance(proceedings_id, command, principal)
        console.print(f"recorded {command.STAGE} as version {version} of {proceedings_id}")

    return run


declare(app, "open", "Open a criminal case of trafficking (khởi tố vụ án).", (
    *STEP,
    Opt("unit_code", STEP_UNIT),
    Opt("victim_case_ids", typer.Option(..., "--victim", help="A victim's case id (repeat)."),
        list[str]),
    DEFENDANTS,
), _open)  # fmt: skip
declare(app, "solve", "The investigation concluded: solved (điều tra làm rõ).",
        (ID, *STEP, DEFENDANTS), _stage("solve"))  # fmt: skip
declare(app, "prosecute", "The procuracy indicts (truy tố).",
        (ID, *STEP, DEFENDANTS), _stage("prosecute"))  # fmt: skip
declare(app, "try", "A court judged the case (xét xử).", (ID, *STEP, DEFENDANTS), _stage("try"))
declare(app, "suspend", "Suspend the case (tạm đình chỉ), with a reason code.", (
    ID, *STEP,
    option("reason", "--reason", help=" | ".join(SUSPENSION_REASONS)),
), _stage("suspend"))  # fmt: skip


@command(app, "list")
def list_(
    ctx: typer.Context,
    where: ReportUnit,
    reply: Reply,
) -> None:
    """Criminal cases in a unit: stages reached, dates, defendants, victims' cases."""
    cli = state(ctx)
    chosen_map, unit = cli.allowed_unit(Action.REPORT_READ, where, AdminMap.NEW, "proceedings")
    application = cli.app()
    engine = projections_engine(cli.settings())
    runner_for(application.log, engine).run()
    target = resolve_unit(chosen_map, unit)
    query = (
        select(proceedings_status)
        .where(unit_filter(proceedings_status, chosen_map, target))
        .order_by(proceedings_status.c.opened_on, proceedings_status.c.proceedings_id)
    )
    with Session(engine) as session:
        rows = [dict(r._mapping) for r in session.execute(query)]
    columns = tuple(
        Column(name, name.replace("_", " "))
        for name in (
            "proceedings_id", "unit_map", "unit_code", "opened_on", "solved_on", "prosecuted_on",
            "tried_on", "suspended_on", "defendants_opened", "defendants_tried", "victims",
        )
    )  # fmt: skip
    report = Report(columns, rows, f"vụ án in {target}")
    reply.answer(cli, report, "proceedings list", f"{chosen_map.value}:{unit}")
