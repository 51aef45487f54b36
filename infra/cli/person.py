"""``socai person``: the rights of a data subject (quyền của chủ thể dữ liệu).

``socai person erase CASE --who victim|relative:N --basis DOC --reason CODE`` carries out a
decision to erase one person's data (the data-protection officer of the case's unit, logged
in with a one-time code): their data key is destroyed, an erasure event is recorded, and every
view shows "erased on DATE by decision DOC" where the data was (docs/PRIVACY.md).

``socai person export CASE --who victim|relative:N -o FILE.json|FILE.xlsx`` writes the data
subject's own file (subject access): their data, the steps of their case, the case's access
log; the same officer, with a one-time code; the read and the export are logged.
"""

from __future__ import annotations

from pathlib import Path

import typer

from domain.access.roles import ErasureReason
from infra.cli.case import _case_id as case_id_arg
from infra.cli.context import refusing, say, state
from infra.cli.options import BASIS, OUTPUT, required_basis
from infra.privacy.subject_file import file_format, write_subject_file

app = typer.Typer(no_args_is_help=True)

WHO = typer.Option(
    ..., "--who", help="victim, or relative:N (N: the version of the protection naming them)."
)

REASONS = " | ".join(r.value for r in ErasureReason)


@app.command("erase")
@refusing
def erase(
    ctx: typer.Context,
    case_id: str,
    who: str = WHO,
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


@app.command("export")
@refusing
def export(ctx: typer.Context, case_id: str, who: str = WHO, output: Path = OUTPUT) -> None:
    """A data subject's own file (quyền truy cập dữ liệu): their data, the steps of their
    case and who accessed it, as JSON or XLSX by -o's extension. Logged."""
    fmt = file_format(output)
    cli = state(ctx)
    cid = case_id_arg(case_id)
    made = cli.app().subject_access.subject_file(cli.principal(), cid, who)
    write_subject_file(made.as_dict(), output, fmt)
    cli.exported(output, "person export", f"{cid}/{made.subject}", fmt)
    say(
        f"wrote {output}: {made.subject} of case {cid}, {len(made.data)} values,"
        f" {len(made.steps)} steps, {len(made.access)} access-log entries."
    )
