"""``socai person``: the rights of a data subject (quyền của chủ thể dữ liệu).

``socai person erase CASE --who victim|relative:N --basis DOC --reason CODE`` carries out a
decision to erase one person's data (the data-protection officer of the case's unit, logged
in with a one-time code): their data key is destroyed, an erasure event is recorded, and every
view shows "erased on DATE by decision DOC" where the data was (docs/PRIVACY.md).

``socai person export CASE --who victim|relative:N -o FILE.json|FILE.xlsx`` writes the data
subject's own file (subject access): their data, the steps of their case, the case's access
log; the same officer, with a one-time code; the read and the export are logged.

``socai person retention --who victim|relative --keep-years N --basis DOC`` records the decision
setting how long a kind of person's identity is kept after the case's closure (the
data-protection officer with a national grant and a one-time code); ``socai person
due-for-erasure [--on DATE]`` lists who is due under it (case ids and subjects, never a name):
the input to the decisions ``person erase`` carries out.
"""

from __future__ import annotations

from pathlib import Path

import typer

from domain.access.roles import ErasureReason
from domain.time import VIETNAM_TZ, business_date, parse_date
from infra.cli.case import _case_id as case_id_arg
from infra.cli.commands import command
from infra.cli.context import say, state
from infra.cli.options import BASIS, ON, OUTPUT, required_basis
from infra.cli.output import Column, Reply, Report
from infra.privacy.subject_file import file_format, write_subject_file

app = typer.Typer(no_args_is_help=True)

WHO = typer.Option(
    ..., "--who", help="victim, or relative:N (N: the version of the protection naming them)."
)

REASONS = " | ".join(r.value for r in ErasureReason)


@command(app, "erase")
def erase(
    ctx: typer.Context,
    case_id: str,
    who: str = WHO,
    basis: str | None = BASIS,
    reason: str = typer.Option(..., "--reason", help=f"Its ground: {REASONS}"),
) -> None:
    """Erase a person's data (xóa dữ liệu cá nhân) by destroying their data key; data recorded
    inside events before per-person keys is redacted (docs/PRIVACY.md). The ledger's proofs,
    reports and counts stay exactly as they were."""
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
    if done.redacted:
        say(
            f"{len(done.redacted)} events recorded before per-person keys redacted (positions"
            f" {', '.join(map(str, done.redacted))}): their data overwritten, their original"
            " leaf hashes kept for `socai audit verify`."
        )
    if done.vacuumed and not done.wal_truncated and application.settings.store.kind == "sqlite":
        say(
            "warning: another process kept the WAL busy, so it may still hold the deleted"
            " key until SQLite's next checkpoint; stop the other processes using the store",
            err=True,
        )


@command(app, "export")
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


@command(app, "retention")
def retention(
    ctx: typer.Context,
    who: str = typer.Option(..., "--who", help="victim or relative: one retention per kind."),
    years: int = typer.Option(
        ..., "--keep-years", help="Whole years kept after the case's closure."
    ),
    basis: str | None = BASIS,
) -> None:
    """Set how long a kind of person's identity is kept after the case's closure (thời hạn
    lưu trữ), by decision. Recorded in the ledger; erases nothing by itself."""
    basis = required_basis(basis, "a retention (thời hạn lưu trữ)")
    cli = state(ctx)
    rule = cli.app().retention.set(cli.principal(), who, years, basis)
    say(f"retention of {rule.kind}: {rule.years} years after closure, by decision {rule.basis}.")


@command(app, "due-for-erasure")
def due_for_erasure(ctx: typer.Context, reply: Reply, on: str | None = ON) -> None:
    """Who is due for erasure under the retention policy on a date (đến hạn xóa): case id,
    person, closed on, due since, the decision. Names no one and erases nothing: each
    erasure is a decision, carried out by `socai person erase`."""
    cli = state(ctx)
    application = cli.app()
    day = parse_date(on, "--on") if on else business_date(application.now())
    due = application.retention.due(cli.principal(), day)
    rules = application.retention.rules()
    rows = [
        {
            "case_id": d.case_id,
            "subject": d.subject,
            "closed_on": d.closed_on,
            "due_since": d.due_since,
            "years": d.years,
            "basis": d.basis,
        }
        for d in due
    ]
    policy = {
        kind: f"{r.years} years after closure, decision {r.basis}"
        f" ({r.set_at.astimezone(VIETNAM_TZ).date().isoformat()}, {r.username})"
        for kind, r in sorted(rules.items())
    }
    columns = (
        Column("case_id", "case id"),
        Column("subject", "person"),
        Column("closed_on", "closed on"),
        Column("due_since", "due since"),
        Column("years", "years", "right"),
        Column("basis", "decision"),
    )
    meta = {"on": day, "policy": policy or "no retention set (socai person retention)"}
    report = Report(columns, rows, f"due for erasure on {day} ({len(rows)})", meta)
    reply.answer(cli, report, "person due-for-erasure", str(day))
