"""What text may leave the core (thông tin được chia sẻ): codes, numbers, dates, ids — or nothing.

Projections and public events are read by people and systems not entitled to a victim's
identity, so no free text may reach them: a legal basis, a relationship or a facility typed
by an officer can carry a name, a phone number or an identity number. Every value that
leaves the core passes through :func:`shareable_value`, which keeps:

- codes and numbers as they are (they were checked against a code list at input);
- a **document code** — a legal basis (số biên bản, số quyết định) or a facility code — only
  when it has the strict shape of one: upper-case letters (with Đ), digits and ``. / _ -``, at
  least one of each letter and digit, no spaces, at most 64 characters
  (``BB-87-2024-00001``, ``QĐ-TC-00001``, ``123/QĐ-UBND``). A name has lower case or spaces;
  a phone or identity number has no letter: both are withheld;
- a **relationship** as its code (older events may hold free text: see
  :func:`shareable_relationship`).

Withheld means ``None`` (the empty text for a facility): the core keeps the full text
(encrypted) for entitled readers. The function is idempotent, so public events rebuilt into
projections equal in-process ones.
"""

from __future__ import annotations

import re

from domain.reference.codes import Relationship

DOCUMENT_CODE = re.compile(r"(?=[^ ]*[0-9])(?=[^ ]*[A-ZĐ])[0-9A-ZĐ][0-9A-ZĐ./_-]{0,63}")

#: Fields whose value is a document code (shared only in that shape), and what stands in
#: for a withheld one: nothing for an optional legal basis; the empty text for a facility,
#: which every shelter stay has (the v1 public schema and the projection require a string).
DOCUMENT_CODE_FIELDS: dict[str, str | None] = {"legal_basis": None, "facility": ""}
#: Fields whose value is a relationship code.
RELATIONSHIP_FIELDS = frozenset({"relationship"})


def shareable_document_code(value: object) -> str | None:
    if isinstance(value, str) and DOCUMENT_CODE.fullmatch(value):
        return value
    return None


def shareable_relationship(value: object) -> str | None:
    """The relationship's code. Older events hold free text: a spelling of a code
    (``Mother``) becomes that code; anything else becomes ``other_relative`` — the public still
    learns that a relative is concerned, never the words typed."""
    if not isinstance(value, str) or not value.strip():
        return None
    wanted = value.strip().casefold()
    for member in Relationship:
        if member.value == wanted:
            return member.value
    return Relationship.OTHER_RELATIVE.value


def shareable_value(field: str, value: object) -> object:
    """``value`` as it may leave the core under the name ``field`` (``None``: withheld)."""
    if field in DOCUMENT_CODE_FIELDS:
        code = shareable_document_code(value)
        return DOCUMENT_CODE_FIELDS[field] if code is None else code
    if field in RELATIONSHIP_FIELDS:
        return shareable_relationship(value)
    return value


def is_shared_whole(field: str, value: object) -> bool:
    """Whether ``value`` leaves the core unchanged (nothing of it is withheld)."""
    return value is None or shareable_value(field, value) == value
