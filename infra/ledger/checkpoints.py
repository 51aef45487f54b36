"""Signed checkpoints (điểm kiểm tra có ký) of the ledger and the key that signs them.

A checkpoint states, under the operator's Ed25519 signature, how many events the log held,
the Merkle root over them, the position of the last one and the chain head. The signing key
lives in a file outside the database (the caller passes its path in), so whoever can write
the database still cannot forge a checkpoint. The public key (``….signing.pub.pem``) is what
inspectors are given; its key id is the SHA-256 of its raw bytes.

Before signing a new checkpoint its tree is proved consistent with the latest earlier one:
a checkpoint is never signed over a history that differs from one already signed.

Checkpoints are exported as files (``checkpoint-<size>.json``) that a third party keeps:
they are the anchor against which a truncated or rewritten log is detected.

A newly signed checkpoint is stored, then handed to the injected
:class:`CheckpointAnnouncer`. Signing can run in a write's after-commit hook, so an announcer
must never reach the network: the relay publishes stored checkpoints to Kafka.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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
    Checkpoint,
    VerificationError,
    key_id,
    load_public_key,
    verify_consistency,
)

#: Automatic checkpoint after this many events appended by one process …
DEFAULT_EVERY_EVENTS = 1_000
#: … or after a write this many seconds after the last checkpoint.
DEFAULT_EVERY_SECONDS = 300.0
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


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    if not path.exists():
        raise LedgerError(
            f"no signing key at {path}",
            hint="create one with `socai audit keygen` (keep it off the database"
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


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> Checkpoint:
    unsigned = replace(checkpoint, key_id=key_id(key.public_key()), signature="")
    signature = base64.b64encode(key.sign(unsigned.signed_text())).decode()
    return replace(unsigned, signature=signature)


def make_checkpoint(
    tables: LedgerTables,
    key: Ed25519PrivateKey,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    announce: CheckpointAnnouncer = log_checkpoint,
) -> Checkpoint:
    """Sign the current head; returns the latest checkpoint if nothing was added since.
    A newly signed checkpoint is stored, then ``announce``d."""
    head = tables.head()
    if head.size == 0:
        raise LedgerError("the log is empty: nothing to checkpoint")
    public = key.public_key()
    earlier = [cp for cp in tables.checkpoints() if cp.key_id == key_id(public)]
    if earlier and earlier[-1].tree_size == head.size:
        return earlier[-1]
    tables.extend_nodes(head.size)
    root = merkle.root(tables, head.size)
    if earlier:
        previous = earlier[-1]
        previous.verify_signature(public)
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
    checkpoint = sign(
        Checkpoint(
            tree_size=head.size,
            root_hash=root.hex(),
            last_position=head.position,
            chain_head=head.chain_hash.hex(),
            time=moment.astimezone(UTC).isoformat(),
            key_id="",
            signature="",
        ),
        key,
    )
    checkpoint.verify_signature(public)
    tables.put_checkpoint(checkpoint)
    announce(checkpoint)
    return checkpoint


def checkpoint_file_name(checkpoint: Checkpoint) -> str:
    return f"checkpoint-{checkpoint.tree_size:012d}.json"


def write_checkpoint_file(checkpoint: Checkpoint, path: Path) -> None:
    path.write_text(json.dumps(checkpoint.to_json(), indent=2, sort_keys=True) + "\n")


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
            write_checkpoint_file(checkpoint, target)
            written.append(target)
    if public_key is not None and not (directory / EXPORT_PUBLIC_KEY_NAME).exists():
        (directory / EXPORT_PUBLIC_KEY_NAME).write_bytes(public_pem(public_key))
    return written


def read_checkpoint_file(path: Path) -> Checkpoint:
    try:
        return Checkpoint.from_json(json.loads(path.read_text()))
    except (OSError, json.JSONDecodeError, VerificationError) as error:
        raise LedgerError(f"{path} is not a readable checkpoint: {error}") from None


def read_anchor_dir(directory: Path) -> list[Checkpoint]:
    """Checkpoints kept outside the database (files from ``export-checkpoints``)."""
    if not directory.is_dir():
        raise LedgerError(f"{directory} is not a directory of exported checkpoints")
    return [read_checkpoint_file(p) for p in sorted(directory.glob("checkpoint-*.json"))]


@dataclass
class CheckpointPolicy:
    """Make a checkpoint after ``every_events`` events or ``every_seconds`` (checked on each
    write; no background thread), when the signing key file is present."""

    tables: LedgerTables
    key_file: Path
    every_events: int = DEFAULT_EVERY_EVENTS
    every_seconds: float = DEFAULT_EVERY_SECONDS
    announce: CheckpointAnnouncer = log_checkpoint
    _pending: int = 0
    _last: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        assert self.every_events > 0
        assert self.every_seconds > 0

    def __call__(self, appended: int) -> None:
        self._pending += appended
        due = (
            self._pending >= self.every_events
            or time.monotonic() - self._last >= self.every_seconds
        )
        if due and self.key_file.exists():
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
    exists. A recorder without the chain (only ever configured deliberately, e.g. a baseline
    in a benchmark) gets none."""
    if not isinstance(recorder, ChainedSQLiteRecorder | ChainedPostgresRecorder):
        return None
    tables = LedgerTables(recorder)
    policy = CheckpointPolicy(
        tables, key_file, every_events=every_events, every_seconds=every_seconds, announce=announce
    )
    tables.recorder.after_append = policy
    return policy
