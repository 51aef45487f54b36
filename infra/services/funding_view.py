"""What a user may read of the money (phạm vi xem kinh phí): the funding figures in their scope.

A finance officer or inspector with a national grant reads every figure. One whose grant covers
a province or a commune reads the money that reached the units inside it: the allocations to
those units, what was committed and disbursed against them, what remains — the rows of their
own books. Programme-wide money that belongs to no unit (a source's pledge, a line's budget,
the unallocated remainder) is the national view's; a scoped reader does not see it, and a
reconciliation they run adds up only what they may see. A discrepancy between a payment and a
case is shown to whoever may read the case's unit.

The filter is the one policy (:func:`domain.access.policy.permits`), applied row by row: the
same grants that decide a write decide what a read shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date
from uuid import UUID

from domain.access.policy import Action, permits, roles_allowed
from domain.access.principal import Grant
from domain.access.scope import UnitRef
from domain.errors import NotFound
from projections.funding import Discrepancy, Leg, Row, discrepancies, reconcile
from projections.funding_sql import FundingQueries


class FundingView:
    """The funding tables as one user may read them (built by ``FundingService.view``)."""

    def __init__(
        self,
        queries: FundingQueries,
        grants: Iterable[Grant],
        unit_of_case: Callable[[UUID], UnitRef],
    ) -> None:
        self.queries = queries
        self._grants = tuple(grants)
        self._unit_of_case = unit_of_case
        #: Whether a grant lets the user read every figure (no row is filtered out).
        self.national = permits(self._grants, Action.FUNDING_READ, None) is not None
        #: The scopes read, for an export's record: ``VN`` or the grants' units.
        self.scope = (
            "VN"
            if self.national
            else ",".join(
                sorted(
                    f"{g.scope.map}:{g.scope.code}"
                    for g in self._grants
                    if g.role in roles_allowed(Action.FUNDING_READ)
                )
            )
        )

    def _covers(self, unit: UnitRef | None) -> bool:
        if self.national:
            return True
        return unit is not None and permits(self._grants, Action.FUNDING_READ, unit) is not None

    def legs(self, programme: str | None = None, as_of: date | None = None) -> Iterator[Leg]:
        """The transaction legs the user may read, in the tables' order."""
        for leg in self.queries.legs(programme, as_of):
            unit = (
                UnitRef(leg.unit_map, leg.unit_code)
                if leg.unit_map is not None and leg.unit_code is not None
                else None
            )
            if self._covers(unit):
                yield leg

    def reconcile(
        self, by: Iterable[str], programme: str | None = None, as_of: date | None = None
    ) -> list[Row]:
        """The five figures grouped ``by``, over what the user may read (national: in SQL)."""
        if self.national:
            return self.queries.reconcile(by, programme, as_of)
        return reconcile(self.legs(programme, as_of), by)

    def discrepancies(self) -> list[Discrepancy]:
        """Payments and case supports that disagree, for the user's scope: the case's unit is
        in it, or a payment was made from an allocation in it (a payment for a case that does
        not exist has no case unit). Always computed over every leg: a payment made outside
        the scope still pays a case inside it."""
        found = discrepancies(self.queries.legs(), self.queries.supports())
        if self.national:
            return found
        paid_here = {(leg.case_id, leg.support_version) for leg in self.legs() if leg.disbursed}
        return [
            d
            for d in found
            if (d.case_id, d.support_version) in paid_here or self._case_in_scope(d.case_id)
        ]

    def _case_in_scope(self, case_id: UUID) -> bool:
        try:
            return self._covers(self._unit_of_case(case_id))
        except NotFound:
            return False
