"""Signed audit checkpoints reach ``socai.audit-checkpoints.v1``, once each, and verify there.

Against a real Tansu broker: signing a checkpoint (the automatic policy in a write's commit
hook, or ``socai audit checkpoint``) only stores it and never touches the network, so a
write never waits on or fails for Kafka; the relay publishes every stored checkpoint it has
not yet published. An inspector reading the topic checks each signature with the exported
public key alone (infra/ledger/verifier.py).
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from infra.keys import create_key_file
from infra.ledger.checkpoints import (
    create_signing_key,
    load_signing_key,
    make_checkpoint,
    public_key_path,
)
from infra.ledger.store import LedgerTables
from infra.ledger.verifier import Checkpoint, checkpoint_from_json, load_public_key
from infra.ledger_settings import signing_key_path
from infra.scenario.builders import ledger_receive_command
from infra.services.socai import Socai
from infra.settings import Settings
from infra.streaming import LedgerCheckpointLog, store_engine
from streams.contracts.model import read_message
from streams.positions import PositionStore
from streams.relay import Relay
from streams.topics import AUDIT_CHECKPOINTS
from tests.infra.ledger.support import officer_token
from tests.streams.support import read_topic


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("SOCAI_SIGNING_KEY_FILE", raising=False)
    monkeypatch.delenv("SOCAI_KAFKA", raising=False)
    loaded = Settings.load(f"sqlite:///{tmp_path / 'socai.db'}")
    create_key_file(loaded.key_file)
    create_signing_key(signing_key_path(loaded))
    return loaded


def published_checkpoints(bootstrap: str, expected: int) -> list[Checkpoint]:
    records = read_topic(bootstrap, AUDIT_CHECKPOINTS.topic, expected=expected)
    return [checkpoint_from_json(read_message(r.value)["data"]) for r in records]


def verify_all(checkpoints: list[Checkpoint], settings: Settings) -> None:
    public = load_public_key(public_key_path(signing_key_path(settings)).read_bytes())
    for checkpoint in checkpoints:
        checkpoint.verify_signature(public)


def relay_for(app: Socai, settings: Settings, bootstrap: str) -> Relay:
    return Relay(
        app.log,
        PositionStore(store_engine(settings)),
        bootstrap,
        "socai",
        checkpoints=LedgerCheckpointLog(app.store),
    )


def test_signing_never_reaches_the_network_and_the_relay_publishes_each_checkpoint_once(
    settings: Settings, fresh_kafka: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, users = officer_token(settings)  # the users' events first, in their own session
    monkeypatch.setenv("SOCAI_KAFKA", fresh_kafka)  # configured, yet no write may use it
    monkeypatch.setenv("SOCAI_CHECKPOINT_EVERY_EVENTS", "3")
    app = Socai(settings)
    try:
        officer = app.access.authenticate(token)
        with monkeypatch.context() as offline:

            def no_network(*args: Any, **kwargs: Any) -> None:
                raise AssertionError("a write or a signature reached the network")

            offline.setattr(socket.socket, "connect", no_network)
            offline.setattr(socket.socket, "connect_ex", no_network)
            for _ in range(4):  # the automatic policy signs 3 events on
                app.cases.receive(ledger_receive_command(), officer)
            tables = LedgerTables(app.store.recorder)
            make_checkpoint(tables, load_signing_key(signing_key_path(settings)))  # as the CLI
        stored = tables.checkpoints()
        assert [cp.tree_size for cp in stored] == [users + 3, users + 4]
        relay = relay_for(app, settings, fresh_kafka)
        try:
            assert relay.run(max_retry_seconds=30).checkpoints == 2
            assert relay.relay_checkpoints() == 0  # tracked: never published again
        finally:
            relay.close()
    finally:
        app.close()
    published = published_checkpoints(fresh_kafka, expected=2)
    assert sorted(cp.tree_size for cp in published) == [users + 3, users + 4]  # each once
    assert {cp.to_json()["root_hash"] for cp in published} == {cp.root_hash for cp in stored}
    verify_all(published, settings)


def test_kafka_down_never_fails_the_write_and_the_relay_publishes_later(
    settings: Settings, fresh_kafka: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, users = officer_token(settings)
    monkeypatch.setenv("SOCAI_KAFKA", "127.0.0.1:1")  # nothing listens there
    monkeypatch.setenv("SOCAI_CHECKPOINT_EVERY_EVENTS", "2")
    app = Socai(settings)
    try:
        officer = app.access.authenticate(token)
        for _ in range(2):
            app.cases.receive(ledger_receive_command(), officer)  # signs 2 on; the write stands
        stored = [cp.tree_size for cp in LedgerTables(app.store.recorder).checkpoints()]
        assert stored == [users + 2]
        monkeypatch.delenv("SOCAI_KAFKA")
        relay = relay_for(app, settings, fresh_kafka)
        try:
            progress = relay.run(max_retry_seconds=30)
            assert progress.checkpoints == 1
            assert relay.run().checkpoints == 1  # tracked: not published again
        finally:
            relay.close()
    finally:
        app.close()
    published = published_checkpoints(fresh_kafka, expected=1)
    assert [cp.tree_size for cp in published] == [users + 2]
    verify_all(published, settings)
