"""Support use (sử dụng kinh phí hỗ trợ): what the cases say was given, per support type,
unit and year, for the funding reconciliation to compare with disbursements.

From the ``case_support`` facts (corrections applied, no personal data): for each support
type and year (business date of the support), in one unit on either map: the number of
supports given, the distinct persons who got them, and the total amount recorded on the
cases in whole đồng (loans and the initial hardship allowance always carry one; other
supports when the officer recorded it; a support without an amount adds 0).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from domain.reference.units import AdminMap
from projections.case_status import case_status, case_support
from projections.rollup import resolve_unit, unit_filter


@dataclass(frozen=True, slots=True)
class SupportUse:
    support_type: str
    year: int
    supports: int
    persons: int
    amount_vnd: int


def support_use(
    engine: Engine, admin_map: AdminMap, unit_code: str, years: Sequence[int]
) -> list[SupportUse]:
    unit = resolve_unit(admin_map, unit_code)
    query = (
        select(
            case_support.c.case_id,
            case_support.c.occurred_on,
            case_support.c.support_type,
            case_support.c.amount_vnd,
        )
        .join(case_status, case_status.c.case_id == case_support.c.case_id)
        .where(unit_filter(case_status, admin_map, unit))
    )
    supports: dict[tuple[str, int], int] = defaultdict(int)
    persons: dict[tuple[str, int], set[str]] = defaultdict(set)
    amounts: dict[tuple[str, int], int] = defaultdict(int)
    with Session(engine) as session:
        for row in session.execute(query):
            year = row.occurred_on.year
            if year not in years:
                continue
            key = (row.support_type, year)
            supports[key] += 1
            persons[key].add(row.case_id)
            amounts[key] += row.amount_vnd or 0
    return [
        SupportUse(t, y, supports[(t, y)], len(persons[(t, y)]), amounts[(t, y)])
        for t, y in sorted(supports)
    ]
