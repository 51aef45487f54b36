"""Programme KPIs (chỉ tiêu) from the case status, against the targets of seeds 001, 003, 004.

For the cases received in a unit (any level, old or 2025 map) and optionally one reception
year:

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
from uuid import UUID

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from domain.case.catalogue import fold
from domain.reference.codes import SupportType
from domain.reference.units import AdminMap
from projections.case_status import case_status, load_steps, procedures_overdue_days
from projections.rollup import resolve_unit, unit_filter


@dataclass(frozen=True, slots=True)
class Kpi:
    key: str
    label_vi: str
    numerator: int
    denominator: int | None  # None: a count, not a share
    target: Fraction  # a share (1 = 100%) or a count

    @property
    def value(self) -> Fraction | int:
        if self.denominator is None:
            return self.numerator
        return Fraction(self.numerator, self.denominator) if self.denominator else Fraction(1)

    @property
    def met(self) -> bool:
        if self.denominator is None:
            return self.numerator <= self.target
        return self.value >= self.target

    def display(self) -> str:
        if self.denominator is None:
            return str(self.numerator)
        percent = float(self.value * 100)  # presentation only
        return f"{percent:.1f}% ({self.numerator}/{self.denominator})"


def compute_kpis(
    engine: Engine, admin_map: AdminMap, unit_code: str, today: date, year: int | None = None
) -> list[Kpi]:
    unit = resolve_unit(admin_map, unit_code)
    query = select(case_status).where(unit_filter(case_status, admin_map, unit))
    if year is not None:
        query = query.where(case_status.c.received_year == year)
    received = verified = victims = supported = essential = 0
    overdue = overrun = 0
    victim_cases: list[str] = []
    with Session(engine) as session:
        for c in session.execute(query):
            received += 1
            verified += c.verification_outcome is not None
            overdue += procedures_overdue_days(c, today) > 0
            overrun += c.essential_needs_overrun_days > 0
            if c.verification_outcome != "victim":
                continue
            victims += 1
            supported += c.supports > 0 or c.shelter_stays > 0
            essential += SupportType.ESSENTIAL_NEEDS in c.support_types.split(",")
            victim_cases.append(c.case_id)
        protected, needing = _protection(session, victim_cases)
    full = Fraction(1)
    return [
        Kpi("verified", "Người được tiếp nhận đã được xác minh", verified, received, full),
        Kpi("victims_supported", "Nạn nhân được tiếp cận dịch vụ hỗ trợ", supported, victims, full),
        Kpi(
            "victims_essential_needs",
            "Nạn nhân được hỗ trợ nhu cầu thiết yếu",
            essential,
            victims,
            full,
        ),
        Kpi(
            "protection_given",
            "Nạn nhân, người thân thích cần bảo vệ được bảo vệ",
            protected,
            needing,
            full,
        ),
        Kpi(
            "procedures_overdue",
            "Hồ sơ quá hạn thủ tục tiếp nhận (15 ngày)",
            overdue,
            None,
            Fraction(0),
        ),
        Kpi(
            "essential_needs_overrun",
            "Hỗ trợ nhu cầu thiết yếu vượt thời hạn",
            overrun,
            None,
            Fraction(0),
        ),
    ]


#: The steps that say who needs protection and who got it.
PROTECTION_KINDS = ("ProtectionRequested", "ProtectionApplied")


def _protection(session: Session, case_ids: Sequence[str]) -> tuple[int, int]:
    """(persons protected, persons needing protection) over these cases, from their steps."""
    protected = needing = 0
    for case_id, steps in load_steps(session, case_ids, PROTECTION_KINDS).items():
        status = fold(UUID(case_id), steps.values())
        assert status.persons_protected() <= status.persons_needing_protection()
        protected += len(status.persons_protected())
        needing += len(status.persons_needing_protection())
    return protected, needing
