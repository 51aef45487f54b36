"""Signed checkpoints (điểm kiểm tra có ký) of the ledger and the key that signs them.

A checkpoint states, under the operator's Ed25519 signature, how many events the log held,
the Merkle root over them, the position of the last one and the chain head. It is written as
a C2SP ``tlog-checkpoint`` in a C2SP ``signed-note`` (:class:`verifier.NoteCheckpoint`) whose
origin and key name are the log's stored origin (:mod:`origin`), so any signed-note
implementation verifies it and it never passes for a checkpoint of another store. The signing
key lives in a file outside the database (the caller passes its path in), so whoever can
write the database still cannot forge a checkpoint. The public key (``….signing.pub.pem``) is
what inspectors are given.

Witnesses (nhân chứng) add their own cosignature lines (C2SP ``tlog-cosignature`` v1,
:func:`cosign`); :func:`add_cosignatures` stores a cosigned note back only when its text is
byte for byte a stored checkpoint's.

Before signing a new checkpoint its tree is proved consistent with the latest earlier one:
a checkpoint is never signed over a history that differs from one already signed.

Checkpoints are exported as files (``checkpoint-<size>.note``: the signed note exactly as
stored; ``.json`` for the earlier format) that a third party keeps: they are the anchor
against which a truncated or rewritten log is detected.

A newly signed checkpoint is stored, then handed to the injected
:class:`CheckpointAnnouncer`. Signing can run in a write's after-commit hook, so an announcer
must never reach the network: the relay publishes stored checkpoints to Kafka.
"""

from __future__ import annotations

import json
import logging
import os
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from infra.ledger import merkle
from infra.ledger.chain import ChainedPostgresRecorder, ChainedSQLiteRecorder
from infra.ledger.errors import LedgerError
from infra.ledger.store import LedgerTables
from infra.ledger.verifier import (
    COSIGNATURE_TIMESTAMP_BYTES,
    MAX_COSIGNATURE_TIMESTAMP,
    MAX_NOTE_BYTES,
    SIGNATURE_TYPE_COSIGNATURE_V1,
    SIGNATURE_TYPE_ED25519,
    Checkpoint,
    NoteCheckpoint,
    NoteSignature,
    SignedNote,
    VerificationError,
    check_key_name,
    checkpoint_from_bytes,
    checkpoint_text,
    cosignature_message,
    load_public_key,
    note_key_id,
    verify_consistency,
)

#: Automatic checkpoint after this many events appended by one process …
DEFAULT_EVERY_EVENTS = 1_000
#: … or after a write this many seconds after the last checkpoint.
DEFAULT_EVERY_SECONDS = 300.0
#: A writer whose checkpoint is due but finds no signing key file looks again this long after.
KEY_FILE_RECHECK_SECONDS = 1.0
EXPORT_PUBLIC_KEY_NAME = "public-key.pem"

log = logging.getLogger(__name__)


class CheckpointAnnouncer(Protocol):
    """Told of every checkpoint just signed and stored. It may run inside a write's
    after-commit hook: it must return quickly, never raise and never reach the network."""

    def __call__(self, checkpoint: Checkpoint) -> None: ...


def log_checkpoint(checkpoint: Checkpoint) -> None:
    """The default announcer: one log line (the relay publishes the stored checkpoint)."""
    log.info(
        "checkpoint of size %d signed and stored; `socai streams relay` publishes it",
        checkpoint.tree_size,
    )


def public_key_path(signing_key: Path) -> Path:
    """``X.signing.pem`` → ``X.signing.pub.pem``."""
    return signing_key.with_suffix(".pub.pem")


