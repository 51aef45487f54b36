"""The ``Programme`` aggregate: one programme (chương trình, đề án) and its whole ledger.

One aggregate owns the programme's sources, lines, allocations, commitments, payments and
every transfer between their accounts. Keeping them in one consistency boundary is what makes
the invariants hold under concurrency: two officers spending the same allocation at once both
load the same version; the store accepts only one save at that version (optimistic
concurrency), the other is refused and retried against the new balances. Nothing can be
overdrawn by a race.

Accounts of a programme (keys are stable strings stored in the events):

- ``source:S`` — the outside world behind source S (central, local, aid);
- ``unassigned:S`` — S's budget not yet put into a line;
- ``line:L:S`` — line L's budget from S, not yet allocated;
- ``allocation:A`` — allocation A's money (one line, one source, one unit, one period);
- ``expense:A`` — what was paid out of allocation A.

Invariants (asserted on every event, so also on replay):

- every transfer moves a positive whole number of đồng between exactly two accounts, so the
  sum over all accounts is zero (posted and pending);
- no holding account (programme, line, allocation) is overdrawn; a refused command says what
  is available;
- a transaction id is used once: the same id with the same content is a no-op, with other
  content a conflict;
- corrections are reversing transfers (``Reversed``), never edits; a transfer is reversed at
  most once and a reversal is never itself reversed;
- a case's support event is paid at most once per programme while its payment stands.

Event classes have explicit ``TOPIC`` strings ``socai.funding:<Name>.v1``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar, NamedTuple, Protocol, cast
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.aggregate import SocaiAggregate
from domain.errors import RuleViolation
from domain.funding.commands import (
    Allocate,
    BudgetLine,
    Commit,
    Establish,
    FundingCommand,
    MoneyCommand,
    Pay,
    Pledge,
    Reverse,
    Void,
)
from domain.funding.ledger import AccountKind, Ledger, LedgerRefusal, TransferState
from domain.funding.values import Purpose, support_key_of
from domain.money import format_vnd
from domain.period import Period
from domain.reference.units import unit_directory
from domain.time import VIETNAM_TZ, business_date

#: Upper bound on transactions in one programme. A national programme records tens of
#: thousands; this stops a runaway import long before replay becomes slow.
MAX_TRANSACTIONS_PER_PROGRAMME = 2_000_000
#: No business date before this (the earliest national programme, 2004–2005).
EARLIEST_DATE = date(2000, 1, 1)

_PROGRAMME_NAMESPACE = uuid5(NAMESPACE_URL, "https://socai.example/funding/programme")


def programme_id(code: str) -> UUID:
    """The programme's stable id, derived from its code (so commands can name it by code)."""
    return uuid5(_PROGRAMME_NAMESPACE, code)


def source_account(source: str) -> str:
    return f"source:{source}"


def unassigned_account(source: str) -> str:
    return f"unassigned:{source}"


def line_account(line: str, source: str) -> str:
    return f"line:{line}:{source}"


def allocation_account(allocation: str) -> str:
    return f"allocation:{allocation}"


def expense_account(allocation: str) -> str:
    return f"expense:{allocation}"


@dataclass(frozen=True, slots=True)
class SourceInfo:
    code: str
    kind: str
    donor: str | None


@dataclass(frozen=True, slots=True)
class AllocationInfo:
    id: str
    line: str
    source: str
    unit_map: str
    unit_code: str
    unit_name: str
    period: Period


class RecordedMoney(Protocol):
    """What every money event records (pledge, line budget, allocation, commitment, payment,
    void, reversal): a transaction id, an amount moved from one account to another, a date."""

    transaction_id: str
    amount_vnd: int
    debit_account: str
    credit_account: str
    occurred_on: date


