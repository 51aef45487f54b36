"""Public contracts of programme activities (hoạt động) on ``socai.activity-events.v1``.

An activity is one event (a directive issued, communication sessions held, materials handed
out, a training course held) in one administrative unit, with whole-number counts; a wrong
record is withdrawn. Activities hold no personal data; the fields are still listed one by
one, so a field added later does not leave until a contract names it.
"""

from __future__ import annotations

from domain.activity.aggregate import Activity
from streams.contracts.envelope import envelope_fields, plain_contracts, unit_fields
from streams.contracts.model import (
    INTEGER,
    STRING,
    Contract,
    FieldSpec,
)
from streams.topics import ACTIVITY_EVENTS

ACTIVITY_TYPE_PREFIX = "vn.socai.activity."

COMMON = envelope_fields(
    "activity_id",
    "Id of the activity record; also the message key.",
    version="1 for the activity, 2 for its withdrawal.",
    kind="Kind of event, e.g. TrainingCourseHeld.",
    occurred_on="Business date (ngày thực hiện).",
    legal_basis="Document reference.",
)
_UNIT = unit_fields("Administrative unit that carried it out.")


def _counts(*names: str) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(name, INTEGER, f"Number of {name} (≥ 0).") for name in names)


SPECIFIC: dict[str, tuple[FieldSpec, ...]] = {
    "DirectiveIssued": _UNIT + _counts("documents"),
    "CommunicationSessionHeld": _UNIT + _counts("sessions", "participants"),
    "MaterialsDistributed": _UNIT + _counts("billboards", "posters", "leaflets"),
    "TrainingCourseHeld": _UNIT + _counts("courses", "trainees"),
    "Withdrawn": (FieldSpec("reason", STRING, "Why the record no longer counts."),),
}


#: Fields of this contract that an officer writes freely: withheld (published empty).
FREE_TEXT = frozenset({"reason"})


def activity_contracts() -> list[Contract]:
    return plain_contracts(
        Activity,
        SPECIFIC,
        "activity_id",
        common=COMMON,
        type_prefix=ACTIVITY_TYPE_PREFIX,
        stream=ACTIVITY_EVENTS,
        describe=lambda kind: f"A programme activity event: {kind}.",
        free_text=FREE_TEXT,
    )
