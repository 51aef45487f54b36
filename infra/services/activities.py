"""The activity service (dịch vụ hoạt động): programme activities in the one store.

Activities share the one store and notification log with cases, so the rollup's activity rows
and case rows come from the same ordered history.
"""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.access.policy import Action
from domain.access.principal import Principal
from domain.access.scope import UnitRef
from domain.activity.aggregate import Activity
from domain.activity.commands import ActivityCommand, Withdraw
from domain.reference.units import AdminMap
from domain.time import business_date
from infra.application import EventStore
from infra.services.access import AccessService


class ActivityService:
    """Record and withdraw activities (hoạt động)."""

    def __init__(self, store: EventStore, access: AccessService) -> None:
        self.store = store
        self.access = access

    def record(
        self, command: ActivityCommand, principal: Principal, activity_id: UUID | None = None
    ) -> UUID:
        """Record an activity; returns its id (a random UUID unless given)."""
        recorded_at = self.store.now()
        command.check_date(business_date(recorded_at))
        target = UnitRef(AdminMap.in_force_on(command.occurred_on).value, command.unit_code)
        actor = self.access.check(principal, Action.ACTIVITY_RECORD, target, "activity").actor()
        activity = Activity.record(activity_id or uuid4(), command, actor, recorded_at)
        self.store.save_or_refuse(activity, f"activity {activity.id}")
        return activity.id

    def get(self, activity_id: UUID) -> Activity:
        return self.store.load(activity_id, Activity, "activity")

    def withdraw(self, activity_id: UUID, command: Withdraw, principal: Principal) -> None:
        """Withdraw a recorded activity (it stays in history, marked withdrawn)."""
        activity = self.get(activity_id)
        target = UnitRef(activity.unit_map, activity.unit_code)
        actor = self.access.check(principal, Action.ACTIVITY_RECORD, target, activity_id).actor()
        activity.withdraw(command, actor, self.store.now())
        self.store.save_or_refuse(activity, f"activity {activity_id}")
