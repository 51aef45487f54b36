"""``socai access log``: who read whose personal data, with which purpose; exports; refusals.

For inspectors and the data-protection officer within their scope. Entries name cases by
their pseudonymous id and fields by name; they never hold the data itself.
"""

from __future__ import annotations

import json

import typer
from rich.table import Table

from domain.errors import InvalidInput
from infra.cli.case import _case_id as case_id_arg
from infra.cli.context import console, refusing, state
from infra.cli.options import FORMAT

app = typer.Typer(no_args_is_help=True)


@app.command("log")
@refusing
def log(
    ctx: typer.Context,
    case: str = typer.Option(None, "--case", help="A case id: every access to it."),
    user: str = typer.Option(None, "--user", help="A username: everything they accessed."),
    format_: str = FORMAT,
) -> None:
    """The access log of one case or one user, oldest first."""
    if (case is None) == (user is None):
        raise InvalidInput("--case/--user", "name exactly one of --case ID or --user NAME")
    if format_ not in ("text", "json"):
        raise InvalidInput("--format", f"{format_!r} is not text or json")
    cli = state(ctx)
    service = cli.app().access_log
    if case is not None:
        entries = service.for_case(cli.principal(), case_id_arg(case))
    else:
        entries = service.for_user(cli.principal(), str(user))
    if format_ == "json":
        console.print_json(json.dumps([e.as_dict() for e in entries]))
        return
    table = Table(title=f"access log of {'case ' + case if case else 'user ' + user}")
    for column in ("#", "recorded (UTC)", "user", "what", "case", "fields", "purpose", "detail"):
        table.add_column(column)
    for e in entries:
        table.add_row(
            str(e.position),
            e.recorded_at.isoformat()[:19],
            e.username,
            e.kind,
            str(e.case_id or "-"),
            ", ".join(e.fields) or "-",
            e.purpose or "-",
            e.detail or "-",
        )
    console.print(table)
