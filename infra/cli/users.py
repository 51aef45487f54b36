"""``socai users``, ``socai login``, ``logout`` and ``whoami``: people and their credentials.

The first administrator is created by ``socai users init``; administrators then register users,
grant them roles over a scope on the basis of an assignment decision, revoke, suspend,
reinstate and reset credentials. New credentials are written to a file readable only by its
owner (mode 0600), never printed. ``socai login`` checks the password (and the one-time code of
a user who reads personal data) and keeps a token, also mode 0600, that every later command
presents. Every check happens in :class:`infra.services.access.AccessService`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer

from domain.access.roles import Role
from domain.time import VIETNAM_TZ
from infra.auth.files import write_secret_file
from infra.auth.tokens import NotAuthenticated
from infra.cli.commands import cli_command, command
from infra.cli.context import CliState, console, state
from infra.cli.options import BASIS, required_basis
from infra.cli.output import Column, Reply, Report
from infra.services.access import NewCredentials

app = typer.Typer(no_args_is_help=True)

AGENCY = typer.Option(
    ..., "--agency", help="The user's agency (cơ quan), e.g. border_guard, police."
)
CREDENTIALS_OUT = typer.Option(
    None,
    "--credentials-out",
    help="File for the new credentials, mode 0600 (default: USERNAME.credentials.json beside"
    " the store).",
)
TOKEN_OUT = typer.Option(..., "--out", help="File for the token (mode 0600).")
REASON = typer.Option(..., "--reason", help="Why (kept in the ledger).")


def _password(prompt: str, envvar: str) -> str:
    """A password from the environment (scripts) or typed without echo."""
    given = os.environ.get(envvar)
    if given:
        return given
    return str(typer.prompt(prompt, hide_input=True))


def _credentials_file(cli: CliState, given: Path | None, username: str) -> Path:
    if given is not None:
        return given
    sqlite = cli.settings().store.sqlite_path
    folder = sqlite.parent if sqlite is not None else Path.cwd()
    return folder / f"{username}.credentials.json"


def _write_credentials(path: Path, credentials: NewCredentials) -> None:
    write_secret_file(path, json.dumps(credentials.as_dict(), indent=2) + "\n")
    parts = ["password"] if credentials.password else []
    parts += ["TOTP secret (add it to an authenticator app)"] if credentials.totp_secret else []
    parts += ["API token"] if credentials.token else []
    console.print(
        f"credentials of {credentials.username} ({', '.join(parts)}) written to {path}"
        " (mode 0600): hand them over in person and delete the file"
    )


@command(app, "init")
def init(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="The first administrator's officer id."),
    agency: str = AGENCY,
    credentials_out: Path = CREDENTIALS_OUT,
) -> None:
    """Create the first administrator (national) of a store that has no users yet."""
    cli = state(ctx)
    credentials = cli.app().access.init(username, agency, os.environ.get("SOCAI_PASSWORD"))
    console.print(f"administrator {credentials.username} created (national scope)")
    _write_credentials(_credentials_file(cli, credentials_out, username), credentials)


@command(app, "register")
def register(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="The officer id the user signs with."),
    agency: str = AGENCY,
    totp: bool = typer.Option(
        None,
        "--totp/--no-totp",
        help="Enrol a second factor (needed to read personal data); default: yes, but no for"
        " --service.",
    ),
    service: bool = typer.Option(
        False, "--service", help="A service user (relay, worker): an API token, no password."
    ),
    basis: str | None = BASIS,
    credentials_out: Path = CREDENTIALS_OUT,
) -> None:
    """Register a user (no role yet: grant one next)."""
    cli = state(ctx)
    credentials = cli.app().access.register(
        cli.principal(), username, agency, second_factor=totp, service=service, legal_basis=basis
    )
    console.print(f"registered {credentials.username}")
    _write_credentials(_credentials_file(cli, credentials_out, username), credentials)


@command(app, "grant")
def grant(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    role: str = typer.Option(..., "--role", help=", ".join(r.value for r in Role)),
    scope: str = typer.Option(
        ...,
        "--scope",
        help="VN, or a province or commune on the map in force: 2025:82, a code or a name.",
    ),
    basis: str | None = BASIS,
) -> None:
    """Grant a role over a scope (phân công), on the basis of its assignment decision."""
    basis = required_basis(basis, "a grant (phân công)")
    cli = state(ctx)
    parsed = Role.parse(role, "--role")
    assert isinstance(parsed, Role)
    given = cli.app().access.grant(cli.principal(), username, parsed, scope, basis)
    console.print(f"granted {username} {given.describe()} as {given.grant_id}")


@command(app, "revoke")
def revoke(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    grant_id: str = typer.Argument(..., help="The grant's id from `socai users show`."),
    reason: str = REASON,
) -> None:
    """Revoke one grant."""
    cli = state(ctx)
    cli.app().access.revoke(cli.principal(), username, grant_id, reason)
    console.print(f"revoked {grant_id} of {username}")


@command(app, "suspend")
def suspend(ctx: typer.Context, username: str = typer.Argument(...), reason: str = REASON) -> None:
    """Suspend a user: every command of theirs is refused until reinstated."""
    cli = state(ctx)
    cli.app().access.suspend(cli.principal(), username, reason)
    console.print(f"suspended {username}")


@command(app, "reinstate")
def reinstate(
    ctx: typer.Context, username: str = typer.Argument(...), reason: str = REASON
) -> None:
    """Lift a suspension."""
    cli = state(ctx)
    cli.app().access.reinstate(cli.principal(), username, reason)
    console.print(f"reinstated {username}")


@command(app, "reset")
def reset(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    totp: bool = typer.Option(True, "--totp/--no-totp", help="Enrol a new second factor."),
    credentials_out: Path = CREDENTIALS_OUT,
) -> None:
    """New credentials for another user; all their tokens are revoked."""
    cli = state(ctx)
    credentials = cli.app().access.reset(cli.principal(), username, totp)
    _write_credentials(_credentials_file(cli, credentials_out, username), credentials)


@command(app, "password")
def password(ctx: typer.Context) -> None:
    """Change your own password (SOCAI_PASSWORD / SOCAI_NEW_PASSWORD, or typed)."""
    cli = state(ctx)
    principal = cli.principal()  # "not logged in" comes before any password is asked
    cli.app().access.password_user(principal)  # and so does "a service user has none"
    current = _password("Current password", "SOCAI_PASSWORD")
    new = _password("New password", "SOCAI_NEW_PASSWORD")
    cli.app().access.change_password(principal, current, new)
    console.print("password changed; every token was revoked: log in again")


@command(app, "token")
def token(
    ctx: typer.Context,
    out: Path = TOKEN_OUT,
    days: int = typer.Option(30, "--days", help="Days until it expires."),
    label: str = typer.Option("script", "--label", help="What it is for."),
    user: str = typer.Option(None, "--user", help="A service user (administrators)."),
) -> None:
    """An API token for a script or a service user."""
    cli = state(ctx)
    issued = cli.app().access.issue_token(cli.principal(), days, label, user)
    write_secret_file(out, f"{issued}\n")
    console.print(
        f"token {issued.token_id} for {issued.username} written to {out} (mode 0600);"
        " use it with --token-file or SOCAI_TOKEN"
    )


@command(app, "revoke-token")
def revoke_token(
    ctx: typer.Context,
    token_id: str = typer.Argument(...),
    user: str = typer.Option(None, "--user", help="Another user's token (administrators)."),
) -> None:
    """Revoke one token."""
    cli = state(ctx)
    cli.app().access.revoke_token(cli.principal(), token_id, user)
    console.print(f"revoked token {token_id}")


@command(app, "list")
def list_(ctx: typer.Context, reply: Reply) -> None:
    """Registered users, their grants and state (administrators)."""
    cli = state(ctx)
    rows = [
        {
            "user": user.username,
            "agency": user.agency,
            "suspended": user.suspended,
            "second_factor": bool(user.totp_secret),
            "grants": [f"{g.grant_id} {g.describe()}" for g in user.grants.values()],
        }
        for user in cli.app().access.listed(cli.principal())
    ]
    columns = (
        Column("user", "user"),
        Column("agency", "agency"),
        Column("suspended", "suspended"),
        Column("second_factor", "2nd factor"),
        Column("grants", "grants"),
    )
    reply.answer(cli, Report(columns, rows, "users (người dùng)"), "users list", "users")


@command(app, "show")
def show(
    ctx: typer.Context,
    reply: Reply,
    username: str = typer.Argument(...),
) -> None:
    """One user: grants with their bases, tokens (ids and expiry only, Viet Nam time)."""
    cli = state(ctx)
    (user,) = cli.app().access.listed(cli.principal(), username)
    rows: list[dict[str, object]] = [
        {
            "what": "grant",
            "id": g.grant_id,
            "role": g.role.value,
            "scope": g.scope.label(),
            "basis": g.legal_basis,
            "label": None,
            "expires_at": None,
            "revoked": None,
        }
        for g in user.grants.values()
    ]
    rows += [
        {
            "what": "token",
            "id": token_id,
            "role": None,
            "scope": None,
            "basis": None,
            "label": info.label,
            "expires_at": info.expires_at.astimezone(VIETNAM_TZ).isoformat("T", "minutes"),
            "revoked": info.revoked,
        }
        for token_id, info in user.tokens.items()
    ]
    columns = tuple(Column(key, key) for key in rows[0]) if rows else (Column("what", "what"),)
    meta = {"user": user.username, "agency": user.agency, "suspended": user.suspended}
    report = Report(columns, rows, f"user {user.username}", meta)
    reply.answer(cli, report, "users show", user.username)


@cli_command
def login(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Your officer id."),
    totp: str = typer.Option(None, "--totp", envvar="SOCAI_TOTP", help="One-time code."),
    hours: int = typer.Option(12, "--hours", min=1, max=12, help="How long the login lasts."),
) -> None:
    """Log in (đăng nhập): password (SOCAI_PASSWORD or typed) and one-time code; the token is
    kept in the token file (mode 0600) for the next commands."""
    cli = state(ctx)
    secret = _password("Password", "SOCAI_PASSWORD")
    principal, issued = cli.app().access.login(username, secret, totp, hours)
    path = cli.token_path()
    write_secret_file(path, f"{issued}\n")
    console.print(
        f"logged in as {principal.username} ({principal.roles()});"
        f" {'with' if principal.second_factor else 'without'} a second factor;"
        f" token kept in {path} (mode 0600) for {hours} h"
    )


@cli_command
def logout(ctx: typer.Context) -> None:
    """Log out: revoke this login's token and delete the token file."""
    cli = state(ctx)
    path = cli.token_path()
    try:
        principal = cli.principal()
    except NotAuthenticated:
        path.unlink(missing_ok=True)
        console.print("not logged in")
        return
    cli.app().access.revoke_token(principal, principal.token_id)
    path.unlink(missing_ok=True)
    console.print(f"logged out {principal.username}")


@cli_command
def whoami(ctx: typer.Context, reply: Reply) -> None:
    """Who the token says you are, and your grants."""
    principal = state(ctx).principal()
    rows = [
        {"role": g.role.value, "scope": g.scope.label(), "basis": g.legal_basis}
        for g in principal.grants
    ]
    columns = (Column("role", "role"), Column("scope", "scope"), Column("basis", "basis"))
    meta = {
        "user": principal.username,
        "agency": principal.agency,
        "second_factor": principal.second_factor,
    }
    report = Report(columns, rows, f"{principal.username} ({principal.agency})", meta)
    reply.answer(state(ctx), report, "whoami", principal.username)
