"""Funding commands of the application (the finance side of :class:`SocaiApplication`).

:class:`FundingCommands` is a mixin the application inherits. It records programmes and their
money transactions in :class:`~domain.funding.aggregate.Programme` aggregates (one per
programme, the consistency boundary of its ledger), in the same store and the same
notification log as the cases.

What this layer adds to the aggregate's own rules:

- paying a case's support checks the case: the support event exists (a ``SupportProvided``
  event at that version), it records an amount, and that amount — with any corrections
  applied — equals the payment. This is checked when the money is committed and again when it
  is paid (the support may have been corrected in between);
- optimistic concurrency: a save that loses a race (another writer saved the programme first)
  is retried against the new state up to :data:`MAX_CONFLICT_RETRIES` times, so a retry of an
  already-recorded transaction becomes the no-op it should be and an overdraft stays refused;
- a batch (:meth:`FundingCommands.record_funding_batch`) is recorded all or nothing, in one
  transaction of the store;
- a programme stays loaded between commands (fast-forwarded with any newer events before
  each use), so a programme with a long history is not replayed for every transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.case.values import Actor
from domain.errors import ConcurrentWriteConflict, NotFound, RuleViolation
from domain.funding.aggregate import EVENT_TOPICS, Programme, programme_id
from domain.funding.commands import Commit, Establish, MoneyCommand, Pay
from domain.funding.values import Purpose
from domain.money import format_vnd

#: How many times a save that lost an optimistic-concurrency race is retried.
MAX_CONFLICT_RETRIES = 5
#: Largest batch recorded in one store transaction.
MAX_BATCH_TRANSACTIONS = 10_000


@dataclass(frozen=True, slots=True)
class Recorded:
    """The outcome of one command: ``recorded`` is False for an idempotent retry."""

    programme: str
    transaction_id: str
    recorded: bool
    version: int


class FundingCommands:
    """Mixin for :class:`infra.application.SocaiApplication` (which provides ``repository``,
    ``events``, ``save``, ``now``, ``get_case`` and ``notifications``)."""

    repository: Any
    events: Any
    mapper: Any

    # -- programmes ------------------------------------------------------------------------

    def establish_programme(self, command: Establish, actor: Actor) -> UUID:
        """Lập chương trình. Repeating the same establishment is a no-op."""
        pid = programme_id(command.code)
        for _ in range(MAX_CONFLICT_RETRIES):
            if self.programme_exists(command.code):
                existing = self.get_programme(command.code)
                if existing.establishment().content() != command.content():
                    raise RuleViolation(
                        "programme_conflict",
                        f"programme {command.code} already exists with other details",
                        hint="`socai finance show CODE` shows it; choose another code",
                    )
                return pid
            programme = Programme.establish(command, actor.officer_id, actor.agency, self.now())  # type: ignore[attr-defined]
            try:
                self.save(programme)  # type: ignore[attr-defined]
            except IntegrityError:
                continue
            self._programmes()[pid] = programme
            return pid
        raise ConcurrentWriteConflict(f"programme {command.code} kept changing; try again")

    def get_programme(self, code_or_id: str | UUID) -> Programme:
        """The programme, named by its code or id, with every recorded event applied."""
        pid = code_or_id if isinstance(code_or_id, UUID) else programme_id(code_or_id)
        cache = self._programmes()
        programme = cache.get(pid)
        # Replayed here rather than through the repository: its cache would deep-copy the
        # whole ledger on every load, which costs more than the replay for a long history.
        after = None if programme is None else programme.version
        for event in self.events.get(pid, gt=after):
            programme = event.mutate(programme)
        if programme is None:
            raise NotFound(
                f"no programme {code_or_id}", hint="`socai finance programmes` lists them"
            )
        if not isinstance(programme, Programme):
            raise NotFound(f"{code_or_id} is not a programme")
        cache[pid] = programme
        return programme

    def programme_exists(self, code_or_id: str | UUID) -> bool:
        pid = code_or_id if isinstance(code_or_id, UUID) else programme_id(code_or_id)
        return any(True for _ in self.events.get(pid, limit=1))

    def programme_codes(self) -> list[str]:
        """Every programme's code, in the order established."""
        return [
            self.mapper.to_domain_event(n).code
            for n in self.notifications(topics=(Programme.Established.TOPIC,))  # type: ignore[attr-defined]
        ]

    # -- money -------------------------------------------------------------------------------

    def record_funding(
        self, programme: str | UUID, command: MoneyCommand, actor: Actor
    ) -> Recorded:
        """Record one transaction (or nothing, if it was already recorded)."""
        return self._record_funding(programme, [command], actor)[0]

    def record_funding_batch(
        self, programme: str | UUID, commands: Sequence[MoneyCommand], actor: Actor
    ) -> list[Recorded]:
        """Record many transactions atomically: all of them, or (on any refusal) none."""
        if len(commands) > MAX_BATCH_TRANSACTIONS:
            raise RuleViolation(
                "batch_too_large",
                f"{len(commands)} transactions in one batch; at most {MAX_BATCH_TRANSACTIONS}",
            )
        return self._record_funding(programme, commands, actor)

    def _record_funding(
        self, programme_ref: str | UUID, commands: Sequence[MoneyCommand], actor: Actor
    ) -> list[Recorded]:
        for _ in range(MAX_CONFLICT_RETRIES):
            programme = self.get_programme(programme_ref)
            pid = programme.id
            outcomes: list[Recorded] = []
            try:
                for command in commands:
                    self._check_case_support(programme, command)
                    recorded = programme.record(command, actor.officer_id, actor.agency, self.now())  # type: ignore[attr-defined]
                    outcomes.append(
                        Recorded(
                            programme.code, command.transaction_id, recorded, programme.version
                        )
                    )
            except BaseException:
                # Earlier commands of the batch may have changed the loaded programme.
                self._programmes().pop(pid, None)
                raise
            if not any(o.recorded for o in outcomes):
                return outcomes
            try:
                self.save(programme)  # type: ignore[attr-defined]
            except IntegrityError:
                self._programmes().pop(pid, None)
                continue
            return outcomes
        raise ConcurrentWriteConflict(
            f"programme {programme_ref} kept changing under this write; nothing was written",
            hint="try again",
        )

    def _check_case_support(self, programme: Programme, command: MoneyCommand) -> None:
        """A case-support commitment or payment must match the support event on the case."""
        amount: int | None
        if isinstance(command, Pay) and command.commitment is not None:
            commitment = programme.commitments.get(command.commitment)
            if commitment is None or programme.transactions.get(command.transaction_id):
                return  # the aggregate refuses it, or it is a retry
            purpose, amount = commitment.purpose, commitment.amount_vnd
        elif isinstance(command, Commit | Pay):
            if command.transaction_id in programme.transactions:
                return  # a retry: the aggregate compares it with what was recorded
            purpose, amount = command.purpose, command.amount_vnd
        else:
            return
        if purpose.support_key is not None:
            assert amount is not None
            self.check_support_payment(purpose, amount)

    def check_support_payment(self, purpose: Purpose, amount_vnd: int) -> None:
        assert purpose.case_id is not None
        assert purpose.support_version is not None
        case = self.get_case(purpose.case_id)  # type: ignore[attr-defined]
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

    # -- reading ------------------------------------------------------------------------------

    def funding_events(
        self, after: int = 0, topics: Iterable[str] = EVENT_TOPICS
    ) -> Iterator[tuple[int, Any]]:
        """(position, decoded event) for the given topics, in log order."""
        for notification in self.notifications(after=after, topics=tuple(topics)):  # type: ignore[attr-defined]
            yield notification.id, self.mapper.to_domain_event(notification)

    def _programmes(self) -> dict[UUID, Programme]:
        cache = self.__dict__.get("_programme_cache")
        if cache is None:
            cache = self.__dict__["_programme_cache"] = {}
        return cache
