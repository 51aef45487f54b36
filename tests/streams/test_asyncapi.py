"""The AsyncAPI document and the consumer package's schemas: generated from the contracts,
checked in, and current."""

from __future__ import annotations

import json
from pathlib import Path

import socai_consumer

from streams import asyncapi
from streams.contracts import CONTRACTS
from streams.schemas import SCHEMA_DIR
from streams.topics import ALL_STREAMS


def _resolve(document: dict, ref: str) -> object:
    assert ref.startswith("#/"), ref
    node: object = document
    for part in ref[2:].split("/"):
        assert isinstance(node, dict) and part in node, f"dangling {ref}"
        node = node[part]
    return node


def _refs(node: object) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_the_checked_in_files_are_current():
    assert asyncapi.stale() == []


def test_a_stale_file_is_named(tmp_path, monkeypatch):
    copy = tmp_path / "socai_consumer"
    (copy / "schemas").mkdir(parents=True)
    monkeypatch.setattr(asyncapi, "CONSUMER_PACKAGE", copy)
    monkeypatch.setattr(asyncapi, "ASYNCAPI_FILE", copy / "asyncapi.json")
    monkeypatch.setattr(asyncapi, "CONSUMER_SCHEMAS", copy / "schemas")
    (copy / "schemas" / "vn.socai.case.Gone.v1.json").write_text("{}")
    problems = asyncapi.stale()
    assert "asyncapi.json is out of date" in " ".join(problems)
    assert "vn.socai.case.Gone.v1.json is not a published schema" in problems
    asyncapi.write()
    assert asyncapi.stale() == []
    assert not (copy / "schemas" / "vn.socai.case.Gone.v1.json").exists()


def test_every_contract_is_a_message_on_its_topic_and_every_ref_resolves():
    document = json.loads(asyncapi.ASYNCAPI_FILE.read_text(encoding="utf-8"))
    assert document["asyncapi"] == "3.0.0"
    addresses = {c["address"]: name for name, c in document["channels"].items()}
    assert set(addresses) == {s.topic for s in ALL_STREAMS}
    for contract in CONTRACTS:
        channel = document["channels"][addresses[contract.stream.topic]]
        assert contract.public_type in channel["messages"]
        message = document["components"]["messages"][contract.public_type]
        assert message["payload"]["properties"]["type"] == {"const": contract.public_type}
        published = json.loads((SCHEMA_DIR / contract.schema_file).read_text(encoding="utf-8"))
        embedded = dict(document["components"]["schemas"][contract.public_type])
        assert embedded.pop("x-dataschema") == published.pop("$id")
        assert embedded.pop("x-json-schema-dialect") == published.pop("$schema")
        assert embedded == published
    for operation in document["operations"].values():
        assert operation["action"] == "receive"
    refs = _refs(document)
    assert len(refs) > 2 * len(CONTRACTS)
    for ref in refs:
        _resolve(document, ref)


def test_the_consumer_package_knows_every_topic_and_type():
    assert set(socai_consumer.TOPICS) == {s.topic for s in ALL_STREAMS}
    assert socai_consumer.event_types() == sorted(c.public_type for c in CONTRACTS)
    folder = Path(socai_consumer.__file__).parent / "schemas"
    assert sorted(p.name for p in folder.glob("*.json")) == sorted(
        p.name for p in SCHEMA_DIR.glob("*.json")
    )
