"""Value objects of the funding ledger (sổ cái kinh phí).

- :class:`SourceKind` — where a programme's money comes from (nguồn kinh phí): the central
  budget (ngân sách Trung ương), a local budget (ngân sách địa phương) or aid from organisations
  and individuals at home or abroad (tài trợ, viện trợ), which must name its donor.
- :class:`ActivityKind` — what a disbursement pays when it does not pay a case's support.
- the span of time an allocation covers is a :class:`~domain.period.Period`, written as every
  period in socai is (``2016``, ``2016-H1``, ``2016-Q3``, ``2016-03``, ``2006/2010``).
- :class:`Purpose` — what a commitment or payment is for: one case's support event (named by
  the pseudonymous case id and the event's version) or one activity.
- Codes and transaction ids: short, printable, stable names chosen by finance staff (the
  number on a decision or a voucher works well), used as idempotency keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from domain.case.values import parse_case_id
from domain.errors import InvalidInput
from domain.reference.codes import LabelledEnum
from domain.text import clean_text

#: Transaction ids and codes: letters, digits and ``. _ : / -``; at most this many characters.
MAX_ID_CHARS = 64
#: Titles, descriptions, donor names, reasons: at most this many characters.
MAX_TEXT_CHARS = 300

_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/\-]*$")


class SourceKind(LabelledEnum):
    """Nguồn kinh phí."""

    CENTRAL = "central", "Ngân sách Trung ương"
    LOCAL = "local", "Ngân sách địa phương"
    AID = "aid", "Tài trợ, viện trợ"


class ActivityKind(LabelledEnum):
    """Activities a programme pays for besides a case's support (seeds 000, 003)."""

    COMMUNICATION_SESSION = "communication_session", "Buổi truyền thông, tuyên truyền"
    TRAINING_COURSE = "training_course", "Lớp tập huấn"
    RECEPTION_POINT_WORKS = "reception_point_works", "Nâng cấp nơi tiếp nhận nạn nhân"
    DIRECTIVE = "directive", "Chỉ đạo, giám sát"


class PurposeKind(LabelledEnum):
    CASE_SUPPORT = "case_support", "Hỗ trợ nạn nhân (theo hồ sơ)"
    ACTIVITY = "activity", "Hoạt động"


def require_id(value: object, field: str) -> str:
    """A transaction id or code: 1–64 printable characters, no spaces."""
    text = str(value).strip() if value is not None else ""
    if not text or len(text) > MAX_ID_CHARS or not _ID_PATTERN.match(text):
        raise InvalidInput(
            field,
            f"{value!r} is not a valid id",
            hint=f"use 1–{MAX_ID_CHARS} letters, digits or . _ : / - (e.g. QD-123/2006)",
        )
    return text


def require_text(value: object, field: str) -> str:
    return clean_text(value, field, MAX_TEXT_CHARS)


def require_date(value: object, field: str) -> date:
    from domain.time import parse_date

    if isinstance(value, date):
        return value
    return parse_date(str(value), field)


@dataclass(frozen=True, slots=True)
class Purpose:
    """What money is committed or paid for: exactly one of a case's support or an activity.

    A case is named only by its pseudonymous id and the version of its ``SupportProvided``
    event; nothing identifying the person is ever part of a purpose.
    """

    kind: str
    case_id: UUID | None = None
    support_version: int | None = None
    activity: str | None = None
    description: str | None = None

    def __post_init__(self) -> None:
        support_key_of(self.kind, self.case_id, self.support_version, self.activity)

    @classmethod
    def case_support(cls, case_id: object, support_version: object) -> Purpose:
        case_uuid = parse_case_id(case_id, "case")
        if isinstance(support_version, bool) or not str(support_version).isdigit():
            raise InvalidInput(
                "support_version",
                f"{support_version!r} is not an event version",
                hint="`socai case history CASE_ID` lists each event with its version",
            )
        version = int(str(support_version))
        if version < 1:
            raise InvalidInput("support_version", "versions start at 1")
        return cls(PurposeKind.CASE_SUPPORT.value, case_id=case_uuid, support_version=version)

    @classmethod
    def of_activity(cls, activity: object, description: object) -> Purpose:
        kind = ActivityKind.parse(activity, "activity").value
        return cls(
            PurposeKind.ACTIVITY.value,
            activity=kind,
            description=require_text(description, "description"),
        )

    @property
    def support_key(self) -> tuple[UUID, int] | None:
        return support_key_of(self.kind, self.case_id, self.support_version, self.activity)

    def describe(self) -> str:
        if self.kind == PurposeKind.CASE_SUPPORT:
            return f"case {self.case_id} support event v{self.support_version}"
        return f"{self.activity}: {self.description}"


_CASE_SUPPORT = PurposeKind.CASE_SUPPORT.value
_ACTIVITY = PurposeKind.ACTIVITY.value


def support_key_of(
    kind: str, case_id: UUID | None, support_version: int | None, activity: str | None
) -> tuple[UUID, int] | None:
    """The (case id, support version) a purpose pays, or None for an activity, from a
    purpose's fields as a :class:`Purpose`, a commitment or payment command and their events
    carry them, asserting that they are one purpose: a case's support names the case and the
    version and no activity; an activity names one and no case.

    The ledger reads a purpose this way on every commitment and payment (also on replay)
    without building a :class:`Purpose` for it."""
    if kind == _CASE_SUPPORT:
        assert case_id is not None
        assert support_version is not None
        assert activity is None
        return (case_id, support_version)
    assert kind == _ACTIVITY
    assert activity is not None
    assert case_id is None
    return None
