"""``socai person``: the rights of a data subject (quyền của chủ thể dữ liệu).

``socai person erase CASE --who victim|relative:N --basis DOC --reason CODE`` carries out a
decision to erase one person's data (the data-protection officer of the case's unit, logged
in with a one-time code): their data key is destroyed, an erasure event is recorded, and every
view shows "erased on DATE by decision DOC" where the data was (docs/PRIVACY.md).
"""

from __future__ import annotations

import typer

from domain.access.roles import ErasureReason
from infra.cli.case import _case_id as case_id_arg
from infra.cli.context import refusing, say, state
from infra.cli.options import BASIS, required_basis

app = typer.Typer(no_args_is_help=True)

REASONS = " | ".join(r.value for r in ErasureReason)


@app.command("erase")
@refusing
def erase(
    ctx: typer.Context,
    case_id: str,
    who: str = typer.Option(
        ..., "--who", help="victim, or relative:N (N: the version of the protection naming them)."
    ),
    basis: str | None = BASIS,
    reason: str = typer.Option(..., "--reason", help=f"Its ground: {REASONS}"),
) -> None:
    """Erase a person's data (xóa dữ liệu cá nhân) by destroying their data key. The events,
    the ledger and its proofs, reports and counts stay exactly as they were."""
    basis = required_basis(basis, "an erasure (xóa dữ liệu)")
    cli = state(ctx)
    cid = case_id_arg(case_id)
    application = cli.app()
    done = application.privacy.erase(cli.principal(), cid, who, basis, reason)
    erasure = application.privacy.erasure(cid, who.strip())
    assert erasure is not None
    say(f"{erasure.subject} of case {cid}: {erasure.notice} ({erasure.reason}).")
    cleaned = "; database file rewritten (VACUUM)" if done.vacuumed else ""
    wal = "; WAL emptied" if done.wal_truncated else ""
    say(f"data key destroyed; {done.records} sealed records deleted{cleaned}{wal}.")
    if done.vacuumed and not done.wal_truncated and application.settings.store.kind == "sqlite":
        say(
            "warning: another process kept the WAL busy, so it may still hold the deleted"
            " key until SQLite's next checkpoint; stop the other processes using the store",
            err=True,
        )
