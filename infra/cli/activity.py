"""``socai activity``: record programme activities (rollup form section II rows 1–3).

Each command records one activity in a unit on a business date: a directive issued, a
communication session held (with participants), materials distributed (billboards, posters,
leaflets), a training course held (with trainees). ``withdraw`` takes back a wrong record.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import typer

from domain.activity.commands import ACTIVITY_COMMANDS, Withdraw
from domain.errors import InvalidInput
from domain.time import business_date, parse_date
from infra.cli.commands import command
from infra.cli.context import console, state
from infra.cli.declare import Opt, Run, declare
from infra.cli.options import BASIS, ON, STEP_UNIT
from infra.cli.unit_option import unit_on

app = typer.Typer(no_args_is_help=True)

#: Who records the activity, where, when and on what basis; every activity takes them.
STEP = (
    Opt("occurred_on", ON),
    Opt("unit_code", STEP_UNIT),
    Opt("legal_basis", BASIS),
)


def _count(field: str, default: int | None, help: str | None = None) -> Opt:
    """A whole-number count of the activity (``...`` when it must be given)."""
    return Opt(
        field, typer.Option(... if default is None else default, f"--{field}", help=help), int
    )


def _record(kind: str) -> Run:
    def run(ctx: typer.Context, values: dict[str, Any]) -> None:
        application = state(ctx).app()
        if values.get("occurred_on") is None:
            values["occurred_on"] = business_date(application.now()).isoformat()
        values["unit_code"] = unit_on(
            values["unit_code"], parse_date(values["occurred_on"], "--on")
        )
        command = ACTIVITY_COMMANDS[kind].parse({k: v for k, v in values.items() if v is not None})
        activity_id = application.activities.record(command, state(ctx).principal())
        console.print(f"recorded {command.EVENT}: activity {activity_id}")

    return run


declare(app, "directive",
    "A directive or steering document issued (văn bản chỉ đạo, điều hành).",
    (*STEP, _count("documents", 1, "Documents issued.")), _record("directive"))  # fmt: skip
declare(app, "session",
    "A communication session on trafficking (buổi truyền thông) and its participants.",
    (*STEP, _count("participants", None), _count("sessions", 1)), _record("session"))  # fmt: skip
declare(app, "materials", "Billboards, posters and leaflets put up or handed out.",
    (*STEP, _count("billboards", 0, "Pano."), _count("posters", 0, "Áp phích."),
     _count("leaflets", 0, "Tờ rơi.")), _record("materials"))  # fmt: skip
declare(app, "training",
    "A training course for support staff (cuộc tập huấn) and its trainees.",
    (*STEP, _count("trainees", None), _count("courses", 1)), _record("training"))  # fmt: skip


@command(app)
def withdraw(
    ctx: typer.Context,
    activity_id: str = typer.Argument(...),
    on: str = ON,
    reason: str = typer.Option(..., "--reason"),
    basis: str = BASIS,
) -> None:
    """Withdraw a wrongly recorded activity (it stays in the history, no longer counts)."""
    try:
        target = UUID(activity_id)
    except ValueError:
        raise InvalidInput("ACTIVITY_ID", f"{activity_id!r} is not an activity id") from None
    application = state(ctx).app()
    day = parse_date(on, "--on") if on else business_date(application.now())
    if not reason.strip():
        raise InvalidInput("--reason", "must say why")
    application.activities.withdraw(
        target, Withdraw(day, reason.strip(), basis), state(ctx).principal()
    )
    console.print(f"withdrew activity {activity_id}")
