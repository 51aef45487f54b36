"""Activity facts: one row per recorded programme activity, for rollup section II rows 1–3.

Counts (documents, sessions, participants, billboards, posters, leaflets, courses, trainees)
are stored as recorded; a withdrawn activity keeps its row with ``withdrawn = true`` and no
longer counts. The unit is kept at every level of its own map and of the 2025 map, like the
case status, so both maps' rollups filter on one column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, Table
from sqlalchemy.orm import Session

from domain.activity.aggregate import Activity
from projections.case_status import unit_columns, unit_level_columns
from projections.framework import insert_rows

NAME = "activity"

#: The count columns, in the order of the form (II.1, II.2, II.3).
COUNTS = (
    "documents",
    "sessions",
    "participants",
    "billboards",
    "posters",
    "leaflets",
    "courses",
    "trainees",
)

metadata = MetaData()

activity_fact = Table(
    "activity_fact",
    metadata,
    Column("activity_id", String(36), primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("unit_map", String(8), nullable=False),
    Column("unit_code", String(8), nullable=False),
    *unit_level_columns(),
    Column("agency", String(64), nullable=False),
    Column("occurred_on", Date, nullable=False, index=True),
    *(Column(name, Integer, nullable=False) for name in COUNTS),
    Column("withdrawn", Boolean, nullable=False),
)

_CREATED = (
    Activity.DirectiveIssued,
    Activity.CommunicationSessionHeld,
    Activity.MaterialsDistributed,
    Activity.TrainingCourseHeld,
)


class ActivityProjection:
    name = NAME
    #: Bump when ``apply`` writes other rows for the same events (projections.definitions).
    definition_version = 1
    metadata = metadata
    topics: tuple[str, ...] = (*(c.TOPIC for c in _CREATED), Activity.Withdrawn.TOPIC)

    def apply(self, session: Session, events: Sequence[Any]) -> None:
        """One ``executemany`` of the batch's new facts; a withdrawal of an activity recorded
        in the same batch flags its pending row, earlier ones are updated after the insert."""
        new: dict[str, dict[str, Any]] = {}
        withdrawn: list[str] = []
        for event in events:
            activity_id = str(event.originator_id)
            if isinstance(event, Activity.Withdrawn):
                if activity_id in new:
                    new[activity_id]["withdrawn"] = True
                else:
                    withdrawn.append(activity_id)
                continue
            assert isinstance(event, _CREATED), f"unexpected event {type(event).__name__}"
            new[activity_id] = {
                "activity_id": activity_id,
                "kind": type(event).__name__,
                "unit_map": event.unit_map,
                "unit_code": event.unit_code,
                **unit_columns(event.unit_map, event.unit_code),
                "agency": event.agency,
                "occurred_on": event.occurred_on,
                **{name: int(getattr(event, name, 0) or 0) for name in COUNTS},
                "withdrawn": False,
            }
        insert_rows(session, activity_fact, list(new.values()))
        for activity_id in withdrawn:
            session.execute(
                activity_fact.update()
                .where(activity_fact.c.activity_id == activity_id)
                .values(withdrawn=True)
            )
