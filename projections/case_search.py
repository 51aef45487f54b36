"""Finding cases in a unit (tìm hồ sơ): the ``case_status`` read model filtered by stage,
receiving agency, overdue procedures, reception dates and the beginning of a case id.

One query for ``socai cases`` and the web's case list, so both list the same cases for the
same question. Rows hold pseudonymous ids and coded facts only, never personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from domain.reference.units import AdminMap, Unit
from projections.case_status import case_status, procedures_overdue, procedures_overdue_days
from projections.rollup import unit_filter


@dataclass(frozen=True, slots=True)
class CaseQuery:
    """What to look for; None is "any"."""

    agency: str | None = None
    stage: str | None = None
    overdue: bool = False
    received_from: date | None = None
    received_to: date | None = None
    id_prefix: str | None = None
    limit: int = 50


def find_cases(
    engine: Engine, admin_map: AdminMap, unit: Unit, query: CaseQuery, today: date
) -> list[dict[str, Any]]:
    """The cases of ``unit`` matching ``query``, in the order received; overdue judged on
    ``today``."""
    sql = select(case_status).where(unit_filter(case_status, admin_map, unit))
    if query.agency:
        sql = sql.where(case_status.c.receiving_agency == query.agency)
    if query.stage:
        sql = sql.where(case_status.c.stage == query.stage)
    if query.overdue:
        sql = sql.where(procedures_overdue(today))
    if query.received_from:
        sql = sql.where(case_status.c.received_on >= query.received_from)
    if query.received_to:
        sql = sql.where(case_status.c.received_on <= query.received_to)
    if query.id_prefix:
        sql = sql.where(case_status.c.case_id.startswith(query.id_prefix.lower(), autoescape=True))
    sql = sql.order_by(case_status.c.received_on, case_status.c.case_id).limit(query.limit)
    with Session(engine) as session:
        return [
            {
                "case_id": c.case_id,
                "received_on": c.received_on,
                "unit": f"{c.unit_map}:{c.unit_code}",
                "agency": c.receiving_agency,
                "stage": c.stage,
                "procedures_due_on": c.procedures_due_on,
                "overdue_days": procedures_overdue_days(c, today),
                "supports": c.supports,
                "essential_needs_days": c.essential_needs_days,
                "essential_needs_limit_days": c.essential_needs_limit_days,
            }
            for c in session.execute(sql)
        ]
