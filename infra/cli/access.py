"""``socai access log``: who read whose personal data, with which purpose; exports; refusals.

For inspectors and the data-protection officer within their scope. Entries name cases by
their pseudonymous id and fields by name; they never hold the data itself.
"""

from __future__ import annotations

import typer

from domain.errors import InvalidInput
from domain.time import VIETNAM_TZ
from infra.cli.case import _case_id as case_id_arg
from infra.cli.commands import command
from infra.cli.context import state
from infra.cli.output import Column, Reply, Report

app = typer.Typer(no_args_is_help=True)


@command(app, "log")
def log(
    ctx: typer.Context,
    reply: Reply,
    case: str = typer.Option(None, "--case", help="A case id: every access to it."),
    user: str = typer.Option(None, "--user", help="A username: everything they accessed."),
) -> None:
    """The access log of one case or one user, oldest first (record times in Viet Nam time)."""
    if (case is None) == (user is None):
        raise InvalidInput("--case/--user", "name exactly one of --case ID or --user NAME")
    cli = state(ctx)
    service = cli.app().access_log
    if case is not None:
        entries = service.for_case(cli.principal(), case_id_arg(case))
    else:
        entries = service.for_user(cli.principal(), str(user))
    rows = [
        {
            **e.as_dict(),
            "recorded_at": e.recorded_at.astimezone(VIETNAM_TZ).isoformat("T", "seconds"),
        }
        for e in entries
    ]
    columns = (
        Column("position", "#", "right"),
        Column("recorded_at", "ghi nhận lúc (recorded, Viet Nam time)"),
        Column("user", "user"),
        Column("kind", "what"),
        Column("case_id", "case"),
        Column("fields", "fields"),
        Column("purpose", "purpose"),
        Column("detail", "detail"),
    )
    about = f"case {case}" if case else f"user {user}"
    report = Report(columns, rows, f"access log of {about}", {"of": about})
    reply.answer(cli, report, "access log", about)
