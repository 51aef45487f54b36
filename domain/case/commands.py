"""Commands a case officer gives, parsed from flags or JSON into checked values.

Each command is a frozen dataclass; :meth:`Command.parse` builds one from a plain mapping (the
CLI's flags or a ``--from-json`` file) and raises :class:`InvalidInput` naming the field, what
is wrong and how to fix it. Parsing checks *form* (a known code, a real date, whole đồng);
the aggregate then checks *rules* against the case's history.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from datetime import date
from typing import Any, ClassVar

from domain.case.values import PERSONAL_FIELD_MAX_CHARS, PersonalData
from domain.errors import InvalidInput
from domain.fields import FieldParser, ParsedFromFields, day, whole_number
from domain.money import require_amount_vnd
from domain.reference.codes import (
    AgeBand,
    Agency,
    ClosureReason,
    Ethnicity,
    LabelledEnum,
    ProtectedPerson,
    ProtectionMeasure,
    ProtectionRequestSource,
    ReceptionForm,
    Relationship,
    RoutingDestination,
    Sex,
    SupportType,
    TraffickingScope,
    VerificationOutcome,
)
from domain.reference.countries import require_country
from domain.text import clean_text, is_ascii_digits

Parser = FieldParser


def _enum(enum: type[LabelledEnum]) -> Parser:
    return lambda value, field: enum.parse(value, field).value


def _text(max_chars: int) -> Parser:
    return lambda value, field: clean_text(value, field, max_chars)


def _bool(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "y", "có"):
        return True
    if text in ("false", "no", "0", "n", "không"):
        return False
    raise InvalidInput(field, f"{value!r} is not yes/no", hint="use true or false")


def _int_range(low: int, high: int) -> Parser:
    return lambda value, field: whole_number(value, field, low, high, what="a whole number")


def _unit_code(value: Any, field: str) -> str:
    code = str(value).strip()
    if not (is_ascii_digits(code) and len(code) in (2, 3, 5)):
        raise InvalidInput(
            field,
            f"{value!r} is not a unit code",
            hint="2 digits for a province, 3 for a district (old map), 5 for a commune",
        )
    return code


def _person(value: Any, field: str) -> PersonalData:
    return value if isinstance(value, PersonalData) else PersonalData.from_mapping(value, field)


#: The code list (danh mục mã) each coded field takes its values from, by field name.
CODE_LISTS: dict[str, type[LabelledEnum]] = {
    "reception_form": ReceptionForm,
    "sex": Sex,
    "age_band": AgeBand,
    "ethnicity": Ethnicity,
    "scope": TraffickingScope,
    "body": Agency,
    "outcome": VerificationOutcome,
    "deciding_body": Agency,
    "destination": RoutingDestination,
    "protected": ProtectedPerson,
    "relationship": Relationship,
    "measure": ProtectionMeasure,
    "source": ProtectionRequestSource,
    "support_type": SupportType,
    "provider_agency": Agency,
    "reason": ClosureReason,
}

#: How each field is parsed, by name. A command may override one in ``PARSERS``.
FIELD_PARSERS: dict[str, Parser] = {
    **{name: _enum(code_list) for name, code_list in CODE_LISTS.items()},
    "occurred_on": day,
    "legal_basis": _text(120),
    "unit_code": _unit_code,
    "belongings_checked": _bool,
    "interview_held": _bool,
    "person": _person,
    "birth_year": _int_range(1900, 2100),
    "nationality": lambda v, f: require_country(v, f),
    "destination_country": lambda v, f: require_country(v, f),
    "relative": _person,
    "amount_vnd": lambda v, f: require_amount_vnd(v, f),
    "period_days": _int_range(1, 366),
    "facility": _text(200),
    "corrects_version": _int_range(1, 10**9),
    "field": _text(60),
    "note": _text(500),
}

#: Personal sub-fields that a correction may name (``person.full_name`` ...).
for _name in PERSONAL_FIELD_MAX_CHARS:
    FIELD_PARSERS[f"person.{_name}"] = _text(500)
    FIELD_PARSERS[f"relative.{_name}"] = _text(500)


@dataclass(frozen=True)
class Command(ParsedFromFields):
    """Base of case commands. ``EVENT`` names the event kind the command records.

    Every command carries the two fields every case event carries from the officer (see
    ``CaseEvent``), declared here once: the business date, first, and the legal basis, given
    by keyword; a command's own fields follow the date (a reception requires its legal basis).
    """

    EVENT: ClassVar[str]
    PARSERS: ClassVar[dict[str, Parser]] = {}
    #: Ngày nghiệp vụ: the day the step happened (not the day it is recorded).
    occurred_on: date
    _: KW_ONLY
    #: Căn cứ pháp lý: the decision or document the step rests on, when there is one.
    legal_basis: str | None = None

    @classmethod
    def parser_for(cls, name: str) -> Parser:
        return cls.PARSERS.get(name) or FIELD_PARSERS[name]


@dataclass(frozen=True)
class Receive(Command):
    """Tiếp nhận: a person is received, with the reception record (biên bản tiếp nhận)."""

    EVENT = "Received"
    reception_form: str
    unit_code: str
    #: Required here (the reception record rests on a decision); ``field()`` so that the
    #: base's default ``None`` is not inherited.
    legal_basis: str = field(kw_only=True)
    belongings_checked: bool = False
    interview_held: bool = False
    person: PersonalData = PersonalData()  # noqa: RUF009 (immutable value)


@dataclass(frozen=True)
class RecordDemographics(Command):
    EVENT = "DemographicsRecorded"
    sex: str
    ethnicity: str
    nationality: str = "VN"
    birth_year: int | None = None
    age_band: str | None = None


@dataclass(frozen=True)
class RecordTraffickingForm(Command):
    EVENT = "TraffickingFormRecorded"
    scope: str
    destination_country: str | None = None


@dataclass(frozen=True)
class RequestVerification(Command):
    EVENT = "VerificationRequested"
    body: str


@dataclass(frozen=True)
class ConcludeVerification(Command):
    EVENT = "VerificationConcluded"
    outcome: str
    deciding_body: str


@dataclass(frozen=True)
class Route(Command):
    EVENT = "Routed"
    destination: str


@dataclass(frozen=True)
class RequestProtection(Command):
    EVENT = "ProtectionRequested"
    protected: str
    source: str
    relationship: str | None = None


@dataclass(frozen=True)
class Protect(Command):
    EVENT = "ProtectionApplied"
    protected: str
    measure: str
    relationship: str | None = None
    relative: PersonalData | None = None


@dataclass(frozen=True)
class ProvideSupport(Command):
    EVENT = "SupportProvided"
    support_type: str
    provider_agency: str
    amount_vnd: int | None = None
    period_days: int | None = None


@dataclass(frozen=True)
class AdmitToShelter(Command):
    EVENT = "ShelterAdmitted"
    facility: str


@dataclass(frozen=True)
class DischargeFromShelter(Command):
    EVENT = "ShelterDischarged"


@dataclass(frozen=True)
class Reintegrate(Command):
    EVENT = "Reintegrated"


@dataclass(frozen=True)
class Close(Command):
    EVENT = "Closed"
    reason: str


@dataclass(frozen=True)
class Reopen(Command):
    """Mở lại hồ sơ: a closed case is reopened — the closure was wrong, or the person needs
    the programme again. The reason is free text (it never leaves the encrypted store)."""

    EVENT = "Reopened"
    PARSERS: ClassVar[dict[str, Parser]] = {"reason": _text(500)}
    reason: str


@dataclass(frozen=True)
class FieldChange:
    """One field of a correction: its name, the value recorded now (``None``: recorded
    empty) and the right value (``None``: empty it)."""

    field: str
    old_value: Any
    new_value: Any


@dataclass(frozen=True)
class Correct(Command):
    """Đính chính: replace one field of one earlier step; the original stays in history.

    ``old_value`` is what the officer believes is recorded now (``None`` when the field was
    recorded empty): the correction is refused if it differs, so nobody corrects a value they
    have not seen. ``more`` holds further fields *of the same event*: all the changes are
    checked as a whole and recorded together or not at all (one write), so a reception's date
    and unit can move across 1 July 2025 together.
    """

    EVENT = "CorrectionRecorded"
    PARSERS: ClassVar[dict[str, Parser]] = {"reason": _text(500)}
    corrects_version: int
    field: str
    reason: str
    old_value: Any = None
    new_value: Any = None
    more: tuple[FieldChange, ...] = ()

    @property
    def changes(self) -> tuple[FieldChange, ...]:
        return (FieldChange(self.field, self.old_value, self.new_value), *self.more)

    @classmethod
    def parser_for(cls, name: str) -> Parser:
        if name in ("old_value", "new_value"):
            return lambda value, field: value  # parsed against the corrected field, later
        if name == "more":
            return _changes
        return super().parser_for(name)


#: At most this many fields change in one correction (an event has fewer fields than this).
MAX_FIELDS_PER_CORRECTION = 16


def _changes(value: Any, field: str) -> tuple[FieldChange, ...]:
    """Further changes from JSON: a list of ``{"field", "old_value", "new_value"}``."""
    if isinstance(value, tuple) and all(isinstance(v, FieldChange) for v in value):
        return value
    if not isinstance(value, list) or len(value) >= MAX_FIELDS_PER_CORRECTION:
        raise InvalidInput(
            field,
            f"must be a list of at most {MAX_FIELDS_PER_CORRECTION - 1} changes",
            hint='each change is {"field": ..., "old_value": ..., "new_value": ...}',
        )
    changes = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"field", "old_value", "new_value"}:
            raise InvalidInput(field, 'each change has only "field", "old_value", "new_value"')
        changes.append(
            FieldChange(
                FIELD_PARSERS["field"](item.get("field"), f"{field}.field"),
                item.get("old_value"),
                item.get("new_value"),
            )
        )
    return tuple(changes)


COMMANDS: dict[str, type[Command]] = {
    "receive": Receive,
    "demographics": RecordDemographics,
    "trafficking": RecordTraffickingForm,
    "request_verification": RequestVerification,
    "verify": ConcludeVerification,
    "route": Route,
    "request_protection": RequestProtection,
    "protect": Protect,
    "support": ProvideSupport,
    "admit_shelter": AdmitToShelter,
    "discharge_shelter": DischargeFromShelter,
    "reintegrate": Reintegrate,
    "close": Close,
    "reopen": Reopen,
    "correct": Correct,
}
