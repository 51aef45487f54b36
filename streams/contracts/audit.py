"""Public contract of audit-ledger checkpoints (điểm kiểm tra sổ cái) on
``socai.audit-checkpoints.v1``.

A checkpoint commits to the first ``tree_size`` events of the log with a Merkle ``root_hash``
and an Ed25519 signature: a third party that keeps them can later prove the store was not
rewritten. Checkpoints hold hashes only, never event contents.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from streams.contracts.model import DATETIME, INTEGER, STRING, STRING_OR_NULL, Contract, FieldSpec
from streams.topics import AUDIT_CHECKPOINTS

#: The internal name of a checkpoint (checkpoints are not events of the store's log).
CHECKPOINT_INTERNAL_TOPIC = "socai.audit:Checkpoint"
CHECKPOINT_TYPE = "vn.socai.audit.Checkpoint.v1"

#: Exactly the ledger's checkpoint document (``to_json()``), so a witness can check the
#: Ed25519 signature over the published fields alone: for a C2SP checkpoint, ``note`` is the
#: signed note verbatim (the other fields are read from it); the earlier JSON format has none.
FIELDS = (
    FieldSpec("format", STRING, "Checkpoint format and signing domain."),
    FieldSpec("tree_size", INTEGER, "Number of log entries the checkpoint commits to."),
    FieldSpec("root_hash", STRING, "Merkle tree root over those entries (hex)."),
    FieldSpec("last_position", INTEGER, "Notification position of the last entry covered."),
    FieldSpec("chain_head", STRING, "Hash-chain value after the last entry (hex)."),
    FieldSpec("time", DATETIME, "When the checkpoint was made (UTC, ISO 8601)."),
    FieldSpec("key_id", STRING, "Fingerprint of the Ed25519 signing key (hex)."),
    FieldSpec("signature", STRING, "Ed25519 signature over the signed text (base64)."),
    FieldSpec("origin", STRING_OR_NULL, "The log's identity (C2SP origin).", False),
    FieldSpec("note", STRING_OR_NULL, "The C2SP signed note exactly as signed.", False),
)


def _map(checkpoint: Mapping[str, Any]) -> dict[str, Any]:
    missing = [f.name for f in FIELDS if f.required and checkpoint.get(f.name) is None]
    assert not missing, f"checkpoint without {missing}"
    return {f.name: checkpoint.get(f.name) for f in FIELDS}


def checkpoint_contract() -> Contract:
    return Contract(
        internal_topic=CHECKPOINT_INTERNAL_TOPIC,
        public_type=CHECKPOINT_TYPE,
        stream=AUDIT_CHECKPOINTS,
        fields=FIELDS,
        description="A signed checkpoint of the audit ledger (hashes only, no event content).",
        mapper=_map,
        subject_of=lambda checkpoint: "ledger",
    )