def create_signing_key(path: Path) -> Ed25519PrivateKey:
    """A new Ed25519 key at ``path`` (mode 0600, never overwritten) and its public key."""
    if path.exists():
        raise LedgerError(
            f"signing key file {path} already exists",
            hint="keep it; a new key cannot sign for the old checkpoints",
        )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public_key_path(path).write_bytes(public_pem(key.public_key()))
    return key


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def load_signing_key(path: Path, *, hint: str = "") -> Ed25519PrivateKey:
    if not path.exists():
        raise LedgerError(
            f"no signing key at {path}",
            hint=hint
            or "create one with `socai audit keygen` (keep it off the database"
            " server) or set SOCAI_SIGNING_KEY_FILE",
        )
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise LedgerError(f"{path} is not an unencrypted PEM private key ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LedgerError(f"{path} does not hold an Ed25519 private key")
    return key


def load_trusted_public_key(path: Path) -> Ed25519PublicKey:
    if not path.exists():
        raise LedgerError(
            f"no public key at {path}", hint="pass --public-key with the key the operator published"
        )
    try:
        return load_public_key(path.read_bytes())
    except VerificationError as error:
        raise LedgerError(f"{path}: {error}") from None


def sign_note(text: str, origin: str, key: Ed25519PrivateKey) -> NoteCheckpoint:
    """The checkpoint note ``text`` signed by ``key`` under the key name ``origin``."""
    signature = NoteSignature(
        origin,
        note_key_id(origin, SIGNATURE_TYPE_ED25519, key.public_key()),
        key.sign(text.encode()),
    )
    signed = NoteCheckpoint.parse(SignedNote(text, (signature,)).serialize())
    signed.verify_signature(key.public_key(), origin)
    return signed


def _latest_signed(
    checkpoints: list[Checkpoint], public: Ed25519PublicKey, origin: str
) -> Checkpoint | None:
    """The largest stored checkpoint this key signed for this log (or, earlier format, at all)."""
    for candidate in reversed(checkpoints):
        try:
            candidate.verify_signature(public, origin)
        except VerificationError:
            continue
        return candidate
    return None


def make_checkpoint(
    tables: LedgerTables,
    key: Ed25519PrivateKey,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    announce: CheckpointAnnouncer = log_checkpoint,
) -> Checkpoint:
    """Sign the current head under the store's origin; returns the latest checkpoint if
    nothing was added since. A newly signed checkpoint is stored, then ``announce``d."""
    head = tables.head()
    if head.size == 0:
        raise LedgerError("the log is empty: nothing to checkpoint")
    origin = tables.ensure_origin()
    public = key.public_key()
    previous = _latest_signed(tables.checkpoints(), public, origin)
    if previous is not None and previous.tree_size == head.size:
        return previous
    tables.extend_nodes(head.size)
    root = merkle.root(tables, head.size)
    if previous is not None:
        try:
            verify_consistency(
                previous.tree_size,
                head.size,
                previous.root,
                root,
                merkle.consistency_path(tables, previous.tree_size, head.size),
            )
        except VerificationError as error:
            raise LedgerError(
                f"refusing to sign: the log no longer extends the checkpoint of size"
                f" {previous.tree_size} ({error})",
                hint="run `socai audit verify` to find what was changed",
            ) from None
    moment = now()
    assert moment.tzinfo is not None
    text = checkpoint_text(
        origin, head.size, root, head.position, head.chain_hash, moment.astimezone(UTC).isoformat()
    )
    checkpoint = sign_note(text, origin, key)
    tables.put_checkpoint(checkpoint)
    announce(checkpoint)
    return checkpoint


def cosign(
    checkpoint: NoteCheckpoint,
    witness_key: Ed25519PrivateKey,
    name: str,
    timestamp: int | None = None,
) -> NoteCheckpoint:
    """Append the witness ``name``'s tlog-cosignature v1 (Ed25519, type 0x04) line:
    8-byte big-endian POSIX ``timestamp`` || Ed25519 signature over ``cosignature/v1``,
    ``time <timestamp>`` and the note text. Witness keys are the witness's own."""
    try:
        check_key_name(name)
    except VerificationError as error:
        raise LedgerError(
            f"witness name: {error}", hint="use a schema-less URL such as witness.example/w1"
        ) from None
    stamp = int(time.time()) if timestamp is None else timestamp
    assert 0 <= stamp <= MAX_COSIGNATURE_TIMESTAMP
    public = witness_key.public_key()
    key = note_key_id(name, SIGNATURE_TYPE_COSIGNATURE_V1, public)
    if checkpoint.note.matching(name, key):
        raise LedgerError(
            f"the checkpoint of size {checkpoint.tree_size} is already cosigned by {name!r}",
            hint="a witness cosigns each checkpoint once",
        )
    signature = struct.pack(">Q", stamp) + witness_key.sign(
        cosignature_message(checkpoint.note.text, stamp)
    )
    assert len(signature) == COSIGNATURE_TIMESTAMP_BYTES + 64
    cosigned = NoteCheckpoint.parse(
        checkpoint.note.with_signature(NoteSignature(name, key, signature)).serialize()
    )
    assert cosigned.note.cosignature_time(name, public) == stamp
    return cosigned


def add_cosignatures(tables: LedgerTables, cosigned: NoteCheckpoint) -> int:
    """Store the signature lines of ``cosigned`` that its stored checkpoint lacks; returns
    how many. Refused unless a stored checkpoint has byte for byte the same note text."""
    stored = next(
        (
            cp
            for cp in tables.checkpoints()
            if isinstance(cp, NoteCheckpoint) and cp.tree_size == cosigned.tree_size
        ),
        None,
    )
    if stored is None or stored.note.text != cosigned.note.text:
        raise LedgerError(
            f"no stored checkpoint of size {cosigned.tree_size} has this note text",
            hint="a witness cosigns a checkpoint exported from this store"
            " (`socai audit export-checkpoints`), unchanged",
        )
    added = tuple(s for s in cosigned.note.signatures if s not in stored.note.signatures)
    if not added:
        return 0
    merged = SignedNote(stored.note.text, stored.note.signatures + added)
    if len(merged.serialize()) > MAX_NOTE_BYTES:
        raise LedgerError(
            f"with these signatures the note would exceed {MAX_NOTE_BYTES} bytes",
            hint="store fewer cosignatures",
        )
    try:
        result = NoteCheckpoint.parse(merged.serialize())
    except VerificationError as error:
        raise LedgerError(f"the cosigned note is malformed: {error}") from None
    tables.replace_checkpoint(stored, result)
    return len(added)


def checkpoint_file_name(checkpoint: Checkpoint) -> str:
    suffix = "note" if isinstance(checkpoint, NoteCheckpoint) else "json"
    return f"checkpoint-{checkpoint.tree_size:012d}.{suffix}"


def checkpoint_bytes(checkpoint: Checkpoint) -> bytes:
    """A checkpoint as exported: the signed note exactly as signed (or the earlier JSON)."""
    if isinstance(checkpoint, NoteCheckpoint):
        return checkpoint.serialize()
    return (json.dumps(checkpoint.to_json(), indent=2, sort_keys=True) + "\n").encode()


def export_checkpoints(
    tables: LedgerTables, directory: Path, public_key: Ed25519PublicKey | None
) -> list[Path]:
    """Write every stored checkpoint (and the public key) into ``directory``; existing files
    are left as they are (an anchor already handed out is never rewritten)."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for checkpoint in tables.checkpoints():
        target = directory / checkpoint_file_name(checkpoint)
        if not target.exists():
            target.write_bytes(checkpoint_bytes(checkpoint))
            written.append(target)
    if public_key is not None and not (directory / EXPORT_PUBLIC_KEY_NAME).exists():
        (directory / EXPORT_PUBLIC_KEY_NAME).write_bytes(public_pem(public_key))
    return written


def read_checkpoint_file(path: Path) -> Checkpoint:
    """A checkpoint file: a signed note (``.note``) or the earlier JSON."""
    try:
        if path.stat().st_size > MAX_NOTE_BYTES:
            raise VerificationError(f"it is larger than {MAX_NOTE_BYTES} bytes")
        return checkpoint_from_bytes(path.read_bytes())
    except (OSError, VerificationError) as error:
        raise LedgerError(
            f"{path} is not a readable checkpoint: {error}",
            hint="pass a file written by `socai audit export-checkpoints` (or cosigned since)",
        ) from None


def read_note_checkpoint_file(path: Path) -> NoteCheckpoint:
    checkpoint = read_checkpoint_file(path)
    if not isinstance(checkpoint, NoteCheckpoint):
        raise LedgerError(
            f"{path} is a checkpoint in the earlier JSON format, which witnesses cannot cosign",
            hint="sign a new checkpoint (`socai audit checkpoint`) and export it",
        )
    return checkpoint


def read_anchor_dir(directory: Path) -> list[Checkpoint]:
    """Checkpoints kept outside the database (files from ``export-checkpoints``)."""
    if not directory.is_dir():
        raise LedgerError(f"{directory} is not a directory of exported checkpoints")
    files = sorted([*directory.glob("checkpoint-*.json"), *directory.glob("checkpoint-*.note")])
    return [read_checkpoint_file(p) for p in files]


@dataclass
class CheckpointPolicy:
    """Make a checkpoint after ``every_events`` events or ``every_seconds`` (checked on each
    write; no background thread), when the signing key file is present (while it is missing,
    looked for again at most every :data:`KEY_FILE_RECHECK_SECONDS`)."""

    tables: LedgerTables
    key_file: Path
    every_events: int = DEFAULT_EVERY_EVENTS
    every_seconds: float = DEFAULT_EVERY_SECONDS
    announce: CheckpointAnnouncer = log_checkpoint
    _pending: int = 0
    _last: float = field(default_factory=time.monotonic)
    #: While a checkpoint is due and no key file is found, the file is looked for again at
    #: most every :data:`KEY_FILE_RECHECK_SECONDS` (not on every write: a store without a
    #: signing key stays due for ever, and a file system call per write is not free).
    _no_key_until: float = 0.0

    def __post_init__(self) -> None:
        assert self.every_events > 0
        assert self.every_seconds > 0

    def __call__(self, appended: int) -> None:
        self._pending += appended
        now = time.monotonic()
        due = self._pending >= self.every_events or now - self._last >= self.every_seconds
        if not due or now < self._no_key_until:
            return
        if not self.key_file.exists():
            self._no_key_until = now + KEY_FILE_RECHECK_SECONDS
            return
        make_checkpoint(self.tables, load_signing_key(self.key_file), announce=self.announce)
        self._pending, self._last = 0, time.monotonic()


def attach_policy(
    recorder: object,
    key_file: Path,
    *,
    every_events: int = DEFAULT_EVERY_EVENTS,
    every_seconds: float = DEFAULT_EVERY_SECONDS,
    announce: CheckpointAnnouncer = log_checkpoint,
) -> CheckpointPolicy | None:
    """Checkpoint automatically from this process's writes, signing with ``key_file`` when it
    exists; give the store its origin if it has none yet. A recorder without the chain
    (only ever configured deliberately, e.g. a baseline in a benchmark) gets none."""
    if not isinstance(recorder, ChainedSQLiteRecorder | ChainedPostgresRecorder):
        return None
    tables = LedgerTables(recorder)
    tables.ensure_origin()  # a new store gets its identity when the application first opens it
    policy = CheckpointPolicy(
        tables, key_file, every_events=every_events, every_seconds=every_seconds, announce=announce
    )
    tables.recorder.after_append = policy
    return policy
