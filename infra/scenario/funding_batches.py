"""What seeding the demo's money did, and recording a programme's transactions in batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from uuid import UUID

from domain.case.values import Actor
from domain.funding.commands import MoneyCommand
from infra.scenario.staff import finance
from infra.services.funding import MAX_BATCH_TRANSACTIONS

if TYPE_CHECKING:
    from infra.services.socai import Socai


@dataclass
class FundingDemo:
    """What was seeded: programme codes, transactions recorded, supports paid, and the
    deliberate discrepancy (case id, support event version), if any case had money."""

    programmes: list[str] = field(default_factory=list)
    recorded: int = 0
    supports_paid: int = 0
    discrepancy: tuple[UUID, int] | None = None


def record_in_batches(
    app: Socai,
    code: str,
    commands: Sequence[MoneyCommand],
    actor: Actor,
    demo: FundingDemo,
) -> None:
    """Record a programme's transactions, at most ``MAX_BATCH_TRANSACTIONS`` per write."""
    for start in range(0, len(commands), MAX_BATCH_TRANSACTIONS):
        outcomes = app.funding.record_batch(
            code, commands[start : start + MAX_BATCH_TRANSACTIONS], finance(app, actor)
        )
        demo.recorded += sum(o.recorded for o in outcomes)
