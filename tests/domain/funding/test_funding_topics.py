"""Funding events name explicit, stable topics (a contract with every stored history)."""

from __future__ import annotations

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import resolve_topic

from domain.funding.aggregate import EVENT_TOPICS, Programme

FUNDING_TOPICS = {
    "socai.funding:Programme",
    "socai.funding:Created",
    "socai.funding:Established.v1",
    "socai.funding:SourcePledged.v1",
    "socai.funding:LineBudgeted.v1",
    "socai.funding:Allocated.v1",
    "socai.funding:Committed.v1",
    "socai.funding:Paid.v1",
    "socai.funding:Voided.v1",
    "socai.funding:Reversed.v1",
}


def test_every_funding_class_has_its_registered_stable_topic() -> None:
    classes = [Programme] + [
        v
        for k, v in vars(Programme).items()
        if isinstance(v, type) and issubclass(v, CanMutateAggregate) and k != "Event"
    ]
    assert {c.TOPIC for c in classes} == FUNDING_TOPICS
    for cls in classes:
        assert resolve_topic(cls.TOPIC) is cls
    assert set(EVENT_TOPICS) == FUNDING_TOPICS - {
        "socai.funding:Programme",
        "socai.funding:Created",
    }
