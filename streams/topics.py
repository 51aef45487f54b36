"""The public Kafka topics (chủ đề công khai): one per stream, versioned in the name.

Every message on a topic is keyed by the pseudonymous id of the thing it is about (the case
id, the programme/fund id, the store for audit checkpoints), so Kafka keeps each case's events
in order within one partition. Topics are created explicitly with a fixed partition count:
a topic a client auto-creates gets the broker's default (4 on Tansu), which breaks consumers
that assume the count.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

#: Partitions of every event topic: the most workers one consumer group can spread over.
EVENT_TOPIC_PARTITIONS = 6
#: Checkpoints form one sequence per store: a single partition keeps them in order.
CHECKPOINT_TOPIC_PARTITIONS = 1
#: Replication factor for the development broker; production clusters set their own (3).
DEFAULT_REPLICATION_FACTOR = 1


@dataclass(frozen=True, slots=True)
class Stream:
    """One public topic: its name, what it carries and what its messages are keyed by."""

    topic: str
    partitions: int
    keyed_by: str
    description: str


CASE_EVENTS = Stream(
    "socai.case-events.v1",
    EVENT_TOPIC_PARTITIONS,
    "case id (pseudonymous UUID)",
    "Steps of a case (hồ sơ): reception, verification, protection, support, closure,"
    " corrections — without any identifying data of the person.",
)
FUNDING_EVENTS = Stream(
    "socai.funding-events.v1",
    EVENT_TOPIC_PARTITIONS,
    "programme / fund id",
    "Budgets, allocations and disbursements (kinh phí) in whole đồng.",
)
ACTIVITY_EVENTS = Stream(
    "socai.activity-events.v1",
    EVENT_TOPIC_PARTITIONS,
    "programme / activity id",
    "Programme activities (hoạt động): trainings, communication campaigns, reception points.",
)
PROCEEDINGS_EVENTS = Stream(
    "socai.proceedings-events.v1",
    EVENT_TOPIC_PARTITIONS,
    "criminal case id",
    "Criminal cases of trafficking (vụ án): opened, solved, prosecuted, tried — counts and"
    " ids only.",
)
AUDIT_CHECKPOINTS = Stream(
    "socai.audit-checkpoints.v1",
    CHECKPOINT_TOPIC_PARTITIONS,
    "store id",
    "Signed checkpoints of the tamper-evident ledger (tree size, root hash, signature).",
)

ALL_STREAMS: tuple[Stream, ...] = (
    CASE_EVENTS,
    FUNDING_EVENTS,
    ACTIVITY_EVENTS,
    PROCEEDINGS_EVENTS,
    AUDIT_CHECKPOINTS,
)
STREAMS_BY_TOPIC = {s.topic: s for s in ALL_STREAMS}


def ensure_topics(
    bootstrap: str,
    streams: tuple[Stream, ...] = ALL_STREAMS,
    replication_factor: int = DEFAULT_REPLICATION_FACTOR,
) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        existing = set(admin.list_topics())
        missing = [s for s in streams if s.topic not in existing]
        if missing:
            # another process may create one in between: the same outcome
            with contextlib.suppress(TopicAlreadyExistsError):
                admin.create_topics(
                    [
                        NewTopic(
                            s.topic,
                            num_partitions=s.partitions,
                            replication_factor=replication_factor,
                        )
                        for s in missing
                    ]
                )
        return [s.topic for s in missing]
    finally:
        admin.close()
