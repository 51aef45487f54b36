"""The funding service (dịch vụ kinh phí): programmes and their money.

:class:`FundingService` records programmes and their money transactions in
:class:`~domain.funding.aggregate.Programme` aggregates (one per programme, the consistency
boundary of its ledger), in the same store and the same notification log as the cases.

What this layer adds to the aggregate's own rules:

- paying a case's support checks the case: the support event exists (a ``SupportProvided``
  event at that version), it records an amount, and that amount — with any corrections
  applied — equals the payment. This is checked when the money is committed and again when it
  is paid (the support may have been corrected in between);
- optimistic concurrency: a save that loses a race (another writer saved the programme first)
  is retried against the new state up to :data:`MAX_CONFLICT_RETRIES` times, so a retry of an
  already-recorded transaction becomes the no-op it should be and an overdraft stays refused;
- a batch (:meth:`FundingService.record_batch`) is recorded all or nothing, in one
  transaction of the store;
- a programme stays loaded between commands (fast-forwarded with any newer events before
  each use), so a programme with a long history is not replayed for every transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import NamedTuple
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.access.policy import Action
from domain.access.principal import Principal
from domain.access.scope import UnitRef
from domain.case.aggregate import Case
from domain.errors import ConcurrentWriteConflict, NotFound, RuleViolation
from domain.funding.aggregate import EVENT_TOPICS, AllocationInfo, Programme, programme_id
from domain.funding.commands import Allocate, Commit, Establish, MoneyCommand, Pay
from domain.funding.values import Purpose
from domain.money import format_vnd
from domain.reference.units import AdminMap, UnitLevel, unit_directory
from infra.application import EventStore
from infra.services.cases import CaseService
from infra.services.eventlog import StoreEventLog
from infra.services.funding_view import FundingView
from projections.eventlog import DomainEvent
from projections.funding_sql import FundingQueries

#: How many times a save that lost an optimistic-concurrency race is retried.
MAX_CONFLICT_RETRIES = 5
#: Largest batch recorded in one store transaction.
MAX_BATCH_TRANSACTIONS = 10_000


class Recorded(NamedTuple):
    """The outcome of one command: ``recorded`` is False for an idempotent retry (a tuple:
    one is made for every command)."""

    programme: str
    transaction_id: str
    recorded: bool
    version: int


class FundingService:
    """Programmes (chương trình) and their ledgers in the one store; checks case support
    against the :class:`CaseService`."""

    def __init__(self, store: EventStore, log: StoreEventLog, cases: CaseService) -> None:
        self.store = store
        self.log = log
        self.cases = cases
        #: Loaded programmes by id, fast-forwarded before each use.
        self._loaded: dict[UUID, Programme] = {}
        #: Programme codes seen in the log, and how far it was read for them.
        self._codes: list[str] = []
        self._codes_read_up_to = 0

    # -- programmes ------------------------------------------------------------------------

    def establish(self, command: Establish, principal: Principal) -> UUID:
        """Lập chương trình. Repeating the same establishment is a no-op."""
        actor = self.cases.access.check(
            principal, Action.FUNDING_RECORD, None, command.code
        ).actor()
        pid = programme_id(command.code)
        for _ in range(MAX_CONFLICT_RETRIES):
            if self.exists(command.code):
                existing = self.programme(command.code)
                if existing.establishment().content() != command.content():
                    raise RuleViolation(
                        "programme_conflict",
                        f"programme {command.code} already exists with other details",
                        hint="`socai finance show CODE` shows it; choose another code",
                    )
                return pid
            programme = Programme.establish(
                command, actor.officer_id, actor.agency, self.store.now()
            )
            try:
                self.store.save(programme)
            except IntegrityError:
                continue
            self._loaded[pid] = programme
            return pid
        raise ConcurrentWriteConflict(f"programme {command.code} kept changing; try again")

    def programme(self, code_or_id: str | UUID) -> Programme:
        """The programme, named by its code or id, with every recorded event applied."""
        pid = code_or_id if isinstance(code_or_id, UUID) else programme_id(code_or_id)
        programme: Aggregate | None = self._loaded.get(pid)
        # Replayed here rather than through the repository: its cache would deep-copy the
        # whole ledger on every load, which costs more than the replay for a long history.
        after = None if programme is None else programme.version
        for event in self.store.events.get(pid, gt=after):
            if not isinstance(event, Aggregate.Event):
                raise NotFound(f"{code_or_id} is not a programme")
            programme = event.mutate(programme)
        if programme is None:
            raise NotFound(
                f"no programme {code_or_id}", hint="`socai finance programmes` lists them"
            )
        if not isinstance(programme, Programme):
            raise NotFound(f"{code_or_id} is not a programme")
        self._loaded[pid] = programme
        return programme

    def exists(self, code_or_id: str | UUID) -> bool:
        pid = code_or_id if isinstance(code_or_id, UUID) else programme_id(code_or_id)
        return any(True for _ in self.store.events.get(pid, limit=1))

    def codes(self) -> list[str]:
        """Every programme's code, in the order established (read incrementally: only the
        log after the last read is searched)."""
        for position, event in self.log.events(
            self._codes_read_up_to, topics=(Programme.Established.TOPIC,)
        ):
            if isinstance(event, Programme.Established) and event.code not in self._codes:
                self._codes.append(event.code)
            self._codes_read_up_to = position
        return list(self._codes)

    # -- money -------------------------------------------------------------------------------

    def record(
        self, programme: str | UUID, command: MoneyCommand, principal: Principal
    ) -> Recorded:
        """Record one transaction (or nothing, if it was already recorded)."""
        return self._record(programme, [command], principal)[0]

    def record_batch(
        self, programme: str | UUID, commands: Sequence[MoneyCommand], principal: Principal
    ) -> list[Recorded]:
        """Record many transactions atomically: all of them, or (on any refusal) none."""
        if len(commands) > MAX_BATCH_TRANSACTIONS:
            raise RuleViolation(
                "batch_too_large",
                f"{len(commands)} transactions in one batch; at most {MAX_BATCH_TRANSACTIONS}",
            )
        return self._record(programme, commands, principal)

    def _record(
        self, programme_ref: str | UUID, commands: Sequence[MoneyCommand], principal: Principal
    ) -> list[Recorded]:
        for _ in range(MAX_CONFLICT_RETRIES):
            programme = self.programme(programme_ref)
            pid = programme.id
            actor = self._allowed(principal, programme, commands).actor()
            outcomes: list[Recorded] = []
            try:
                for command in commands:
                    self._check_case_support(programme, command)
                    recorded = programme.record(
                        command, actor.officer_id, actor.agency, self.store.now()
                    )
                    outcomes.append(
                        Recorded(
                            programme.code, command.transaction_id, recorded, programme.version
                        )
                    )
            except BaseException:
                # Earlier commands of the batch may have changed the loaded programme.
                self._loaded.pop(pid, None)
                raise
            if not any(o.recorded for o in outcomes):
                return outcomes
            try:
                self.store.save(programme)
            except IntegrityError:
                self._loaded.pop(pid, None)
                continue
            return outcomes
        raise ConcurrentWriteConflict(
            f"programme {programme_ref} kept changing under this write; nothing was written",
            hint="try again",
        )

    def _allowed(
        self, principal: Principal, programme: Programme, commands: Sequence[MoneyCommand]
    ) -> Principal:
        """A finance officer whose scope covers every unit the commands move money in: an
        allocation's unit; programme-wide money (sources, lines) needs national scope. The
        user is read once for the whole batch."""
        return self.cases.access.check_each(
            principal, Action.FUNDING_RECORD, _units_of(programme, commands), programme.code
        )

    def _check_case_support(self, programme: Programme, command: MoneyCommand) -> None:
        """A case-support commitment or payment must match the support event on the case, in
        money, in time and in place, and be its only payment in any programme."""
        purpose: Purpose
        amount: int | None
        if type(command) is Pay and command.commitment is not None:
            commitment = programme.commitment(command.commitment)
            if commitment is None or command.transaction_id in programme.transactions:
                return  # the aggregate refuses it, or it is a retry
            if commitment.support_key is None:
                return  # an activity's
            purpose, amount = commitment.purpose, commitment.amount_vnd
            allocation_id = commitment.allocation
        elif type(command) is Commit or type(command) is Pay:
            if command.transaction_id in programme.transactions:
                return  # a retry: the aggregate compares it with what was recorded
            if command.support_key is None:
                return  # an activity's
            purpose, amount = command.purpose, command.amount_vnd
            allocation_id = command.allocation or ""
        else:
            return
        assert amount is not None
        case = self.check_support_payment(purpose, amount)
        self._check_support_in_time_and_place(
            case, purpose, command.occurred_on, programme.allocations.get(allocation_id)
        )
        self._check_paid_once(programme, purpose)

    def _check_support_in_time_and_place(
        self, case: Case, purpose: Purpose, day: date, allocation: AllocationInfo | None
    ) -> None:
        """Money follows the support: not before the support happened, and from an allocation
        of the place where the case is managed (its province; a national allocation pays
        anywhere). Units are compared on the 2025 map, so an old-map allocation pays a case
        received after 1 July 2025 in the province that absorbed it."""
        assert purpose.support_version is not None
        step = case.steps[purpose.support_version]
        if day < step.occurred_on:
            raise RuleViolation(
                "paid_before_support",
                f"the money is dated {day.isoformat()}, before case {purpose.case_id}'s support"
                f" event v{purpose.support_version} happened ({step.occurred_on.isoformat()})",
                hint="date the commitment or payment on or after the support",
            )
        status = case.status
        if allocation is None or status.unit_map is None or status.unit_code is None:
            return  # the aggregate refuses a missing allocation
        directory = unit_directory()
        funded = directory.to_2025(
            directory.require(AdminMap(allocation.unit_map), allocation.unit_code)
        )
        managed = directory.to_2025(directory.require(AdminMap(status.unit_map), status.unit_code))
        if funded.level is not UnitLevel.NATIONAL and funded not in directory.ancestors(managed):
            raise RuleViolation(
                "other_province_allocation",
                f"allocation {allocation.id} is for {allocation.unit_name}; case"
                f" {purpose.case_id} is managed in {status.unit_map}:{status.unit_code}",
                hint="pay from an allocation of the case's own province (or a national one)",
            )

    def _check_paid_once(self, programme: Programme, purpose: Purpose) -> None:
        """One support is paid (or committed) once, across every programme."""
        key = purpose.support_key
        for code in self.codes():
            other = self.programme(code)
            if other.id != programme.id and key in other.support_paid_by:
                raise RuleViolation(
                    "support_paid_elsewhere",
                    f"case {purpose.case_id} support event v{purpose.support_version} is already"
                    f" paid or committed by {other.support_paid_by[key]} in programme {code}",
                    hint="a support is paid from one programme; void or reverse that one first",
                )

    def check_support_payment(self, purpose: Purpose, amount_vnd: int) -> Case:
        """The case whose support event this pays, checked: it exists, it records an amount,
        and the amount (corrections applied) equals the payment."""
        assert purpose.case_id is not None
        assert purpose.support_version is not None
        case = self.cases.get(purpose.case_id)
        step = case.steps.get(purpose.support_version)
        if step is None or step.kind != "SupportProvided":
            raise RuleViolation(
                "no_such_support",
                f"case {purpose.case_id} has no support event at version {purpose.support_version}",
                hint="`socai case history CASE_ID` lists its events; name a SupportProvided event",
            )
        recorded = step.value("amount_vnd")
        if recorded is None:
            raise RuleViolation(
                "support_without_amount",
                f"case {purpose.case_id} support event v{purpose.support_version}"
                f" ({step.value('support_type')}) records no amount of money",
                hint="record or correct the support's amount on the case first",
            )
        if recorded != amount_vnd:
            raise RuleViolation(
                "support_amount_disagrees",
                f"case {purpose.case_id} support event v{purpose.support_version} records"
                f" {format_vnd(recorded)}; this payment is {format_vnd(amount_vnd)}",
                hint="pay the amount the case records, or correct the case first",
            )
        return case

    # -- reading ------------------------------------------------------------------------------

    def view(
        self, principal: Principal, queries: Callable[[], FundingQueries], subject: str
    ) -> FundingView:
        """The funding tables as ``principal`` may read them: every figure with a national
        grant, the units of their scope otherwise (:mod:`infra.services.funding_view`);
        refused (and logged) without any grant that reads money, before ``queries`` is asked
        for the tables (bringing them up to date is work a refusal must not cause).
        ``subject`` names the read in a refusal's record."""
        current = self.cases.access.check(
            principal, Action.FUNDING_READ, subject=subject, anywhere=True
        )
        return FundingView(queries(), current.grants, self.cases.unit_of)

    def readable_codes(self, principal: Principal) -> list[str]:
        """The programmes' codes, for anyone who reads money somewhere (a programme's code and
        title are not restricted; its figures are, by :meth:`view`)."""
        self.cases.access.check(principal, Action.FUNDING_READ, subject="programmes", anywhere=True)
        return self.codes()

    def events(
        self, after: int = 0, topics: Iterable[str] = EVENT_TOPICS
    ) -> Iterator[tuple[int, DomainEvent]]:
        """(position, decoded event) for the given topics, in log order."""
        return self.log.events(after, tuple(topics))


def _units_of(programme: Programme, commands: Sequence[MoneyCommand]) -> list[UnitRef | None]:
    """The units the commands move money in, each once, in the order first met (None:
    programme-wide money, or an allocation the programme does not have, which the aggregate
    refuses). A batch spends from a few allocations many times: each allocation's unit is
    looked up once."""
    units: dict[UnitRef | None, None] = {}
    seen: set[str | None] = set()
    for command in commands:
        if type(command) is Allocate:
            units[UnitRef(command.unit_map, command.unit_code)] = None
            continue
        allocation_id = getattr(command, "allocation", None)
        if type(command) is Pay and command.commitment is not None:
            commitment = programme.commitment(command.commitment)
            allocation_id = commitment.allocation if commitment is not None else None
        if allocation_id in seen:
            continue
        seen.add(allocation_id)
        allocation = programme.allocations.get(allocation_id or "")
        unit = None if allocation is None else UnitRef(allocation.unit_map, allocation.unit_code)
        units.setdefault(unit, None)
    return list(units)
