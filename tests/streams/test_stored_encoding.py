"""The relay encodes from the stored state (no domain event objects), and publishes exactly
what encoding the library's decoded event publishes: for every demo event, after erasures,
batch by batch; its decoder decodes as the library's mapper does, fails as it fails on a
damaged state, and opens a person's sealed data only when a contract reads it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from hypothesis import given
from hypothesis import strategies as st

from domain.access.roles import Role
from domain.case.commands import COMMANDS, Receive
from infra.privacy.vault import PersonalRecordMissing
from infra.scenario.builders import at_now
from infra.scenario.staff import TEST_PASSWORDS, Staff
from infra.services.eventlog import StoreEventLog
from infra.services.socai import Socai
from streams.contracts import PublicMessage, to_public
from streams.contracts.model import public_value, read_message
from streams.contracts.registry import published_internal_topics
from streams.contracts.stored import Sealed, StoredEncoder, _upcast, canonical_id
from streams.pipeline import DecodedOnly, EncodedBatch, encode_batch
from tests.conftest import reception
from tests.streams.conftest import StoreFiles
from tests.streams.test_public_bytes import assert_as_the_sdk_writes

TOPICS = published_internal_topics()
STORE_ID = "golden"


def stored_messages(log: StoreEventLog) -> list[tuple[int, Any]]:
    """(position, message or None) of every stored event, from its stored state."""
    encoder, decode = StoredEncoder(STORE_ID), log.state_decoder()
    return [
        (row[0], encoder.message(row[1], row[2], row[3], decode(row)))
        for row in log.read_stored(0, 100_000)
    ]


def event_messages(log: StoreEventLog) -> list[tuple[int, Any]]:
    """(position, message or None) of every stored event, from the library's domain event."""
    found = []
    for entry in log.read(0, 100_000):
        message = to_public(entry.event(), STORE_ID)
        as_tuple = None
        if message is not None:
            as_tuple = (message.topic, message.key, message.value, message.headers)
        found.append((entry.position, as_tuple))
    return found


def test_every_demo_event_is_published_as_from_its_domain_event(
    demo_store_template: StoreFiles,
) -> None:
    app = demo_store_template.open()
    try:
        from_state = stored_messages(app.log)
        assert from_state == event_messages(app.log)
        public_types = set()
        for _, message in from_state:
            if message is None:
                continue
            envelope = read_message(message[2])
            public_types.add(envelope["type"])
            assert_as_the_sdk_writes(
                PublicMessage(*message, event_id=envelope["id"], public_type=envelope["type"])
            )
        assert len(public_types) >= len(TOPICS) - 3
    finally:
        app.close()


def batches(log: Any, size: int) -> list[EncodedBatch]:
    found, after = [], 0
    while (batch := encode_batch(log, after, size, TOPICS, STORE_ID)) is not None:
        found.append(batch)
        after = batch.last
    return found


@pytest.mark.parametrize("size", [1, 37, 1_000])
def test_batches_from_stored_state_equal_batches_from_decoded_events(
    demo_store_template: StoreFiles, size: int
) -> None:
    """Positions, events covered (the users' events too, without a message) and bytes."""
    app = demo_store_template.open()
    try:
        assert batches(app.log, size) == batches(DecodedOnly(app.log), size)
    finally:
        app.close()


def opened(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v.open() if isinstance(v, Sealed) else v for k, v in state.items()}


def test_the_decoder_decodes_every_state_as_the_library_mapper(
    demo_store_template: StoreFiles,
) -> None:
    app = demo_store_template.open()
    try:
        log, mapper = app.log, app.store.mapper
        decode = log.state_decoder()
        rows = log.read_stored(0, 100_000)
        assert len(rows) == log.head()
        for row in rows:
            position, topic, originator_id, version, state = row
            event = mapper.to_domain_event(StoredEvent(originator_id, version, topic, state))
            expected = dict(vars(event))
            expected.pop("originator_id"), expected.pop("originator_version")
            assert opened(decode(row)) == expected, (position, topic)
    finally:
        app.close()


