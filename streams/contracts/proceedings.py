"""Public contracts of criminal proceedings (vụ án) on ``socai.proceedings-events.v1``.

Counts and ids only: the unit, the stage, its date, its document number (as a shareable
document code), the deciding body, the number of defendants and the victims' case ids
(pseudonymous). A criminal case holds no person's data; the suspension reason is a code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.utils import get_topic

from domain.proceedings.aggregate import Proceedings, ProceedingsEvent
from streams.contracts.model import (
    DATE,
    DATETIME,
    INTEGER,
    STRING,
    STRING_OR_NULL,
    UUID_LIST,
    UUID_STRING,
    Contract,
    FieldSpec,
    aggregate_contracts,
    domain_envelope,
    public_envelope,
    shared_field,
)
from streams.topics import PROCEEDINGS_EVENTS

PROCEEDINGS_TYPE_PREFIX = "vn.socai.proceedings."

COMMON = (
    FieldSpec("proceedings_id", UUID_STRING, "Id of the criminal case; also the message key."),
    FieldSpec("version", INTEGER, "Position of the stage in the case's history (1 = opened)."),
    FieldSpec("kind", STRING, "Stage: Opened, Solved, Prosecuted, Tried or Suspended."),
    FieldSpec("occurred_on", DATE, "Business date of the stage."),
    FieldSpec("recorded_at", DATETIME, "When it was recorded (UTC)."),
    FieldSpec("officer_id", STRING, "Officer who recorded it (mã cán bộ)."),
    FieldSpec("agency", STRING, "Agency of the officer (cơ quan)."),
    FieldSpec("legal_basis", STRING_OR_NULL, "Document number of the stage (a document code)."),
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


def _mapper(kind: str) -> Callable[[Any], dict[str, Any]]:
    names = [f.name for f in SPECIFIC[kind]]

    def plain(event: ProceedingsEvent) -> dict[str, Any]:
        return {
            **public_envelope(event, "proceedings_id"),
            "deciding_body": event.deciding_body,
            **{name: shared_field(name, getattr(event, name)) for name in names},
        }

    return plain


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
        mapper=_mapper,
        to_domain=proceedings_event_from_public,
    )
