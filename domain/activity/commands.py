"""Commands that record a programme activity, parsed from flags into checked values.

Form is checked here (a real date, a unit code that exists on the map in force on that date,
whole non-negative counts under explicit limits); nothing is stored when a check fails.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field, fields
from datetime import date
from typing import Any, ClassVar, Self

from domain.case.rules import EARLIEST_BUSINESS_DATE
from domain.errors import InvalidInput, RuleViolation
from domain.fields import FieldParser, ParsedFromFields, day, whole_number
from domain.reference.units import AdminMap, unit_directory
from domain.text import clean_text

#: Upper bounds per activity record: a session for a whole province is some thousands of
#: people; a leaflet run some hundred thousand. Above these, a typo is far more likely.
MAX_PARTICIPANTS = 100_000
MAX_ITEMS = 10_000_000
MAX_DOCUMENTS = 1_000
MAX_SESSIONS = 1_000
TEXT_MAX_CHARS = 500


def _count(value: Any, field: str, high: int) -> int:
    return whole_number(value, field, 0, high, what="a whole number ≥ 0")


def _text(value: Any, field: str) -> str:
    return clean_text(value, field, TEXT_MAX_CHARS)


def count(high: int, *, default: int) -> int:
    """A count field (số lượng: documents, sessions, people, items): a whole number from 0 to
    ``high``, ``default`` when not given. The limit is declared with the field it bounds."""
    return field(default=default, metadata={"max": high})


@dataclass(frozen=True)
class ActivityCommand(ParsedFromFields):
    """Base: every activity has a business date, a unit, and optionally a legal basis."""

    EVENT: ClassVar[str]
    occurred_on: date
    unit_code: str
    _: KW_ONLY
    legal_basis: str | None = None

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self:
        command = super().parse(data)
        command._check_unit()
        return command

    @classmethod
    def parser_for(cls, name: str) -> FieldParser:
        if name == "occurred_on":
            return day
        high = next((f.metadata.get("max") for f in fields(cls) if f.name == name), None)
        if high is not None:
            return lambda raw, field: _count(raw, field, high)
        return _text

    def _check_unit(self) -> None:
        unit_directory().require(AdminMap.in_force_on(self.occurred_on), self.unit_code)

    def check_date(self, today: date) -> None:
        if self.occurred_on > today:
            raise RuleViolation(
                "future_date",
                f"the activity is dated {self.occurred_on}, after today ({today})",
                hint="record it when it has happened",
            )
        if self.occurred_on < EARLIEST_BUSINESS_DATE:
            raise RuleViolation(
                "too_early",
                f"the activity is dated {self.occurred_on}, before {EARLIEST_BUSINESS_DATE}",
            )

    def event_kwargs(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class IssueDirective(ActivityCommand):
    EVENT = "DirectiveIssued"
    documents: int = count(MAX_DOCUMENTS, default=1)


@dataclass(frozen=True)
class HoldCommunicationSession(ActivityCommand):
    EVENT = "CommunicationSessionHeld"
    participants: int = count(MAX_PARTICIPANTS, default=0)
    sessions: int = count(MAX_SESSIONS, default=1)


@dataclass(frozen=True)
class DistributeMaterials(ActivityCommand):
    EVENT = "MaterialsDistributed"
    billboards: int = count(MAX_ITEMS, default=0)
    posters: int = count(MAX_ITEMS, default=0)
    leaflets: int = count(MAX_ITEMS, default=0)

    def _check_unit(self) -> None:
        super()._check_unit()
        if self.billboards + self.posters + self.leaflets == 0:
            raise InvalidInput(
                "materials",
                "no billboards, posters or leaflets given",
                hint="pass --billboards, --posters and/or --leaflets",
            )


@dataclass(frozen=True)
class HoldTrainingCourse(ActivityCommand):
    EVENT = "TrainingCourseHeld"
    trainees: int = count(MAX_PARTICIPANTS, default=0)
    courses: int = count(MAX_SESSIONS, default=1)


@dataclass(frozen=True)
class Withdraw:
    """Withdraw a wrongly recorded activity (it stays in the history, no longer counts)."""

    occurred_on: date
    reason: str
    legal_basis: str | None = None


ACTIVITY_COMMANDS: dict[str, type[ActivityCommand]] = {
    "directive": IssueDirective,
    "session": HoldCommunicationSession,
    "materials": DistributeMaterials,
    "training": HoldTrainingCourse,
}