DAMAGE: dict[str, Callable[[bytes], bytes]] = {
    "nonce": lambda s: bytes([s[0] ^ 1]) + s[1:],
    "tag": lambda s: s[:20] + bytes([s[20] ^ 1]) + s[21:],
    "ciphertext": lambda s: s[:-1] + bytes([s[-1] ^ 1]),
    "short nonce": lambda s: s[:5],
    "short tag": lambda s: s[:20],
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_state_fails_as_the_library_mapper_fails(
    demo_store_template: StoreFiles, damage: str
) -> None:
    app = demo_store_template.open()
    try:
        log, mapper = app.log, app.store.mapper
        position, topic, originator_id, version, state = log.read_stored(0, 1)[0]
        broken = DAMAGE[damage](state)
        with pytest.raises(MapperDeserialisationError) as theirs:
            mapper.to_domain_event(StoredEvent(originator_id, version, topic, broken))
        with pytest.raises(MapperDeserialisationError) as ours:
            log.state_decoder()((position, topic, originator_id, version, broken))
        assert str(ours.value).split(": ")[-1] == str(theirs.value).split(": ")[-1]
        assert f"originator_version {version}" in str(ours.value)
    finally:
        app.close()


@pytest.fixture
def case_with_relative(make_app: Any, tmp_path: Path) -> tuple[Socai, Staff, UUID]:
    """A victim received, then protected together with a relative whose data is on file."""
    app: Socai = make_app(f"sqlite:///{tmp_path / 's.db'}", clock=at_now, passwords=TEST_PASSWORDS)
    team = Staff(app)
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    command = COMMANDS["receive"].parse(reception())
    assert isinstance(command, Receive)
    case_id = app.cases.receive(command, officer)
    protect = {
        "occurred_on": "2019-03-02", "protected": "relative", "relationship": "mother",
        "measure": "confidentiality", "relative": {"full_name": "Trần Thị Mẹ"},
    }  # fmt: skip
    app.cases.execute(case_id, COMMANDS["protect"].parse(protect), officer)
    return app, team, case_id


def case_messages(app: Socai, case_id: UUID) -> tuple[list[Any], list[Any]]:
    """The case's messages (data only) from the stored state and from the domain events."""
    ours = [
        m for _, m in stored_messages(app.log) if m is not None and m[1] == str(case_id).encode()
    ]
    theirs = [
        m for _, m in event_messages(app.log) if m is not None and m[1] == str(case_id).encode()
    ]
    return ours, theirs


def test_personal_data_is_opened_only_where_a_contract_reads_it(
    case_with_relative: tuple[Socai, Staff, UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reception's person is never opened to publish it; a protection's relative is (the
    public learns whether one is on file), once."""
    app, _, case_id = case_with_relative
    vault = app.store.vault
    opens: list[str] = []
    real_open = vault.open

    def counted(ref: Any) -> Any:
        opens.append(ref.key_id)
        return real_open(ref)

    monkeypatch.setattr(vault, "open", counted)
    ours = [m for _, m in stored_messages(app.log) if m is not None]
    kinds = [read_message(m[2])["data"]["kind"] for m in ours]
    assert kinds == ["Received", "ProtectionApplied"]
    assert opens == [f"{case_id}/relative:2"]
    assert read_message(ours[1][2])["data"]["relative_on_file"] is True


def test_after_erasures_both_paths_publish_the_same(
    case_with_relative: tuple[Socai, Staff, UUID],
) -> None:
    app, team, case_id = case_with_relative
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    app.privacy.erase(dpo, case_id, "victim", "QĐ-12/2026", "subject_request")
    app.privacy.erase(dpo, case_id, "relative:2", "QĐ-12/2026", "purpose_ended")
    ours, theirs = case_messages(app, case_id)
    assert ours == theirs and len(ours) == 2
    assert read_message(ours[1][2])["data"]["relative_on_file"] is False


def test_a_missing_personal_record_stops_only_what_reads_it(
    case_with_relative: tuple[Socai, Staff, UUID], tmp_path: Path
) -> None:
    """The person key tables altered: the reception still publishes (its message does not
    depend on the person); the protection, whose message does, stops with the vault's error."""
    app, _, _ = case_with_relative
    with sqlite3.connect(tmp_path / "s.db") as db:
        db.execute("DELETE FROM socai_person_records")
    encoder, decode = StoredEncoder(STORE_ID), app.log.state_decoder()
    rows = [r for r in app.log.read_stored(0, 1_000) if r[1] in TOPICS]
    received, protected = rows
    assert encoder.message(received[1], received[2], received[3], decode(received)) is not None
    with pytest.raises(PersonalRecordMissing):
        encoder.message(protected[1], protected[2], protected[3], decode(protected))


def test_a_sealed_value_read_as_a_plain_field_is_refused() -> None:
    """Only the personal fields' own accessors open a sealed value; anything else reaching
    the public data is a structured value, which never leaves."""
    with pytest.raises(AssertionError, match="Sealed cannot be published"):
        public_value(Sealed(lambda: "Lê Thị Mẫu"), "vn.socai.case.X.v1.field")


@given(st.uuids())
def test_canonical_ids_are_the_uuid_text(value: UUID) -> None:
    expected = str(value)
    for form in (value, value.hex, value.hex.upper(), str(value), "{" + str(value) + "}"):
        assert canonical_id(form) == expected


def test_states_of_older_class_versions_are_upcast_as_the_library_does() -> None:
    class Shaped:
        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["added"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            state["renamed"] = state.pop("old")

    for stored, expected in [
        ({"old": 1}, {"old": 1}),  # version 1 at version 1: nothing to do
        ({"old": 1, "class_version": 3}, {"old": 1}),
    ]:
        _upcast(Shaped, 1 if "class_version" not in stored else 3, stored)
        assert stored == expected
    state = {"old": 1}
    _upcast(Shaped, 3, state)
    assert state == {"added": None, "renamed": 1}
    state = {"added": 0, "old": 2, "class_version": 2}
    _upcast(Shaped, 3, state)
    assert state == {"added": 0, "renamed": 2}
