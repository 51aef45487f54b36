"""The AES-256 key that encrypts the event store at rest (eventsourcing's ``AESCipher``).

The key is 32 random bytes, base64-encoded, kept in a file readable only by its owner (mode
0600) or passed in ``SOCAI_CIPHER_KEY``. Losing it makes the personal data in the store
unreadable; the hash chain and checkpoints stay verifiable without it.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from eventsourcing.cryptography import AESCipher

from domain.errors import SocaiError
from infra.settings import Settings

KEY_BYTES = 32


class KeyError_(SocaiError):
    """The encryption key is missing or malformed."""


def create_key_file(path: Path) -> str:
    """Write a new key to ``path`` (refusing to overwrite one) and return it."""
    if path.exists():
        raise KeyError_(f"key file {path} already exists", hint="keep it; never overwrite keys")
    key = AESCipher.create_key(KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key


def _validate(key: str, source: str) -> str:
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raise KeyError_(
            f"the key in {source} is not base64", hint="create one: socai keys init"
        ) from None
    if len(raw) != KEY_BYTES:
        raise KeyError_(f"the key in {source} is {len(raw)} bytes, not {KEY_BYTES}")
    return key


def load_key(settings: Settings) -> str:
    """The cipher key from the environment or the key file, or a clear error.

    When both are present they must agree: an environment key left over from another store
    must not silently win over the store's own key file."""
    if settings.cipher_key:
        key = _validate(settings.cipher_key.strip(), "SOCAI_CIPHER_KEY")
        if settings.key_file.exists():
            on_file = _validate(settings.key_file.read_text().strip(), str(settings.key_file))
            if on_file != key:
                raise KeyError_(
                    f"SOCAI_CIPHER_KEY disagrees with the key file {settings.key_file}:"
                    " two different keys for one store",
                    hint="unset SOCAI_CIPHER_KEY to use the key file, or point --key-file /"
                    " SOCAI_KEY_FILE at the file that holds the key you mean",
                )
        return key
    if settings.key_file.exists():
        return _validate(settings.key_file.read_text().strip(), str(settings.key_file))
    raise KeyError_(
        f"no encryption key: {settings.key_file} does not exist and SOCAI_CIPHER_KEY is unset",
        hint="create one with `socai keys init` (and back it up), or set SOCAI_CIPHER_KEY",
    )
