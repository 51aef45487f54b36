"""Published bytes do not change: the relay's one-pass encoder writes exactly what the
CloudEvents SDK writes, for every event of the demo store (every case, activity and funding
contract) and for checkpoints, and the SDK accepts every message as a valid CloudEvent.

This is the "validate the contract once per type in tests" half of the relay's design: at
run time the encoder trusts the attributes it builds (see ``PublicMessage.build``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid5

from cloudevents.core.bindings.kafka import KafkaMessage, from_structured, to_structured
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from hypothesis import given
from hypothesis import strategies as st

from streams.contracts import CONTRACTS, PublicMessage, to_public
from streams.contracts.audit import CHECKPOINT_INTERNAL_TOPIC
from streams.contracts.model import EVENT_ID_NAMESPACE, stable_event_id, store_source
from streams.contracts.registry import contract_for_type
from streams.relay import checkpoint_message
from tests.streams.conftest import StoreFiles

STORE_ID = "golden"


def sdk_message(message: PublicMessage) -> tuple[bytes, bytes, dict[str, bytes]]:
    """The message as the CloudEvents SDK builds it from the same attributes and data (the
    encoder the relay used before it wrote messages in one pass)."""
    envelope = JSONFormat().read(None, message.value)
    attributes: dict[str, Any] = dict(envelope.get_attributes())
    contract = contract_for_type(message.public_type)
    rebuilt = to_structured(
        CloudEvent(
            attributes={
                "id": attributes["id"],
                "source": attributes["source"],
                "type": contract.public_type,
                "specversion": "1.0",
                "subject": attributes["subject"],
                "time": attributes["time"],
                "datacontenttype": "application/json",
                "dataschema": contract.dataschema,
                "partitionkey": attributes["subject"],
            },
            data=envelope.get_data(),
        ),
        JSONFormat(),
    )
    key = rebuilt.key.encode() if isinstance(rebuilt.key, str) else rebuilt.key
    assert key is not None
    return key, rebuilt.value, dict(rebuilt.headers)


def assert_as_the_sdk_writes(message: PublicMessage) -> None:
    key, value, headers = sdk_message(message)
    assert message.value == value, message.public_type
    assert message.key == key
    assert dict(message.headers) == headers
    parsed = from_structured(
        KafkaMessage(headers=dict(message.headers), key=message.key, value=message.value),
        JSONFormat(),
    )
    assert parsed.get_type() == message.public_type  # the SDK validates every attribute


def test_every_demo_message_is_byte_equal_to_the_sdks(demo_store_template: StoreFiles) -> None:
    app = demo_store_template.open()
    seen: set[str] = set()
    try:
        for entry in app.log.entries():
            message = to_public(entry.event(), STORE_ID)
            if message is None:
                continue
            assert_as_the_sdk_writes(message)
            seen.add(message.public_type)
    finally:
        app.close()
    published = {c.public_type for c in CONTRACTS if c.internal_topic != CHECKPOINT_INTERNAL_TOPIC}
    assert len(seen) >= len(published) - 3, sorted(published - seen)


def test_checkpoint_messages_are_byte_equal_to_the_sdks() -> None:
    document = {
        "format": "c2sp-note",
        "tree_size": 12,
        "root_hash": "00" * 32,
        "last_position": 12,
        "chain_head": "11" * 32,
        "time": "2026-11-23T10:00:00.123456+00:00",
        "key_id": "ab" * 32,
        "signature": "c2ln",
        "origin": "socai.gov.vn/golden/0123456789abcdef",
        "note": "socai.gov.vn/golden/0123456789abcdef\n12\n",
    }
    assert_as_the_sdk_writes(checkpoint_message(document, STORE_ID))


def test_a_non_utc_time_and_non_ascii_data_are_written_as_the_sdk_does() -> None:
    from datetime import timedelta, timezone

    contract = next(c for c in CONTRACTS if c.public_type.endswith("Withdrawn.v1"))
    source = store_source(STORE_ID)
    for when in (
        datetime(2026, 11, 23, 10, 0, 0, 5, tzinfo=UTC),
        datetime(2026, 11, 23, 17, 0, tzinfo=timezone(timedelta(hours=7))),
    ):
        message = PublicMessage.build(
            contract,
            event_id=stable_event_id(source, UUID(int=5), 2),
            source=source,
            subject=str(UUID(int=5)),
            time=when,
            data={"reason": 'ghi nhầm \u2028 "x" \\ \x00'},
        )
        assert_as_the_sdk_writes(message)


#: One fixed message, as the SDK wrote it before the one-pass encoder (pinned bytes).
GOLDEN_VALUE = (
    b'{"id": "0f6f3c9b-6a36-5d0c-9c0e-9c5d4c1a2b3d", "source": "urn:socai:store:golden",'
    b' "type": "vn.socai.activity.Withdrawn.v1", "specversion": "1.0", "subject":'
    b' "00000000-0000-0000-0000-000000000005", "time": "2026-11-23T10:00:00.000005Z",'
    b' "datacontenttype": "application/json", "dataschema":'
    b' "urn:socai:schema:vn.socai.activity.Withdrawn.v1", "partitionkey":'
    b' "00000000-0000-0000-0000-000000000005", "data": {"reason": "ghi nh\\u1ea7m"}}'
)


def test_a_pinned_message_keeps_its_bytes() -> None:
    contract = next(c for c in CONTRACTS if c.public_type.endswith("activity.Withdrawn.v1"))
    message = PublicMessage.build(
        contract,
        event_id="0f6f3c9b-6a36-5d0c-9c0e-9c5d4c1a2b3d",
        source=store_source(STORE_ID),
        subject="00000000-0000-0000-0000-000000000005",
        time=datetime(2026, 11, 23, 10, 0, 0, 5, tzinfo=UTC),
        data={"reason": "ghi nhầm"},
    )
    assert message.value == GOLDEN_VALUE
    assert message.key == b"00000000-0000-0000-0000-000000000005"
    assert message.headers == (("content-type", b"application/cloudevents+json"),)


@given(source=st.text(min_size=1, max_size=60), originator=st.uuids(), version=st.integers(0))
def test_stable_event_ids_are_uuid5(source: str, originator: UUID, version: int) -> None:
    expected = str(uuid5(EVENT_ID_NAMESPACE, f"{source}/{originator}/{version}"))
    assert stable_event_id(source, originator, version) == expected
    assert stable_event_id(source, str(originator), version) == expected
