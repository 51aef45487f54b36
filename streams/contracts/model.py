"""The shape of a public contract and of a published message (CloudEvents 1.0, JSON).

A :class:`Contract` names the internal event type it maps, the public ``type`` (reverse-DNS,
version in the name: ``vn.socai.case.SupportProvided.v1``), the topic, and the public fields
with their JSON types. Its JSON Schema is derived from those fields and kept in the repository
under ``streams/schemas/`` (the published contract downstream teams code against).

Event ids are stable: ``uuid5(namespace, source/originator_id/version)``, so a republished
event carries the same id and consumers deduplicate by it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from hashlib import sha1
from typing import Any
from uuid import UUID

from domain.case.shareable import shareable_document_code, shareable_value
from streams.topics import Stream

#: Namespace of the stable event ids (never change it: ids would change with it).
EVENT_ID_NAMESPACE = UUID("5b0c7a1e-3c1d-5a8e-9d7a-50ca1e5eed01")
#: JSON Schema dialect of the published schemas.
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: Upper bound of one published message (bytes): far above any real event, far below
#: Kafka's default 1 MB message limit.
MAX_MESSAGE_BYTES = 64 * 1024

STRING: dict[str, Any] = {"type": "string"}
STRING_OR_NULL: dict[str, Any] = {"type": ["string", "null"]}
INTEGER: dict[str, Any] = {"type": "integer"}
INTEGER_OR_NULL: dict[str, Any] = {"type": ["integer", "null"]}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
DATE: dict[str, Any] = {"type": "string", "format": "date"}
DATETIME: dict[str, Any] = {"type": "string", "format": "date-time"}
UUID_STRING: dict[str, Any] = {"type": "string", "format": "uuid"}
UUID_LIST: dict[str, Any] = {"type": "array", "items": UUID_STRING}
SCALAR_OR_NULL: dict[str, Any] = {"type": ["string", "integer", "boolean", "null"]}
#: Headers of a structured-mode CloudEvents Kafka message (what the SDK writes).
STRUCTURED_HEADERS: tuple[tuple[str, bytes], ...] = (
    ("content-type", b"application/cloudevents+json"),
)
#: One reused encoder with the SDK's settings (``json.dumps`` defaults).
_ENCODE = json.JSONEncoder().encode
#: A text as that encoder writes it (quoted, escaped, ASCII only): the same C function.
_QUOTE: Callable[[str], str] = json.encoder.encode_basestring_ascii


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One public field: its name, JSON type and meaning (shown in the published schema)."""

    name: str
    schema: Mapping[str, Any]
    description: str
    required: bool = True


Mapper = Callable[[Any], dict[str, Any]]


def public_envelope(event: Any, key: str) -> dict[str, Any]:
    """The envelope of a case, activity or funding event's public data: its aggregate's id
    under ``key`` (``case_id``, ``activity_id``, ``programme_id``; also the message key),
    version, kind, business date, record time, actor and legal basis."""
    return {
        key: event.originator_id,
        "version": event.originator_version,
        "kind": type(event).__name__,
        "occurred_on": event.occurred_on,
        "recorded_at": event.timestamp,
        "officer_id": event.officer_id,
        "agency": event.agency,
        "legal_basis": shareable_document_code(event.legal_basis),
    }


#: What a public event carries in a free-text ``reason`` (a correction's, a void's, a
#: reversal's, a withdrawal's): nothing. Officers may write whom a reason concerns; the text
#: stays in the core. The v1 schemas keep ``reason`` a required string, so it is empty.
WITHHELD_REASON = ""


def shared_field(name: str, value: object, free_text: frozenset[str] = frozenset()) -> object:
    """An event field's value as a public event carries it: the contract's free-text fields
    (``free_text``: a void's or a withdrawal's ``reason``) withheld; document codes and
    relationships as :func:`domain.case.shareable.shareable_value` allows; codes (a closure's
    ``reason`` is one), numbers and dates as they are."""
    if name in free_text:
        return WITHHELD_REASON
    return shareable_value(name, value)


def domain_envelope(data: Mapping[str, Any], key: str) -> dict[str, Any]:
    """The inverse of :func:`public_envelope`: the domain event's keyword arguments for the
    envelope (``kind`` chooses the event class and is not one of them)."""
    return {
        "originator_id": UUID(data[key]),
        "originator_version": int(data["version"]),
        "timestamp": datetime.fromisoformat(data["recorded_at"]),
        "occurred_on": date.fromisoformat(data["occurred_on"]),
        "officer_id": data["officer_id"],
        "agency": data["agency"],
        "legal_basis": data["legal_basis"],
    }


