"""Data subjects of a case (chủ thể dữ liệu): whose personal data an event field holds.

A case holds the personal data of its victim (nạn nhân) and of each relative named in a
protection (người thân). Each of them is one data subject, with their own data key
(crypto-shredding: destroying the key erases the person's data everywhere it is stored, and
nothing else). The subject of a personal value follows from the event alone:

- ``Received.person`` and a correction of ``person.*``: the victim (``victim``);
- ``ProtectionApplied.relative`` recorded at version N, and a correction of ``relative.*``
  of that event: the relative ``relative:N`` (named by the version that recorded them, as
  ``socai case person`` shows it: ``vN.relative.full_name``).

Pure: the store seals each value under the key of its subject; erasure and the views use the
same function, so they can never disagree on whose data a field holds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from domain.errors import InvalidInput

VICTIM = "victim"
_RELATIVE = re.compile(r"relative:([1-9][0-9]{0,5})")
#: Event fields of a correction that carry the corrected field's values.
_CORRECTION_VALUES = frozenset({"old_value", "new_value"})


def relative(version: int) -> str:
    """The relative recorded by the protection at ``version``."""
    return f"relative:{version}"


def parse_subject(text: str, field: str = "--who") -> str:
    """``victim`` or ``relative:N`` (N: the version of the protection that recorded them)."""
    cleaned = text.strip()
    if cleaned == VICTIM or _RELATIVE.fullmatch(cleaned):
        return cleaned
    raise InvalidInput(
        field,
        f"{text!r} names no person of a case",
        hint="victim, or relative:N where N is the version of the protection that recorded"
        " the relative (`socai case person` shows it as vN.relative.*)",
    )


def relative_version(subject: str) -> int | None:
    """N of ``relative:N``; None for the victim."""
    match = _RELATIVE.fullmatch(subject)
    return None if match is None else int(match.group(1))


def subject_of(kind: str, version: int, field: str, data: Mapping[str, Any]) -> str:
    """Whose data the field ``field`` of a case event holds (``kind``: the event's class name,
    ``version``: its version, ``data``: its fields). Raises ``ValueError`` for a field that
    holds no one's personal data: a caller asking about one is a programming error."""
    if kind == "Received" and field == "person":
        return VICTIM
    if kind == "ProtectionApplied" and field == "relative":
        return relative(version)
    if kind == "CorrectionRecorded" and field in _CORRECTION_VALUES:
        corrected = str(data["field"]).partition(".")[0]
        if corrected == "person":
            return VICTIM
        if corrected == "relative":
            return relative(int(data["corrects_version"]))
    raise ValueError(f"{kind}.{field} holds no person's data")


def key_id(case_id: UUID, subject: str) -> str:
    """The id of a subject's data key: the case's pseudonymous id and the subject."""
    return f"{case_id}/{subject}"
