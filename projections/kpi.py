"""Programme KPIs (chỉ tiêu) from the case status, against the targets of seeds 001, 003, 004.

For the cases received in a unit (any level, old or 2025 map), optionally in one reporting
period (a year, a half, a quarter, days; cut off at a date):

- **verified**: share of people received whose verification has concluded (any outcome) —
  target 100% ("100% người được tiếp nhận được xác minh").
- **victims_supported**: share of identified victims who received any support or shelter —
  target 100%.
- **victims_essential_needs**: share of identified victims given essential-needs support —
  target 100%.
- **protection_given**: share of the persons needing protection who got it, counting the
  victim and each relative (người thân thích, told apart by relationship) of identified
  victims. A person needs protection when a ``ProtectionRequested`` step says so (they asked,
  or the agency found a threat) or when a measure was applied to them; a person is protected
  once any measure was applied — target 100%.
- **procedures_overdue**: cases whose reception procedures (15 days, seed 000) finished late,
  or are still open past the deadline on ``today`` — target 0.
- **essential_needs_overrun**: cases given essential-needs support beyond the limit in force
  (the rules refuse it; a non-zero count means a history was corrected into an overrun) —
  target 0.

"today" is a parameter, never read from the clock inside the projection: the same tables give
the same KPIs for the same day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any
from uuid import UUID

from sqlalchemy import Engine, Select, Table, select
from sqlalchemy.orm import Session

from domain.case.catalogue import fold
from domain.period import Period
from domain.reference.codes import SupportType
from domain.reference.units import AdminMap
from projections.case_status import case_status, load_steps, procedures_overdue_days
from projections.rollup import resolve_unit, unit_filter


@dataclass(frozen=True, slots=True)
class Kpi:
    """One indicator. ``counted`` are the cases behind the numerator; ``population`` the
    cases behind the denominator (for a count, the cases looked at): every figure has its
    list (``socai kpi --list KEY``)."""

    key: str
    label_vi: str
    numerator: int
    denominator: int | None  # None: a count, not a share
    target: Fraction  # a share (1 = 100%) or a count
    counted: tuple[str, ...] = ()
    population: tuple[str, ...] = ()
    #: The target is "above" (trên) rather than "at least": met only when exceeded.
    above: bool = False

    @property
    def has_data(self) -> bool:
        """A share of nothing is no data: 0 of 0 is neither 100% nor met."""
        return self.denominator is None or self.denominator > 0

    @property
    def value(self) -> Fraction | int | None:
        if self.denominator is None:
            return self.numerator
        return Fraction(self.numerator, self.denominator) if self.denominator else None

    @property
    def met(self) -> bool | None:
        """Whether the target is met; ``None`` when there is no data to judge."""
        if self.denominator is None:
            return self.numerator <= self.target
        value = self.value
        if value is None:
            return None
        return value > self.target if self.above else value >= self.target

    def display(self) -> str:
        if self.denominator is None:
            return str(self.numerator)
        if not self.denominator:
            return "không có số liệu (no data: 0/0)"
        percent = float(Fraction(self.numerator, self.denominator) * 100)  # presentation only
        return f"{percent:.1f}% ({self.numerator}/{self.denominator})"


def unit_rows(
    table: Table, dated_by: str, admin_map: AdminMap, unit_code: str, period: Period | None
) -> Select[Any]:
    """The rows of ``table`` in the unit (đơn vị) ``unit_code`` of ``admin_map`` and, when a
    ``period`` is given, with the date column ``dated_by`` in it: a KPI's population."""
    unit = resolve_unit(admin_map, unit_code)
    query = select(table).where(unit_filter(table, admin_map, unit))
    if period is not None:
        query = query.where(table.c[dated_by].between(period.starts_on, period.ends_on))
    return query


def compute_kpis(
    engine: Engine,
    admin_map: AdminMap,
    unit_code: str,
    today: date,
    period: Period | None = None,
) -> list[Kpi]:
    """The KPIs of the cases received in the unit (in ``period``, when given), judged on
    ``today`` (a report's cut-off date)."""
    query = unit_rows(case_status, "received_on", admin_map, unit_code, period)
    received: list[str] = []
    verified: list[str] = []
    victims: list[str] = []
    supported: list[str] = []
    essential: list[str] = []
    overdue: list[str] = []
    overrun: list[str] = []
    with Session(engine) as session:
        for c in session.execute(query.order_by(case_status.c.case_id)):
            received.append(c.case_id)
            if c.verification_outcome is not None:
                verified.append(c.case_id)
            if procedures_overdue_days(c, today) > 0:  # the one definition of "overdue"
                overdue.append(c.case_id)
            if c.essential_needs_overrun_days > 0:
                overrun.append(c.case_id)
            if c.verification_outcome != "victim":
                continue
            victims.append(c.case_id)
            if c.supports > 0 or c.shelter_stays > 0:
                supported.append(c.case_id)
            if SupportType.ESSENTIAL_NEEDS in c.support_types.split(","):
                essential.append(c.case_id)
        protected, needing, protected_cases, needing_cases = _protection(session, victims)
    full = Fraction(1)
    return [
        _share("verified", "Người được tiếp nhận đã được xác minh", verified, received),
        _share("victims_supported", "Nạn nhân được tiếp cận dịch vụ hỗ trợ", supported, victims),
        _share(
            "victims_essential_needs",
            "Nạn nhân được hỗ trợ nhu cầu thiết yếu",
            essential,
            victims,
        ),
        Kpi(
            "protection_given",
            "Nạn nhân, người thân thích cần bảo vệ được bảo vệ",
            protected,
            needing,
            full,
            protected_cases,
            needing_cases,
        ),
        _count(
            "procedures_overdue", "Hồ sơ quá hạn thủ tục tiếp nhận (15 ngày)", overdue, received
        ),
        _count(
            "essential_needs_overrun", "Hỗ trợ nhu cầu thiết yếu vượt thời hạn", overrun, received
        ),
    ]


def _share(key: str, label_vi: str, counted: list[str], population: list[str]) -> Kpi:
    """A share with target 100%, and the cases behind both of its numbers."""
    return Kpi(
        key, label_vi, len(counted), len(population), Fraction(1), tuple(counted), tuple(population)
    )


def _count(key: str, label_vi: str, counted: list[str], population: list[str]) -> Kpi:
    """A count with target 0, and the cases behind it."""
    return Kpi(key, label_vi, len(counted), None, Fraction(0), tuple(counted), tuple(population))


#: The steps that say who needs protection and who got it.
PROTECTION_KINDS = ("ProtectionRequested", "ProtectionApplied")


def _protection(
    session: Session, case_ids: Sequence[str]
) -> tuple[int, int, tuple[str, ...], tuple[str, ...]]:
    """Persons protected and persons needing protection over these cases, from their steps,
    and the cases behind each number (a case is in the first list when all its persons in
    need were protected)."""
    protected = needing = 0
    protected_cases: list[str] = []
    needing_cases: list[str] = []
    for case_id, steps in sorted(load_steps(session, case_ids, PROTECTION_KINDS).items()):
        status = fold(UUID(case_id), steps.values())
        assert status.persons_protected() <= status.persons_needing_protection()
        protected += len(status.persons_protected())
        needing += len(status.persons_needing_protection())
        if status.persons_needing_protection():
            needing_cases.append(case_id)
            if status.persons_protected() == status.persons_needing_protection():
                protected_cases.append(case_id)
    return protected, needing, tuple(protected_cases), tuple(needing_cases)
