"""``socai audit``: prove to an inspector that nothing in the ledger was changed.

None of these commands needs the store's encryption key: they read hashes and the stored
(encrypted) bytes only. ``verify-proof`` needs no store at all.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from domain.errors import InvalidInput
from infra.audit_store import ERASURE_AUTHORITY, ledger_tables
from infra.cli.commands import command
from infra.cli.context import (
    EXIT_OK,
    EXIT_REFUSED,
    console,
    err_console,
    report_error,
    say,
    state,
)
from infra.cli.files import read_json_file
from infra.cli.output import Column, Reply, Report
from infra.cli.progress import progress
from infra.ledger.audit import Report as VerifyReport
from infra.ledger.audit import verify_store, witnessed
from infra.ledger.checkpoints import (
    add_cosignatures,
    checkpoint_bytes,
    cosign,
    create_signing_key,
    export_checkpoints,
    load_signing_key,
    load_trusted_public_key,
    make_checkpoint,
    public_key_path,
    read_anchor_dir,
    read_checkpoint_file,
    read_note_checkpoint_file,
)
from infra.ledger.errors import LedgerError
from infra.ledger.proofs import consistency_proof, inclusion_proof
from infra.ledger.store import LedgerTables
from infra.ledger.verifier import Checkpoint, VerificationError, verify_proof_document
from infra.ledger_settings import signing_key_path

#: The largest log position a store can hold (a signed 64-bit integer in SQLite and PostgreSQL).
MAX_LOG_POSITION = 2**63 - 1

app = typer.Typer(no_args_is_help=True)

#: ``verify``: the log was altered (and ``verify-proof``: the proof does not hold).
EXIT_NOT_INTACT = 1
#: ``verify``: intact as far as it goes, but its newest events are under no signed checkpoint.
EXIT_UNSIGNED_TAIL = 3
#: ``verify``: intact and signed, but fewer than ``--quorum`` listed witnesses cosigned the
#: newest checkpoint.
EXIT_UNWITNESSED = 4

PublicKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--public-key",
        help="The operator's Ed25519 public key (PEM); default: beside the signing key.",
    ),
]
OutOption = Annotated[
    Path | None, typer.Option("--out", help="Write the proof here (default: stdout).")
]


@contextmanager
def _proving(
    ctx: typer.Context, public_key: Path | None
) -> Iterator[tuple[LedgerTables, Ed25519PublicKey]]:
    """The store's ledger tables and the operator's public key a proof is checked against
    (``--public-key``, default: the one beside the signing key)."""
    settings = state(ctx).settings()
    key = load_trusted_public_key(public_key or public_key_path(signing_key_path(settings)))
    with ledger_tables(settings) as tables:
        yield tables, key


def _witness_keys(specs: list[str]) -> dict[str, Ed25519PublicKey]:
    """``NAME=PUBKEYFILE`` options as witness name → Ed25519 public key."""
    keys: dict[str, Ed25519PublicKey] = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path or name in keys:
            raise LedgerError(
                f"--witness {spec!r} is not NAME=PUBKEYFILE (each witness once)",
                hint="e.g. --witness witness.example/w1=w1.pub.pem",
            )
        keys[name] = load_trusted_public_key(Path(path))
    return keys


def _write(document: dict[str, Any], out: Path | None) -> None:
    text = json.dumps(document, indent=2, sort_keys=True) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)
        err_console.print(f"wrote {out}")


@command(app, "keygen")
def keygen(ctx: typer.Context) -> None:
    """Create the Ed25519 key that signs checkpoints (kept outside the database)."""
    path = signing_key_path(state(ctx).settings())
    create_signing_key(path)
    console.print(
        f"created signing key {path} (mode 0600) and public key"
        f" {public_key_path(path)}: give the public key to inspectors."
    )


@command(app, "verify")
def verify(
    ctx: typer.Context,
    reply: Reply,
    public_key: Annotated[
        Path | None,
        typer.Option(
            "--public-key",
            help="The operator's Ed25519 public key (PEM) as the inspector pinned it"
            " (never the one beside the store).",
        ),
    ] = None,
    anchors: Annotated[
        Path | None,
        typer.Option(
            "--anchors", help="Directory of checkpoints exported earlier and kept elsewhere."
        ),
    ] = None,
    last_checkpoint: Annotated[
        Path | None,
        typer.Option("--last-checkpoint", help="The newest checkpoint file the inspector saw."),
    ] = None,
    witness: Annotated[
        list[str] | None,
        typer.Option(
            "--witness", help="NAME=PUBKEYFILE of a witness the inspector trusts (repeatable)."
        ),
    ] = None,
    quorum: Annotated[
        int | None,
        typer.Option(
            "--quorum",
            min=0,
            help="Witness cosignatures the newest checkpoint needs (default: every --witness).",
        ),
    ] = None,
) -> None:
    """Recompute every leaf, link and checkpoint from the raw rows. Exit 0: intact and every
    event under a signed checkpoint; 1: altered; 3: intact but with an unsigned tail; 4: the
    newest checkpoint lacks the --quorum of --witness cosignatures. ``--format json|csv`` or
    ``-o FILE``: the verdict and each finding as data (the same exit status)."""
    settings = state(ctx).settings()
    witnesses = _witness_keys(witness or [])
    needed = len(witnesses) if quorum is None else quorum
    if needed > len(witnesses):
        raise LedgerError(
            f"--quorum {needed} needs at least {needed} --witness keys, got {len(witnesses)}",
            hint="list each trusted witness as --witness NAME=PUBKEYFILE",
        )
    with ledger_tables(settings) as tables:
        if public_key is None:
            raise LedgerError(
                "verify needs the public key the inspector pinned",
                hint="pass --public-key with the key the operator published; a key beside the"
                " store proves nothing to whoever could replace both",
            )
        key = load_trusted_public_key(public_key)
        anchored = read_anchor_dir(anchors) if anchors else []
        if last_checkpoint is not None:
            anchored.append(read_checkpoint_file(last_checkpoint))
        total = max(tables.count_rows())
        with progress("verifying the ledger", total) as advance:
            report = verify_store(
                tables, key, anchored, progress=advance, erasure=ERASURE_AUTHORITY
            )
    cosigned = witnessed(report, witnesses)
    if reply.as_data:
        verdict = _verdict(report, cosigned, needed)
        reply.emit(verdict)
        raise typer.Exit(verdict.meta["exit_status"])
    if not report.intact:
        first = report.first
        say(
            ("NOT INTACT", "bold red"),
            f" after {report.events} good events. First problem: {first}",
        )
        for finding in report.findings:
            if finding is not first:
                console.print(f"  also: {finding}", soft_wrap=True)
        raise typer.Exit(EXIT_NOT_INTACT)
    summary = f"{report.events} events, {report.checkpoints_checked} signed checkpoints verified"
    if report.redacted:
        summary += (
            f"; {len(report.redacted)} redacted by an authorised erasure (positions"
            f" {', '.join(map(str, report.redacted))}: chained by their original leaf hash,"
            " their content overwritten)"
        )
    if report.unsigned_tail:
        say(
            ("UNSIGNED TAIL", "bold yellow"),
            f": {summary}; the newest {report.unsigned_tail}"
            f" events (after position {report.covered_position}) are covered by no signed"
            " checkpoint, so nothing proves them unchanged",
        )
        say(
            "  ",
            ("hint:", "yellow"),
            " the operator signs one with `socai audit checkpoint`; verify"
            " again with the newly exported checkpoint as --last-checkpoint",
            err=True,
        )
        raise typer.Exit(EXIT_UNSIGNED_TAIL)
    if len(cosigned) < needed:
        size = report.newest.tree_size if report.newest is not None else 0
        say(
            ("UNWITNESSED", "bold yellow"),
            f": {summary}; the newest checkpoint (size {size}) has"
            f" {len(cosigned)} valid cosignatures of the listed witnesses"
            f" ({', '.join(cosigned) or 'none'}), the quorum is {needed}",
        )
        say(
            "  ",
            ("hint:", "yellow"),
            " the operator has witnesses cosign the newest exported checkpoint"
            " (`socai audit cosign`) and stores it back (`socai audit add-cosignature`)",
            err=True,
        )
        raise typer.Exit(EXIT_UNWITNESSED)
    witnessed_note = f", cosigned by {', '.join(cosigned)}" if cosigned else ""
    console.print(f"intact: {summary}{witnessed_note}")


def _verdict(report: VerifyReport, cosigned: list[str], needed: int) -> Report:
    """The outcome of ``verify`` as data: the verdict, its exit status and the figures it
    rests on (meta), and one row per finding (what is wrong and where), then one row per
    redacted position (kind ``redacted``: not a finding)."""
    if not report.intact:
        verdict, status = "not_intact", EXIT_NOT_INTACT
    elif report.unsigned_tail:
        verdict, status = "unsigned_tail", EXIT_UNSIGNED_TAIL
    elif len(cosigned) < needed:
        verdict, status = "unwitnessed", EXIT_UNWITNESSED
    else:
        verdict, status = "intact", EXIT_OK
    newest = report.newest
    return Report(
        columns=[
            Column("kind", "kind"),
            Column("position", "position", "right"),
            Column("last_position", "last position", "right"),
            Column("message", "message"),
        ],
        rows=[
            {
                "kind": f.kind,
                "position": f.position,
                "last_position": f.last_position,
                "message": f.message,
            }
            for f in report.findings
        ]
        + [
            {
                "kind": "redacted",
                "position": position,
                "last_position": None,
                "message": "content overwritten by an authorised erasure; chained by its"
                " original leaf hash (not a finding: the verdict is unchanged)",
            }
            for position in report.redacted
        ],
        title="audit verify",
        meta={
            "verdict": verdict,
            "exit_status": status,
            "events": report.events,
            "checkpoints_checked": report.checkpoints_checked,
            "covered_position": report.covered_position,
            "unsigned_tail": report.unsigned_tail,
            "origin": report.origin,
            "newest_checkpoint_size": newest.tree_size if newest is not None else None,
            "cosigned_by": cosigned,
            "quorum": needed,
            "redacted": len(report.redacted),
            "redacted_positions": report.redacted,
        },
        rows_key="findings",
    )


@command(app, "checkpoint")
def checkpoint(ctx: typer.Context) -> None:
    """Sign a checkpoint of the log as it is now."""
    settings = state(ctx).settings()
    key = load_signing_key(signing_key_path(settings))
    with ledger_tables(settings) as tables:
        made = make_checkpoint(tables, key)
    console.print(
        f"checkpoint: {made.tree_size} events up to position {made.last_position}, root"
        f" {made.root_hash}, signed at {made.time} by key {made.key_id[:16]}… as the log"
        f" {made.origin}",
        soft_wrap=True,
    )


@command(app, "init-log")
def init_log(
    ctx: typer.Context,
    origin: Annotated[
        str, typer.Option("--origin", help="The log's name, e.g. socai.gov.vn/hanoi/<random id>.")
    ],
) -> None:
    """Choose the store's log identity (origin) before its first checkpoint is signed."""
    with ledger_tables(state(ctx).settings()) as tables:
        tables.set_origin(origin)
    console.print(f"the store's log is now {origin}: every checkpoint names it", soft_wrap=True)


