"""Offline verifier of the socai ledger (sổ cái): Merkle proofs and signed checkpoints.

This module is deliberately standalone: it imports only the standard library,
``cryptography`` (Ed25519) and :mod:`hashing` (standard library only), never the database nor
any other socai module, so an inspector can copy these two files (``verifier.py`` and
``hashing.py``, side by side) and check a proof without trusting the operator's software or
store.

What it defines (the single source of truth the writer side imports too):

* RFC 9162 §2.1.3.2 inclusion and §2.1.4.2 consistency proof verification;
* the signed **checkpoint** (điểm kiểm tra) in its two formats: today's C2SP ``tlog-checkpoint``
  body in a C2SP ``signed-note`` envelope (:class:`NoteCheckpoint`, with witness cosignatures,
  C2SP ``tlog-cosignature`` v1), and the earlier socai JSON (:class:`JsonCheckpoint`), still
  read and verified for stores that hold it;
* the proof documents ``socai audit prove`` and ``socai audit consistency`` write.

Run ``python verifier.py PROOF.json --public-key KEY.pub.pem [--origin LOG]``: exit 0 when
the proof holds, 1 when it does not (with the reason).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import struct
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeAlias

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
#: ``format`` of a signed-note checkpoint wrapped in JSON (proof documents, the relay).
NOTE_CHECKPOINT_FORMAT = "c2sp-tlog-checkpoint"
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
    _left_edge, root = _climb(index, size - 1, digest, path, "inclusion proof")
    return root


def _climb(fn: int, sn: int, start: bytes, path: Sequence[bytes], what: str) -> tuple[bytes, bytes]:
    """RFC 9162 §2.1.3.2 / §2.1.4.2, the walk both proofs share: hash ``start``,
    node ``fn`` of a level whose last node is ``sn``, up to the root with the siblings in
    ``path``. Returns ``start`` hashed with its left siblings only (what a consistency proof
    rebuilds the old root with) and ``start`` hashed with every sibling (the tree's root)."""
    left_edge = root = start
    for sibling in path:
        if sn == 0:
            raise VerificationError(f"{what} is longer than the tree is deep")
        if fn & 1 or fn == sn:
            left_edge = node_hash(sibling, left_edge)
            root = node_hash(sibling, root)
            fn, sn = _past_the_right_edge(fn, sn)
        else:
            root = node_hash(root, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerificationError(f"{what} is shorter than the tree is deep")
    return left_edge, root


def _past_the_right_edge(fn: int, sn: int) -> tuple[int, int]:
    """RFC 9162 §2.1.3.2 / §2.1.4.2: after hashing with a left sibling at the tree's right
    edge (``fn == sn`` with ``fn`` even), shift both indexes right until ``fn`` is odd or 0 —
    the levels where the node has no right sibling and is carried up unchanged."""
    while not fn & 1 and fn != 0:
        fn >>= 1
        sn >>= 1
    return fn, sn


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
    first, second = _climb(fn, sn, hashes[0], hashes[1:], "consistency proof")
    if first != old_root:
        raise VerificationError(
            f"consistency proof does not lead to the old root (size"
            f" {old_size}): the earlier log was changed"
        )
    if second != new_root:
        raise VerificationError(
            f"consistency proof does not lead to the new root (size {new_size})"
        )


# -- keys and the earlier JSON checkpoints ---------------------------------------------------


def key_id(public_key: Ed25519PublicKey) -> str:
    """The key id of a JSON checkpoint: hex SHA-256 of the raw 32-byte Ed25519 public key."""
    return hashlib.sha256(raw_public_key(public_key)).hexdigest()


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


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


def _aware_time(text: Any, what: str) -> str:
    if not isinstance(text, str):
        raise VerificationError(f"{what} must be ISO-8601 text")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise VerificationError(f"{what} is not ISO-8601") from None
    if moment.tzinfo is None:
        raise VerificationError(f"{what} has no timezone")
    return text


@dataclass(frozen=True, slots=True)
class JsonCheckpoint:
    """The earlier socai checkpoint (``socai-ledger-checkpoint-v1``, JSON): a signed statement
    "the log held ``tree_size`` events with this root at ``time``". It names no log, so it
    cannot be bound to one store; new checkpoints are :class:`NoteCheckpoint`. Stores and
    anchors that hold these keep verifying.

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
    def from_json(cls, data: Any) -> JsonCheckpoint:
        if not isinstance(data, dict) or data.get("format") != CHECKPOINT_DOMAIN:
            raise VerificationError(f"not a checkpoint (format must be {CHECKPOINT_DOMAIN!r})")
        fields = {name: data.get(name) for name in cls.__slots__}
        checkpoint = cls(**fields)  # type: ignore[arg-type]  # every field is checked below
        _int(checkpoint.tree_size, "checkpoint tree_size", 1)
        _int(checkpoint.last_position, "checkpoint last_position", 1)
        _unhex(checkpoint.root_hash, "checkpoint root_hash")
        _unhex(checkpoint.chain_head, "checkpoint chain_head")
        _unhex(checkpoint.key_id, "checkpoint key_id")
        _aware_time(checkpoint.time, "checkpoint time")
        if not isinstance(checkpoint.signature, str):
            raise VerificationError("checkpoint signature must be base64 text")
        return checkpoint

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.root_hash)

    @property
    def origin(self) -> None:
        """A JSON checkpoint names no log."""
        return None

    def verify_signature(self, public_key: Ed25519PublicKey, origin: str | None = None) -> None:
        """``origin`` is not checked: this format does not carry one (see the class doc)."""
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


# -- C2SP signed notes (c2sp.org/signed-note) ------------------------------------------------

#: A note longer than this is refused before it is parsed (C2SP: verifiers SHOULD bound it).
MAX_NOTE_BYTES = 65_536
#: More signature lines than this are refused (C2SP: at least 16 MUST be accepted).
MAX_NOTE_SIGNATURES = 128
#: Signature type bytes of the key ID (signed-note: Ed25519; tlog-cosignature: Ed25519 v1).
SIGNATURE_TYPE_ED25519 = 0x01
SIGNATURE_TYPE_COSIGNATURE_V1 = 0x04
ED25519_SIGNATURE_BYTES = 64
KEY_ID_BYTES = 4
COSIGNATURE_TIMESTAMP_BYTES = 8
#: tlog-cosignature: the timestamp MUST NOT exceed 2**63 - 1 (seconds since the Epoch).
MAX_COSIGNATURE_TIMESTAMP = 2**63 - 1
SIGNATURE_LINE_PREFIX = "\u2014 "  # em dash, space
_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def note_key_id(name: str, signature_type: int, public_key: Ed25519PublicKey) -> bytes:
    """SHA-256(key name || 0x0A || signature type || 32-byte public key)[:4]."""
    assert 0 <= signature_type <= 0xFF
    material = name.encode() + b"\n" + bytes([signature_type]) + raw_public_key(public_key)
    return hashlib.sha256(material).digest()[:KEY_ID_BYTES]


def check_key_name(name: str) -> str:
    """A key name (and so a socai origin): non-empty, no Unicode space, no ``+``."""
    if not name:
        raise VerificationError("a key name must not be empty")
    for char in name:
        if char == "+" or char.isspace() or unicodedata.category(char) == "Zs":
            raise VerificationError(f"key name {name!r} holds {char!r} (no spaces, no '+')")
        if ord(char) < 0x20:
            raise VerificationError(f"key name {name!r} holds a control character")
    return name


def _strict_base64(text: str, what: str) -> bytes:
    """Standard base64 (RFC 4648 §4) in its one canonical spelling, or VerificationError."""
    if not _BASE64.fullmatch(text) or len(text) % 4:
        raise VerificationError(f"{what} is not standard base64")
    raw = base64.b64decode(text, validate=True)
    if base64.b64encode(raw).decode() != text:
        raise VerificationError(f"{what} is not canonical base64")
    return raw


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: ``— <key name> base64(key ID || signature)``."""

    key_name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        blob = base64.b64encode(self.key_id + self.signature).decode()
        return f"{SIGNATURE_LINE_PREFIX}{self.key_name} {blob}\n"

    @classmethod
    def parse(cls, line: str) -> NoteSignature:
        if not line.startswith(SIGNATURE_LINE_PREFIX):
            raise VerificationError(f"signature line {line[:40]!r} does not start with '— '")
        parts = line[len(SIGNATURE_LINE_PREFIX) :].split(" ")
        if len(parts) != 2:
            raise VerificationError(
                f"signature line {line[:40]!r} is not '— <key name> <base64 signature>'"
            )
        name, blob = check_key_name(parts[0]), parts[1]
        raw = _strict_base64(blob, f"the signature of key {name!r}")
        if len(raw) <= KEY_ID_BYTES:
            raise VerificationError(f"the signature of key {name!r} is too short")
        return cls(name, raw[:KEY_ID_BYTES], raw[KEY_ID_BYTES:])


@dataclass(frozen=True, slots=True)
class SignedNote:
    """A C2SP signed note: ``text`` (ending in a newline), a blank line, signature lines.

    Invariant: :meth:`serialize` gives back exactly the bytes parsed, so a stored or
    exported note is the one signed, byte for byte."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def serialize(self) -> bytes:
        return (self.text + "\n" + "".join(s.line() for s in self.signatures)).encode()

    @classmethod
    def parse(cls, data: bytes) -> SignedNote:
        if len(data) > MAX_NOTE_BYTES:
            raise VerificationError(f"the note is {len(data)} bytes; at most {MAX_NOTE_BYTES}")
        try:
            note = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise VerificationError(f"the note is not UTF-8 ({error.reason})") from None
        control = next((c for c in note if ord(c) < 0x20 and c != "\n"), None)
        if control is not None:
            raise VerificationError(f"the note holds the control character {control!r}")
        split = note.rfind("\n\n")
        if split < 0:
            raise VerificationError("the note has no blank line before its signatures")
        text, block = note[: split + 1], note[split + 2 :]
        if not block or not block.endswith("\n"):
            raise VerificationError("the note's signature lines must end with a newline")
        lines = block[:-1].split("\n")
        if len(lines) > MAX_NOTE_SIGNATURES:
            raise VerificationError(
                f"the note has {len(lines)} signatures; at most {MAX_NOTE_SIGNATURES}"
            )
        parsed = cls(text, tuple(NoteSignature.parse(line) for line in lines))
        assert parsed.serialize() == data
        return parsed

    def with_signature(self, signature: NoteSignature) -> SignedNote:
        return SignedNote(self.text, (*self.signatures, signature))

    def matching(self, name: str, key: bytes) -> list[NoteSignature]:
        """Signatures by the key of this name and key ID; the others are ignored (unknown
        keys, even when they share a name or an ID with a known key)."""
        return [s for s in self.signatures if s.key_name == name and s.key_id == key]

    def verify(self, name: str, public_key: Ed25519PublicKey) -> None:
        """At least one Ed25519 (type 0x01) signature by this key, and every one verifies."""
        found = self.matching(name, note_key_id(name, SIGNATURE_TYPE_ED25519, public_key))
        if not found:
            raise VerificationError(
                f"signed only by keys that are not the trusted key for {name!r} (unknown keys"
                " are ignored)"
            )
        for signature in found:
            try:
                public_key.verify(signature.signature, self.text.encode())
            except InvalidSignature:
                raise VerificationError(f"the signature of {name!r} does not verify") from None

    def cosignature_time(self, name: str, public_key: Ed25519PublicKey) -> int | None:
        """The timestamp of the valid cosignature (tlog-cosignature v1, type 0x04) by this
        witness; None when it has not cosigned. A cosignature by it that fails raises."""
        found = self.matching(name, note_key_id(name, SIGNATURE_TYPE_COSIGNATURE_V1, public_key))
        stamps = []
        for cosignature in found:
            if len(cosignature.signature) != COSIGNATURE_TIMESTAMP_BYTES + ED25519_SIGNATURE_BYTES:
                raise VerificationError(f"the cosignature of {name!r} has the wrong length")
            (stamp,) = struct.unpack(">Q", cosignature.signature[:COSIGNATURE_TIMESTAMP_BYTES])
            if stamp > MAX_COSIGNATURE_TIMESTAMP:
                raise VerificationError(f"the cosignature of {name!r} has a timestamp > 2**63-1")
            try:
                public_key.verify(
                    cosignature.signature[COSIGNATURE_TIMESTAMP_BYTES:],
                    cosignature_message(self.text, stamp),
                )
            except InvalidSignature:
                raise VerificationError(f"the cosignature of {name!r} does not verify") from None
            stamps.append(stamp)
        return max(stamps) if stamps else None


def cosignature_message(text: str, timestamp: int) -> bytes:
    """What a tlog-cosignature v1 (Ed25519) signs: header, time line, the note text."""
    assert 0 <= timestamp <= MAX_COSIGNATURE_TIMESTAMP
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


# -- C2SP checkpoints (c2sp.org/tlog-checkpoint) ---------------------------------------------

#: Extension line: the notification position of the last event covered and the chain head
#: after it (``socai-chain <position> <base64 chain hash>``).
EXTENSION_CHAIN = "socai-chain"
#: Extension line: when the operator signed (``socai-time <ISO-8601 UTC>``).
EXTENSION_TIME = "socai-time"
#: The largest tree size a checkpoint may state (a u64 leaf count, as every proof assumes).
MAX_TREE_SIZE = 2**63 - 1
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


def checkpoint_text(
    origin: str, tree_size: int, root: bytes, last_position: int, chain_head: bytes, time: str
) -> str:
    """The note text of a socai checkpoint: the three C2SP lines, then socai's two
    extension lines (docs/LEDGER.md says why each is there)."""
    check_key_name(origin)
    assert 0 < tree_size <= MAX_TREE_SIZE
    assert last_position > 0
    assert len(root) == HASH_BYTES
    assert len(chain_head) == HASH_BYTES
    assert time
    assert " " not in time
    lines = (
        origin,
        str(tree_size),
        base64.b64encode(root).decode(),
        f"{EXTENSION_CHAIN} {last_position} {base64.b64encode(chain_head).decode()}",
        f"{EXTENSION_TIME} {time}",
    )
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class NoteCheckpoint:
    """A checkpoint as a C2SP signed note: origin (the log's identity, stored in the log at
    creation), tree size, base64 RFC 6962 root, socai's extension lines; signed by the
    operator's key under the key name = origin, plus any witness cosignatures. ``note`` holds
    the signed note exactly as signed; the other fields are read from it."""

    origin: str
    tree_size: int
    root_hash: str  # hex, like JsonCheckpoint, for reports
    last_position: int
    chain_head: str  # hex
    time: str
    note: SignedNote

    @classmethod
    def parse(cls, data: bytes) -> NoteCheckpoint:
        note = SignedNote.parse(data)
        lines = note.text[:-1].split("\n")
        if len(lines) != 5:
            raise VerificationError(
                f"a socai checkpoint has 5 lines of text (origin, size, root, {EXTENSION_CHAIN},"
                f" {EXTENSION_TIME}), not {len(lines)}"
            )
        origin, size, root, chain, moment = lines
        check_key_name(origin)
        if not _DECIMAL.fullmatch(size) or int(size) > MAX_TREE_SIZE:
            raise VerificationError(f"tree size {size[:30]!r} is not a decimal without leading 0")
        if int(size) == 0:
            raise VerificationError("a checkpoint of an empty log is never signed")
        root_bytes = _strict_base64(root, "the root hash")
        if len(root_bytes) != HASH_BYTES:
            raise VerificationError(f"the root hash is {len(root_bytes)} bytes, not {HASH_BYTES}")
        parts = chain.split(" ")
        if len(parts) != 3 or parts[0] != EXTENSION_CHAIN or not _DECIMAL.fullmatch(parts[1]):
            raise VerificationError(f"line 4 is not '{EXTENSION_CHAIN} <position> <base64>'")
        head = _strict_base64(parts[2], "the chain head")
        if len(head) != HASH_BYTES or int(parts[1]) == 0:
            raise VerificationError("the chain head or its position is malformed")
        name, _, when = moment.partition(" ")
        if name != EXTENSION_TIME:
            raise VerificationError(f"line 5 is not '{EXTENSION_TIME} <ISO-8601 time>'")
        _aware_time(when, "the checkpoint time")
        return cls(origin, int(size), root_bytes.hex(), int(parts[1]), head.hex(), when, note)

    def serialize(self) -> bytes:
        return self.note.serialize()

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.root_hash)

    @property
    def key_id(self) -> str:
        """Hex key ID of the log's own (first) signature line."""
        own = [s for s in self.note.signatures if s.key_name == self.origin]
        return own[0].key_id.hex() if own else ""

    def verify_signature(self, public_key: Ed25519PublicKey, origin: str | None = None) -> None:
        """Signed by ``public_key`` under the key name = its origin; and, when ``origin`` is
        given, that origin is the expected log's (a checkpoint of another store signed with
        the same key is refused)."""
        if origin is not None and self.origin != origin:
            raise VerificationError(
                f"checkpoint of size {self.tree_size} is of the log {self.origin!r}, not of"
                f" this log {origin!r}"
            )
        try:
            self.note.verify(self.origin, public_key)
        except VerificationError as error:
            raise VerificationError(f"checkpoint of size {self.tree_size}: {error}") from None

    def to_json(self) -> dict[str, Any]:
        """The JSON wrapper (proof documents, the relay): the signed note exactly as signed,
        and the fields read from it for readers that do not parse notes."""
        own = [s for s in self.note.signatures if s.key_name == self.origin]
        return {
            "format": NOTE_CHECKPOINT_FORMAT,
            "origin": self.origin,
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "last_position": self.last_position,
            "chain_head": self.chain_head,
            "time": self.time,
            "key_id": self.key_id,
            "signature": base64.b64encode(own[0].signature).decode() if own else "",
            "note": self.serialize().decode(),
        }

    @classmethod
    def from_json(cls, data: Any) -> NoteCheckpoint:
        if not isinstance(data, dict) or not isinstance(data.get("note"), str):
            raise VerificationError(f"a {NOTE_CHECKPOINT_FORMAT} document holds its note as text")
        checkpoint = cls.parse(data["note"].encode())
        if checkpoint.to_json() != data:
            raise VerificationError("the checkpoint's fields differ from its signed note")
        return checkpoint


Checkpoint: TypeAlias = JsonCheckpoint | NoteCheckpoint


def checkpoint_from_json(data: Any) -> Checkpoint:
    """A checkpoint from its JSON document, in either format."""
    if isinstance(data, dict) and data.get("format") == NOTE_CHECKPOINT_FORMAT:
        return NoteCheckpoint.from_json(data)
    return JsonCheckpoint.from_json(data)


def checkpoint_from_bytes(data: bytes) -> Checkpoint:
    """A checkpoint as stored or exported: a signed note, or a JSON document."""
    if data[:1] == b"{":
        try:
            document = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
            raise VerificationError(f"not a JSON checkpoint ({error})") from None
        return checkpoint_from_json(document)
    return NoteCheckpoint.parse(data)


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


def _pinned(checkpoint: Checkpoint, origin: str | None) -> Checkpoint:
    if origin is not None and isinstance(checkpoint, JsonCheckpoint):
        raise VerificationError(
            f"the checkpoint of size {checkpoint.tree_size} is in the earlier JSON format,"
            f" which names no log: it cannot prove it is of the log {origin!r}"
        )
    return checkpoint


def _redacted_leaf(event: dict[str, Any]) -> bytes:
    """The leaf hash a proof of a redacted position carries in place of its leaf."""
    text = event.get("leaf_hash")
    if not isinstance(text, str) or len(text) != 64 or text != text.lower():
        raise VerificationError("a redacted event's leaf_hash must be 64 lower-case hex digits")
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise VerificationError("a redacted event's leaf_hash is not hex") from None


def verify_proof_document(
    document: Any, public_key: Ed25519PublicKey, origin: str | None = None
) -> str:
    """Verify an inclusion or consistency proof document; returns a one-line summary.
    With ``origin``, its checkpoints must be signed notes of that log."""
    if not isinstance(document, dict) or document.get("format") != PROOF_FORMAT:
        raise VerificationError(f"not a socai proof document (format {PROOF_FORMAT})")
    kind = document.get("kind")
    if kind == "inclusion":
        checkpoint = _pinned(checkpoint_from_json(document.get("checkpoint")), origin)
        checkpoint.verify_signature(public_key, origin)
        index = _int(document.get("leaf_index"), "leaf_index")
        event = document.get("event")
        redacted = isinstance(event, dict) and event.get("redacted") is True
        digest = (
            _redacted_leaf(event)
            if isinstance(event, dict) and redacted
            else leaf_hash(leaf_of(event))
        )
        size = checkpoint.tree_size
        if document.get("tree_size") != size:
            raise VerificationError("the proof's tree_size differs from its checkpoint's")
        verify_inclusion(index, size, digest, _path(document.get("path"), "path"), checkpoint.root)
        position = document["event"]["position"]
        said = (
            f"event at position {position} (leaf {index}) is included in the signed"
            f" checkpoint of size {size}"
        )
        if redacted:
            said += (
                "; redacted: its content was overwritten by an authorised erasure, so the"
                " proof carries its leaf hash, not the leaf (the event's fields are not proven)"
            )
        return said
    if kind == "consistency":
        old = _pinned(checkpoint_from_json(document.get("old")), origin)
        new = _pinned(checkpoint_from_json(document.get("new")), origin)
        old.verify_signature(public_key, origin)
        new.verify_signature(public_key, origin)
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
    parser.add_argument("--origin", help="the log's origin (identity) as the operator published it")
    args = parser.parse_args(argv)
    try:
        key = load_public_key(args.public_key.read_bytes())
        document = json.loads(args.proof.read_text())
        print("OK:", verify_proof_document(document, key, args.origin))
    except (
        OSError,
        UnicodeDecodeError,
        RecursionError,
        json.JSONDecodeError,
        VerificationError,
    ) as error:
        print(f"NOT VERIFIED: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
