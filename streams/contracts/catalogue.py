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


def contracts_table(contracts: Iterable[Contract], schema_link: str = "../streams/schemas/") -> str:
    lines = [
        "| public type | topic | from internal event | own fields | schema |",
        "|---|---|---|---|---|",
    ]
    for c in contracts:
        own = ", ".join(f.name for f in c.fields if f.name not in ENVELOPE_FIELDS) or "—"
        lines.append(
            f"| `{c.public_type}` | `{c.stream.topic}` | `{c.internal_topic}` |"
            f" {own} | [json]({schema_link}{c.schema_file}) |"
        )
    return "\n".join(lines) + "\n"
