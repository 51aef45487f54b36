"""The base of socai's aggregates declares the library's never-stored creating base once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar
from uuid import uuid4

import pytest
from eventsourcing.domain import Aggregate, ProgrammingError
from eventsourcing.utils import resolve_topic

from domain.access.log import AccessRecord
from domain.access.user import User
from domain.aggregate import SocaiAggregate
from domain.case.aggregate import Case
from domain.funding.aggregate import Programme
from domain.proceedings.aggregate import Proceedings

CREATED_TOPICS = {
    Case: "socai.case:Created",
    User: "socai.access:UserCreated",
    AccessRecord: "socai.access:AccessRecordCreated",
    Programme: "socai.funding:Created",
    Proceedings: "socai.proceedings:Created",
}


@pytest.mark.parametrize(("aggregate", "topic"), CREATED_TOPICS.items())
def test_each_aggregate_has_its_own_never_stored_created_class(
    aggregate: type[Aggregate], topic: str
) -> None:
    created = vars(aggregate)["Created"]
    assert topic == created.TOPIC
    assert resolve_topic(topic) is created
    assert created.__qualname__ == f"{aggregate.__qualname__}.Created"
    # no stored event derives from it: each aggregate's first event is created on its own
    stored = [
        v
        for k, v in vars(aggregate).items()
        if isinstance(v, type) and issubclass(v, Aggregate.Event) and k not in {"Event", "Created"}
    ]
    assert stored and not any(issubclass(v, created) for v in stored)


def test_a_created_topic_and_a_declared_created_class_together_are_refused() -> None:
    with pytest.raises(TypeError, match="declares Created and a created_topic"):

        class Twice(SocaiAggregate, created_topic="socai.test:TwiceCreated"):
            TOPIC = "socai.test:Twice"

            class Created(Aggregate.Created):
                TOPIC = "socai.test:TwiceOwnCreated"


def test_without_a_created_topic_the_library_refuses_the_aggregate() -> None:
    with pytest.raises(ProgrammingError, match="Explicit topic not defined"):

        class Forgotten(SocaiAggregate):
            TOPIC = "socai.test:Forgotten"


def test_an_aggregate_is_created_by_its_first_event_not_by_the_created_class() -> None:
    class Thing(SocaiAggregate, created_topic="socai.test:ThingCreated"):
        TOPIC = "socai.test:Thing"

        class Made(Aggregate.Created):
            TOPIC: ClassVar[str] = "socai.test:Made.v1"
            name: str

        def __init__(self, name: str) -> None:
            self.name = name

    thing = Thing._create(Thing.Made, id=uuid4(), timestamp=datetime.now(UTC), name="x")
    (made,) = thing.collect_events()
    assert type(made) is Thing.Made and made.name == "x"
    assert not isinstance(made, Thing.Created)
