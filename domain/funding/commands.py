"""Funding commands: what finance staff ask the ledger to record, parsed into checked values.

Every money command carries a *transaction id* (mã giao dịch, e.g. the number of the decision
or voucher). Within a programme the id is an idempotency key: sending the same command again
is a no-op; sending a different command under a used id is refused as a conflict. Parsing
checks form (a whole positive number of đồng, a real date, a known code); the
:class:`~domain.funding.aggregate.Programme` then checks the rules against its ledger.

:meth:`FundingCommand.content` is the canonical content the idempotency check compares: every
field of the command but its transaction id, so a retry must repeat them all and a field added
to a command is compared without being named twice. The events carry the same field names, so
the content of a stored transaction is recomputed from its event on replay.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from functools import cached_property
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from domain.errors import InvalidInput
from domain.funding.values import (
    Purpose,
    PurposeKind,
    SourceKind,
    require_date,
    require_id,
    require_text,
    support_key_of,
)
from domain.money import require_amount_vnd
from domain.period import Period
from domain.reference.units import AdminMap, unit_directory

#: A field's check: the value as given and the field's name → the value kept (normalised), or
#: :class:`InvalidInput` naming the field.
Check = Callable[[object, str], object]

T = TypeVar("T")


def checked(check: Check, default: T) -> T:
    """A command field that ``check`` checks (in the order the fields are declared, after the
    transaction id, the date and the legal basis), ``default`` when not given."""
    return field(default=default, metadata={"check": check})


def _optional_text(value: object, field: str) -> str | None:
    return None if value is None or value == "" else require_text(value, field)


def _source_kind(value: object, field: str) -> str:
    return SourceKind.parse(value, field).value


def _unit_map(value: object, field: str) -> str:
    return AdminMap.parse(value, field).value


def _period_label(value: object, field: str) -> str:
    """A period (kỳ) as its label: 2016, 2016-H1, 2016-03 or 2006/2010."""
    return (value if isinstance(value, Period) else Period.parse(value, field)).label


def content_of(kind: str, names: tuple[str, ...], obj: object) -> tuple[str, ...]:
    """The comparable content of a transaction (from a command or from its event)."""
    return (kind, *(f"{n}={getattr(obj, n)!s}" for n in names))


#: :func:`compared_fields` of each command class, once computed.
_COMPARED: dict[type, tuple[str, ...]] = {}


def compared_fields(command: type) -> tuple[str, ...]:
    """The fields of the dataclass ``command`` that its content compares: all but the
    transaction id (mã giao dịch), which names the transaction rather than saying what it is."""
    names = _COMPARED.get(command)
    if names is None:
        names = _COMPARED[command] = tuple(
            f.name for f in fields(command) if f.name != "transaction_id"
        )
    return names


@dataclass(frozen=True)
class FundingCommand:
    """Base: the transaction id, the business date and the legal basis (document number)."""

    KIND: ClassVar[str] = ""
    transaction_id: str
    occurred_on: date

    def __post_init__(self) -> None:
        """The common fields, then each :func:`checked` field, then :meth:`_rules`."""
        self._common()
        for f in fields(self):
            if "check" in f.metadata:
                object.__setattr__(self, f.name, f.metadata["check"](getattr(self, f.name), f.name))
        self._rules()

    def _rules(self) -> None:
        """The rules between the command's fields, once each field is checked (none here)."""

    def content(self) -> tuple[str, ...]:
        return self.content_for(self)

    @classmethod
    def content_for(cls, obj: object) -> tuple[str, ...]:
        """The content of this kind of transaction (:func:`compared_fields`), read from a
        command or its event."""
        return content_of(cls.KIND, compared_fields(cls), obj)

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> FundingCommand:
        """Build from a plain mapping (CLI flags, JSON); unknown keys are refused."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise InvalidInput(
                str(sorted(unknown)[0]),
                "is not a field of this command",
                hint="fields: " + ", ".join(sorted(known)),
            )
        return cls(**data)

    def _common(self) -> None:
        object.__setattr__(self, "transaction_id", require_id(self.transaction_id, "id"))
        object.__setattr__(self, "occurred_on", require_date(self.occurred_on, "occurred_on"))
        if hasattr(self, "legal_basis"):
            object.__setattr__(self, "legal_basis", _optional_text(self.legal_basis, "legal_basis"))


@dataclass(frozen=True)
class Establish:
    """Lập chương trình / đề án: a programme with its code, title and years."""

    code: str
    title: str
    starts_on: date
    ends_on: date
    occurred_on: date
    legal_basis: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "code", require_id(self.code, "programme"))
        object.__setattr__(self, "title", require_text(self.title, "title"))
        for name in ("starts_on", "ends_on", "occurred_on"):
            object.__setattr__(self, name, require_date(getattr(self, name), name))
        object.__setattr__(self, "legal_basis", _optional_text(self.legal_basis, "legal_basis"))
        if self.ends_on < self.starts_on:
            raise InvalidInput("ends_on", "is before starts_on")

    def content(self) -> tuple[str, ...]:
        return content_of("establish", compared_fields(type(self)), self)


@dataclass(frozen=True)
class Pledge(FundingCommand):
    """A source puts money into the programme's budget (dự toán từ một nguồn)."""

    KIND = "pledge"
    source: str = checked(require_id, "")
    source_kind: str = checked(_source_kind, "")
    amount_vnd: int = checked(require_amount_vnd, 0)
    donor: str | None = checked(_optional_text, None)
    legal_basis: str | None = None

    def _rules(self) -> None:
        """Aid (tài trợ, viện trợ), and only aid, names its donor."""
        aid = self.source_kind == SourceKind.AID
        if aid and self.donor is None:
            raise InvalidInput(
                "donor", "aid (tài trợ, viện trợ) must name its donor", hint="pass --donor NAME"
            )
        if not aid and self.donor is not None:
            raise InvalidInput(
                "donor",
                f"a {self.source_kind} budget has no donor",
                hint="only aid sources name a donor",
            )


