"""The catalogue of public event types as a Markdown table (published in docs/streams.md;
a test keeps the page equal to the contracts in code)."""

from __future__ import annotations

from collections.abc import Iterable

from streams.contracts.model import Contract

#: Fields every case / activity / funding event carries; the table lists only each type's own.
ENVELOPE_FIELDS = frozenset(
    {
        "case_id",
        "activity_id",
        "programme_id",
        "version",
        "kind",
        "occurred_on",
        "recorded_at",
        "officer_id",
        "agency",
        "legal_basis",
    }
)


#: The key field names: part of the envelope only as a type's first field (a payment's
#: ``case_id`` is its own field).
KEY_FIELDS = frozenset({"case_id", "activity_id", "programme_id"})


def _envelope(index: int, name: str) -> bool:
    return name in ENVELOPE_FIELDS and (name not in KEY_FIELDS or index == 0)


def contracts_table(contracts: Iterable[Contract], schema_link: str = "../streams/schemas/") -> str:
    lines = [
        "| public type | topic | from internal event | own fields | schema |",
        "|---|---|---|---|---|",
    ]
    for c in contracts:
        own = ", ".join(f.name for i, f in enumerate(c.fields) if not _envelope(i, f.name)) or "—"
        lines.append(
            f"| `{c.public_type}` | `{c.stream.topic}` | `{c.internal_topic}` |"
            f" {own} | [json]({schema_link}{c.schema_file}) |"
        )
    return "\n".join(lines) + "\n"