class TransactionInfo(NamedTuple):
    """What a transaction id stands for, read from its recorded event
    (:meth:`Programme.transaction`): its kind, its content (for idempotency) and the transfer
    it made (what a reversal would move back). A tuple of one: the cheapest immutable view."""

    #: The recorded event everything is read from.
    event: RecordedMoney

    @property
    def command(self) -> type[FundingCommand]:
        """The kind of command the event recorded."""
        return _RECORDS[type(self.event)][0]

    @property
    def kind(self) -> str:
        return self.command.KIND

    @property
    def reversible(self) -> bool:
        """Pledges, line budgets, allocations and payments are reversed; commitments are
        voided, and voids and reversals are final."""
        return _RECORDS[type(self.event)][1]

    @property
    def amount_vnd(self) -> int:
        return self.event.amount_vnd

    @property
    def debit_account(self) -> str:
        return self.event.debit_account

    @property
    def credit_account(self) -> str:
        return self.event.credit_account

    @property
    def occurred_on(self) -> date:
        """Its business date: a reversal may not predate what it reverses."""
        return self.event.occurred_on

    @property
    def content(self) -> tuple[str, ...]:
        """The comparable content (:meth:`FundingCommand.content_for`), computed when asked:
        only a repeated transaction id compares it, so recording and replaying do not pay for
        formatting it for every transaction."""
        return self.command.content_for(self.event)


class CommitmentInfo(TransactionInfo):
    """An approved commitment (cam kết chi), read from its ``Committed`` event: besides what
    every transaction has, what paying or voiding it takes over (allocation, purpose)."""

    __slots__ = ()

    @property
    def committed(self) -> Programme.Committed:
        return cast("Programme.Committed", self.event)

    @property
    def id(self) -> str:
        return self.event.transaction_id

    @property
    def allocation(self) -> str:
        return self.committed.allocation

    @property
    def support_key(self) -> tuple[UUID, int] | None:
        return _support_key(self.event)

    @property
    def purpose(self) -> Purpose:
        e = self.committed
        return Purpose(e.purpose_kind, e.case_id, e.support_version, e.activity, e.description)


class FundingEvent(Aggregate.Event):
    """Base of every funding event (not stored itself)."""

    #: The stable stored topic, ``socai.funding:<Name>.v1`` (declared by each concrete class).
    TOPIC: ClassVar[str]

    occurred_on: date
    officer_id: str
    agency: str
    legal_basis: str | None

    def apply(self, aggregate: Any) -> None:
        """Its effect on ``aggregate``: a :class:`Programme` (a subclass of an event that
        another aggregate records through :func:`record_event` says its own effect)."""
        _EFFECTS[type(self)](aggregate, self)


