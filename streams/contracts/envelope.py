"""The public envelope (phong bì sự kiện) of an aggregate's events, declared once.

Every public event of a case, an activity, a programme or a criminal case starts with the same
eight fields, in this order: the aggregate's id under its own name (also the message key), the
event's version, kind, business date, record time, officer, agency and legal basis. What each
means in words may differ by aggregate (a case's step, a programme's voucher), so the words of
the id, version, kind, date and legal basis are given by each contract; record time, officer
and agency are worded here. The published schemas are built from these words: changing one
changes a schema's bytes (tests/streams golden files).

After the envelope come the event's own fields. An event whose own fields all leave as
:func:`~streams.contracts.model.shared_field` allows (codes, numbers, dates, document codes;
the contract's free-text fields withheld) is mapped by :func:`plain_mapper`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from streams.contracts.model import (
    DATE,
    DATETIME,
    INTEGER,
    STRING,
    STRING_OR_NULL,
    UUID_STRING,
    FieldSpec,
    Mapper,
    public_envelope,
    shared_field,
)


def envelope_fields(
    key: str,
    key_meaning: str,
    *,
    version: str,
    kind: str,
    occurred_on: str,
    legal_basis: str,
    recorded: str = "it",
) -> tuple[FieldSpec, ...]:
    """The eight envelope fields; ``recorded`` names what was recorded ("it", "the step")."""
    return (
        FieldSpec(key, UUID_STRING, key_meaning),
        FieldSpec("version", INTEGER, version),
        FieldSpec("kind", STRING, kind),
        FieldSpec("occurred_on", DATE, occurred_on),
        FieldSpec("recorded_at", DATETIME, f"When {recorded} was recorded (UTC)."),
        FieldSpec("officer_id", STRING, f"Officer who recorded {recorded} (mã cán bộ)."),
        FieldSpec("agency", STRING, "Agency of the officer (cơ quan)."),
        FieldSpec("legal_basis", STRING_OR_NULL, legal_basis),
    )


def plain_mapper(
    specific: Mapping[str, tuple[FieldSpec, ...]],
    key: str,
    *,
    free_text: frozenset[str] = frozenset(),
    also: tuple[str, ...] = (),
) -> Callable[[str], Mapper]:
    """``mapper(kind)``: an event of ``kind`` as public data — its envelope under ``key``,
    then the common fields named in ``also`` and its own fields in ``specific[kind]``, each
    as :func:`shared_field` lets it leave (``free_text`` withheld)."""

    def mapper(kind: str) -> Mapper:
        names = (*also, *(f.name for f in specific[kind]))

        def plain(event: Any) -> dict[str, Any]:
            return {
                **public_envelope(event, key),
                **{name: shared_field(name, getattr(event, name), free_text) for name in names},
            }

        return plain

    return mapper
