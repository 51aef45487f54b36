"""Proof documents (bằng chứng) that an inspector checks offline with :mod:`verifier`.

* inclusion: the event at a position (its stored bytes, still encrypted), its leaf index,
  the audit path and the signed checkpoint it is included in;
* consistency: two signed checkpoints and the path proving the later tree extends the earlier
  one unchanged.

Every document is verified with the operator's public key (and, for C2SP checkpoints, the
store's origin) before it is handed out.
"""

from __future__ import annotations

import base64
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from infra.ledger import merkle
from infra.ledger.errors import LedgerError
from infra.ledger.redactions import redactions
from infra.ledger.store import LedgerTables
from infra.ledger.verifier import (
    PROOF_FORMAT,
    Checkpoint,
    JsonCheckpoint,
    VerificationError,
    verify_proof_document,
)


def _checked(
    document: dict[str, Any],
    tables: LedgerTables,
    public_key: Ed25519PublicKey,
    checkpoints: tuple[Checkpoint, ...],
) -> dict[str, Any]:
    """The document, once it verifies (C2SP checkpoints: as of this store's origin)."""
    legacy = any(isinstance(cp, JsonCheckpoint) for cp in checkpoints)
    try:
        verify_proof_document(document, public_key, None if legacy else tables.origin() or "")
    except VerificationError as error:
        raise LedgerError(
            f"the proof does not verify against the store: {error}", hint="run `socai audit verify`"
        ) from None
    return document


def inclusion_proof(
    tables: LedgerTables, position: int, checkpoint: Checkpoint, public_key: Ed25519PublicKey
) -> dict[str, Any]:
    event, link = tables.entry_at(position)
    if event.state is None or link.leaf_index is None:
        raise LedgerError(
            f"the event at position {position} or its chain row holds NULL or a value of the"
            " wrong type (edited in the database)",
            hint="run `socai audit verify`",
        )
    if link.leaf_index >= checkpoint.tree_size:
        raise LedgerError(
            f"the event at position {position} (leaf {link.leaf_index}) came after the"
            f" checkpoint of size {checkpoint.tree_size}",
            hint="make a newer one with `socai audit checkpoint`",
        )
    tables.extend_nodes(checkpoint.tree_size)
    redaction = redactions(tables).get(position)
    fields: dict[str, Any] = {
        "position": event.position,
        "originator_id": event.originator_id,
        "version": event.version,
        "topic": event.topic,
        "state": base64.b64encode(event.state).decode(),
        "recorded_at": link.recorded_at,
    }
    if redaction is not None:
        # the stored state is a redacted copy: the proof carries the original leaf hash
        del fields["state"]
        fields.update(redacted=True, leaf_hash=redaction.leaf_hash.hex())
    document = {
        "format": PROOF_FORMAT,
        "kind": "inclusion",
        "event": fields,
        "leaf_index": link.leaf_index,
        "tree_size": checkpoint.tree_size,
        "path": [
            h.hex() for h in merkle.inclusion_path(tables, link.leaf_index, checkpoint.tree_size)
        ],
        "checkpoint": checkpoint.to_json(),
    }
    return _checked(document, tables, public_key, (checkpoint,))


def consistency_proof(
    tables: LedgerTables, old: Checkpoint, new: Checkpoint, public_key: Ed25519PublicKey
) -> dict[str, Any]:
    if old.tree_size > new.tree_size:
        old, new = new, old
    tables.extend_nodes(new.tree_size)
    document = {
        "format": PROOF_FORMAT,
        "kind": "consistency",
        "old": old.to_json(),
        "new": new.to_json(),
        "path": [h.hex() for h in merkle.consistency_path(tables, old.tree_size, new.tree_size)],
    }
    return _checked(document, tables, public_key, (old, new))
