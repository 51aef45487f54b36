"""Value objects of a case.

:class:`PersonalData` holds what identifies a person: name (họ tên), identity number (số định
danh / CCCD), address (địa chỉ) and phone (số điện thoại). It lives only inside the core's
events, which the event store encrypts at rest (AES-GCM); it never reaches a projection, a
public event, a log line or an error message. Its ``repr`` and ``str`` say only which fields
are present, so a stray ``print(event)`` or a traceback cannot leak it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from domain.errors import InvalidInput
from domain.text import clean_text

#: An officer id (mã cán bộ): the identifier of an official, never free text.
OFFICER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")

#: Upper bounds on personal text fields (characters): generous for real names and addresses,
#: small enough to stop a paste of a whole document into a field.
PERSONAL_FIELD_MAX_CHARS = {"full_name": 200, "id_number": 32, "address": 500, "phone": 32}


@dataclass(frozen=True, slots=True)
class PersonalData:
    full_name: str | None = None
    id_number: str | None = None
    address: str | None = None
    phone: str | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                cleaned = clean_text(value, f"person.{f.name}", PERSONAL_FIELD_MAX_CHARS[f.name])
                object.__setattr__(self, f.name, cleaned)

    @classmethod
    def from_mapping(cls, data: object, field: str = "person") -> PersonalData:
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise InvalidInput(field, "must be an object with full_name, id_number, address, phone")
        unknown = set(data) - set(PERSONAL_FIELD_MAX_CHARS)
        if unknown:
            raise InvalidInput(
                field,
                f"unknown fields {sorted(unknown)}",
                hint="allowed: full_name, id_number, address, phone",
            )
        return cls(**{k: (str(v) if v is not None else None) for k, v in data.items()})

    def as_dict(self) -> dict[str, str | None]:
        """The clear values: for the encrypted event state and entitled readers only."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def present_fields(self) -> list[str]:
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def __repr__(self) -> str:
        return f"PersonalData(<redacted: {', '.join(self.present_fields) or 'empty'}>)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)


@dataclass(frozen=True, slots=True, repr=False)
class ErasedPersonalData(PersonalData):
    """Personal data whose key was destroyed (đã xóa dữ liệu cá nhân): the event still holds
    the sealed record's reference, but no key the tool holds opens it any more. It has no
    parts; views show the erasure (date and decision) in its place. Never equal to a
    :class:`PersonalData` holding values, nor to an empty one."""

    def __repr__(self) -> str:
        return "PersonalData(<erased>)"

    __str__ = __repr__


def is_personal(value: Any) -> bool:
    return isinstance(value, PersonalData)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did it: the officer's id (mã cán bộ) and their agency. Not personal data of a
    victim; officers act in an official capacity and the record must name them."""

    officer_id: str
    agency: str

    def __post_init__(self) -> None:
        from domain.reference.codes import Agency

        if not OFFICER_ID.fullmatch(self.officer_id):
            raise InvalidInput(
                "officer",
                "an officer id is 1–64 letters, digits, '.', '_' or '-' (e.g. BP-87-01),"
                " starting with a letter or digit",
                hint="pass --officer ID or set SOCAI_OFFICER",
            )
        # A code is stored in its one canonical spelling: BORDER_GUARD is border_guard.
        object.__setattr__(self, "agency", Agency.parse(self.agency, "agency").value)


class Dated(Protocol):
    """A command with a business date and a legal basis (a case's, an activity's, a criminal
    case's)."""

    @property
    def occurred_on(self) -> date: ...

    @property
    def legal_basis(self) -> str | None: ...


def recording(command: Dated, actor: Actor, recorded_at: datetime) -> dict[str, Any]:
    """The fields an event gets from how it was recorded, besides its own: the record time
    (``timestamp``), the business date (ngày nghiệp vụ), the officer and agency who recorded
    it and the legal basis (căn cứ pháp lý)."""
    return {
        "timestamp": recorded_at,
        "occurred_on": command.occurred_on,
        "officer_id": actor.officer_id,
        "agency": actor.agency,
        "legal_basis": command.legal_basis,
    }


def parse_case_id(text: object, field: str = "case id", hint: str = "") -> UUID:
    """A case id (mã hồ sơ) as written (a UUID, or its text), or a refusal that names the
    field; ``hint`` says where the caller's user finds the id."""
    if isinstance(text, UUID):
        return text
    try:
        return UUID(str(text))
    except ValueError:
        raise InvalidInput(field, f"{text!r} is not a case id", hint=hint) from None
