"""Public contracts: what leaves, in which shape; schemas published and compatible."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import jsonschema
import pytest

from domain.access.log import ACCESS_TOPIC_PREFIX
from domain.case.aggregate import Case
from domain.funding.aggregate import Programme
from streams.contracts import CONTRACTS, contract_for_type, to_public
from streams.contracts.compat import (
    IncompatibleContract,
    breaking_changes,
    check_published,
    write_schemas,
)
from streams.contracts.model import read_message, stable_event_id
from streams.contracts.registry import domain_event_of
from streams.schemas import SCHEMA_DIR
from tests.streams.support import personal_values

SCHEMA = {
    "properties": {
        "a": {"type": "string"},
        "b": {"type": ["integer", "null"]},
        "d": {"type": "string", "format": "date"},
    },
    "required": ["a", "d"],
}


def _with(**props: object) -> dict:
    new = json.loads(json.dumps(SCHEMA))
    for name, value in props.items():
        if value is None:
            del new["properties"][name]
        else:
            new["properties"][name] = value
    return new


def test_published_schemas_match_the_contracts():
    assert check_published(CONTRACTS, SCHEMA_DIR) == []
    assert {p.name for p in SCHEMA_DIR.glob("*.json")} == {c.schema_file for c in CONTRACTS}


def test_removed_or_retyped_fields_are_breaking():
    assert breaking_changes(SCHEMA, SCHEMA) == []
    assert breaking_changes(SCHEMA, _with(a=None)) == ["field 'a' removed"]
    assert breaking_changes(SCHEMA, _with(a={"type": "integer"})) == [
        "field 'a' retyped: ['string'] -> ['integer']"
    ]
    assert breaking_changes(SCHEMA, _with(d={"type": "string"})) == [
        "field 'd' format 'date' -> None"
    ]
    loosened = _with()
    loosened["required"] = ["a"]
    assert breaking_changes(SCHEMA, loosened) == ["field 'd' no longer required"]


def test_added_fields_and_narrowed_types_are_compatible():
    assert breaking_changes(SCHEMA, _with(c={"type": "boolean"})) == []
    assert breaking_changes(SCHEMA, _with(b={"type": "integer"})) == []


@dataclass(frozen=True)
class _Edited:
    """A contract whose schema was edited (a field dropped) without a new version."""

    inner: object
    drop: str

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def json_schema(self) -> dict:
        schema = self.inner.json_schema()
        del schema["properties"][self.drop]
        schema["required"].remove(self.drop)
        return schema


def test_breaking_contract_change_without_new_version_fails(tmp_path: Path):
    support = contract_for_type("vn.socai.case.SupportProvided.v1")
    write_schemas([support], tmp_path)
    edited = _Edited(support, "amount_vnd")
    problems = check_published([edited], tmp_path)
    assert len(problems) == 1
    assert "breaking change (field 'amount_vnd' removed" in problems[0]
    with pytest.raises(IncompatibleContract):
        write_schemas([edited], tmp_path)
    assert check_published([support], tmp_path) == []  # nothing was overwritten


def test_every_public_event_validates_and_carries_no_personal_data(demo_store):
    app = demo_store.open()
    try:
        secrets = personal_values(app)
        entries = list(app.log.entries())
        messages = [m for m in (to_public(n.event(), "test") for n in entries) if m]
        # every stored event has a contract but the users' and the access log's: never public
        public = [n for n in entries if not n.topic.startswith(ACCESS_TOPIC_PREFIX)]
        assert len(messages) == len(public) and len(public) < app.log.head()
    finally:
        app.close()
    seen_types = set()
    for message in messages:
        text = message.value.decode()
        leaked = [s for s in secrets if s in text]
        assert not leaked, f"{message.public_type} carries personal data"
        envelope = read_message(message.value)
        contract = contract_for_type(envelope["type"])
        schema = json.loads((SCHEMA_DIR / contract.schema_file).read_text())
        jsonschema.validate(
            envelope["data"], schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        assert set(envelope["data"]) == {f.name for f in contract.fields}
        data = envelope["data"]
        owner = next(
            data[k]
            for k in ("programme_id", "case_id", "activity_id", "proceedings_id")
            if k in data
        )
        assert message.key == envelope["subject"].encode() == owner.encode()
        assert envelope["id"] == stable_event_id(envelope["source"], owner, data["version"])
        seen_types.add(envelope["type"])
    assert "vn.socai.case.Received.v1" in seen_types
    assert "vn.socai.case.CorrectionRecorded.v1" in seen_types
    assert "vn.socai.activity.Withdrawn.v1" in seen_types
    assert {t for t in seen_types if t.startswith("vn.socai.funding.")} >= {
        "vn.socai.funding.Established.v1",
        "vn.socai.funding.Allocated.v1",
        "vn.socai.funding.Paid.v1",
        "vn.socai.funding.Voided.v1",
    }


def test_unmapped_events_do_not_leave():
    class Internal:
        TOPIC = "socai.case:SomethingNew.v1"

    assert to_public(Internal(), "test") is None


def _recorded(version: int, officer_id: str, agency: str, legal_basis: str | None) -> dict:
    """The envelope fields of an event recorded on 2 January 2024 (its id new)."""
    return {
        "originator_id": uuid4(),
        "originator_version": version,
        "timestamp": datetime(2024, 1, 2, tzinfo=UTC),
        "occurred_on": date(2024, 1, 2),
        "officer_id": officer_id,
        "agency": agency,
        "legal_basis": legal_basis,
    }


def test_personal_corrections_are_published_without_values():
    event = Case.CorrectionRecorded(
        **_recorded(3, "o1", "police", None),
        corrects_version=1,
        field="person.full_name",
        old_value="Nguyễn Văn Ấn",
        new_value="Nguyễn Văn Án",
        reason="Đính chính theo giấy khai sinh",
    )
    message = to_public(event, "test")
    assert message is not None
    assert "Nguy" not in message.value.decode()
    data = read_message(message.value)["data"]
    assert data["values_withheld"] is True
    assert data["old_value"] is data["new_value"] is None
    assert data["reason"] == "" and data["reason_withheld"] is True
    assert "giấy khai sinh" not in message.value.decode()


def test_the_docs_publish_the_current_catalogue():
    from streams.contracts.catalogue import contracts_table
    from tests.streams.processes import REPO_ROOT

    page = (REPO_ROOT / "docs" / "streams.md").read_text(encoding="utf-8")
    assert contracts_table(CONTRACTS) in page, "regenerate: socai streams schemas --markdown"


def test_a_payment_description_never_leaves_and_the_rest_round_trips():
    case_id = uuid4()
    event = Programme.Paid(
        **_recorded(7, "TC-1", "labour_social_affairs", "UNC-12/2024"),
        transaction_id="CHI-7",
        commitment=None,
        allocation="A1",
        amount_vnd=2_000_000,
        purpose_kind="case_support",
        case_id=case_id,
        support_version=4,
        activity=None,
        description="trợ cấp cho chị Nguyễn Thị Hoa",
        debit_account="allocation:A1",
        credit_account="expense:A1",
    )
    message = to_public(event, "test")
    assert message is not None
    assert message.topic == "socai.funding-events.v1"
    assert message.key == str(event.originator_id).encode()
    assert "Nguy" not in message.value.decode()
    back = domain_event_of(read_message(message.value))
    assert back.description is None
    assert {k: v for k, v in vars(back).items() if k != "description"} == {
        k: v for k, v in vars(event).items() if k != "description"
    }


@pytest.mark.parametrize(
    "prefix", ["vn.socai.activity.", "vn.socai.funding.", "vn.socai.proceedings."]
)
@pytest.mark.parametrize("kind", ["Created", "Event", "NoSuchKind"])
def test_a_plain_contract_rebuilds_only_its_own_public_kinds(prefix: str, kind: str) -> None:
    """``data.kind`` names a nested class of the aggregate: the library's never-stored
    ``Created``, its ``Event`` base or an unknown name are refused, not instantiated."""
    contract = next(c for c in CONTRACTS if c.public_type.startswith(prefix))
    assert contract.to_domain is not None
    with pytest.raises(ValueError, match="is not a public event kind"):
        contract.to_domain({"kind": kind})