@dataclass(frozen=True)
class BudgetLine(FundingCommand):
    """Put part of a source's budget into a line (dòng ngân sách), opening it if new."""

    KIND = "line"
    line: str = checked(require_id, "")
    line_title: str = checked(require_text, "")
    source: str = checked(require_id, "")
    amount_vnd: int = checked(require_amount_vnd, 0)
    legal_basis: str | None = None


@dataclass(frozen=True)
class Allocate(FundingCommand):
    """Phân bổ: give part of a line (from one source) to a unit for a period.

    The allocation is named by its transaction id. The unit is a province, district or
    commune on the old or the 2025 map.
    """

    KIND = "allocate"
    line: str = checked(require_id, "")
    source: str = checked(require_id, "")
    unit_map: str = checked(_unit_map, "")
    unit_code: str = ""
    period: Period | str = checked(_period_label, "")  # noqa: RUF009 (a field specifier)
    amount_vnd: int = checked(require_amount_vnd, 0)
    legal_basis: str | None = None

    def _rules(self) -> None:
        """The unit is one of the map's (a unit code means nothing without its map)."""
        unit = unit_directory().require(AdminMap(self.unit_map), self.unit_code, "unit")
        object.__setattr__(self, "unit_code", unit.code)

    @property
    def period_value(self) -> Period:
        return Period.parse(self.period)


