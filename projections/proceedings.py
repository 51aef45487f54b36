"""Criminal proceedings (vụ án mua bán người): one row per criminal case, and the seeds'
prosecution targets computed from it.

A row holds the unit (at every level of its own map and of the 2025 map, like the case status),
the date each stage was reached, the defendants counted at each stage and the number of
victims' cases linked — ids and counts only, never a person.

The targets of seed 004, per unit and period of opening (khởi tố): over 90% of the cases
opened are investigated and solved; 95% of the solved cases are prosecuted; 90% of the
prosecuted cases are tried. Each share is of the stage before it — prosecution can only follow
a solved investigation, so 95% "of the cases opened" could never be met while 90% are solved.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import Column, Date, Engine, Integer, MetaData, String, Table
from sqlalchemy.orm import Session

from domain.period import Period
from domain.proceedings.aggregate import Proceedings, ProceedingsEvent
from domain.reference.units import AdminMap
from projections.case_status import unit_columns, unit_level_columns
from projections.framework import insert_rows
from projections.kpi import Kpi, unit_rows

NAME = "proceedings"
metadata = MetaData()

proceedings_status = Table(
    "proceedings_status",
    metadata,
    Column("proceedings_id", String(36), primary_key=True),
    Column("unit_map", String(8), nullable=False),
    Column("unit_code", String(8), nullable=False),
    *unit_level_columns(),
    Column("opened_on", Date, nullable=False, index=True),
    Column("solved_on", Date),
    Column("prosecuted_on", Date),
    Column("tried_on", Date),
    Column("suspended_on", Date),
    Column("defendants_opened", Integer, nullable=False),
    Column("defendants_solved", Integer),
    Column("defendants_prosecuted", Integer),
    Column("defendants_tried", Integer),
    Column("victims", Integer, nullable=False),
)

#: Each later stage's event and the columns it fills.
_STAGE_COLUMNS: dict[type[ProceedingsEvent], tuple[str, str | None]] = {
    Proceedings.Solved: ("solved_on", "defendants_solved"),
    Proceedings.Prosecuted: ("prosecuted_on", "defendants_prosecuted"),
    Proceedings.Tried: ("tried_on", "defendants_tried"),
    Proceedings.Suspended: ("suspended_on", None),
}


class ProceedingsProjection:
    name = NAME
    metadata = metadata
    #: Bump when ``apply`` writes other rows for the same events (projections.definitions).
    definition_version = 1
    topics: tuple[str, ...] = (
        Proceedings.Opened.TOPIC,
        *(cls.TOPIC for cls in _STAGE_COLUMNS),
    )

    def apply(self, session: Session, events: Sequence[Any]) -> None:
        """New criminal cases in one ``executemany``; a later stage fills its pending row or
        updates a stored one."""
        new: dict[str, dict[str, Any]] = {}
        for event in events:
            key = str(event.originator_id)
            if isinstance(event, Proceedings.Opened):
                new[key] = {
                    "proceedings_id": key,
                    "unit_map": event.unit_map,
                    "unit_code": event.unit_code,
                    **unit_columns(event.unit_map, event.unit_code),
                    "opened_on": event.occurred_on,
                    "solved_on": None,
                    "prosecuted_on": None,
                    "tried_on": None,
                    "suspended_on": None,
                    "defendants_opened": event.defendants,
                    "defendants_solved": None,
                    "defendants_prosecuted": None,
                    "defendants_tried": None,
                    "victims": len(event.victim_case_ids),
                }
                continue
            day_column, count_column = _STAGE_COLUMNS[type(event)]
            values: dict[str, Any] = {day_column: event.occurred_on}
            if count_column is not None:
                values[count_column] = event.defendants
            if key in new:
                new[key].update(values)
            else:
                session.execute(
                    proceedings_status.update()
                    .where(proceedings_status.c.proceedings_id == key)
                    .values(**values)
                )
        insert_rows(session, proceedings_status, list(new.values()))


#: The seeds' targets (seed 004: "trên 90% tổng số án khởi tố", 95% "giải quyết và truy tố",
#: 90% "giải quyết, xét xử"): (key, label, stage reached, of the stage before, target).
TARGETS = (
    ("cases_solved", "Vụ án được điều tra làm rõ", "solved_on", "opened_on", Fraction(9, 10)),
    ("cases_prosecuted", "Vụ án được truy tố", "prosecuted_on", "solved_on", Fraction(95, 100)),
    ("cases_tried", "Vụ án được xét xử", "tried_on", "prosecuted_on", Fraction(9, 10)),
)


def prosecution_kpis(
    engine: Engine,
    admin_map: AdminMap,
    unit_code: str,
    today: date,
    period: Period | None = None,
) -> list[Kpi]:
    """The three prosecution targets for the criminal cases opened in the unit (in
    ``period``), as known on ``today``: stages dated after it do not count yet."""
    query = unit_rows(proceedings_status, "opened_on", admin_map, unit_code, period)
    with Session(engine) as session:
        rows = list(session.execute(query.order_by(proceedings_status.c.proceedings_id)))
    kpis = []
    for key, label_vi, reached, before, target in TARGETS:
        population = [r.proceedings_id for r in rows if _by(r, before, today)]
        counted = [r.proceedings_id for r in rows if _by(r, reached, today)]
        kpis.append(
            Kpi(key, label_vi, len(counted), len(population), target, tuple(counted),
                tuple(population), above=key == "cases_solved")
        )  # fmt: skip
    return kpis


def _by(row: Any, column: str, today: date) -> bool:
    day = getattr(row, column)
    return day is not None and day <= today