class Programme(SocaiAggregate, created_topic="socai.funding:Created"):
    """Chương trình / đề án: a budget with its sources and lines, and where every đồng went."""

    TOPIC = "socai.funding:Programme"

    class Established(FundingEvent, Aggregate.Created):
        """Thành lập: the programme's creating event, its first and only one of its kind."""

        TOPIC = "socai.funding:Established.v1"
        code: str
        title: str
        starts_on: date
        ends_on: date

    class SourcePledged(FundingEvent):
        TOPIC = "socai.funding:SourcePledged.v1"
        transaction_id: str
        source: str
        source_kind: str
        donor: str | None
        amount_vnd: int
        debit_account: str
        credit_account: str

    class LineBudgeted(FundingEvent):
        TOPIC = "socai.funding:LineBudgeted.v1"
        transaction_id: str
        line: str
        line_title: str
        source: str
        amount_vnd: int
        debit_account: str
        credit_account: str

    class Allocated(FundingEvent):
        TOPIC = "socai.funding:Allocated.v1"
        transaction_id: str
        line: str
        source: str
        unit_map: str
        unit_code: str
        unit_level: str
        unit_name: str
        province_code: str | None
        period: str
        amount_vnd: int
        debit_account: str
        credit_account: str

    class Committed(FundingEvent):
        TOPIC = "socai.funding:Committed.v1"
        transaction_id: str
        allocation: str
        amount_vnd: int
        purpose_kind: str
        case_id: UUID | None
        support_version: int | None
        activity: str | None
        description: str | None
        debit_account: str
        credit_account: str

    class Paid(FundingEvent):
        """A payment: posts a commitment (``commitment`` set) or pays directly."""

        TOPIC = "socai.funding:Paid.v1"
        transaction_id: str
        commitment: str | None
        allocation: str
        amount_vnd: int
        purpose_kind: str
        case_id: UUID | None
        support_version: int | None
        activity: str | None
        description: str | None
        debit_account: str
        credit_account: str

    class Voided(FundingEvent):
        TOPIC = "socai.funding:Voided.v1"
        transaction_id: str
        commitment: str
        allocation: str
        amount_vnd: int
        reason: str
        debit_account: str
        credit_account: str

    class Reversed(FundingEvent):
        """A reversing transfer: moves a posted transaction's amount back (debit and credit
        swapped). ``reverses_kind`` is the kind of the transaction reversed."""

        TOPIC = "socai.funding:Reversed.v1"
        transaction_id: str
        reverses: str
        reverses_kind: str
        amount_vnd: int
        reason: str
        debit_account: str
        credit_account: str

    # -- state ------------------------------------------------------------------------------

    def __init__(self) -> None:
        self.code = ""
        self.title = ""
        self.starts_on = date.min
        self.ends_on = date.max
        self.ledger = Ledger()
        self.sources: dict[str, SourceInfo] = {}
        self.lines: dict[str, str] = {}
        self.allocations: dict[str, AllocationInfo] = {}
        #: Every commitment's ``Committed`` event, by transaction id (:meth:`commitment`).
        self.commitments: dict[str, Programme.Committed] = {}
        #: Every transaction's recorded event, by transaction id (:meth:`transaction` reads
        #: it): the programme keeps one object per transaction, the event it has anyway.
        self.transactions: dict[str, RecordedMoney] = {}
        self.reversed_by: dict[str, str] = {}
        #: (case id, support version) → the commitment or payment that stands for it.
        self.support_paid_by: dict[tuple[UUID, int], str] = {}

    # -- commands -----------------------------------------------------------------------------

    @classmethod
    def establish(
        cls, command: Establish, officer_id: str, agency: str, recorded_at: datetime
    ) -> Programme:
        _check_date(command.occurred_on, recorded_at)
        return cls._create(
            cls.Established,
            id=programme_id(command.code),
            timestamp=recorded_at,
            code=command.code,
            title=command.title,
            starts_on=command.starts_on,
            ends_on=command.ends_on,
            occurred_on=command.occurred_on,
            officer_id=officer_id,
            agency=agency,
            legal_basis=command.legal_basis,
        )

    def transaction(self, transaction_id: str) -> TransactionInfo | None:
        """What ``transaction_id`` stands for in this programme, if it was used."""
        event = self.transactions.get(transaction_id)
        return None if event is None else TransactionInfo(event)

    def commitment(self, transaction_id: str) -> CommitmentInfo | None:
        """The commitment ``transaction_id``, if this programme approved one by that id."""
        event = self.commitments.get(transaction_id)
        return None if event is None else CommitmentInfo(event)

    def establishment(self) -> Establish:
        """The command that established this programme (to compare a repeated one)."""
        return self._establishment

    def record(
        self, command: MoneyCommand, officer_id: str, agency: str, recorded_at: datetime
    ) -> bool:
        """Record one money transaction; False when it was already recorded (a retry).

        Raises :class:`RuleViolation` and records nothing when a rule forbids it.
        """
        existing = self.transaction(command.transaction_id)
        if existing is not None:
            if existing.content == command.content():
                return False
            raise RuleViolation(
                "transaction_conflict",
                f"transaction id {command.transaction_id} was already used in programme"
                f" {self.code} for a different {existing.kind} transaction",
                hint="a retry must repeat the same content; give a new transaction a new id",
            )
        if len(self.transactions) >= MAX_TRANSACTIONS_PER_PROGRAMME:
            raise RuleViolation(
                "too_many_transactions",
                f"programme {self.code} has reached {MAX_TRANSACTIONS_PER_PROGRAMME} transactions",
            )
        day = command.occurred_on
        if day > _today(recorded_at) or day < EARLIEST_DATE:
            _check_date(day, recorded_at)  # refuses it, saying why
        established_on = self._establishment.occurred_on
        if day < established_on:
            raise RuleViolation(
                "before_programme",
                f"a {command.KIND} dated {day.isoformat()} predates programme"
                f" {self.code}, established on {established_on.isoformat()}",
                hint="check the date; money moves in a programme once it is established",
            )
        event_class, fields = _DECISIONS[type(command)](self, command)
        record_event(self, event_class, command, officer_id, agency, recorded_at, fields)
        return True

    def _pledge(self, c: Pledge) -> tuple[type, dict[str, Any]]:
        known = self.sources.get(c.source)
        if known is not None and (known.kind, known.donor) != (c.source_kind, c.donor):
            raise RuleViolation(
                "source_mismatch",
                f"source {c.source} is a {known.kind} source"
                + (f" from {known.donor}" if known.donor else "")
                + f" in programme {self.code}",
                hint="use another source code for another source",
            )
        # A pledge cannot overdraw anything: the source is the outside world.
        return self.SourcePledged, {
            "source": c.source,
            "source_kind": c.source_kind,
            "donor": c.donor,
            "amount_vnd": c.amount_vnd,
            "debit_account": source_account(c.source),
            "credit_account": unassigned_account(c.source),
        }

    def _budgetline(self, c: BudgetLine) -> tuple[type, dict[str, Any]]:
        self._require_source(c.source)
        title = self.lines.get(c.line)
        if title is not None and title != c.line_title:
            raise RuleViolation(
                "line_mismatch",
                f"line {c.line} of programme {self.code} is titled {title!r}",
                hint="repeat the line's title, or use a new line code",
            )
        debit, credit = unassigned_account(c.source), line_account(c.line, c.source)
        if credit in self.ledger.accounts:
            self._check_room(debit, credit, c.amount_vnd, "line budget")
        else:
            self._check_room(debit, None, c.amount_vnd, "line budget")
        return self.LineBudgeted, {
            "line": c.line,
            "line_title": c.line_title,
            "source": c.source,
            "amount_vnd": c.amount_vnd,
            "debit_account": debit,
            "credit_account": credit,
        }

    def _allocate(self, c: Allocate) -> tuple[type, dict[str, Any]]:
        self._require_source(c.source)
        if c.line not in self.lines:
            raise RuleViolation(
                "no_such_line",
                f"programme {self.code} has no line {c.line}",
                hint="lines: " + (", ".join(sorted(self.lines)) or "none yet; budget one first"),
            )
        debit = line_account(c.line, c.source)
        if debit not in self.ledger.accounts:
            raise RuleViolation(
                "no_such_line_source",
                f"line {c.line} has no budget from source {c.source}",
                hint="budget the line from that source first, or allocate from another source",
            )
        period = c.period_value
        if period.starts_on < self.starts_on or period.ends_on > self.ends_on:
            raise RuleViolation(
                "period_outside_programme",
                f"period {period.label} is outside programme {self.code}"
                f" ({self.starts_on.isoformat()} – {self.ends_on.isoformat()})",
                hint="allocate for a period within the programme's years",
            )
        self._check_room(debit, None, c.amount_vnd, "allocation")
        from domain.reference.units import AdminMap

        unit = unit_directory().require(AdminMap(c.unit_map), c.unit_code, "unit")
        return self.Allocated, {
            "line": c.line,
            "source": c.source,
            "unit_map": c.unit_map,
            "unit_code": c.unit_code,
            "unit_level": unit.level.value,
            "unit_name": unit.name,
            "province_code": unit.province_code,
            "period": period.label,
            "amount_vnd": c.amount_vnd,
            "debit_account": debit,
            "credit_account": allocation_account(c.transaction_id),
        }

    def _spend_checks(
        self,
        allocation_id: str,
        amount: int,
        key: tuple[UUID, int] | None,
        day: date,
        what: str,
    ) -> AllocationInfo:
        allocation = self.allocations.get(allocation_id)
        if allocation is None:
            raise RuleViolation(
                "no_such_allocation",
                f"programme {self.code} has no allocation {allocation_id}",
                hint="`socai finance show PROGRAMME` lists allocations",
            )
        if not allocation.period.contains(day):
            raise RuleViolation(
                "outside_allocation_period",
                f"allocation {allocation_id} covers {allocation.period.label}; a {what} on"
                f" {day.isoformat()} is outside it",
                hint="use the allocation for that period",
            )
        if key is not None and key in self.support_paid_by:
            raise RuleViolation(
                "support_already_paid",
                f"case {key[0]} support event v{key[1]} is already paid or committed by"
                f" transaction {self.support_paid_by[key]} in programme {self.code}",
                hint="void or reverse that transaction first if it was wrong",
            )
        self._check_room(allocation_account(allocation_id), None, amount, what)
        return allocation

    def _commit(self, c: Commit) -> tuple[type, dict[str, Any]]:
        self._spend_checks(c.allocation, c.amount_vnd, c.support_key, c.occurred_on, "commitment")
        return self.Committed, spending_fields(c, c.allocation, c.amount_vnd)

    def _pay(self, c: Pay) -> tuple[type, dict[str, Any]]:
        if c.commitment is None:
            assert c.allocation is not None
            assert c.amount_vnd is not None
            self._spend_checks(c.allocation, c.amount_vnd, c.support_key, c.occurred_on, "payment")
            fields = spending_fields(c, c.allocation, c.amount_vnd)
            return self.Paid, {"commitment": None, **fields}
        commitment = self._require_pending(c.commitment, "paid")
        if c.amount_vnd is not None and c.amount_vnd != commitment.amount_vnd:
            raise RuleViolation(
                "amount_mismatch",
                f"commitment {commitment.id} is for {format_vnd(commitment.amount_vnd)}, not"
                f" {format_vnd(c.amount_vnd)}; a commitment is paid in full",
                hint="void it and commit the right amount",
            )
        if c.occurred_on < commitment.occurred_on:
            raise RuleViolation(
                "paid_before_committed",
                f"commitment {commitment.id} was approved on"
                f" {commitment.occurred_on.isoformat()}; it cannot be paid before that",
            )
        committed = commitment.committed
        return self.Paid, {
            "commitment": committed.transaction_id,
            **spending_fields(committed, committed.allocation, committed.amount_vnd),
        }

    def _void(self, c: Void) -> tuple[type, dict[str, Any]]:
        commitment = self._require_pending(c.commitment, "voided")
        return self.Voided, void_fields(commitment.committed, c.reason)

    def _reverse(self, c: Reverse) -> tuple[type, dict[str, Any]]:
        target = self.transaction(c.reverses)
        if target is None:
            raise RuleViolation(
                "no_such_transaction", f"programme {self.code} has no transaction {c.reverses}"
            )
        if not target.reversible:
            raise RuleViolation(
                "not_reversible",
                f"transaction {c.reverses} is a {target.kind}; only pledges, line budgets,"
                " allocations and payments are reversed",
                hint="void a commitment that is not paid; reverse its payment once paid",
            )
        if c.reverses in self.reversed_by:
            raise RuleViolation(
                "already_reversed",
                f"transaction {c.reverses} was already reversed by {self.reversed_by[c.reverses]}",
            )
        if c.occurred_on < target.occurred_on:
            raise RuleViolation(
                "reversal_before_transaction",
                f"the reversal is dated {c.occurred_on.isoformat()}, before transaction"
                f" {c.reverses} ({target.occurred_on.isoformat()}) that it reverses",
                hint="date the reversal on or after the transaction it corrects",
            )
        # The reversal moves the amount back: debit the account that was credited.
        self._check_room(target.credit_account, target.debit_account, target.amount_vnd, "reversal")
        return self.Reversed, {
            "reverses": c.reverses,
            "reverses_kind": target.kind,
            "amount_vnd": target.amount_vnd,
            "reason": c.reason,
            "debit_account": target.credit_account,
            "credit_account": target.debit_account,
        }

    # -- rule helpers ---------------------------------------------------------------------------

    def _require_source(self, source: str) -> None:
        if source not in self.sources:
            raise RuleViolation(
                "no_such_source",
                f"programme {self.code} has no source {source}",
                hint="sources: " + (", ".join(sorted(self.sources)) or "none yet; pledge one"),
            )

    def _require_pending(self, commitment_id: str, verb: str) -> CommitmentInfo:
        commitment = self.commitment(commitment_id)
        if commitment is None:
            raise RuleViolation(
                "no_such_commitment", f"programme {self.code} has no commitment {commitment_id}"
            )
        state = self.ledger.transfers[commitment_id].state
        if state != TransferState.PENDING:
            done = "paid" if state == TransferState.POSTED_FROM_PENDING else "voided"
            raise RuleViolation(
                "commitment_closed",
                f"commitment {commitment_id} was already {done}; it cannot be {verb}",
                hint="reverse its payment to correct it"
                if done == "paid"
                else "commit again under a new transaction id",
            )
        return commitment

    def _check_room(self, debit: str, credit: str | None, amount: int, what: str) -> None:
        """Refuse with what is available when ``debit`` (or ``credit``) cannot move
        ``amount``. ``credit`` None means a new account, which takes anything."""
        try:
            if credit is None:
                room = self.ledger.accounts[debit].debit_room()
                if room is not None and room < amount:
                    raise LedgerRefusal(debit, room, amount)
            else:
                self.ledger.check_transfer(debit, credit, amount)
        except LedgerRefusal as refusal:
            raise RuleViolation(
                "overdrawn",
                f"{self.describe_account(refusal.account)} has {format_vnd(refusal.available)}"
                f" available; this {what} needs {format_vnd(refusal.needed)}",
                hint="record a smaller amount or first move money in (pledge, budget the line,"
                " allocate)",
            ) from None

    def describe_account(self, key: str) -> str:
        """A finance officer's name for an account, with its figures."""
        kind, _, rest = key.partition(":")
        account = self.ledger.accounts[key]
        if kind == AccountKind.ALLOCATION:
            a = self.allocations[rest]
            return (
                f"allocation {rest} ({a.unit_name}, {a.period.label}; received"
                f" {format_vnd(account.credits_posted)}, committed and unpaid"
                f" {format_vnd(account.debits_pending)}, paid or moved out"
                f" {format_vnd(account.debits_posted)})"
            )
        if kind == AccountKind.LINE:
            line, _, source = rest.partition(":")
            return (
                f"line {line} ({self.lines[line]}) from source {source} (budgeted"
                f" {format_vnd(account.credits_posted)}, allocated"
                f" {format_vnd(account.debits_posted)})"
            )
        if kind == AccountKind.UNASSIGNED:
            return (
                f"programme {self.code}, source {rest}, unassigned to a line (pledged"
                f" {format_vnd(account.credits_posted)}, put into lines"
                f" {format_vnd(account.debits_posted)})"
            )
        if kind == AccountKind.SOURCE:
            return f"source {rest} (pledged {format_vnd(account.debits_posted)})"
        return f"paid out of allocation {rest} ({format_vnd(account.credits_posted)})"

    # -- applying events (also on replay) ----------------------------------------------------------

    def _on_Established(self, e: Established) -> None:
        self.code, self.title = e.code, e.title
        self.starts_on, self.ends_on = e.starts_on, e.ends_on
        self._establishment = Establish(
            e.code, e.title, e.starts_on, e.ends_on, e.occurred_on, e.legal_basis
        )

    def _on_SourcePledged(self, e: SourcePledged) -> None:
        self.sources.setdefault(e.source, SourceInfo(e.source, e.source_kind, e.donor))
        self.ledger.open(e.debit_account, AccountKind.SOURCE)
        self.ledger.open(e.credit_account, AccountKind.UNASSIGNED)
        self._posted(e)

    def _on_LineBudgeted(self, e: LineBudgeted) -> None:
        self.lines.setdefault(e.line, e.line_title)
        self.ledger.open(e.credit_account, AccountKind.LINE)
        self._posted(e)

    def _on_Allocated(self, e: Allocated) -> None:
        self.allocations[e.transaction_id] = AllocationInfo(
            e.transaction_id,
            e.line,
            e.source,
            e.unit_map,
            e.unit_code,
            e.unit_name,
            Period.parse(e.period),
        )
        self.ledger.open(e.credit_account, AccountKind.ALLOCATION)
        self.ledger.open(expense_account(e.transaction_id), AccountKind.EXPENSE)
        self._posted(e)

    def _on_Committed(self, e: Committed) -> None:
        key = _support_key(e)
        self.ledger.apply_transfer(
            e.transaction_id, e.debit_account, e.credit_account, e.amount_vnd, pending=True
        )
        self.commitments[e.transaction_id] = e
        self._remember(e)
        if key is not None:
            assert key not in self.support_paid_by
            self.support_paid_by[key] = e.transaction_id

    def _on_Paid(self, e: Paid) -> None:
        key = _support_key(e)
        if e.commitment is None:
            self.ledger.apply_transfer(
                e.transaction_id, e.debit_account, e.credit_account, e.amount_vnd, pending=False
            )
            if key is not None:
                assert key not in self.support_paid_by
        else:
            pending = self.ledger.apply_resolution(e.transaction_id, e.commitment, post=True)
            assert pending.amount_vnd == e.amount_vnd
        if key is not None:
            self.support_paid_by[key] = e.transaction_id
        self._remember(e)

    def _on_Voided(self, e: Voided) -> None:
        pending = self.ledger.apply_resolution(e.transaction_id, e.commitment, post=False)
        assert pending.amount_vnd == e.amount_vnd
        key = _support_key(self.commitments[e.commitment])
        if key is not None:
            assert self.support_paid_by.pop(key) == e.commitment
        self._remember(e)

    def _on_Reversed(self, e: Reversed) -> None:
        assert e.reverses not in self.reversed_by
        self.ledger.apply_transfer(
            e.transaction_id, e.debit_account, e.credit_account, e.amount_vnd, pending=False
        )
        self.reversed_by[e.reverses] = e.transaction_id
        if e.reverses_kind == Pay.KIND:
            for key, by in list(self.support_paid_by.items()):
                if by == e.reverses:
                    del self.support_paid_by[key]
        self._remember(e)

    def _posted(self, e: Any) -> None:
        self.ledger.apply_transfer(
            e.transaction_id, e.debit_account, e.credit_account, e.amount_vnd, pending=False
        )
        self._remember(e)

    def _remember(self, e: Any) -> None:
        assert e.transaction_id not in self.transactions
        self.transactions[e.transaction_id] = e


