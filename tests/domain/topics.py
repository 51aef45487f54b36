"""The stored topics an aggregate declares, each checked to name its own class.

A stored event finds its class by topic (``socai.<area>:<Name>.v1``), never by Python path:
each aggregate's topic test compares the set below with its written-out list (a contract with
every stored history), and every topic must resolve back to the class that declares it.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import resolve_topic


def registered_topics(aggregate: type[Aggregate]) -> set[str]:
    """The topics of ``aggregate`` and of the event classes declared in it (not the library's
    ``Event`` base), after asserting that each topic resolves to its own class."""
    classes = [aggregate] + [
        v
        for k, v in vars(aggregate).items()
        if isinstance(v, type) and issubclass(v, CanMutateAggregate) and k != "Event"
    ]
    for cls in classes:
        assert resolve_topic(cls.TOPIC) is cls, cls.TOPIC
    return {cls.TOPIC for cls in classes}
