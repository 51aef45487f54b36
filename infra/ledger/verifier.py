"""Offline verifier of the socai ledger (sổ cái): Merkle proofs and signed checkpoints.

This module is deliberately standalone: it imports only the standard library,
``cryptography`` (Ed25519) and :mod:`hashing` (standard library only), never the database nor
any other socai module, so an inspector can copy these two files (``verifier.py`` and
``hashing.py``, side by side) and check a proof without trusting the operator's software or
store.

What it defines (the single source of truth the writer side imports too):

* RFC 9162 §2.1.3.2 inclusion and §2.1.4.2 consistency proof verification;
* the signed **checkpoint** (điểm kiểm tra): tree size, root hash, last position, chain head,
  time and key id, signed with Ed25519 over a fixed text form;
* the proof documents ``socai audit prove`` and ``socai audit consistency`` write.

Run ``python verifier.py PROOF.json --public-key KEY.pub.pem``: exit 0 when the proof holds,
1 when it does not (with the reason).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

try:  # inside socai
    from infra.ledger.hashing import HASH_BYTES, leaf_bytes, leaf_hash, node_hash
except ImportError:  # an inspector's copy: hashing.py sits beside this file
    from hashing import (  # type: ignore[import-not-found,no-redef]  # the same file, found beside
        HASH_BYTES,
        leaf_bytes,
        leaf_hash,
        node_hash,
    )

CHECKPOINT_DOMAIN = "socai-ledger-checkpoint-v1"
#: Upper bound on a proof path: a tree of 2**64 leaves needs at most 64 (consistency: 65).
MAX_PROOF_HASHES = 66
PROOF_FORMAT = 1


class VerificationError(Exception):
    """A proof, checkpoint or leaf does not verify; the message says which part and why."""


# -- proofs (RFC 9162 §2.1.3.2 and §2.1.4.2) ------------------------------------------------


def _require_hashes(path: Sequence[bytes], what: str) -> None:
    if len(path) > MAX_PROOF_HASHES:
        raise VerificationError(
            f"{what} has {len(path)} hashes; no valid proof has more than {MAX_PROOF_HASHES}"
        )
    for item in path:
        if len(item) != HASH_BYTES:
            raise VerificationError(f"{what} holds a {len(item)}-byte hash, not {HASH_BYTES}")


def root_from_inclusion_proof(index: int, size: int, digest: bytes, path: Sequence[bytes]) -> bytes:
    """The root that ``path`` proves leaf ``index`` (hash ``digest``) to be under, at ``size``."""
    _require_hashes(path, "inclusion proof")
    if not 0 <= index < size:
        raise VerificationError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, result = index, size - 1, digest
    for sibling in path:
        if sn == 0:
            raise VerificationError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("inclusion proof is shorter than the tree is deep")
    return result


def verify_inclusion(
    index: int, size: int, digest: bytes, path: Sequence[bytes], root: bytes
) -> None:
    if root_from_inclusion_proof(index, size, digest, path) != root:
        raise VerificationError(
            f"inclusion proof of leaf {index} does not lead to the root of tree size {size}"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: Sequence[bytes]
) -> None:
    """Check that the tree of ``new_size`` extends the tree of ``old_size`` unchanged."""
    _require_hashes(path, "consistency proof")
    if not 0 < old_size <= new_size:
        raise VerificationError(
            f"a consistency proof needs 0 < old size <= new size (got {old_size}, {new_size})"
        )
    if old_size == new_size:
        if path:
            raise VerificationError("trees of equal size need an empty consistency proof")
        if old_root != new_root:
            raise VerificationError(f"two different roots for the same tree size {old_size}")
        return
    if not path:
        raise VerificationError("empty consistency proof between different tree sizes")
    hashes = list(path)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node
        hashes.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first = second = hashes[0]
    for item in hashes[1:]:
        if sn == 0:
            raise VerificationError("consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            first = node_hash(item, first)
            second = node_hash(item, second)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            second = node_hash(second, item)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError("consistency proof is shorter than the tree is deep")
    if first != old_root:
        raise VerificationError(
            f"consistency proof does not lead to the old root (size"
            f" {old_size}): the earlier log was changed"
        )
    if second != new_root:
        raise VerificationError(
            f"consistency proof does not lead to the new root (size {new_size})"
        )


# -- keys and checkpoints --------------------------------------------------------------------


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key id: hex SHA-256 of the raw 32-byte Ed25519 public key."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as error:
        raise VerificationError(f"not a PEM public key: {error}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise VerificationError("the public key is not an Ed25519 key")
    return key


def _unhex(text: Any, what: str, length: int | None = HASH_BYTES) -> bytes:
    if not isinstance(text, str):
        raise VerificationError(f"{what} must be a hex string")
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        raise VerificationError(f"{what} is not hex") from None
    if length is not None and len(raw) != length:
        raise VerificationError(f"{what} is {len(raw)} bytes, not {length}")
    return raw


def _int(value: Any, what: str, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise VerificationError(f"{what} must be an integer >= {minimum}")
    return value


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement "the log held ``tree_size`` events with this root at ``time``".

    ``last_position`` is the notification position of the last event covered and
    ``chain_head`` the chain value after it, so a truncated tail is detected and located
    against a checkpoint kept outside the database.
    """

    tree_size: int
    root_hash: str
    last_position: int
    chain_head: str
    time: str
    key_id: str
    signature: str = ""

    def signed_text(self) -> bytes:
        lines = (
            CHECKPOINT_DOMAIN,
            str(self.tree_size),
            self.root_hash,
            str(self.last_position),
            self.chain_head,
            self.time,
            self.key_id,
        )
        return ("\n".join(lines) + "\n").encode()

    def to_json(self) -> dict[str, Any]:
        return {"format": CHECKPOINT_DOMAIN, **asdict(self)}

    @classmethod
    def from_json(cls, data: Any) -> Checkpoint:
        if not isinstance(data, dict) or data.get("format") != CHECKPOINT_DOMAIN:
            raise VerificationError(f"not a checkpoint (format must be {CHECKPOINT_DOMAIN!r})")
        fields = {name: data.get(name) for name in cls.__slots__}
        checkpoint = cls(**fields)  # type: ignore[arg-type]  # every field is checked below
        _int(checkpoint.tree_size, "checkpoint tree_size", 1)
        _int(checkpoint.last_position, "checkpoint last_position", 1)
        _unhex(checkpoint.root_hash, "checkpoint root_hash")
        _unhex(checkpoint.chain_head, "checkpoint chain_head")
        _unhex(checkpoint.key_id, "checkpoint key_id")
        if not isinstance(checkpoint.time, str):
            raise VerificationError("checkpoint time must be ISO-8601 text")
        try:
            moment = datetime.fromisoformat(checkpoint.time)
        except ValueError:
            raise VerificationError("checkpoint time is not ISO-8601") from None
        if moment.tzinfo is None:
            raise VerificationError("checkpoint time has no timezone")
        if not isinstance(checkpoint.signature, str):
            raise VerificationError("checkpoint signature must be base64 text")
        return checkpoint

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.root_hash)

    def verify_signature(self, public_key: Ed25519PublicKey) -> None:
        expected = key_id(public_key)
        if self.key_id != expected:
            raise VerificationError(
                f"checkpoint of size {self.tree_size} names key"
                f" {self.key_id[:16]}…, not the trusted key {expected[:16]}…"
            )
        try:
            signature = base64.b64decode(self.signature, validate=True)
            public_key.verify(signature, self.signed_text())
        except (InvalidSignature, binascii.Error, ValueError):
            raise VerificationError(
                f"checkpoint of size {self.tree_size}: signature does not verify"
            ) from None