def record_event(
    aggregate: Aggregate,
    event_class: Callable[..., FundingEvent],
    command: MoneyCommand,
    officer_id: str,
    agency: str,
    recorded_at: datetime,
    fields: dict[str, Any],
) -> None:
    """Record ``command`` in ``aggregate`` as its next event, of ``event_class`` with
    ``fields`` and the header every money event has (record time, business date, officer,
    agency, legal basis, transaction id): applied, and queued to be saved.

    What the library's ``trigger_event`` does, without its generic steps (copying the keyword
    arguments, looking the topic up in its registry, checking the id and version of an event
    it has just numbered). Replay applies stored events through the library's ``mutate``,
    which checks them; both call the event's same ``apply``."""
    event = event_class(
        originator_id=aggregate.id,
        originator_version=aggregate.version + 1,
        timestamp=recorded_at,
        occurred_on=command.occurred_on,
        officer_id=officer_id,
        agency=agency,
        legal_basis=command.legal_basis,
        transaction_id=command.transaction_id,
        **fields,
    )
    event.apply(aggregate)
    aggregate.version = event.originator_version
    aggregate.modified_on = recorded_at
    aggregate.pending_events.append(event)


def spending_fields(purpose: Any, allocation: str, amount_vnd: int) -> dict[str, Any]:
    """The fields of a commitment or payment of ``amount_vnd`` out of ``allocation``: the
    purpose (read flattened from the command, or from the commitment's event it pays) and
    the accounts it moves money between (from the allocation to its expense account)."""
    return {
        "allocation": allocation,
        "amount_vnd": amount_vnd,
        "purpose_kind": purpose.purpose_kind,
        "case_id": purpose.case_id,
        "support_version": purpose.support_version,
        "activity": purpose.activity,
        "description": purpose.description,
        "debit_account": allocation_account(allocation),
        "credit_account": expense_account(allocation),
    }