@dataclass(frozen=True, slots=True)
class Contract:
    """One public event type and how an internal event becomes it."""

    internal_topic: str
    public_type: str
    stream: Stream
    fields: tuple[FieldSpec, ...]
    description: str
    mapper: Mapper
    subject_of: Callable[[Any], str]
    #: Rebuilds the domain event from public data (for projections driven from Kafka).
    to_domain: Callable[[dict[str, Any]], Any] | None = None

    @property
    def dataschema(self) -> str:
        return f"urn:socai:schema:{self.public_type}"

    @property
    def schema_file(self) -> str:
        return f"{self.public_type}.json"

    def json_schema(self) -> dict[str, Any]:
        """The JSON Schema of the event's ``data``. Unknown properties are allowed so that
        adding a field is never a breaking change for a consumer validating with an older
        schema; the producer side is held to the declared fields by tests."""
        return {
            "$schema": SCHEMA_DIALECT,
            "$id": self.dataschema,
            "title": self.public_type,
            "description": self.description,
            "type": "object",
            "properties": {f.name: {**f.schema, "description": f.description} for f in self.fields},
            "required": [f.name for f in self.fields if f.required],
            "additionalProperties": True,
        }

    @property
    def field_names(self) -> tuple[str, ...]:
        """The declared fields, in the order the public data lists them."""
        names = _FIELD_NAMES.get(self.public_type)
        if names is None:
            names = _FIELD_NAMES[self.public_type] = tuple(f.name for f in self.fields)
            _FIELD_SETS[self.public_type] = frozenset(names)
        return names

    def data_of(self, event: Any) -> dict[str, Any]:
        """The public data of ``event``: exactly the declared fields, as JSON values.

        A mapper that produces any other field (personal data, say) stops the relay here:
        the check runs for every event, not only in tests."""
        raw = self.mapper(event)
        declared = self.field_names
        if raw.keys() != _FIELD_SETS[self.public_type]:
            raise AssertionError(
                f"{self.public_type}: mapper produced {sorted(raw)}, contract declares"
                f" {sorted(declared)}"
            )
        data = {}
        for name in declared:
            value = raw[name]
            kind = type(value)
            if not (kind is str or kind is int or kind is bool or value is None):
                convert = _EXACT_CONVERSIONS.get(kind)
                if convert is None or (kind is datetime and value.tzinfo is None):
                    value = public_value(value, f"{self.public_type}.{name}")
                else:
                    value = convert(value)
            data[name] = value
        return data


#: Declared field names by public type (contracts are constants; one per type).
_FIELD_NAMES: dict[str, tuple[str, ...]] = {}
_FIELD_SETS: dict[str, frozenset[str]] = {}


def public_value(value: Any, where: str) -> Any:
    """A value as JSON: dates and times in ISO 8601, ids as text, enums by code.

    Only plain values (and lists of them, such as victims' case ids) pass: a structured value
    (such as personal data) is a programming error here and stops the relay rather than
    leaving.
    """
    if type(value) is UUID:
        return str(value)
    if value is None or (isinstance(value, bool | int | str) and not isinstance(value, Enum)):
        return value
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        assert value.tzinfo is not None, f"{where}: naive datetime"
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, list | tuple):  # a list of ids: each item passes the same gate
        return [public_value(item, f"{where}[]") for item in value]
    raise AssertionError(f"{where}: a {type(value).__name__} cannot be published")


#: :func:`public_value` of the exact types every event carries (a business date, an aware
#: record time, an id), looked up by type: the same text, without the chain of
#: ``isinstance`` (a naive time still goes to :func:`public_value`, which refuses it).
_EXACT_CONVERSIONS: dict[type, Callable[[Any], Any]] = {
    date: date.isoformat,
    datetime: datetime.isoformat,
    UUID: str,
}


def stable_event_id(source: str, originator_id: UUID | str, version: int) -> str:
    """The event's id: the same every time the same stored event is published.

    ``uuid5(EVENT_ID_NAMESPACE, f"{source}/{originator_id}/{version}")`` (RFC 4122 §4.3),
    computed without building UUID objects (the relay's hot path; equality tested)."""
    h = sha1(  # noqa: S324 - uuid5 is defined on SHA-1 (RFC 4122); not a security use
        _NAMESPACE_BYTES + f"{source}/{originator_id}/{version}".encode()
    ).hexdigest()
    # the first 16 bytes, version 5 in the high nibble of byte 6, the RFC 4122 variant (10)
    # in the two high bits of byte 8
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


#: A hex digit with its two high bits set to the RFC 4122 variant ``10``.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
_NAMESPACE_BYTES = EVENT_ID_NAMESPACE.bytes


