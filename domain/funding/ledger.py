"""A double-entry ledger in whole đồng, shaped like TigerBeetle's.

Accounts hold four counters — debits and credits, each *pending* and *posted*. A transfer
moves an amount from exactly one debit account to exactly one credit account, so every transfer
balances and the sum over all accounts of (credits − debits) is always zero, for posted and for
pending amounts alike. Transfers are single-phase (posted at once) or two-phase: a *pending*
transfer reserves the amount (an approved commitment, cam kết chi), and is later either
*posted* (paid, chi) or *voided* (released, hủy). Balances are never stored, only derived by
applying transfers in order.

Each account has one balance rule, as TigerBeetle's flags:

- money flows from the debited account to the credited one. Every account that *receives*
  money (a programme's unassigned budget, a line, an allocation, and the expense account of
  what an allocation paid out) has ``debits_must_not_exceed_credits``: posted plus pending
  debits never exceed posted credits, so nothing is overdrawn, a reservation really reserves
  and a reversal never takes back more than was paid;
- *source* accounts (the outside world giving money) have ``credits_must_not_exceed_debits``:
  a reversal can never give a source back more than it gave.

Checks (``check_*``) raise :class:`LedgerRefusal` and change nothing; the matching ``apply_*``
re-asserts the same rules and then changes the counters. The ledger knows nothing of
programmes or cases; :mod:`domain.funding.aggregate` gives accounts their meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple


class AccountKind(StrEnum):
    SOURCE = "source"  # nguồn: outside money; its net debit is what the source gave
    UNASSIGNED = "unassigned"  # kinh phí chưa phân vào dòng: budget not yet in a line
    LINE = "line"  # dòng ngân sách: a line's budget not yet allocated
    ALLOCATION = "allocation"  # phân bổ: a unit's money for a period, not yet spent
    EXPENSE = "expense"  # đã chi: paid out of an allocation

    @property
    def debits_limited(self) -> bool:
        """``debits_must_not_exceed_credits`` (else ``credits_must_not_exceed_debits``)."""
        return self is not AccountKind.SOURCE


class TransferState(StrEnum):
    POSTED = "posted"
    PENDING = "pending"
    POSTED_FROM_PENDING = "posted_from_pending"  # a pending transfer that was later posted
    VOIDED = "voided"


class LedgerRefusal(Exception):
    """A transfer would break a balance rule. ``available`` is what the account can give."""

    def __init__(self, account: str, available: int, needed: int) -> None:
        super().__init__(f"account {account}: {available} available, {needed} needed")
        self.account = account
        self.available = available
        self.needed = needed


@dataclass(slots=True)
class Account:
    key: str
    kind: AccountKind
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0
    #: The account's balance rule (:attr:`AccountKind.debits_limited`), fixed with its kind
    #: when it is opened: every check and assertion reads it, on every transfer.
    debits_limited: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.debits_limited = self.kind is not AccountKind.SOURCE

    @property
    def available_to_debit(self) -> int:
        """What the account can still give (posted credits less all debits)."""
        return self.credits_posted - self.debits_posted - self.debits_pending

    @property
    def available_to_credit(self) -> int:
        """What a source account can still take back."""
        return self.debits_posted - self.credits_posted - self.credits_pending

    def room(self, side: str) -> int | None:
        """How much more this account may be debited/credited; None when unlimited."""
        if side == "debit":
            return self.debit_room()
        return self.credit_room()

    def debit_room(self) -> int | None:
        """How much more this account may be debited; None when unlimited."""
        if self.debits_limited:
            return self.credits_posted - self.debits_posted - self.debits_pending
        return None

    def credit_room(self) -> int | None:
        """How much more this account may be credited; None when unlimited."""
        if self.debits_limited:
            return None
        return self.debits_posted - self.credits_posted - self.credits_pending

    def holds(self) -> bool:
        if self.debits_limited:
            return self.debits_posted + self.debits_pending <= self.credits_posted
        return self.credits_posted + self.credits_pending <= self.debits_posted


class Transfer(NamedTuple):
    """One transfer, immutable. A tuple of plain values (``state`` is a
    :class:`TransferState` value, compared with ``==``): one is kept for every transfer of a
    programme's life, and a tuple of strings and numbers is the cheapest record to make and
    one Python's garbage collector stops scanning, however many a long programme holds."""

    id: str
    debit_account: str
    credit_account: str
    amount_vnd: int
    state: str


