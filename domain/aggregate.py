"""The base of socai's aggregates: explicit, stable topics, and the library's creating base
declared once.

Every socai aggregate (hồ sơ, người dùng, nhật ký truy cập, chương trình, vụ án) names the
stored topic of itself and of each of its events, so that renaming or moving a class never
breaks a stored history. The library (eventsourcing) copies the inherited ``Aggregate.Created``
into every aggregate class and, once topics are explicit, insists that this copy has a topic of
its own. That class is never stored: each aggregate is created by its own first event (``Received``,
``Registered``, ``Established``, ``Opened``, one of the access-log kinds), which subclasses
``Aggregate.Created`` itself. :class:`SocaiAggregate` declares the copy from the topic given as
the class keyword ``created_topic``, instead of each aggregate restating the same empty class.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate


class SocaiAggregate(Aggregate):
    """Base of socai's aggregates (not an aggregate itself).

    ``class Case(SocaiAggregate, created_topic="socai.case:Created")`` gives ``Case`` the
    never-stored ``Case.Created`` with that topic, which the library requires; an aggregate
    that declares its own ``Created`` (one with fields that its creating events share, or one
    that is stored) names no ``created_topic``.
    """

    def __init_subclass__(cls, *, created_topic: str = "", **kwargs: Any) -> None:
        if created_topic:
            if "Created" in cls.__dict__:
                raise TypeError(f"{cls.__qualname__} declares Created and a created_topic")
            never_stored = type(
                "Created",
                (Aggregate.Created,),
                {
                    "TOPIC": created_topic,
                    "__module__": cls.__module__,
                    "__qualname__": f"{cls.__qualname__}.Created",
                    "__doc__": f"The library's creating base of {cls.__name__} (never stored).",
                },
            )
            # setattr: mypy will not let a class attribute that is a class be assigned.
            setattr(cls, "Created", never_stored)  # noqa: B010
        super().__init_subclass__(**kwargs)