@command(app, "cosign")
def cosign_command(
    checkpoint_file: Annotated[Path, typer.Argument(help="A checkpoint note to cosign.")],
    witness_key: Annotated[
        Path, typer.Option("--witness-key", help="The witness's own Ed25519 private key (PEM).")
    ],
    name: Annotated[str, typer.Option("--name", help="The witness's name, e.g. w.example/1.")],
    log_key: Annotated[
        Path | None,
        typer.Option("--log-key", help="The log's public key: cosign only what it signed."),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the cosigned note here (default: stdout).")
    ] = None,
) -> None:
    """As a witness: append a C2SP tlog-cosignature v1 line (no store needed)."""
    checkpoint = read_note_checkpoint_file(checkpoint_file)
    if log_key is not None:
        try:
            checkpoint.verify_signature(load_trusted_public_key(log_key))
        except VerificationError as error:
            raise LedgerError(
                f"{checkpoint_file}: {error}", hint="cosign only checkpoints the log signed"
            ) from None
    key = load_signing_key(witness_key, hint="pass the witness's own Ed25519 key (PEM)")
    note = checkpoint_bytes(cosign(checkpoint, key, name))
    if out is None:
        sys.stdout.write(note.decode())
    else:
        out.write_bytes(note)
        err_console.print(f"wrote {out}")


