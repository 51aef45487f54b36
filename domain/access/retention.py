"""Retention of personal data (thời hạn lưu trữ dữ liệu cá nhân), set by decision.

Law 91/2025/QH15 has personal data deleted when the purpose of processing ends. The
programme states, by a decision (a document code), how long each kind of person's identity
is kept after their case is closed: ``victim`` (nạn nhân) and ``relative`` (người thân), each
N whole years after the closure. :class:`RetentionPolicy` is one aggregate in the ledger:
every setting is an event (who, which kind, how many years, which decision), the latest per
kind is in force, and the history of the policy is the ledger's.

:func:`due_for_erasure` is the rule, pure: a person of a case is **due** from the day N years
after the closure (a closure on 29 February counts to 28 February, the last day of that
month, as periods end under the Civil Code art. 148), while the case is still closed (a
reopened case is not due: its purpose has resumed), their data is still held, and no erasure
of them is recorded. Being due erases nothing: the list is the input to a decision, which
``socai person erase`` carries out (by its document code, reason ``retention_expired``).

Topics are explicit and stable: ``socai.access:<Name>.v1`` (never published).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.case.subjects import VICTIM
from domain.errors import InvalidInput

#: The kinds of data subject a retention applies to.
KINDS = (VICTIM, "relative")
#: The longest retention a decision may set (years).
MAX_YEARS = 100

#: The policy's one aggregate id.
RETENTION_ID = uuid5(NAMESPACE_URL, "https://socai.example/retention-policy")


def parse_kind(text: str) -> str:
    cleaned = text.strip()
    if cleaned not in KINDS:
        raise InvalidInput(
            "--who",
            f"{text!r} is not a kind of person a retention applies to",
            hint="victim (nạn nhân) or relative (người thân): one retention per kind",
        )
    return cleaned


def parse_years(years: object) -> int:
    """A retention in whole years (1 to :data:`MAX_YEARS`); a truth value is not a number."""
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= MAX_YEARS:
        raise InvalidInput(
            "--keep-years",
            f"{years!r} is not a retention in whole years",
            hint=f"1 to {MAX_YEARS}: the years after the case's closure the identity is kept",
        )
    return years


def kind_of(subject: str) -> str:
    """``victim`` → ``victim``; ``relative:N`` → ``relative``."""
    return VICTIM if subject == VICTIM else "relative"


def years_after(day: date, years: int) -> date:
    """The same day ``years`` years later; 29 February → 28 February (the month's last day)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 2, 28)


@dataclass(frozen=True, slots=True)
class Retention:
    """One kind's retention in force: years after closure, the decision, who set it, when."""

    kind: str
    years: int
    basis: str
    username: str
    set_at: datetime


class RetentionPolicy(Aggregate):
    """The retention policy of the store: the latest setting of each kind is in force."""

    TOPIC = "socai.access:RetentionPolicy"

    class Created(Aggregate.Created):
        TOPIC = "socai.access:RetentionPolicyCreated"

    class Set(Aggregate.Event):
        """A retention was set for a kind of person (đặt thời hạn lưu trữ) by decision
        ``basis``: ``years`` after the case's closure."""

        TOPIC = "socai.access:RetentionSet.v1"
        kind: str
        years: int
        basis: str
        username: str

        def apply(self, aggregate: Any) -> None:
            assert isinstance(aggregate, RetentionPolicy)
            aggregate.rules[self.kind] = Retention(
                self.kind, self.years, self.basis, self.username, self.timestamp
            )

    def __init__(self) -> None:
        self.rules: dict[str, Retention] = {}

    @classmethod
    def new(cls, at: datetime) -> RetentionPolicy:
        return cls._create(cls.Created, id=RETENTION_ID, timestamp=at)

    def set(self, kind: str, years: int, basis: str, username: str, at: datetime) -> None:
        """Set ``kind``'s retention (checked: a kind, whole years; the basis by the caller)."""
        self.trigger_event(
            self.Set, kind=parse_kind(kind), years=parse_years(years), basis=basis,
            username=username, timestamp=at,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class HeldPerson:
    """A person of a case whose data is still held: what the rule needs, no data."""

    case_id: UUID
    subject: str
    closed_on: date | None  # None: the case is open (never closed, or reopened)


@dataclass(frozen=True, slots=True)
class Due:
    """A person whose retention has run out: due since ``due_since`` under ``basis``."""

    case_id: UUID
    subject: str
    closed_on: date
    due_since: date
    years: int
    basis: str


def due_for_erasure(
    people: Iterable[HeldPerson], rules: dict[str, Retention], on: date
) -> list[Due]:
    """The people due for erasure on ``on`` (see module doc), in the order given. A kind with
    no retention set has no one due."""
    found = []
    for person in people:
        rule = rules.get(kind_of(person.subject))
        if rule is None or person.closed_on is None:
            continue
        since = years_after(person.closed_on, rule.years)
        if since <= on:
            found.append(
                Due(person.case_id, person.subject, person.closed_on, since, rule.years, rule.basis)
            )
    return found
