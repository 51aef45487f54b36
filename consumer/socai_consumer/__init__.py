"""socai-consumer: read socai's public Kafka topics without installing socai.

- :func:`read_event`, :func:`validate`: a record's CloudEvent, checked against the published
  schema of its type (packaged here, as published by socai);
- :class:`IdempotentConsumer`: each event handled once in effect, in a transaction of your
  own database, resuming from offsets kept there;
- :data:`TOPICS`: the public topics; ``asyncapi.json`` (packaged) describes them all.
"""

from socai_consumer.consumer import IdempotentConsumer
from socai_consumer.events import InvalidEvent, event_types, read_event, schemas, validate

__version__ = "0.1.0"

#: The public topics (the version is part of the name).
CASE_EVENTS = "socai.case-events.v1"
FUNDING_EVENTS = "socai.funding-events.v1"
ACTIVITY_EVENTS = "socai.activity-events.v1"
PROCEEDINGS_EVENTS = "socai.proceedings-events.v1"
AUDIT_CHECKPOINTS = "socai.audit-checkpoints.v1"
TOPICS = (CASE_EVENTS, FUNDING_EVENTS, ACTIVITY_EVENTS, PROCEEDINGS_EVENTS, AUDIT_CHECKPOINTS)

__all__ = [
    "ACTIVITY_EVENTS",
    "AUDIT_CHECKPOINTS",
    "CASE_EVENTS",
    "FUNDING_EVENTS",
    "PROCEEDINGS_EVENTS",
    "TOPICS",
    "IdempotentConsumer",
    "InvalidEvent",
    "event_types",
    "read_event",
    "schemas",
    "validate",
]
