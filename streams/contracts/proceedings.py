"""Public contracts of criminal proceedings (vụ án) on ``socai.proceedings-events.v1``.

Counts and ids only: the unit, the stage, its date, its document number (as a shareable
document code), the deciding body, the number of defendants and the victims' case ids
(pseudonymous). A criminal case holds no person's data; the suspension reason is a code.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from domain.proceedings.aggregate import Proceedings, ProceedingsEvent
from streams.contracts.envelope import envelope_fields, plain_mapper
from streams.contracts.model import (
    INTEGER,
    STRING,
    UUID_LIST,
    Contract,
    FieldSpec,
    aggregate_contracts,
    domain_envelope,
)
from streams.topics import PROCEEDINGS_EVENTS

PROCEEDINGS_TYPE_PREFIX = "vn.socai.proceedings."

COMMON = (
    *envelope_fields(
        "proceedings_id",
        "Id of the criminal case; also the message key.",
        version="Position of the stage in the case's history (1 = opened).",
        kind="Stage: Opened, Solved, Prosecuted, Tried or Suspended.",
        occurred_on="Business date of the stage.",
        legal_basis="Document number of the stage (a document code).",
    ),
    FieldSpec("deciding_body", STRING, "police, border_guard, procuracy or court."),
)
_DEFENDANTS = (FieldSpec("defendants", INTEGER, "Number of accused at this stage (counted)."),)

SPECIFIC: dict[str, tuple[FieldSpec, ...]] = {
    "Opened": (
        FieldSpec("unit_map", STRING, "Administrative map of unit_code: old | 2025."),
        FieldSpec("unit_code", STRING, "Unit where the case was opened."),
        FieldSpec("victim_case_ids", UUID_LIST, "The victims' case ids (pseudonymous)."),
        *_DEFENDANTS,
    ),
    "Solved": _DEFENDANTS,
    "Prosecuted": _DEFENDANTS,
    "Tried": _DEFENDANTS,
    "Suspended": (FieldSpec("reason", STRING, "Reason code of the suspension."),),
}


def proceedings_event_from_public(data: dict[str, Any]) -> ProceedingsEvent:
    """The domain event a public proceedings event stands for."""
    kind = data["kind"]
    event_class = getattr(Proceedings, kind)
    kwargs: dict[str, Any] = {
        **domain_envelope(data, "proceedings_id"),
        "deciding_body": data["deciding_body"],
        **{f.name: data[f.name] for f in SPECIFIC[kind]},
    }
    if kind == "Opened":
        kwargs["originator_topic"] = get_topic(Proceedings)
    return event_class(**kwargs)


def proceedings_contracts() -> list[Contract]:
    return aggregate_contracts(
        Proceedings,
        SPECIFIC,
        common=COMMON,
        type_prefix=PROCEEDINGS_TYPE_PREFIX,
        stream=PROCEEDINGS_EVENTS,
        describe=lambda kind: (
            f"A stage of a criminal case of trafficking: {kind}. Counts and ids only."
        ),
        mapper=plain_mapper(SPECIFIC, "proceedings_id", also=("deciding_body",)),
        to_domain=proceedings_event_from_public,
    )
