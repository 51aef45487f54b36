"""The proceedings service (dịch vụ vụ án): criminal cases of trafficking in the one store.

What this layer adds to the aggregate's rules: every victim's case a criminal case names must
exist in the store (pseudonymous ids only; the criminal case never holds a person's data).
"""

from __future__ import annotations

from uuid import UUID, uuid4

from domain.access.policy import Action
from domain.access.principal import Principal
from domain.access.scope import UnitRef
from domain.errors import NotFound, RuleViolation
from domain.proceedings.aggregate import Proceedings
from domain.proceedings.commands import Open, StageCommand
from domain.reference.units import AdminMap
from infra.application import EventStore
from infra.services.cases import CaseService


class ProceedingsService:
    """Open criminal cases (khởi tố) and record their stages."""

    def __init__(self, store: EventStore, cases: CaseService) -> None:
        self.store = store
        self.cases = cases

    def open(self, command: Open, principal: Principal, proceedings_id: UUID | None = None) -> UUID:
        target = UnitRef(AdminMap.in_force_on(command.occurred_on).value, command.unit_code)
        actor = self.cases.access.check(
            principal, Action.PROCEEDINGS_RECORD, target, "criminal case"
        ).actor()
        for case_id in command.victim_case_ids:
            try:
                self.cases.get(case_id)
            except NotFound:
                raise RuleViolation(
                    "no_such_case",
                    f"no victim's case {case_id} in this store",
                    hint="name cases by the ids `socai case list` shows",
                ) from None
        proceedings = Proceedings.open(proceedings_id or uuid4(), command, actor, self.store.now())
        self.store.save_or_refuse(proceedings, f"proceedings {proceedings.id}")
        return proceedings.id

    def get(self, proceedings_id: UUID) -> Proceedings:
        hint = "`socai proceedings list` shows them"
        return self.store.load(proceedings_id, Proceedings, "criminal case", hint)

    def advance(self, proceedings_id: UUID, command: StageCommand, principal: Principal) -> int:
        proceedings = self.get(proceedings_id)
        target = UnitRef(proceedings.unit_map, proceedings.unit_code)
        actor = self.cases.access.check(
            principal, Action.PROCEEDINGS_RECORD, target, proceedings_id
        ).actor()
        proceedings.advance(command, actor, self.store.now())
        self.store.save_or_refuse(proceedings, f"proceedings {proceedings_id}")
        return proceedings.version
