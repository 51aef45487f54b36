"""Public contracts of criminal proceedings (vụ án) on ``socai.proceedings-events.v1``.

Counts and ids only: the unit, the stage, its date, its document number (as a shareable
document code), the deciding body, the number of defendants and the victims' case ids
(pseudonymous). A criminal case holds no person's data; the suspension reason is a code.
"""

from __future__ import annotations

from domain.proceedings.aggregate import Proceedings
from streams.contracts.envelope import envelope_fields, plain_contracts, unit_fields
from streams.contracts.model import (
    INTEGER,
    STRING,
    UUID_LIST,
    Contract,
    FieldSpec,
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
        *unit_fields("Unit where the case was opened."),
        FieldSpec("victim_case_ids", UUID_LIST, "The victims' case ids (pseudonymous)."),
        *_DEFENDANTS,
    ),
    "Solved": _DEFENDANTS,
    "Prosecuted": _DEFENDANTS,
    "Tried": _DEFENDANTS,
    "Suspended": (FieldSpec("reason", STRING, "Reason code of the suspension."),),
}


def proceedings_contracts() -> list[Contract]:
    return plain_contracts(
        Proceedings,
        SPECIFIC,
        "proceedings_id",
        common=COMMON,
        type_prefix=PROCEEDINGS_TYPE_PREFIX,
        stream=PROCEEDINGS_EVENTS,
        describe=lambda kind: (
            f"A stage of a criminal case of trafficking: {kind}. Counts and ids only."
        ),
        also=("deciding_body",),
    )
