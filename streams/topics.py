"""The public Kafka topics (chủ đề công khai): one per stream, versioned in the name.

Every message on a topic is keyed by the pseudonymous id of the thing it is about (the case
id, the programme/fund id, the store for audit checkpoints), so Kafka keeps each case's events
in order within one partition. Topics are created explicitly with a fixed partition count:
a topic a client auto-creates gets the broker's default (4 on Tansu), which breaks consumers
that assume the count.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.errors import SocaiError

#: Partitions of every event topic: the most workers one consumer group can spread over.
EVENT_TOPIC_PARTITIONS = 6
#: Checkpoints form one sequence per store: a single partition keeps them in order.
CHECKPOINT_TOPIC_PARTITIONS = 1
#: Replication factor for the development broker; production clusters set their own (3).
DEFAULT_REPLICATION_FACTOR = 1
#: Kafka's bound on the replication factor (a 16-bit field).
MAX_REPLICATION_FACTOR = 32_767
#: ``retention.ms`` that keeps records forever.
RETAIN_FOREVER = -1
#: Shortest retention accepted (an hour): anything shorter is a slip of units.
MIN_RETENTION_MS = 3_600_000


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


class TopicError(SocaiError):
    """A topic setting is impossible, or the cluster refused to create a topic."""


@dataclass(frozen=True, slots=True)
class TopicSettings:
    """How new topics are created (cấu hình chủ đề): durability and retention.

    - ``replication_factor``: copies of each partition (1 on the development broker; 3 on a
      production cluster, so a broker can fail without losing acknowledged events).
    - ``min_insync_replicas``: how many copies must hold a record before the relay's
      ``acks=all`` send succeeds (2 with replication 3: one broker may be down, two copies
      always exist). ``None`` keeps the broker's default.
    - ``retention_ms``: how long records are kept; ``-1`` keeps them forever (a new consumer
      can then rebuild from the beginning without a ``relay --reset``). ``None`` keeps the
      broker's default (7 days on Apache Kafka).

    Settings apply when a topic is created; an existing topic keeps its own (change it with
    the cluster's tools, e.g. ``kafka-configs.sh --alter``).
    """

    replication_factor: int = DEFAULT_REPLICATION_FACTOR
    min_insync_replicas: int | None = None
    retention_ms: int | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.replication_factor <= MAX_REPLICATION_FACTOR:
            raise TopicError(
                f"replication factor {self.replication_factor} is not between 1 and"
                f" {MAX_REPLICATION_FACTOR}",
                hint="1 on the development broker, 3 on a production cluster",
            )
        if self.min_insync_replicas is not None and not (
            1 <= self.min_insync_replicas <= self.replication_factor
        ):
            raise TopicError(
                f"min.insync.replicas {self.min_insync_replicas} must be between 1 and the"
                f" replication factor ({self.replication_factor})",
                hint="with replication 3 use min.insync.replicas 2; a value above the"
                " replication factor makes every publish fail",
            )
        if self.retention_ms is not None and not (
            self.retention_ms == RETAIN_FOREVER or self.retention_ms >= MIN_RETENTION_MS
        ):
            raise TopicError(
                f"retention of {self.retention_ms} ms is shorter than an hour",
                hint="e.g. 30d, 12h or forever; consumers that stop for longer lose events",
            )

    def configs(self) -> dict[str, str]:
        """The topic configs sent with the create request (only those set)."""
        configs: dict[str, str] = {}
        if self.min_insync_replicas is not None:
            configs["min.insync.replicas"] = str(self.min_insync_replicas)
        if self.retention_ms is not None:
            configs["retention.ms"] = str(self.retention_ms)
        return configs

    def create_request(self, streams: tuple[Stream, ...]) -> dict[str, dict[str, object]]:
        """The kafka-python ``create_topics`` request for ``streams``."""
        return {
            s.topic: {
                "num_partitions": s.partitions,
                "replication_factor": self.replication_factor,
                "configs": self.configs(),
            }
            for s in streams
        }


def ensure_topics(
    bootstrap: str,
    settings: TopicSettings | None = None,
    streams: tuple[Stream, ...] = ALL_STREAMS,
) -> list[str]:
    """Create the topics that do not exist yet (with ``settings``); returns the names created.
    A cluster that refuses (say, fewer brokers than the replication factor) is a
    :class:`TopicError` naming the topic and the broker's reason."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError, TopicAlreadyExistsError

    settings = settings or TopicSettings()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        existing = set(admin.list_topics())
        missing = tuple(s for s in streams if s.topic not in existing)
        if missing:
            try:
                admin.create_topics(settings.create_request(missing))
            except TopicAlreadyExistsError:
                pass  # another process created one in between: the same outcome
            except KafkaError as error:
                raise TopicError(
                    f"the cluster refused to create {', '.join(s.topic for s in missing)}:"
                    f" {type(error).__name__} {error}",
                    hint="check the replication factor against the number of brokers and"
                    " min.insync.replicas against the replication factor",
                ) from None
        return [s.topic for s in missing]
    finally:
        admin.close()


def replicas(bootstrap: str, streams: tuple[Stream, ...] = ALL_STREAMS) -> dict[str, int]:
    """The replication factor each existing topic of ``streams`` has on the cluster (the
    replicas of its first partition); absent topics are left out."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        existing = set(admin.list_topics())
        names = [s.topic for s in streams if s.topic in existing]
        found: dict[str, int] = {}
        for description in admin.describe_topics(names) if names else []:
            partitions = sorted(description["partitions"], key=lambda p: p["partition_index"])
            if partitions:
                found[description["name"]] = len(partitions[0]["replica_nodes"])
        return found
    finally:
        admin.close()