_POSTED = TransferState.POSTED.value
_PENDING = TransferState.PENDING.value
_POSTED_FROM_PENDING = TransferState.POSTED_FROM_PENDING.value
_VOIDED = TransferState.VOIDED.value


class Ledger:
    """Accounts and the transfers between them; balances derived, invariants asserted."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.transfers: dict[str, Transfer] = {}

    # -- accounts ---------------------------------------------------------------------------

    def open(self, key: str, kind: AccountKind) -> None:
        existing = self.accounts.get(key)
        if existing is None:
            self.accounts[key] = Account(key, kind)
        else:
            assert existing.kind is kind, f"account {key} is a {existing.kind}, not a {kind}"

    def account(self, key: str) -> Account:
        return self.accounts[key]

    # -- checks: raise LedgerRefusal, change nothing ------------------------------------------

    def check_transfer(self, debit: str, credit: str, amount_vnd: int) -> None:
        """A new (single-phase or pending) transfer may move ``amount_vnd``."""
        assert debit != credit, "a transfer moves money between two different accounts"
        assert type(amount_vnd) is int
        assert amount_vnd > 0
        room = self.accounts[debit].debit_room()
        if room is not None and room < amount_vnd:
            raise LedgerRefusal(debit, room, amount_vnd)
        room = self.accounts[credit].credit_room()
        if room is not None and room < amount_vnd:
            raise LedgerRefusal(credit, room, amount_vnd)

    def check_pending(self, pending_id: str) -> Transfer:
        pending = self.transfers[pending_id]
        assert pending.state == _PENDING
        return pending

    # -- apply: assert the rules, then change the counters -------------------------------------

    def apply_transfer(
        self, transfer_id: str, debit: str, credit: str, amount_vnd: int, pending: bool
    ) -> None:
        assert transfer_id not in self.transfers, f"transfer {transfer_id} is recorded once"
        self.check_transfer(debit, credit, amount_vnd)
        d, c = self.accounts[debit], self.accounts[credit]
        if pending:
            d.debits_pending += amount_vnd
            c.credits_pending += amount_vnd
        else:
            d.debits_posted += amount_vnd
            c.credits_posted += amount_vnd
        state = _PENDING if pending else _POSTED
        self.transfers[transfer_id] = Transfer(transfer_id, debit, credit, amount_vnd, state)
        assert d.holds()
        assert c.holds()

    def apply_resolution(self, transfer_id: str, pending_id: str, post: bool) -> Transfer:
        """Post or void a pending transfer in full; returns the pending transfer."""
        assert transfer_id not in self.transfers, f"transfer {transfer_id} is recorded once"
        pending = self.check_pending(pending_id)
        d, c = self.accounts[pending.debit_account], self.accounts[pending.credit_account]
        amount = pending.amount_vnd
        d.debits_pending -= amount
        c.credits_pending -= amount
        if post:
            d.debits_posted += amount
            c.credits_posted += amount
        resolved = _POSTED_FROM_PENDING if post else _VOIDED
        self.transfers[pending_id] = Transfer(
            pending_id, pending.debit_account, pending.credit_account, amount, resolved
        )
        self.transfers[transfer_id] = Transfer(
            transfer_id,
            pending.debit_account,
            pending.credit_account,
            amount,
            _POSTED if post else _VOIDED,
        )
        assert min(d.debits_pending, c.credits_pending) >= 0
        assert d.holds()
        assert c.holds()
        return pending

    # -- invariants -----------------------------------------------------------------------------

    def totals(self) -> tuple[int, int]:
        """Σ(credits − debits) over all accounts, posted and pending: both always zero."""
        posted = sum(a.credits_posted - a.debits_posted for a in self.accounts.values())
        pending = sum(a.credits_pending - a.debits_pending for a in self.accounts.values())
        return posted, pending

    def assert_invariants(self) -> None:
        assert self.totals() == (0, 0), f"the ledger does not balance: {self.totals()}"
        for account in self.accounts.values():
            assert account.holds(), f"account {account.key} breaks its balance rule"
            assert (
                min(
                    account.debits_pending,
                    account.debits_posted,
                    account.credits_pending,
                    account.credits_posted,
                )
                >= 0
            )
