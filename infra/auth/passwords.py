"""Passwords (mật khẩu): argon2id hashes, never the password.

The cost parameters are RFC 9106's second recommended option (argon2id, t=3, 64 MiB, p=4),
the library's default. Every hash carries its own parameters, so a hash made with other ones
still verifies; :meth:`Passwords.needs_rehash` says when a stored hash should be renewed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from domain.errors import InvalidInput

#: Shortest password accepted (NIST SP 800-63B: at least 8; a generated one has 24).
MIN_PASSWORD_CHARS = 12
MAX_PASSWORD_CHARS = 256


@dataclass(frozen=True)
class Passwords:
    """Hash and check passwords with argon2id."""

    hasher: PasswordHasher = field(
        default_factory=lambda: PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
    )

    def hash(self, password: str) -> str:
        check_password(password)
        return self.hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; a user with no password never matches (the check
        still costs one hash, so the answer takes as long either way)."""
        target = stored_hash or _DUMMY_HASH
        try:
            self.hasher.verify(target, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
        return stored_hash is not None

    def needs_rehash(self, stored_hash: str) -> bool:
        return self.hasher.check_needs_rehash(stored_hash)


def check_password(password: str) -> None:
    if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
        raise InvalidInput(
            "password",
            f"a password has {MIN_PASSWORD_CHARS}–{MAX_PASSWORD_CHARS} characters",
            hint="use a passphrase of several words",
        )


def generate_password() -> str:
    """A random password for a new user (24 URL-safe characters, 144 bits)."""
    return secrets.token_urlsafe(18)


#: A fixed hash checked when the user has no password or does not exist, so that a wrong
#: name costs as much time as a wrong password.
_DUMMY_HASH = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY).hash(
    "socai: no such password"
)
