"""A case write that seals personal data stores the new key and the sealed record in the
same transaction as its events: one commit for the whole write, and a write that is refused
— a lost race, a key destroyed meanwhile — leaves no key and no record behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.sqlite import SQLiteConnection

from domain.access.log import AccessRecord
from domain.access.roles import Role
from domain.case.commands import COMMANDS
from domain.case.subjects import key_id
from domain.case.values import Actor, PersonalData
from domain.errors import ConcurrentWriteConflict, RuleViolation
from infra.scenario.builders import at_now
from infra.scenario.staff import TEST_PASSWORDS, Staff
from infra.services.socai import Socai
from tests.conftest import reception

NAME = "Đặng Thị Niêm Phong"
RELATIVE = {"full_name": "Đặng Văn Cha", "phone": "0912000111"}
PROTECT = {
    "occurred_on": "2019-03-02", "protected": "relative", "relationship": "father",
    "measure": "confidentiality", "relative": RELATIVE,
}  # fmt: skip


def _rows(db: Path, sql: str, *params: object) -> list[Any]:
    with sqlite3.connect(db) as raw:
        return raw.execute(sql, params).fetchall()


def _records(db: Path, key: str) -> int:
    return int(_rows(db, "SELECT COUNT(*) FROM socai_person_records WHERE key_id = ?", key)[0][0])


def _keys(db: Path, key: str) -> int:
    return int(_rows(db, "SELECT COUNT(*) FROM socai_person_keys WHERE key_id = ?", key)[0][0])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "s.db"


@pytest.fixture
def apps(make_app: Any, db: Path) -> tuple[Socai, Socai]:
    """Two processes on one SQLite store file."""
    url = f"sqlite:///{db}"
    return (
        make_app(url, clock=at_now, passwords=TEST_PASSWORDS),
        make_app(url, clock=at_now, passwords=TEST_PASSWORDS),
    )


def test_a_reception_stores_key_record_and_event_in_one_commit(
    apps: tuple[Socai, Socai], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ = apps
    officer = Staff(app).user(Role.CASE_OFFICER, "82", "BP-87-01")
    command = COMMANDS["receive"].parse(reception(person={"full_name": NAME}))
    commits = []
    real_commit = SQLiteConnection.commit

    def counted(connection: SQLiteConnection) -> None:
        commits.append(connection)
        real_commit(connection)

    monkeypatch.setattr(SQLiteConnection, "commit", counted)
    case_id = app.cases.receive(command, officer)  # type: ignore[arg-type]
    assert len(commits) == 1
    monkeypatch.undo()
    victim = key_id(case_id, "victim")
    assert _keys(db, victim) == 1 and _records(db, victim) == 1
    person = app.cases.get(case_id).steps[1].data["person"]
    assert person == PersonalData(full_name=NAME)


def test_a_write_that_lost_the_race_leaves_no_record(apps: tuple[Socai, Socai], db: Path) -> None:
    """Both writers seal the relative under the key the winner stored; the loser's event is
    refused as a conflict, and its record goes with it (before, it stayed behind)."""
    here, there = apps
    team = Staff(here)
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    case_id = here.cases.receive(
        COMMANDS["receive"].parse(reception(person={"full_name": NAME})),  # type: ignore[arg-type]
        officer,
    )
    stale = there.cases.get(case_id)  # the loser decided on version 1
    here.cases.execute(case_id, COMMANDS["protect"].parse(PROTECT), officer)
    relative = key_id(case_id, "relative:2")
    assert _keys(db, relative) == 1 and _records(db, relative) == 1
    head = there.log.head()
    stale.execute(COMMANDS["protect"].parse(PROTECT), Actor("BP-87-01", "border_guard"), at_now())
    with pytest.raises(ConcurrentWriteConflict):
        there.cases.save(stale, expected_version=1)
    assert there.log.head() == head
    assert _keys(db, relative) == 1 and _records(db, relative) == 1
    assert there.cases.get(case_id).steps[2].data["relative"] == PersonalData(**RELATIVE)


def test_a_key_destroyed_between_the_seal_and_the_write_refuses_it_and_stores_nothing(
    apps: tuple[Socai, Socai], db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _ = apps
    team = Staff(app)
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    case_id: UUID = app.cases.receive(
        COMMANDS["receive"].parse(reception(person={"full_name": NAME})),  # type: ignore[arg-type]
        officer,
    )
    victim = key_id(case_id, "victim")
    table = app.store.vault.table
    read = type(table).key_state

    def read_then_destroyed(self: Any, key: str, cursor: Any = None) -> Any:
        state = read(self, key, cursor)
        if cursor is None:  # the seal's read: an erasure completes right after it
            self.destroy(key, "2026-11-29T10:00:00+00:00")
        return state

    monkeypatch.setattr(type(table), "key_state", read_then_destroyed)
    correct = {
        "occurred_on": "2019-03-03", "corrects_version": 1, "field": "person.full_name",
        "old_value": NAME, "new_value": "Đặng Thị Khác", "reason": "typo",
    }  # fmt: skip
    head = app.log.head()
    with pytest.raises(RuleViolation, match="erased"):
        app.cases.execute(case_id, COMMANDS["correct"].parse(correct), officer)
    # no case event: only the access log's entry of the refused attempt on a personal field
    written = list(app.log.entries(after=head))
    assert [n.topic for n in written] == [AccessRecord.PersonalCorrectionAttempted.TOPIC]
    attempt = dict(app.access.entries(case_id=case_id))[written[0].position]
    assert isinstance(attempt, AccessRecord.PersonalCorrectionAttempted)
    assert attempt.outcome == "person_erased"
    assert app.cases.get(case_id).version == 1
    assert _keys(db, victim) == 0 and _records(db, victim) == 0
