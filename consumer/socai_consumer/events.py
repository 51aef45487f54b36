"""socai's public events as a downstream system reads them: CloudEvents 1.0 in JSON, one
published JSON Schema per event type (packaged with this module, ``schemas/``).

Every event has ``id`` (stable: a republished event keeps it — deduplicate by it), ``source``
(``urn:socai:store:<store id>``), ``type`` (``vn.socai.case.SupportProvided.v1``: the version
is part of the name), ``subject`` (the case, programme or store it is about; also the Kafka
key), ``time`` and ``dataschema`` (``urn:socai:schema:<type>``), and its ``data``, which the
type's schema describes. No event carries a name, an identity number, an address or a phone.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError


class InvalidEvent(ValueError):
    """A message is not a socai CloudEvent, or its data does not match its type's schema."""


def read_event(value: bytes) -> dict[str, Any]:
    """A Kafka record's value as the CloudEvent it carries (attributes plus ``data``)."""
    try:
        envelope = json.loads(value)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InvalidEvent(f"not JSON: {error}") from None
    if not isinstance(envelope, dict) or envelope.get("specversion") != "1.0":
        raise InvalidEvent("not a CloudEvents 1.0 event")
    for attribute in ("id", "source", "type"):
        if not isinstance(envelope.get(attribute), str):
            raise InvalidEvent(f"CloudEvent without {attribute!r}")
    return envelope


@cache
def schemas() -> dict[str, dict[str, Any]]:
    """The published schema of each public event type, by type."""
    folder = resources.files("socai_consumer") / "schemas"
    found = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".json"):
            schema = json.loads(entry.read_text(encoding="utf-8"))
            found[schema["title"]] = schema
    return found


def event_types() -> list[str]:
    return sorted(schemas())


@cache
def _validator(event_type: str) -> Draft202012Validator:
    return Draft202012Validator(
        schemas()[event_type], format_checker=Draft202012Validator.FORMAT_CHECKER
    )


def validate(event: dict[str, Any]) -> None:
    """Raise :class:`InvalidEvent` unless ``event``'s data matches its type's schema (an
    unknown type is refused too: a consumer coded against v1 must not guess at v2)."""
    event_type = event.get("type")
    if event_type not in schemas():
        raise InvalidEvent(f"unknown event type {event_type!r}")
    try:
        _validator(event_type).validate(event.get("data"))
    except ValidationError as error:
        where = "/".join(str(p) for p in error.absolute_path) or "data"
        raise InvalidEvent(f"{event_type}: {where}: {error.message}") from None
