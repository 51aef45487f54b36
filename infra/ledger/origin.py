"""The log's identity (origin, danh tính sổ): the first line of every checkpoint it signs.

C2SP checkpoints name the log they are of, so a checkpoint of one store never passes as one
of another store signed with the same key. socai's origin is a schema-less URL-like name,
``socai.gov.vn/<province-or-name>/<random id>``, kept in the store's ``ledger_log`` table:

* it is generated when a store is first opened by the application (the name part from the
  store's file name or PostgreSQL schema, the random id so that two stores never share one),
  or chosen with ``socai audit init-log --origin`` before the first signed checkpoint;
* once a C2SP checkpoint was signed under it, it never changes (a new name would orphan every
  checkpoint and cosignature made under the old one).

It is also the key name of the operator's signature line (C2SP: the key name SHOULD match the
origin), so the signature's key ID commits to it too.
"""

from __future__ import annotations

import re
import secrets

from infra.ledger.errors import LedgerError
from infra.ledger.verifier import VerificationError, check_key_name

ORIGIN_DOMAIN = "socai.gov.vn"
#: Longest origin accepted (characters; it heads every checkpoint and signature line).
MAX_ORIGIN_CHARS = 200
#: Random bytes in a generated origin's last segment (hex: twice as many characters).
ORIGIN_RANDOM_BYTES = 8
_ORIGIN = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?(/[A-Za-z0-9._~-]+)+")
_LABEL_JUNK = re.compile(r"[^a-z0-9]+")


def generated_origin(label: str) -> str:
    """``socai.gov.vn/<label, reduced to a-z 0-9 ->/<random hex>``."""
    name = _LABEL_JUNK.sub("-", label.lower()).strip("-")[:40] or "store"
    origin = f"{ORIGIN_DOMAIN}/{name}/{secrets.token_hex(ORIGIN_RANDOM_BYTES)}"
    return check_origin(origin)


def check_origin(origin: str) -> str:
    """An origin socai will sign under: host/path, ASCII, no spaces or '+', bounded."""
    hint = f"choose a name like {ORIGIN_DOMAIN}/hanoi/<random id> (ASCII, no spaces, no '+')"
    if len(origin) > MAX_ORIGIN_CHARS:
        raise LedgerError(
            f"origin is {len(origin)} characters; at most {MAX_ORIGIN_CHARS}", hint=hint
        )
    if not _ORIGIN.fullmatch(origin):
        raise LedgerError(f"origin {origin!r} is not a schema-less URL (host/path)", hint=hint)
    try:
        return check_key_name(origin)
    except VerificationError as error:
        raise LedgerError(f"origin {origin!r}: {error}", hint=hint) from None
