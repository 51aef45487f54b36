"""A person's first sealed record and their new key are written in one transaction; a writer
that loses the race to create the key seals under the key that won; a destroyed key takes
no record. On the store's own SQLite key table and on the in-memory one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from domain.case.values import PersonalData
from domain.errors import SocaiError
from infra.privacy.vault import KeyTable, MemoryKeyTable, PersonVault, SQLiteKeyTable
from infra.services.socai import Socai

NOW = "2026-11-29T10:00:00+00:00"
KEY_ID = "00000000-0000-0000-0000-000000000001/victim"


class Counting(SQLiteKeyTable):
    """The store's SQLite key table, counting the transactions that commit."""

    commits = 0

    def run(self, statements: Any, commit: bool = False) -> Any:
        self.commits += commit
        return super().run(statements, commit)


@pytest.fixture
def sqlite_table(make_app: Any, tmp_path: Path) -> SQLiteKeyTable:
    app: Socai = make_app(f"sqlite:///{tmp_path / 's.db'}")
    return Counting(app.store.recorder, tmp_path / "s.db")


def vault(table: KeyTable) -> PersonVault:
    from eventsourcing.cryptography import AESCipher

    return PersonVault(table, AESCipher.create_key(32), lambda: NOW)


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_a_first_record_and_its_key_in_one_commit_then_one_commit_a_record(
    kind: str, sqlite_table: SQLiteKeyTable
) -> None:
    table = sqlite_table if kind == "sqlite" else MemoryKeyTable()
    people = vault(table)
    before = getattr(table, "commits", 0)
    first = people.seal(KEY_ID, PersonalData(full_name="Lê Thị Mẫu"))
    second = people.seal(KEY_ID, PersonalData(full_name="Lê Thị Mẫu Đơn"))
    if isinstance(table, Counting):
        assert table.commits - before == 2
    assert people.open(first) == PersonalData(full_name="Lê Thị Mẫu")
    assert people.open(second) == PersonalData(full_name="Lê Thị Mẫu Đơn")
    assert table.key_ids() == [KEY_ID]


class StaleFirstRead(SQLiteKeyTable):
    """Another writer creates the key between this writer's read and its write."""

    def __init__(self, table: SQLiteKeyTable, other: PersonVault) -> None:
        super().__init__(table.recorder, table.path)
        self.other = other

    def wrapped_key(self, key_id: str, new_wrapped: bytes | None, now: str) -> bytes | None:
        if new_wrapped is None and not self.key_ids():
            self.other.seal(key_id, PersonalData(full_name="Trần Thị Khác"))
            return None  # what this writer read just before
        return super().wrapped_key(key_id, new_wrapped, now)


def test_a_writer_that_lost_the_race_for_the_key_seals_under_the_winners(
    sqlite_table: SQLiteKeyTable,
) -> None:
    from eventsourcing.cryptography import AESCipher

    store_key = AESCipher.create_key(32)
    winner = PersonVault(sqlite_table, store_key, lambda: NOW)
    loser = PersonVault(StaleFirstRead(sqlite_table, winner), store_key, lambda: NOW)
    ref = loser.seal(KEY_ID, PersonalData(full_name="Lê Thị Mẫu"))
    assert winner.open(ref) == PersonalData(full_name="Lê Thị Mẫu")
    assert sqlite_table.count(KEY_ID) == 2  # the winner's record and the loser's, one key


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_a_destroyed_key_takes_no_new_record(kind: str, sqlite_table: SQLiteKeyTable) -> None:
    table = sqlite_table if kind == "sqlite" else MemoryKeyTable()
    people = vault(table)
    people.seal(KEY_ID, PersonalData(full_name="Lê Thị Mẫu"))
    table.destroy(KEY_ID, NOW)
    with pytest.raises(SocaiError):
        people.seal(KEY_ID, PersonalData(full_name="Lê Thị Mẫu"))
    assert table.key_ids() == []
    if isinstance(table, SQLiteKeyTable):
        assert table.count(KEY_ID) == 0
    else:
        assert table.records == {}


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_values_sealed_for_a_write_are_stored_only_in_its_transaction(
    kind: str, sqlite_table: SQLiteKeyTable
) -> None:
    """Within ``deferring`` a seal stores nothing; the write's transaction stores the new key
    and the records — the same on every key table, the in-memory one included."""
    table = sqlite_table if kind == "sqlite" else MemoryKeyTable()
    people = vault(table)
    with people.deferring():
        ref = people.seal(KEY_ID, PersonalData(full_name="Lê Thị Mẫu"))
        assert table.key_ids() == []
        if isinstance(table, SQLiteKeyTable):
            with table.recorder.datastore.transaction(commit=True) as cursor:
                people.write_deferred(cursor)
        else:
            people.write_deferred(None)
    assert table.key_ids() == [KEY_ID]
    assert people.open(ref) == PersonalData(full_name="Lê Thị Mẫu")
