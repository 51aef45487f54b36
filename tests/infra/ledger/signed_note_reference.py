"""An independent C2SP signed-note / tlog-checkpoint / tlog-cosignature verifier, written
from the specification texts (c2sp.org/signed-note, /tlog-checkpoint, /tlog-cosignature v1)
and nothing of socai: it imports only the standard library and ``cryptography``. The tests
check every checkpoint socai exports with it, so socai's notes are what any other
implementation reads, not merely what socai's own parser accepts.

Rules checked (each quoted from the specifications):

* a note is valid UTF-8 with no ASCII control character other than newline; the text ends
  in a newline and is separated from the signature lines by the last empty line;
* a signature line is em dash, space, key name, space, base64(4-byte key ID || signature),
  newline; key names are non-empty with no Unicode space and no '+';
* Ed25519 key ID = SHA-256(name || 0x0A || 0x01 || 32-byte key)[:4]; cosignature v1 key ID
  uses 0x04 and signs "cosignature/v1\\ntime <t>\\n" || note text, the signature being a
  big-endian u64 timestamp || 64-byte Ed25519 signature;
* signatures from unknown keys are ignored; if no known key's signature verifies, the note
  is rejected; a known key's failing signature rejects the note;
* a checkpoint's text is at least three non-empty lines: origin, decimal tree size without
  leading zeroes, base64 root hash (32 bytes); extension lines are non-empty.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import unicodedata
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

#: This verifier's bound on a note (the specification: SHOULD bound; MUST accept 16 sigs).
MAX_NOTE_BYTES = 1 << 20
EM_DASH = "\u2014"


class Rejected(Exception):
    """The note or checkpoint is not valid, or not signed by a known key."""


@dataclass(frozen=True)
class Line:
    name: str
    key_id: bytes
    signature: bytes


def _valid_name(name: str) -> bool:
    return bool(name) and not any(
        c == "+" or c.isspace() or unicodedata.category(c) == "Zs" for c in name
    )


def split_note(data: bytes) -> tuple[str, list[Line]]:
    """(note text, signature lines) of a well-formed note."""
    if len(data) > MAX_NOTE_BYTES:
        raise Rejected("note too large")
    try:
        note = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        raise Rejected("not UTF-8") from None
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise Rejected("control character")
    if not note.endswith("\n"):
        raise Rejected("does not end in newline")
    cut = note.rfind("\n\n")
    if cut == -1:
        raise Rejected("no blank line")
    text, signature_block = note[: cut + 1], note[cut + 2 :]
    lines = []
    for raw in signature_block.split("\n")[:-1]:
        if not raw.startswith(EM_DASH + " "):
            raise Rejected(f"bad signature line {raw!r}")
        fields = raw[2:].split(" ")
        if len(fields) != 2 or not _valid_name(fields[0]):
            raise Rejected(f"bad signature line {raw!r}")
        try:
            blob = base64.b64decode(fields[1], validate=True)
        except binascii.Error:
            raise Rejected("bad base64") from None
        if len(blob) < 5:
            raise Rejected("signature too short")
        lines.append(Line(fields[0], blob[:4], blob[4:]))
    if not lines:
        raise Rejected("no signature lines")
    return text, lines


def key_id(name: str, kind: int, public: Ed25519PublicKey) -> bytes:
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + raw).digest()[:4]


def verify_note(data: bytes, name: str, public: Ed25519PublicKey) -> str:
    """The note text, if ``data`` carries a valid Ed25519 signature of this known key."""
    text, lines = split_note(data)
    known = [x for x in lines if x.name == name and x.key_id == key_id(name, 0x01, public)]
    if not known:
        raise Rejected("no signature from a known key")
    for line in known:
        try:
            public.verify(line.signature, text.encode())
        except InvalidSignature:
            raise Rejected("known key's signature fails") from None
    return text


def verify_cosignature(data: bytes, name: str, public: Ed25519PublicKey) -> int:
    """The timestamp of the witness's valid cosignature v1 on the note."""
    text, lines = split_note(data)
    known = [x for x in lines if x.name == name and x.key_id == key_id(name, 0x04, public)]
    if not known:
        raise Rejected("no cosignature from a known witness")
    stamps = []
    for line in known:
        if len(line.signature) != 72:
            raise Rejected("cosignature has the wrong length")
        (stamp,) = struct.unpack(">Q", line.signature[:8])
        if stamp > 2**63 - 1:
            raise Rejected("timestamp too large")
        message = b"cosignature/v1\ntime " + str(stamp).encode() + b"\n" + text.encode()
        try:
            public.verify(line.signature[8:], message)
        except InvalidSignature:
            raise Rejected("cosignature fails") from None
        stamps.append(stamp)
    return max(stamps)


@dataclass(frozen=True)
class TreeHead:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]


def verify_checkpoint(data: bytes, origin: str, public: Ed25519PublicKey) -> TreeHead:
    """A checkpoint of the log ``origin`` signed by its key (key name = origin)."""
    text = verify_note(data, origin, public)
    lines = text.split("\n")[:-1]
    if len(lines) < 3 or any(not line for line in lines):
        raise Rejected("a checkpoint has at least three non-empty lines")
    if lines[0] != origin:
        raise Rejected("checkpoint of another log")
    size = lines[1]
    if not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise Rejected("tree size is not decimal without leading zeroes")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except binascii.Error:
        raise Rejected("root hash is not base64") from None
    if len(root) != 32:
        raise Rejected("root hash is not 32 bytes")
    return TreeHead(lines[0], int(size), root, tuple(lines[3:]))
