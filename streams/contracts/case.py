"""Public contracts of case events (sự kiện hồ sơ) on ``socai.case-events.v1``.

What leaves, per step: the pseudonymous case id, the step's version, kind, business date
(``occurred_on``), record time, officer id, agency, legal basis, and the step's own
non-identifying fields. What never leaves: ``person`` (the received person's name, identity
number, address, phone) and ``relative`` (the same for a protected relative). Of ``relative``
only whether it is on file leaves (``relative_on_file``). A correction of a personal field
(``person.*``, ``relative.*``) is published without its old and new value
(``values_withheld``): the public knows that a personal field was corrected, never what it
says. The reason of a correction (lý do đính chính) is free text an officer writes and may
name a person, so it never leaves either: ``reason`` is published empty and
``reason_withheld`` is true (the v1 schema keeps its required string ``reason``, so existing
consumers still validate; see the compatibility rules in :mod:`streams.contracts.compat`).
The full reason stays in the encrypted store (``socai case history``).

The reverse, :func:`case_event_from_public`, rebuilds a domain event from public data (the
personal fields empty), so the projections run the same code on Kafka as in process.

Each field is listed here explicitly: a field added to an internal event does not leave until
a contract names it (and its schema gets the field, which is a compatible change).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.utils import get_topic

from domain.case.aggregate import Case, CaseEvent
from domain.case.catalogue import PERSONAL_EVENT_FIELDS, is_personal_field
from domain.case.commands import FIELD_PARSERS
from domain.case.shareable import is_shared_whole, shareable_relationship, shareable_value
from domain.case.values import PersonalData
from streams.contracts.envelope import envelope_fields, plain_mapper, unit_fields
from streams.contracts.model import (
    BOOLEAN,
    INTEGER,
    INTEGER_OR_NULL,
    SCALAR_OR_NULL,
    STRING,
    STRING_OR_NULL,
    WITHHELD_REASON,
    Contract,
    FieldSpec,
    domain_envelope,
    public_envelope,
)
from streams.topics import CASE_EVENTS

#: Prefix of the public types of case events.
CASE_TYPE_PREFIX = "vn.socai.case."

COMMON = envelope_fields(
    "case_id",
    "Pseudonymous case id (mã hồ sơ); also the message key.",
    version="Position of the step in the case's history (1 = reception).",
    kind="Kind of step, e.g. SupportProvided.",
    occurred_on="Business date the step happened (ngày xảy ra).",
    legal_basis="Document reference, e.g. a reception record no.",
    recorded="the step",
)

#: A reason an officer types (a reopening's, a correction's) may name a person: it leaves empty,
#: and a flag beside it says so (the schema keeps ``reason`` a required string).
_WITHHELD_REASON = FieldSpec(
    "reason",
    STRING,
    "Always empty: the officer's free-text reason is withheld (see reason_withheld).",
)
_REASON_WITHHELD = FieldSpec(
    "reason_withheld",
    BOOLEAN,
    "Always true: the reason is free text that may name a person; it stays in the encrypted store.",
)

#: Who is protected, in a protection's request and in the measure applied.
_PROTECTED = FieldSpec("protected", STRING, "victim | relative.")

#: The step's own public fields, per internal event kind.
SPECIFIC: dict[str, tuple[FieldSpec, ...]] = {
    "Received": (
        FieldSpec("reception_form", STRING, "self_returned | rescued | bilateral_handover."),
        *unit_fields("Receiving administrative unit (mã đơn vị hành chính)."),
        FieldSpec("belongings_checked", BOOLEAN, "Belongings checked and recorded."),
        FieldSpec("interview_held", BOOLEAN, "Initial interview held."),
    ),
    "DemographicsRecorded": (
        FieldSpec("sex", STRING, "male | female."),
        FieldSpec("birth_year", INTEGER_OR_NULL, "Year of birth when known."),
        FieldSpec("age_band", STRING_OR_NULL, "under_16 | 16_17 | adult when no birth year."),
        FieldSpec("ethnicity", STRING, "kinh | other."),
        FieldSpec("nationality", STRING, "ISO 3166-1 alpha-2 country code."),
    ),
    "TraffickingFormRecorded": (
        FieldSpec("scope", STRING, "domestic | abroad."),
        FieldSpec("destination_country", STRING_OR_NULL, "ISO alpha-2 when abroad."),
    ),
    "VerificationRequested": (FieldSpec("body", STRING, "Agency asked to verify."),),
    "VerificationConcluded": (
        FieldSpec("outcome", STRING, "victim | not_victim | suspected_victim."),
        FieldSpec("deciding_body", STRING, "Agency that decided."),
    ),
    "Routed": (FieldSpec("destination", STRING, "Where the person was sent."),),
    "ProtectionRequested": (
        _PROTECTED,
        FieldSpec("relationship", STRING_OR_NULL, "Relationship of the relative in need."),
        FieldSpec(
            "source",
            STRING,
            "Who established the need, a code: victim_request, relative_request or"
            " agency_assessment.",
        ),
    ),
    "ProtectionApplied": (
        _PROTECTED,
        FieldSpec("relationship", STRING_OR_NULL, "Relationship of the protected relative."),
        FieldSpec(
            "measure",
            STRING,
            "Protection measure, a code: confidentiality, safe_accommodation,"
            " personal_safety, escort or dignity_and_property.",
        ),
        FieldSpec(
            "relative_on_file",
            BOOLEAN,
            "Whether the relative's personal data is on file (the data never leaves).",
        ),
    ),
    "SupportProvided": (
        FieldSpec("support_type", STRING, "Kind of support (SupportType code)."),
        FieldSpec("amount_vnd", INTEGER_OR_NULL, "Amount in whole đồng, when money was paid."),
        FieldSpec("period_days", INTEGER_OR_NULL, "Days covered, when the support has a period."),
        FieldSpec("provider_agency", STRING, "Agency that provided it."),
    ),
    "ShelterAdmitted": (FieldSpec("facility", STRING, "Facility the person was admitted to."),),
    "ShelterDischarged": (),
    "Reintegrated": (),
    "Closed": (FieldSpec("reason", STRING, "Closure reason code."),),
    "Reopened": (
        _WITHHELD_REASON,
        _REASON_WITHHELD,
    ),
    "CorrectionRecorded": (
        FieldSpec("corrects_version", INTEGER, "Version of the step corrected."),
        FieldSpec("field", STRING, "Field corrected (person.* / relative.* values withheld)."),
        FieldSpec("old_value", SCALAR_OR_NULL, "Value replaced; null when withheld."),
        FieldSpec("new_value", SCALAR_OR_NULL, "Value now in force; null when withheld."),
        _WITHHELD_REASON,
        FieldSpec(
            "values_withheld",
            BOOLEAN,
            "True when a personal field was corrected: the values are not published.",
        ),
        _REASON_WITHHELD,
    ),
}


_PLAIN = plain_mapper(SPECIFIC, "case_id")


def _mapper(kind: str) -> Callable[[Any], dict[str, Any]]:
    def protection(event: Case.ProtectionApplied) -> dict[str, Any]:
        return {
            **public_envelope(event, "case_id"),
            "protected": event.protected,
            "relationship": shareable_relationship(event.relationship),
            "measure": event.measure,
            "relative_on_file": event.relative is not None and bool(event.relative.present_fields),
        }

    def correction(event: Case.CorrectionRecorded) -> dict[str, Any]:
        """Personal values never leave; other values leave as the projections keep them
        (a document code, a relationship's code), and ``values_withheld`` says whether
        anything of what was typed was held back."""
        personal = is_personal_field(event.field)
        withheld = personal or not (
            is_shared_whole(event.field, event.old_value)
            and is_shared_whole(event.field, event.new_value)
        )
        return {
            **public_envelope(event, "case_id"),
            "corrects_version": event.corrects_version,
            "field": event.field,
            "old_value": None if personal else shareable_value(event.field, event.old_value),
            "new_value": None if personal else shareable_value(event.field, event.new_value),
            "reason": WITHHELD_REASON,
            "values_withheld": withheld,
            "reason_withheld": True,
        }

    def reopening(event: Case.Reopened) -> dict[str, Any]:
        return {
            **public_envelope(event, "case_id"),
            "reason": WITHHELD_REASON,
            "reason_withheld": True,
        }

    special: dict[str, Callable[[Any], dict[str, Any]]] = {
        "ProtectionApplied": protection,
        "CorrectionRecorded": correction,
        "Reopened": reopening,
    }
    return special[kind] if kind in special else _PLAIN(kind)


def _subject(event: CaseEvent) -> str:
    return str(event.originator_id)


def case_contracts() -> list[Contract]:
    contracts = []
    for kind, specific in SPECIFIC.items():
        event_class = getattr(Case, kind)
        assert not {f.name for f in specific} & set(PERSONAL_EVENT_FIELDS), kind
        contracts.append(
            Contract(
                internal_topic=event_class.TOPIC,
                public_type=f"{CASE_TYPE_PREFIX}{kind}.v1",
                stream=CASE_EVENTS,
                fields=COMMON + specific,
                description=f"A step of a case: {kind}. No identifying data of any person.",
                mapper=_mapper(kind),
                subject_of=_subject,
                to_domain=case_event_from_public,
            )
        )
    return contracts


#: Public fields derived from the event rather than being one of its fields.
_DERIVED_FIELDS = ("relative_on_file", "values_withheld", "reason_withheld")


def _parse_corrected(field: str, value: Any) -> Any:
    """A corrected value as the aggregate stored it (dates as dates, codes as text)."""
    if value is None:
        return None
    parser = FIELD_PARSERS.get(field)
    assert parser is not None, f"no parser for corrected field {field!r}"
    return parser(value, field)


def case_event_from_public(data: dict[str, Any]) -> CaseEvent:
    """The domain event a public case event stands for, personal fields empty.

    Everything a projection reads is in the public data; what is not (the person, the
    relative, the values of personal corrections) stays empty here.
    """
    kind = data["kind"]
    event_class = getattr(Case, kind)
    assert issubclass(event_class, CaseEvent), kind
    kwargs = domain_envelope(data, "case_id")
    for spec in SPECIFIC[kind]:
        if spec.name not in _DERIVED_FIELDS:
            kwargs[spec.name] = data[spec.name]
    if kind == "Received":
        kwargs.update(person=PersonalData(), originator_topic=get_topic(Case))
    elif kind == "ProtectionApplied":
        kwargs["relative"] = PersonalData() if data["relative_on_file"] else None
    elif kind == "CorrectionRecorded":
        field = data["field"]
        kwargs["old_value"] = _parse_corrected(field, data["old_value"])
        kwargs["new_value"] = _parse_corrected(field, data["new_value"])
    return event_class(**kwargs)
