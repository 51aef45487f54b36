"""Commands on criminal proceedings, parsed from flags or JSON into checked values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

from domain.case.values import parse_case_id
from domain.errors import InvalidInput
from domain.fields import FieldParser, ParsedFromFields, day, is_given, refuse_unknown
from domain.reference.codes import Agency
from domain.text import clean_text

#: More defendants than this in one case is a typing error, not a trafficking ring.
MAX_DEFENDANTS = 200
#: More victims' cases than this linked to one criminal case is a typing error.
MAX_VICTIM_CASES = 500
#: Bodies that open and investigate a trafficking case (cơ quan điều tra).
INVESTIGATING_BODIES = frozenset({Agency.POLICE, Agency.BORDER_GUARD})
#: Why proceedings are suspended (lý do tạm đình chỉ), codes only (no free text leaves).
SUSPENSION_REASONS = ("accused_not_found", "accused_ill", "awaiting_expertise", "other")


def _document(value: Any, field: str) -> str:
    return clean_text(value, field, 120)


def _defendants(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInput(field, "must be a whole number")
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= MAX_DEFENDANTS:
        raise InvalidInput(field, f"{value!r} is not a count from 1 to {MAX_DEFENDANTS}")
    return int(text)


def _body(value: Any, field: str) -> Agency:
    member = Agency.parse(value, field)
    assert isinstance(member, Agency)
    return member


@dataclass(frozen=True)
class Open:
    """Khởi tố vụ án."""

    occurred_on: date
    legal_basis: str  # the decision to open (quyết định khởi tố vụ án)
    deciding_body: Agency
    unit_code: str
    victim_case_ids: tuple[UUID, ...]
    defendants: int

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Open:
        refuse_unknown(cls, data)
        ids = data.get("victim_case_ids") or ()
        if isinstance(ids, str):
            ids = (ids,)
        if not ids or len(ids) > MAX_VICTIM_CASES:
            raise InvalidInput(
                "victim_case_ids",
                f"name 1 to {MAX_VICTIM_CASES} victims' cases",
                hint="pass --victim CASE_ID once per victim's case",
            )
        victims = []
        for text in ids:
            victims.append(parse_case_id(text, "victim_case_ids"))
        if len(set(victims)) != len(victims):
            raise InvalidInput("victim_case_ids", "a victim's case is named twice")
        unit = str(data.get("unit_code") or "").strip()
        if not unit.isdigit():
            raise InvalidInput("unit_code", f"{unit!r} is not a unit code", hint="e.g. 87 or 870")
        return cls(
            day(_required(data, "occurred_on"), "occurred_on"),
            _document(_required(data, "legal_basis"), "legal_basis"),
            _body(_required(data, "deciding_body"), "deciding_body"),
            unit,
            tuple(victims),
            _defendants(_required(data, "defendants"), "defendants"),
        )


@dataclass(frozen=True)
class StageCommand(ParsedFromFields):
    """A later stage: its date, document number, deciding body and defendants."""

    STAGE: ClassVar[str] = ""
    BODIES: ClassVar[frozenset[Agency]] = INVESTIGATING_BODIES

    occurred_on: date
    legal_basis: str
    deciding_body: Agency
    defendants: int

    @classmethod
    def parser_for(cls, name: str) -> FieldParser:
        return _STAGE_PARSERS[name]


@dataclass(frozen=True)
class Solve(StageCommand):
    """Điều tra làm rõ (kết luận điều tra)."""

    STAGE = "Solved"


@dataclass(frozen=True)
class Prosecute(StageCommand):
    """Truy tố (cáo trạng)."""

    STAGE = "Prosecuted"
    BODIES = frozenset({Agency.PROCURACY})


@dataclass(frozen=True)
class Try(StageCommand):
    """Xét xử sơ thẩm (bản án)."""

    STAGE = "Tried"
    BODIES = frozenset({Agency.COURT})


@dataclass(frozen=True)
class Suspend(StageCommand):
    """Tạm đình chỉ, with a reason code."""

    STAGE = "Suspended"
    reason: str = "other"

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Suspend:
        refuse_unknown(cls, data)
        reason = str(data.get("reason") or "").strip()
        if reason not in SUSPENSION_REASONS:
            raise InvalidInput(
                "reason", f"{reason!r} is not a reason code", hint=", ".join(SUSPENSION_REASONS)
            )
        return cls(
            day(_required(data, "occurred_on"), "occurred_on"),
            _document(_required(data, "legal_basis"), "legal_basis"),
            _body(_required(data, "deciding_body"), "deciding_body"),
            0,
            reason,
        )


_STAGE_PARSERS: dict[str, FieldParser] = {
    "occurred_on": day,
    "legal_basis": _document,
    "deciding_body": _body,
    "defendants": _defendants,
}

STAGE_COMMANDS: dict[str, type[StageCommand]] = {
    "solve": Solve,
    "prosecute": Prosecute,
    "try": Try,
    "suspend": Suspend,
}


def _required(data: Mapping[str, Any], name: str) -> Any:
    value = data.get(name)
    if not is_given(value):
        raise InvalidInput(name, "is required")
    return value
