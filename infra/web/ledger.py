"""The ledger as the web shows it (sổ cái): checkpoints and their cosignatures, the unsigned
tail, inclusion proofs and their verification — the functions ``socai audit`` calls, on the
store's ledger tables (hashes and encrypted bytes only; no key to personal data is needed).

The public key used is the one beside the operator's signing key: the page shows the store's
own view. An inspector who must not trust the server verifies the downloaded proof offline
with the key they pinned (``socai audit verify-proof``), as docs/WEB.md says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from infra.audit_store import ERASURE_AUTHORITY, ledger_tables
from infra.ledger.audit import verify_store
from infra.ledger.checkpoints import load_trusted_public_key, public_key_path
from infra.ledger.errors import LedgerError
from infra.ledger.proofs import inclusion_proof
from infra.ledger.verifier import (
    Checkpoint,
    NoteCheckpoint,
    VerificationError,
    verify_proof_document,
)
from infra.ledger_settings import signing_key_path
from infra.settings import Settings


@dataclass(frozen=True, slots=True)
class CheckpointRow:
    tree_size: int
    last_position: int
    root_hash: str
    time: str
    origin: str | None
    signers: tuple[str, ...]  # the log's key name first, then each witness that cosigned


def public_key(settings: Settings) -> Ed25519PublicKey:
    return load_trusted_public_key(public_key_path(signing_key_path(settings)))


def _row(checkpoint: Checkpoint) -> CheckpointRow:
    signers: tuple[str, ...] = ()
    origin = None
    if isinstance(checkpoint, NoteCheckpoint):
        signers = tuple(s.key_name for s in checkpoint.note.signatures)
        origin = checkpoint.origin
    return CheckpointRow(checkpoint.tree_size, checkpoint.last_position, checkpoint.root_hash,
                         checkpoint.time, origin, signers)  # fmt: skip


def checkpoints(settings: Settings) -> list[CheckpointRow]:
    with ledger_tables(settings) as tables:
        return [_row(c) for c in tables.checkpoints()]


def latest_checkpoint(settings: Settings) -> CheckpointRow | None:
    found = checkpoints(settings)
    return found[-1] if found else None


def inclusion(settings: Settings, position: int) -> dict[str, Any]:
    """The inclusion proof of the event at ``position`` in the newest stored checkpoint."""
    key = public_key(settings)
    with ledger_tables(settings) as tables:
        stored = tables.checkpoints()
        if not stored:
            raise LedgerError(
                "no checkpoint yet", hint="the operator runs `socai audit checkpoint`"
            )
        return inclusion_proof(tables, position, stored[-1], key)


def check(settings: Settings, document: dict[str, Any]) -> tuple[bool, str]:
    """(holds, what was verified or why not) of a proof document."""
    try:
        return True, str(verify_proof_document(document, public_key(settings)))
    except (VerificationError, LedgerError) as error:
        return False, str(error)


def verify_all(settings: Settings) -> dict[str, Any]:
    """Verify every event, link and checkpoint (``socai audit verify``) with the store's key."""
    with ledger_tables(settings) as tables:
        report = verify_store(tables, public_key(settings), erasure=ERASURE_AUTHORITY)
    return {
        "intact": report.intact,
        "events": report.events,
        "checkpoints": report.checkpoints_checked,
        "unsigned_tail": report.unsigned_tail if report.intact else None,
        "covered_position": report.covered_position,
        "first_problem": None if report.first is None else str(report.first),
        "redacted": report.redacted,
    }