@command(app, "add-cosignature")
def add_cosignature(
    ctx: typer.Context,
    cosigned_file: Annotated[Path, typer.Argument(help="A checkpoint note cosigned by witnesses.")],
) -> None:
    """Store a witness-cosigned checkpoint back (its note text must be a stored one's)."""
    cosigned = read_note_checkpoint_file(cosigned_file)
    with ledger_tables(state(ctx).settings()) as tables:
        added = add_cosignatures(tables, cosigned)
    console.print(
        f"stored {added} new signature lines on the checkpoint of size {cosigned.tree_size}"
    )


def _stored_checkpoint(tables: LedgerTables, size: int) -> Checkpoint:
    for candidate in tables.checkpoints():
        if candidate.tree_size == size:
            return candidate
    raise LedgerError(
        f"no stored checkpoint of size {size}",
        hint="`socai audit export-checkpoints DIR` lists them; or pass a file",
    )


def _checkpoint_arg(tables: LedgerTables, text: str) -> Checkpoint:
    if text.isdigit():
        return _stored_checkpoint(tables, int(text))
    return read_checkpoint_file(Path(text))


@command(app, "prove")
def prove(
    ctx: typer.Context,
    event_position: Annotated[
        int,
        typer.Argument(min=1, max=MAX_LOG_POSITION, help="Position in the notification log."),
    ],
    checkpoint_file: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint", help="Prove against this checkpoint (default: latest stored)."
        ),
    ] = None,
    public_key: PublicKeyOption = None,
    out: OutOption = None,
) -> None:
    """Inclusion proof: the event at EVENT_POSITION is in a signed checkpoint."""
    with _proving(ctx, public_key) as (tables, key):
        if checkpoint_file is not None:
            target = read_checkpoint_file(checkpoint_file)
        else:
            stored = tables.checkpoints()
            if not stored:
                raise LedgerError("no checkpoint yet", hint="run `socai audit checkpoint`")
            target = stored[-1]
        _write(inclusion_proof(tables, event_position, target, key), out)


