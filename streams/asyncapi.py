"""The AsyncAPI 3.0 document of the public topics (tài liệu AsyncAPI), generated from the
contracts, and the slim consumer package's copy of the published schemas.

Downstream teams read one document for everything they consume: each topic (channel) with its
partition count and key, each public event type (message) on it — a CloudEvents 1.0
structured-mode JSON envelope whose ``data`` is the type's published JSON Schema — and the
receive operation per topic. It lives in the consumer package (``consumer/socai_consumer/``,
beside the schemas it embeds), which downstream teams install without socai.

    python -m streams.asyncapi --write   # after `socai streams schemas --write`
    python -m streams.asyncapi           # exit 1 when the checked-in files are stale

``tests/streams/test_asyncapi.py`` fails when the checked-in files differ from what this
module generates, as the docs/streams.md table test does for the catalogue.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from streams.contracts import CONTRACTS
from streams.contracts.model import Contract
from streams.schemas import SCHEMA_DIR
from streams.topics import ALL_STREAMS, Stream

#: Where the consumer package keeps its copy of the schemas and the AsyncAPI document.
CONSUMER_PACKAGE = Path(__file__).resolve().parent.parent / "consumer" / "socai_consumer"
ASYNCAPI_FILE = CONSUMER_PACKAGE / "asyncapi.json"
CONSUMER_SCHEMAS = CONSUMER_PACKAGE / "schemas"
#: Version of the document: the public topics' major version (in their names).
DOCUMENT_VERSION = "1.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
CLOUDEVENTS_JSON = "application/cloudevents+json"


def _channel_id(stream: Stream) -> str:
    """``socai.case-events.v1`` → ``caseEventsV1``."""
    words = stream.topic.removeprefix("socai.").replace(".", "-").split("-")
    return words[0] + "".join(w.capitalize() for w in words[1:])


def _envelope(contract: Contract) -> dict[str, Any]:
    """The CloudEvent around a type's data, as the relay publishes it."""
    return {
        "type": "object",
        "required": ["specversion", "id", "source", "type", "subject", "time", "data"],
        "properties": {
            "specversion": {"const": "1.0"},
            "id": {
                "type": "string",
                "format": "uuid",
                "description": "Stable event id: a republished event keeps it (deduplicate).",
            },
            "source": {"type": "string", "description": "urn:socai:store:<store id>"},
            "type": {"const": contract.public_type},
            "subject": {
                "type": "string",
                "description": f"What the event is about: {contract.stream.keyed_by}.",
            },
            "time": {"type": "string", "format": "date-time"},
            "datacontenttype": {"const": "application/json"},
            "dataschema": {"const": contract.dataschema},
            "partitionkey": {"type": "string", "description": "The same as subject."},
            "data": {"$ref": f"#/components/schemas/{contract.public_type}"},
        },
    }


def _data_schema(contract: Contract) -> dict[str, Any]:
    """The published schema, embedded: its dialect and id stay as ``x-`` annotations."""
    schema = json.loads((SCHEMA_DIR / contract.schema_file).read_text(encoding="utf-8"))
    return {
        "x-dataschema": schema.pop("$id"),
        "x-json-schema-dialect": schema.pop("$schema"),
        **schema,
    }


def asyncapi_document(contracts: Iterable[Contract] = CONTRACTS) -> dict[str, Any]:
    contracts = list(contracts)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for stream in ALL_STREAMS:
        on_topic = [c for c in contracts if c.stream.topic == stream.topic]
        if not on_topic:
            continue
        channel = _channel_id(stream)
        channels[channel] = {
            "address": stream.topic,
            "title": stream.topic,
            "description": stream.description,
            "messages": {
                c.public_type: {"$ref": f"#/components/messages/{c.public_type}"} for c in on_topic
            },
            "bindings": {
                "kafka": {
                    "topic": stream.topic,
                    "partitions": stream.partitions,
                    "bindingVersion": KAFKA_BINDING_VERSION,
                }
            },
        }
        operations[f"receive{channel[0].upper()}{channel[1:]}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{channel}"},
            "summary": f"Consume {stream.topic} (keyed by {stream.keyed_by}; ordered per key).",
            "messages": [
                {"$ref": f"#/channels/{channel}/messages/{c.public_type}"} for c in on_topic
            ],
        }
        for c in on_topic:
            messages[c.public_type] = {
                "name": c.public_type,
                "title": c.public_type,
                "summary": c.description,
                "contentType": CLOUDEVENTS_JSON,
                "payload": _envelope(c),
                "bindings": {
                    "kafka": {
                        "key": {"type": "string", "description": stream.keyed_by},
                        "bindingVersion": KAFKA_BINDING_VERSION,
                    }
                },
                "x-internal-topic": c.internal_topic,
            }
            schemas[c.public_type] = _data_schema(c)
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "socai public events",
            "version": DOCUMENT_VERSION,
            "description": (
                "PII-free events of socai (sổ cái), the ledger of Viet Nam's programme that"
                " receives, verifies, protects and supports victims of trafficking. Delivery"
                " is at least once: deduplicate by the CloudEvents id. Generated from the"
                " contracts by streams/asyncapi.py; do not edit."
            ),
            "license": {"name": "Apache-2.0"},
        },
        "defaultContentType": CLOUDEVENTS_JSON,
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The Kafka cluster socai's relay publishes to (SOCAI_KAFKA).",
                "variables": {"bootstrap": {"default": "127.0.0.1:9092"}},
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def rendered() -> dict[Path, bytes]:
    """Every file the consumer package must hold, with its content."""
    files = {
        ASYNCAPI_FILE: (
            json.dumps(asyncapi_document(), ensure_ascii=False, indent=2) + "\n"
        ).encode(),
    }
    for schema in sorted(SCHEMA_DIR.glob("*.json")):
        files[CONSUMER_SCHEMAS / schema.name] = schema.read_bytes()
    return files


def stale() -> list[str]:
    """What differs between the checked-in files and what would be generated."""
    wanted = rendered()
    problems = [
        f"{path.relative_to(CONSUMER_PACKAGE.parent.parent)} is out of date"
        for path, content in wanted.items()
        if not path.is_file() or path.read_bytes() != content
    ]
    extra = set(CONSUMER_SCHEMAS.glob("*.json")) - set(wanted)
    problems += [f"{p.name} is not a published schema" for p in sorted(extra)]
    return problems


def write() -> list[Path]:
    CONSUMER_SCHEMAS.mkdir(parents=True, exist_ok=True)
    wanted = rendered()
    for extra in set(CONSUMER_SCHEMAS.glob("*.json")) - set(wanted):
        extra.unlink()
    for path, content in wanted.items():
        path.write_bytes(content)
    return sorted(wanted)


def main(argv: list[str]) -> int:
    if "--write" in argv:
        for path in write():
            print(f"wrote {path}")
        return 0
    problems = stale()
    for problem in problems:
        print(problem)
    if problems:
        print("run: python -m streams.asyncapi --write")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