@dataclass(frozen=True)
class _PurposeFields(FundingCommand):
    """The flattened :class:`Purpose` every commitment and direct payment carries."""

    purpose_kind: str = ""
    case_id: UUID | None = None
    support_version: int | None = None
    activity: str | None = None
    description: str | None = None

    def _purpose(self) -> None:
        if self.purpose_kind == PurposeKind.CASE_SUPPORT or (
            not self.purpose_kind and self.case_id is not None
        ):
            if self.activity is not None:
                raise InvalidInput(
                    "activity", "a payment is for a case's support or an activity, not both"
                )
            purpose = Purpose.case_support(self.case_id, self.support_version)
        elif self.purpose_kind == PurposeKind.ACTIVITY or (
            not self.purpose_kind and self.activity is not None
        ):
            if self.case_id is not None:
                raise InvalidInput(
                    "case", "a payment is for a case's support or an activity, not both"
                )
            purpose = Purpose.of_activity(self.activity, self.description)
        else:
            raise InvalidInput(
                "purpose",
                "say what the money is for",
                hint="--case CASE_ID --support-version N, or --activity KIND --description TEXT",
            )
        for name in ("case_id", "support_version", "activity", "description"):
            object.__setattr__(self, name, getattr(purpose, name))
        object.__setattr__(self, "purpose_kind", purpose.kind)

    @cached_property
    def purpose(self) -> Purpose:
        """The purpose (built once, when first asked: the ledger reads only
        :attr:`support_key`)."""
        return Purpose(
            self.purpose_kind, self.case_id, self.support_version, self.activity, self.description
        )

    @property
    def support_key(self) -> tuple[UUID, int] | None:
        """The case's support this pays (:attr:`Purpose.support_key`), or None."""
        return support_key_of(self.purpose_kind, self.case_id, self.support_version, self.activity)


@dataclass(frozen=True)
class Commit(_PurposeFields):
    """Cam kết chi: approve a payment from an allocation — a pending transfer that reserves
    the amount until it is paid (posted) or voided."""

    KIND = "commit"
    allocation: str = checked(require_id, "")
    amount_vnd: int = checked(require_amount_vnd, 0)
    legal_basis: str | None = None

    def _rules(self) -> None:
        self._purpose()


@dataclass(frozen=True)
class Pay(_PurposeFields):
    """Chi: pay an approved commitment in full (post the pending transfer), or — without a
    commitment — pay directly from an allocation (a single-phase transfer)."""

    KIND = "pay"
    commitment: str | None = None
    allocation: str | None = None
    amount_vnd: int | None = None
    legal_basis: str | None = None

    @classmethod
    def content_for(cls, obj: object) -> tuple[str, ...]:
        if getattr(obj, "commitment", None) is not None:
            return content_of(cls.KIND, ("commitment", "occurred_on", "legal_basis"), obj)
        return super().content_for(obj)

    def __post_init__(self) -> None:
        self._common()
        if self.commitment is not None:
            object.__setattr__(self, "commitment", require_id(self.commitment, "commitment"))
            if self.allocation is not None or self.case_id is not None or self.activity:
                raise InvalidInput(
                    "commitment",
                    "paying a commitment takes its allocation and purpose from the commitment",
                    hint="give only --commitment (and --amount to confirm)",
                )
            if self.amount_vnd is not None:
                object.__setattr__(self, "amount_vnd", require_amount_vnd(self.amount_vnd))
            return
        if self.allocation is None:
            raise InvalidInput(
                "commitment", "name the commitment to pay, or the allocation to pay from directly"
            )
        object.__setattr__(self, "allocation", require_id(self.allocation, "allocation"))
        object.__setattr__(self, "amount_vnd", require_amount_vnd(self.amount_vnd))
        self._purpose()


@dataclass(frozen=True)
class Void(FundingCommand):
    """Hủy cam kết: release an approved, unpaid commitment."""

    KIND = "void"
    commitment: str = checked(require_id, "")
    reason: str = checked(require_text, "")
    legal_basis: str | None = None


@dataclass(frozen=True)
class Reverse(FundingCommand):
    """Bút toán đảo: correct a posted transaction by moving its amount back, never by
    editing it. Applies to pledges, line budgets, allocations and payments."""

    KIND = "reverse"
    reverses: str = checked(require_id, "")
    reason: str = checked(require_text, "")
    legal_basis: str | None = None


MoneyCommand = Pledge | BudgetLine | Allocate | Commit | Pay | Void | Reverse
