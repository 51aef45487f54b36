"""The ``Activity`` aggregate: one programme activity a unit carried out, as one event.

Section II rows 1–3 of the provincial rollup form (BIỂU TỔNG HỢP SỐ LIỆU) count activities,
not cases: directive and steering documents issued (văn bản chỉ đạo, điều hành),
communication sessions on trafficking (buổi truyền thông) and their participants (lượt
người), billboards, posters and leaflets (pano, áp phích, tờ rơi), and training courses for
support staff (cuộc tập huấn) with their trainees. Each recorded activity is its own
aggregate whose creating event says what happened, in which unit, on which business date
(``occurred_on``), by whom and on what basis. It is never edited: counts are whole numbers
≥ 0, and a wrong record is withdrawn (:class:`Activity.Withdrawn`, the record stays in the
history) and recorded again.

Topics are explicit and stable: ``socai.activity:<Name>.v1``.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.activity.commands import ActivityCommand, Withdraw
from domain.case.values import Actor, recording
from domain.errors import RuleViolation
from domain.reference.units import AdminMap


class ActivityEvent(Aggregate.Event):
    """Base of activity events (not stored itself)."""

    occurred_on: date
    officer_id: str
    agency: str
    legal_basis: str | None


class Activity(Aggregate):
    """Hoạt động: one activity of the programme in one unit."""

    TOPIC = "socai.activity:Activity"

    class Created(ActivityEvent, Aggregate.Created):
        """The library's creating event; an activity is created by one of the kinds below."""

        TOPIC = "socai.activity:Created"
        unit_map: str
        unit_code: str

    class DirectiveIssued(Created):
        """Văn bản chỉ đạo, điều hành: ``documents`` issued (usually 1)."""

        TOPIC = "socai.activity:DirectiveIssued.v1"
        documents: int

    class CommunicationSessionHeld(Created):
        """Buổi truyền thông về mua bán người, with its participants (lượt người)."""

        TOPIC = "socai.activity:CommunicationSessionHeld.v1"
        sessions: int
        participants: int

    class MaterialsDistributed(Created):
        """Pano, áp phích, tờ rơi: billboards, posters and leaflets put up or handed out."""

        TOPIC = "socai.activity:MaterialsDistributed.v1"
        billboards: int
        posters: int
        leaflets: int

    class TrainingCourseHeld(Created):
        """Cuộc tập huấn for support staff, with its trainees (lượt người)."""

        TOPIC = "socai.activity:TrainingCourseHeld.v1"
        courses: int
        trainees: int

    class Withdrawn(ActivityEvent):
        """The record was wrong: the activity no longer counts (the record stays)."""

        TOPIC = "socai.activity:Withdrawn.v1"
        reason: str

        def apply(self, aggregate: Activity) -> None:
            aggregate.withdrawn = True

    def __init__(self, unit_map: str, unit_code: str) -> None:
        """The library calls this with the creating event's fields it names (the counts stay
        on the event: the rollup reads them from there)."""
        self.unit_map = unit_map
        self.unit_code = unit_code
        self.withdrawn = False

    @classmethod
    def record(
        cls, activity_id: UUID, command: ActivityCommand, actor: Actor, recorded_at: datetime
    ) -> Activity:
        kwargs = command.event_kwargs()
        kwargs.update(
            officer_id=actor.officer_id,
            agency=actor.agency,
            unit_map=AdminMap.in_force_on(command.occurred_on).value,
        )
        return cls._create(
            getattr(cls, command.EVENT), id=activity_id, timestamp=recorded_at, **kwargs
        )

    def withdraw(self, command: Withdraw, actor: Actor, recorded_at: datetime) -> None:
        if self.withdrawn:
            raise RuleViolation("already_withdrawn", f"activity {self.id} was already withdrawn")
        self.trigger_event(
            self.Withdrawn, **recording(command, actor, recorded_at), reason=command.reason
        )
