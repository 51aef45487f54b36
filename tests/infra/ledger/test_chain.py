"""The chain is written with the events, in the same transaction, in log order."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from infra.keys import create_key_file
from infra.ledger.audit import verify_store
from infra.ledger.errors import LedgerError
from infra.ledger.store import LedgerTables
from infra.scenario.builders import ledger_receive_command
from infra.services.socai import Socai
from infra.settings import Settings
from tests.infra.ledger.support import ACTOR


@pytest.fixture
def app(tmp_path: Path) -> Socai:
    settings = Settings.load(f"sqlite:///{tmp_path / 'socai.db'}")
    create_key_file(settings.key_file)
    opened = Socai(settings)
    yield opened  # type: ignore[misc]
    opened.close()


def test_every_event_is_chained_in_log_order(app: Socai) -> None:
    for _ in range(3):
        app.cases.receive(ledger_receive_command(), ACTOR)
    tables = LedgerTables(app.store.recorder)
    rows = [
        (p, link.leaf_index, link.prev_position)
        for p, _, link in tables.merged()
        if link is not None
    ]
    assert rows == [(1, 0, 0), (2, 1, 1), (3, 2, 2)]
    assert verify_store(tables, None).intact


def test_a_write_after_the_tail_was_tampered_is_refused_and_stores_nothing(
    app: Socai, tmp_path: Path
) -> None:
    for _ in range(3):
        app.cases.receive(ledger_receive_command(), ACTOR)
    with sqlite3.connect(tmp_path / "socai.db") as raw:
        raw.execute("DELETE FROM stored_events WHERE rowid = 3")  # SQLite reuses rowid 3
    with pytest.raises(LedgerError, match="does not follow the chain head 3"):
        app.cases.receive(ledger_receive_command(), ACTOR)
    assert app.log.head() == 2
    report = verify_store(LedgerTables(app.store.recorder), None)
    assert report.first is not None
    assert (report.first.kind, report.first.position) == ("missing_event", 3)
