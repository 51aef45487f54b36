"""The activity service (dịch vụ hoạt động): programme activities in the one store.

Activities share the one store and notification log with cases, so the rollup's activity rows
and case rows come from the same ordered history.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.activity.aggregate import Activity
from domain.activity.commands import ActivityCommand, Withdraw
from domain.case.values import Actor
from domain.time import business_date
from infra.application import EventStore


class ActivityService:
    """Record and withdraw activities (hoạt động)."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def record(
        self, command: ActivityCommand, actor: Actor, activity_id: UUID | None = None
    ) -> UUID:
        """Record an activity; returns its id (a random UUID unless given)."""
        recorded_at = self.store.now()
        command.check_date(business_date(recorded_at))
        activity = Activity.record(activity_id or uuid4(), command, actor, recorded_at)
        self.store.save_or_refuse(activity, f"activity {activity.id}")
        return activity.id

    def get(self, activity_id: UUID) -> Activity:
        return self.store.load(activity_id, Activity, "activity")

    def withdraw(self, activity_id: UUID, command: Withdraw, actor: Actor) -> None:
        """Withdraw a recorded activity (it stays in history, marked withdrawn)."""
        activity = self.get(activity_id)
        activity.withdraw(command, actor, self.store.now())
        self.store.save_or_refuse(activity, f"activity {activity_id}")
