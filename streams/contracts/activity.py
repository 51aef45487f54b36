"""Public contracts of programme activities (hoạt động) on ``socai.activity-events.v1``.

An activity is one event (a directive issued, communication sessions held, materials handed
out, a training course held) in one administrative unit, with whole-number counts; a wrong
record is withdrawn. Activities hold no personal data; the fields are still listed one by
one, so a field added later does not leave until a contract names it.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from domain.activity.aggregate import Activity, ActivityEvent
from streams.contracts.envelope import envelope_fields, plain_mapper
from streams.contracts.model import (
    INTEGER,
    STRING,
    Contract,
    FieldSpec,
    aggregate_contracts,
    domain_envelope,
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
_UNIT = (
    FieldSpec("unit_map", STRING, "Administrative map of unit_code: old | 2025."),
    FieldSpec("unit_code", STRING, "Administrative unit that carried it out."),
)


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


def activity_event_from_public(data: dict[str, Any]) -> ActivityEvent:
    """The domain event a public activity event stands for."""
    kind = data["kind"]
    event_class = getattr(Activity, kind)
    kwargs: dict[str, Any] = {
        **domain_envelope(data, "activity_id"),
        **{f.name: data[f.name] for f in SPECIFIC[kind]},
    }
    if kind != "Withdrawn":
        kwargs["originator_topic"] = get_topic(Activity)
    return event_class(**kwargs)


def activity_contracts() -> list[Contract]:
    return aggregate_contracts(
        Activity,
        SPECIFIC,
        common=COMMON,
        type_prefix=ACTIVITY_TYPE_PREFIX,
        stream=ACTIVITY_EVENTS,
        describe=lambda kind: f"A programme activity event: {kind}.",
        mapper=plain_mapper(SPECIFIC, "activity_id", free_text=FREE_TEXT),
        to_domain=activity_event_from_public,
    )
