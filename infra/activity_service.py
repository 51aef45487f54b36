"""Application service for programme activities (mixed into :class:`SocaiApplication`).

Activities share the one store and notification log with cases, so the rollup's activity rows
and case rows come from the same ordered history.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.activity.aggregate import Activity
from domain.activity.commands import ActivityCommand, Withdraw
from domain.case.values import Actor
from domain.errors import NotFound
from domain.time import business_date


class ActivityService:
    """``record_activity`` and ``withdraw_activity``; needs ``save``, ``repository``, ``now``."""

    def record_activity(
        self, command: ActivityCommand, actor: Actor, activity_id: UUID | None = None
    ) -> UUID:
        recorded_at: datetime = self.now()  # type: ignore[attr-defined]
        command.check_date(business_date(recorded_at))
        activity = Activity.record(activity_id or uuid4(), command, actor, recorded_at)
        self.save(activity)  # type: ignore[attr-defined]
        return activity.id

    def get_activity(self, activity_id: UUID) -> Activity:
        try:
            activity = self.repository.get(activity_id)  # type: ignore[attr-defined]
        except AggregateNotFoundError:
            raise NotFound(f"no activity with id {activity_id}") from None
        if not isinstance(activity, Activity):
            raise NotFound(f"{activity_id} is not an activity")
        return activity

    def withdraw_activity(self, activity_id: UUID, command: Withdraw, actor: Actor) -> None:
        activity = self.get_activity(activity_id)
        activity.withdraw(command, actor, self.now())  # type: ignore[attr-defined]
        self.save(activity)  # type: ignore[attr-defined]
