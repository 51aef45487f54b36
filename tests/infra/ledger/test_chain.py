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
from infra.scenario.staff import worker
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
    officer = worker(app, ACTOR)  # the users' events are chained like the cases'
    for _ in range(3):
        app.cases.receive(ledger_receive_command(), officer)
    tables = LedgerTables(app.store.recorder)
    rows = [
        (p, link.leaf_index, link.prev_position)
        for p, _, link in tables.merged()
        if link is not None
    ]
    assert rows == [(p, p - 1, p - 1) for p in range(1, app.log.head() + 1)]
    assert len(rows) > 3
    assert verify_store(tables, None).intact


def test_a_write_after_the_tail_was_tampered_is_refused_and_stores_nothing(
    app: Socai, tmp_path: Path
) -> None:
    officer = worker(app, ACTOR)
    for _ in range(3):
        app.cases.receive(ledger_receive_command(), officer)
    last = app.log.head()
    with sqlite3.connect(tmp_path / "socai.db") as raw:  # SQLite reuses the last rowid
        raw.execute("DELETE FROM stored_events WHERE rowid = ?", (last,))
    with pytest.raises(LedgerError, match=f"does not follow the chain head {last}"):
        app.cases.receive(ledger_receive_command(), officer)
    assert app.log.head() == last - 1
    report = verify_store(LedgerTables(app.store.recorder), None)
    assert report.first is not None
    assert (report.first.kind, report.first.position) == ("missing_event", last)
