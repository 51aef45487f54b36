"""Checkpoint policy and signing safeguards, on real SQLite stores."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from infra.keys import create_key_file
from infra.ledger import checkpoints
from infra.ledger.checkpoints import create_signing_key, make_checkpoint, public_key_path
from infra.ledger.errors import LedgerError
from infra.ledger.store import LedgerTables
from infra.ledger.verifier import key_id, load_public_key
from infra.ledger_settings import signing_key_path
from infra.scenario.builders import ledger_receive_command
from infra.services.socai import Socai
from infra.settings import Settings
from tests.infra.ledger.support import officer_token


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("SOCAI_SIGNING_KEY_FILE", raising=False)
    loaded = Settings.load(f"sqlite:///{tmp_path / 'socai.db'}")
    create_key_file(loaded.key_file)
    return loaded


def sizes(app: Socai) -> list[int]:
    return [cp.tree_size for cp in LedgerTables(app.store.recorder).checkpoints()]


def test_signing_key_lives_outside_the_database_and_is_private(settings: Settings) -> None:
    path = signing_key_path(settings)
    assert path == settings.store.sqlite_path.with_name("socai.db.signing.pem")  # type: ignore[union-attr]
    key = create_signing_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    published = load_public_key(public_key_path(path).read_bytes())
    assert key_id(published) == key_id(key.public_key())
    with pytest.raises(LedgerError, match="already exists"):
        create_signing_key(path)


#: Starts a store with a signing key and the checkpoint policy ``variable=value``: the app, a
#: function that receives one case as an officer, and how many users' events came before.
Policy = Callable[[str, str], tuple[Socai, Callable[[], object], int]]


@pytest.fixture
def policy(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Policy]:
    apps: list[Socai] = []

    def start(variable: str, value: str) -> tuple[Socai, Callable[[], object], int]:
        token, users = officer_token(settings)
        monkeypatch.setenv(variable, value)
        create_signing_key(signing_key_path(settings))
        app = Socai(settings)
        apps.append(app)
        officer = app.access.authenticate(token)
        return app, lambda: app.cases.receive(ledger_receive_command(), officer), users

    yield start
    for app in apps:
        app.close()


def test_policy_checkpoints_every_n_events(policy: Policy) -> None:
    app, receive, users = policy("SOCAI_CHECKPOINT_EVERY_EVENTS", "3")
    for _ in range(7):
        receive()
    assert sizes(app) == [users + 3, users + 6]


def test_policy_checkpoints_after_t_seconds(policy: Policy) -> None:
    app, receive, users = policy("SOCAI_CHECKPOINT_EVERY_SECONDS", "0.2")
    receive()
    assert sizes(app) == []
    time.sleep(0.25)
    receive()
    assert sizes(app) == [users + 2]


def test_a_signing_key_that_appears_later_is_used_once_looked_for_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a key file every write is due; the file is looked for again after a pause
    (not on every write), and from then on the policy signs as usual."""
    token, users = officer_token(settings)
    monkeypatch.setenv("SOCAI_CHECKPOINT_EVERY_EVENTS", "1")
    monkeypatch.setattr(checkpoints, "KEY_FILE_RECHECK_SECONDS", 0.3)
    app = Socai(settings)
    try:
        officer = app.access.authenticate(token)
        app.cases.receive(ledger_receive_command(), officer)  # due, no key: nothing signed
        create_signing_key(signing_key_path(settings))
        app.cases.receive(ledger_receive_command(), officer)  # not looked for again yet
        assert sizes(app) == []
        time.sleep(0.35)
        app.cases.receive(ledger_receive_command(), officer)
        assert sizes(app) == [users + 3]
        app.cases.receive(ledger_receive_command(), officer)
        assert sizes(app) == [users + 3, users + 4]
    finally:
        app.close()


def test_a_failing_automatic_checkpoint_never_fails_the_committed_write(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, _ = officer_token(settings)
    monkeypatch.setenv("SOCAI_CHECKPOINT_EVERY_EVENTS", "1")
    signing_key_path(settings).write_text("not a key\n")
    app = Socai(settings)
    try:
        case_id = app.cases.receive(ledger_receive_command(), app.access.authenticate(token))
        assert app.cases.get(case_id).version == 1
        assert sizes(app) == []
    finally:
        app.close()


def test_refuses_to_sign_a_history_that_differs_from_the_last_checkpoint(
    settings: Settings,
) -> None:
    token, users = officer_token(settings)
    key = create_signing_key(signing_key_path(settings))
    app = Socai(settings)
    try:
        officer = app.access.authenticate(token)
        for _ in range(4):
            app.cases.receive(ledger_receive_command(), officer)
        tables = LedgerTables(app.store.recorder)
        make_checkpoint(tables, key)
        app.cases.receive(ledger_receive_command(), officer)
        with sqlite3.connect(settings.store.sqlite_path) as raw:  # type: ignore[arg-type]
            raw.execute("UPDATE ledger_nodes SET hash = zeroblob(32)")  # every cached subtree
        with pytest.raises(LedgerError, match="refusing to sign"):
            make_checkpoint(tables, key)
        assert sizes(app) == [users + 4]
    finally:
        app.close()
