"""API tokens (mã truy cập): what a login or a script presents on every command.

A token reads ``socai1.<username>.<token id>.<secret>``: the username and id say which stored
hash to compare with; the secret is 256 random bits, stored only as its SHA-256 (a fast hash is
enough for a secret nobody chose). Tokens expire and can be revoked; new credentials revoke all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from domain.errors import SocaiError

PREFIX = "socai1"


class NotAuthenticated(SocaiError):
    """No valid credentials: nothing was done."""


@dataclass(frozen=True, slots=True)
class Token:
    username: str
    token_id: str
    secret: str

    def __str__(self) -> str:
        return f"{PREFIX}.{self.username}.{self.token_id}.{self.secret}"

    def __repr__(self) -> str:
        return f"Token({self.username}, {self.token_id}, <secret>)"

    @property
    def hash(self) -> str:
        return token_hash(self.secret)


def new_token(username: str) -> Token:
    return Token(username, secrets.token_hex(8), secrets.token_urlsafe(32))


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def matches(secret: str, stored_hash: str) -> bool:
    return hmac.compare_digest(token_hash(secret), stored_hash)


def parse_token(text: str) -> Token:
    parts = text.strip().split(".")
    if len(parts) != 4 or parts[0] != PREFIX or not all(parts):
        raise NotAuthenticated(
            "the token is not a socai token",
            hint="log in again with `socai login`, or check SOCAI_TOKEN / --token-file",
        )
    return Token(parts[1], parts[2], parts[3])