def void_fields(commitment: Any, reason: str) -> dict[str, Any]:
    """The fields of voiding ``commitment`` (its event or command): it releases the whole
    amount reserved in its allocation."""
    return {
        "commitment": commitment.transaction_id,
        "allocation": commitment.allocation,
        "amount_vnd": commitment.amount_vnd,
        "reason": reason,
        "debit_account": allocation_account(commitment.allocation),
        "credit_account": expense_account(commitment.allocation),
    }


def _support_key(e: Any) -> tuple[UUID, int] | None:
    """The case's support a commitment's or payment's event pays (its purpose asserted)."""
    return support_key_of(e.purpose_kind, e.case_id, e.support_version, e.activity)


#: The last business day :func:`_today` computed: (its first instant, the next day's, the day).
_business_day: tuple[datetime, datetime, date] | None = None


def _today(recorded_at: datetime) -> date:
    """``business_date(recorded_at)``, remembering the span of the last day computed: every
    transaction of a batch (and of a working day) falls in it, and two comparisons of
    instants replace a time-zone conversion per transaction."""
    global _business_day
    span = _business_day
    if span is not None and recorded_at.tzinfo is not None and span[0] <= recorded_at < span[1]:
        return span[2]
    today = business_date(recorded_at)  # refuses a naive time
    # in UTC: the clock's readings are, and comparing instants of one zone is the cheapest
    starts = datetime.combine(today, time.min, VIETNAM_TZ).astimezone(UTC)
    ends = datetime.combine(today + timedelta(days=1), time.min, VIETNAM_TZ).astimezone(UTC)
    _business_day = (starts, ends, today)
    return today