def store_source(store_id: str) -> str:
    """The CloudEvents ``source`` of everything one store publishes."""
    source = _SOURCES.get(store_id)
    if source is None:
        assert store_id, "store id required"
        assert " " not in store_id, "store id: one word"
        source = _SOURCES[store_id] = f"urn:socai:store:{store_id}"
    return source


#: Sources by store id (checked once each).
_SOURCES: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class PublicMessage:
    """One message ready for Kafka: topic, key, CloudEvents JSON value, headers."""

    topic: str
    key: bytes
    value: bytes
    headers: tuple[tuple[str, bytes], ...]
    event_id: str
    public_type: str

    @classmethod
    def build(
        cls,
        contract: Contract,
        *,
        event_id: str,
        source: str,
        subject: str,
        time: datetime,
        data: dict[str, Any],
    ) -> PublicMessage:
        """The CloudEvents 1.0 structured-mode Kafka message, encoded in one pass.

        Byte for byte what the CloudEvents SDK writes (``to_structured(CloudEvent(...),
        JSONFormat())``: the attributes in this order, ``time`` with ``Z`` for UTC, then
        ``data``; key = ``partitionkey``; header ``content-type``), which
        tests/streams/test_public_bytes.py checks for every contract and every event of the
        demo. The SDK's per-attribute validation is not run here: every attribute comes from
        a contract constant, a uuid5, the store id (checked once by :func:`store_source`) or
        an aggregate id, and the test validates each contract's messages with the SDK once;
        what can vary at run time (an aware time, the size, a key) is asserted."""
        value = cloudevent_json(
            envelope_text(contract, source), event_id, subject, cloudevent_time(time), data
        )
        assert len(value) <= MAX_MESSAGE_BYTES, f"{contract.public_type}: too large"
        assert subject, "every public message is keyed"
        return cls(
            topic=contract.stream.topic,
            key=subject.encode(),
            value=value,
            headers=STRUCTURED_HEADERS,
            event_id=event_id,
            public_type=contract.public_type,
        )


def cloudevent_time(time: datetime) -> str:
    """A record time as the CloudEvents SDK writes ``time``: ISO 8601, ``Z`` for UTC."""
    assert time.tzinfo is not None, "CloudEvents time must be timezone-aware"
    stamp = time.isoformat()
    if stamp.endswith("+00:00"):
        stamp = stamp[:-6] + "Z"
    return stamp


@dataclass(frozen=True, slots=True)
class EnvelopeText:
    """The constant JSON text of one public type's CloudEvents from one source: what comes
    after the ``id`` up to the ``subject``'s value, and after ``time``'s value up to
    ``partitionkey``'s value. Written once per type and source by the same encoder as the
    rest, so a message is the same bytes as encoding the whole mapping (tested)."""

    after_id: str
    after_time: str


def envelope_text(contract: Contract, source: str) -> EnvelopeText:
    """The constant text of ``contract``'s messages from ``source`` (made once, then kept)."""
    key = (contract.public_type, source)
    text = _ENVELOPE_TEXTS.get(key)
    if text is None:
        text = _ENVELOPE_TEXTS[key] = EnvelopeText(
            after_id=f', "source": {_ENCODE(source)}, "type": {_ENCODE(contract.public_type)},'
            ' "specversion": "1.0", "subject": ',
            after_time=', "datacontenttype": "application/json",'
            f' "dataschema": {_ENCODE(contract.dataschema)}, "partitionkey": ',
        )
    return text


#: Envelope texts by (public type, source): contracts are constants, a relay has one source.
_ENVELOPE_TEXTS: dict[tuple[str, str], EnvelopeText] = {}


def cloudevent_json(
    text: EnvelopeText, event_id: str, subject: str, stamp: str, data: dict[str, Any]
) -> bytes:
    """The structured-mode CloudEvent in one pass: the attributes in the SDK's order (``id``,
    ``source``, ``type``, ``specversion``, ``subject``, ``time``, ``datacontenttype``,
    ``dataschema``, ``partitionkey``), then ``data``, with ``json.dumps``' separators and
    escaping (ASCII only)."""
    quoted = _QUOTE(subject)
    return (
        f'{{"id": {_QUOTE(event_id)}{text.after_id}{quoted}, "time": {_QUOTE(stamp)}'
        f'{text.after_time}{quoted}, "data": {_ENCODE(data)}}}'
    ).encode()


def read_message(value: bytes) -> dict[str, Any]:
    """A published message's CloudEvent as a plain mapping (attributes plus ``data``)."""
    envelope = json.loads(value)
    assert isinstance(envelope, dict), "not a JSON object"
    assert envelope.get("specversion") == "1.0", "not a CloudEvents 1.0 event"
    return envelope