@command(app, "consistency")
def consistency(
    ctx: typer.Context,
    old: Annotated[str, typer.Argument(help="Older checkpoint: its tree size or its file.")],
    new: Annotated[str, typer.Argument(help="Newer checkpoint: its tree size or its file.")],
    public_key: PublicKeyOption = None,
    out: OutOption = None,
) -> None:
    """Consistency proof: the NEW checkpoint extends the OLD one unchanged."""
    with _proving(ctx, public_key) as (tables, key):
        document = consistency_proof(
            tables, _checkpoint_arg(tables, old), _checkpoint_arg(tables, new), key
        )
    _write(document, out)


@command(app, "export-checkpoints")
def export(ctx: typer.Context, directory: Annotated[Path, typer.Argument()]) -> None:
    """Write every signed checkpoint and the public key into DIRECTORY (for a third party)."""
    settings = state(ctx).settings()
    key_file = public_key_path(signing_key_path(settings))
    key = load_trusted_public_key(key_file) if key_file.exists() else None
    with ledger_tables(settings) as tables:
        written = export_checkpoints(tables, directory, key)
    console.print(f"exported {len(written)} new checkpoint files to {directory}")


@app.command("verify-proof")
def verify_proof(
    proof: Annotated[Path, typer.Argument(help="A proof written by `prove` or `consistency`.")],
    public_key: Annotated[Path, typer.Option("--public-key", help="The operator's public key.")],
) -> None:
    """Check a proof offline (no store, no database): exit 0 if it holds, 1 if not."""
    try:
        document = read_json_file(proof, "PROOF")
    except InvalidInput as error:
        report_error(error)
        raise typer.Exit(EXIT_REFUSED) from None
    try:
        key = load_trusted_public_key(public_key)
        summary = verify_proof_document(document, key)
    except (OSError, VerificationError, LedgerError) as error:
        say(("NOT VERIFIED:", "bold red"), f" {error}", err=True)
        raise typer.Exit(EXIT_NOT_INTACT) from None
    console.print(f"verified: {summary}")