def _check_date(day: date, recorded_at: datetime) -> None:
    today = business_date(recorded_at)
    if day > today:
        raise RuleViolation(
            "future_date",
            f"{day.isoformat()} is after today ({today.isoformat()} in Viet Nam)",
            hint="record a transaction once it has happened",
        )
    if day < EARLIEST_DATE:
        raise RuleViolation("too_early", f"{day.isoformat()} is before {EARLIEST_DATE.isoformat()}")


#: The effect of each funding event on its programme (also on replay), found by the event's
#: class: one method per class, and every concrete event class has one.
_EFFECTS: dict[type[FundingEvent], Callable[[Programme, Any], None]] = {
    Programme.Established: Programme._on_Established,
    Programme.SourcePledged: Programme._on_SourcePledged,
    Programme.LineBudgeted: Programme._on_LineBudgeted,
    Programme.Allocated: Programme._on_Allocated,
    Programme.Committed: Programme._on_Committed,
    Programme.Paid: Programme._on_Paid,
    Programme.Voided: Programme._on_Voided,
    Programme.Reversed: Programme._on_Reversed,
}

#: The decision for each money command (checks, then the event to record), found by the
#: command's class.
_DECISIONS: dict[type[FundingCommand], Callable[[Programme, Any], tuple[type, dict[str, Any]]]] = {
    Pledge: Programme._pledge,
    BudgetLine: Programme._budgetline,
    Allocate: Programme._allocate,
    Commit: Programme._commit,
    Pay: Programme._pay,
    Void: Programme._void,
    Reverse: Programme._reverse,
}

#: The command each money event records, and whether the transfer it made may be reversed.
_RECORDS: dict[type, tuple[type[FundingCommand], bool]] = {
    Programme.SourcePledged: (Pledge, True),
    Programme.LineBudgeted: (BudgetLine, True),
    Programme.Allocated: (Allocate, True),
    Programme.Committed: (Commit, False),
    Programme.Paid: (Pay, True),
    Programme.Voided: (Void, False),
    Programme.Reversed: (Reverse, False),
}

#: Topics of every funding event, for readers of the notification log.
EVENT_TOPICS: tuple[str, ...] = tuple(cls.TOPIC for cls in _EFFECTS)