# -- proof documents -------------------------------------------------------------------------


def _path(data: Any, what: str) -> list[bytes]:
    if not isinstance(data, list):
        raise VerificationError(f"{what} must be a list of hex hashes")
    if len(data) > MAX_PROOF_HASHES:
        raise VerificationError(f"{what} has {len(data)} hashes; at most {MAX_PROOF_HASHES}")
    return [_unhex(item, f"{what}[{i}]") for i, item in enumerate(data)]


def leaf_of(entry: Any) -> bytes:
    """The canonical leaf bytes from a proof document's ``event`` object."""
    if not isinstance(entry, dict):
        raise VerificationError("the proof's event must be an object")
    try:
        state = base64.b64decode(entry["state"], validate=True)
        return leaf_bytes(
            _int(entry["position"], "event position", 1),
            str(entry["originator_id"]),
            _int(entry["version"], "event version"),
            str(entry["topic"]),
            state,
            str(entry["recorded_at"]),
        )
    except (KeyError, TypeError, binascii.Error, ValueError) as error:
        raise VerificationError(f"the proof's event is malformed: {error}") from None


def verify_proof_document(document: Any, public_key: Ed25519PublicKey) -> str:
    """Verify an inclusion or consistency proof document; returns a one-line summary."""
    if not isinstance(document, dict) or document.get("format") != PROOF_FORMAT:
        raise VerificationError(f"not a socai proof document (format {PROOF_FORMAT})")
    kind = document.get("kind")
    if kind == "inclusion":
        checkpoint = Checkpoint.from_json(document.get("checkpoint"))
        checkpoint.verify_signature(public_key)
        index = _int(document.get("leaf_index"), "leaf_index")
        digest = leaf_hash(leaf_of(document.get("event")))
        size = checkpoint.tree_size
        if document.get("tree_size") != size:
            raise VerificationError("the proof's tree_size differs from its checkpoint's")
        verify_inclusion(index, size, digest, _path(document.get("path"), "path"), checkpoint.root)
        position = document["event"]["position"]
        return (
            f"event at position {position} (leaf {index}) is included in the signed"
            f" checkpoint of size {size}"
        )
    if kind == "consistency":
        old = Checkpoint.from_json(document.get("old"))
        new = Checkpoint.from_json(document.get("new"))
        old.verify_signature(public_key)
        new.verify_signature(public_key)
        verify_consistency(
            old.tree_size, new.tree_size, old.root, new.root, _path(document.get("path"), "path")
        )
        return (
            f"the signed checkpoint of size {new.tree_size} extends the one of size"
            f" {old.tree_size}: nothing before it was changed, removed or reordered"
        )
    raise VerificationError(f"unknown proof kind {kind!r} (inclusion or consistency)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a socai ledger proof offline.")
    parser.add_argument("proof", type=Path, help="proof JSON written by `socai audit prove`")
    parser.add_argument(
        "--public-key",
        type=Path,
        required=True,
        help="the operator's published Ed25519 public key (PEM)",
    )
    args = parser.parse_args(argv)
    try:
        key = load_public_key(args.public_key.read_bytes())
        document = json.loads(args.proof.read_text())
        print("OK:", verify_proof_document(document, key))
    except (OSError, json.JSONDecodeError, VerificationError) as error:
        print(f"NOT VERIFIED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
