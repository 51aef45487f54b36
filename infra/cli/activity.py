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
from domain.case.values import Actor
from domain.errors import InvalidInput
from domain.time import business_date, parse_date
from infra.cli.context import console, refusing, state
from infra.cli.options import AGENCY, BASIS, OFFICER, ON

app = typer.Typer(no_args_is_help=True)

UNIT = typer.Option(..., "--unit", help="Unit code on the map in force on that date.")


def _record(
    ctx: typer.Context, kind: str, officer: str, agency: str, fields: dict[str, Any]
) -> None:
    application = state(ctx).app()
    if fields.get("occurred_on") is None:
        fields["occurred_on"] = business_date(application.now()).isoformat()
    command = ACTIVITY_COMMANDS[kind].parse({k: v for k, v in fields.items() if v is not None})
    activity_id = application.activities.record(command, Actor(officer, agency))
    console.print(f"recorded {command.EVENT}: activity {activity_id}")


@app.command()
@refusing
def directive(
    ctx: typer.Context,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    unit: str = UNIT,
    basis: str = BASIS,
    documents: int = typer.Option(1, "--documents", help="Documents issued."),
) -> None:
    """A directive or steering document issued (văn bản chỉ đạo, điều hành)."""
    _record(
        ctx,
        "directive",
        officer,
        agency,
        {"occurred_on": on, "unit_code": unit, "legal_basis": basis, "documents": documents},
    )


@app.command()
@refusing
def session(
    ctx: typer.Context,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    unit: str = UNIT,
    basis: str = BASIS,
    participants: int = typer.Option(..., "--participants"),
    sessions: int = typer.Option(1, "--sessions"),
) -> None:
    """A communication session on trafficking (buổi truyền thông) and its participants."""
    _record(
        ctx,
        "session",
        officer,
        agency,
        {
            "occurred_on": on,
            "unit_code": unit,
            "legal_basis": basis,
            "participants": participants,
            "sessions": sessions,
        },
    )


@app.command()
@refusing
def materials(
    ctx: typer.Context,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    unit: str = UNIT,
    basis: str = BASIS,
    billboards: int = typer.Option(0, "--billboards", help="Pano."),
    posters: int = typer.Option(0, "--posters", help="Áp phích."),
    leaflets: int = typer.Option(0, "--leaflets", help="Tờ rơi."),
) -> None:
    """Billboards, posters and leaflets put up or handed out."""
    _record(
        ctx,
        "materials",
        officer,
        agency,
        {
            "occurred_on": on,
            "unit_code": unit,
            "legal_basis": basis,
            "billboards": billboards,
            "posters": posters,
            "leaflets": leaflets,
        },
    )


@app.command()
@refusing
def training(
    ctx: typer.Context,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    unit: str = UNIT,
    basis: str = BASIS,
    trainees: int = typer.Option(..., "--trainees"),
    courses: int = typer.Option(1, "--courses"),
) -> None:
    """A training course for support staff (cuộc tập huấn) and its trainees."""
    _record(
        ctx,
        "training",
        officer,
        agency,
        {
            "occurred_on": on,
            "unit_code": unit,
            "legal_basis": basis,
            "trainees": trainees,
            "courses": courses,
        },
    )


@app.command()
@refusing
def withdraw(
    ctx: typer.Context,
    activity_id: str = typer.Argument(...),
    officer: str = OFFICER,
    agency: str = AGENCY,
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
        target, Withdraw(day, reason.strip(), basis), Actor(officer, agency)
    )
    console.print(f"withdrew activity {activity_id}")
