"""Per-person data keys (khóa dữ liệu theo từng người): crypto-shredding of personal data.

Every personal value a case event holds (a victim's or a relative's name, identity number,
address, phone) is sealed with AES-256-GCM under the data key of its subject
(:mod:`domain.case.subjects`) and stored as a **sealed record** outside the events; the event
holds only a reference: the key id and the SHA-256 digest of the sealed bytes
(:class:`PersonalRef`). The data key itself is stored **wrapped** (AES-256-GCM) under a
key-encryption key derived from the store's cipher key (HKDF-SHA-256), in a key table beside
the events — never in the hash-chained events, the ledger's leaves or its checkpoints.

Destroying a subject's key (:meth:`PersonVault.destroy`) deletes the wrapped key and the
subject's sealed records and leaves a tombstone (key id and time, no key material): every
event, leaf hash, chain link, checkpoint and proof stays exactly as it was, and the reference
in the event then opens to :class:`~domain.case.values.ErasedPersonalData`. No key the tool
still holds — the store key, the key-encryption key, any other person's key — opens the
destroyed records. On SQLite the deletion runs with ``secure_delete`` on, then ``VACUUM``
rewrites the file without free pages and ``wal_checkpoint(TRUNCATE)`` empties the WAL, so no
copy stays in the database file, its WAL or its free pages. PostgreSQL: see docs/PRIVACY.md.

Tables (created on first open, ``IF NOT EXISTS``): ``socai_person_keys`` (key id, wrapped
key), ``socai_person_records`` (digest, key id, sealed bytes), ``socai_person_keys_destroyed``
(key id, when). A key is never created for a key id that has a tombstone: the insert checks it
in the same statement, so an erasure racing a write cannot bring a destroyed key back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from domain.case.values import ErasedPersonalData, PersonalData
from domain.errors import ConcurrentWriteConflict, RuleViolation, SocaiError

KEYS_TABLE = "socai_person_keys"
RECORDS_TABLE = "socai_person_records"
DESTROYED_TABLE = "socai_person_keys_destroyed"
TABLES = (KEYS_TABLE, RECORDS_TABLE, DESTROYED_TABLE)

#: HKDF label of the key-encryption key; a new scheme gets a new label, never a changed one.
KEK_INFO = b"socai person key wrapping v1"
_WRAP_AAD = b"socai person key v1\n"
_RECORD_AAD = b"socai personal record v1\n"
DATA_KEY_BYTES = 32
NONCE_BYTES = 12
#: How often a WAL checkpoint is retried while another connection still reads (SQLite).
CHECKPOINT_TRIES = 50


@dataclass(frozen=True, slots=True)
class PersonalRef:
    """What an event stores in place of a personal value: the subject's key id and the
    SHA-256 (hex) of the sealed record. Neither reveals anything of the value: the digest is
    over ciphertext."""

    key_id: str
    digest: str


class PersonalRecordMissing(SocaiError):
    """An event references a sealed record that is neither stored nor erased."""


@dataclass(frozen=True, slots=True)
class Destruction:
    """What destroying a key did: records deleted, and how the SQLite file was cleaned."""

    key_id: str
    records: int
    vacuumed: bool
    wal_truncated: bool
    #: Log positions of events whose inline data was redacted (stores made before
    #: per-person keys; set by the erasure service).
    redacted: tuple[int, ...] = ()


# -- the tables, per database --------------------------------------------------------------

Rows = list[tuple[Any, ...]]
#: Keys to create in a write: (key id, wrapped key).
NewKeys = Sequence[tuple[str, bytes]]
#: Records to store in a write, each under the key it was sealed with: (key id, wrapped key,
#: digest, sealed bytes).
KeyedRecords = Sequence[tuple[str, bytes, str, bytes]]


class KeyTable(ABC):
    """What the vault needs of a person key table: the two databases' (:class:`SQLKeyTable`)
    and a unit test's in memory (:class:`MemoryKeyTable`), with the same rules."""

    @abstractmethod
    def create(self) -> None:
        """Make the tables if they are missing."""

    @abstractmethod
    def wrapped_key(self, key_id: str, new_wrapped: bytes | None, now: str) -> bytes | None:
        """The stored wrapped key (None: none, or destroyed), after storing ``new_wrapped``
        when given and the key is absent and was never destroyed."""

    @abstractmethod
    def new_key_with_record(
        self, key_id: str, wrapped: bytes, now: str, digest: str, sealed: bytes
    ) -> bytes | None:
        """Create ``key_id``'s key as ``wrapped`` (if absent and never destroyed) and store
        the record sealed under it, only if the key stored is that one, in one commit; the
        stored wrapped key (None: destroyed)."""

    @abstractmethod
    def write_in(self, cursor: Any, new_keys: NewKeys, records: KeyedRecords, now: str) -> None:
        """In the transaction ``cursor`` belongs to (a write's own): create each of
        ``new_keys`` if absent and never destroyed, then store each of ``records`` only if
        the key stored is the one it was sealed with."""

    @abstractmethod
    def destroyed_at(self, key_id: str) -> str | None: ...

    @abstractmethod
    def put_record(self, digest: str, key_id: str, sealed: bytes) -> None: ...

    @abstractmethod
    def key_state(self, key_id: str, cursor: Any = None) -> tuple[bytes | None, bool]:
        """(the stored wrapped key or None, whether the key was destroyed), in one read (on
        ``cursor``, inside its transaction, when given)."""

    @abstractmethod
    def opening(self, key_id: str, digest: str) -> tuple[bytes | None, bytes | None, bool]:
        """(wrapped key, sealed record, destroyed) in one read."""

    @abstractmethod
    def key_ids(self) -> list[str]: ...

    @abstractmethod
    def erasures(self) -> int:
        """How many keys were ever destroyed (tombstones)."""

    @abstractmethod
    def destroy(self, key_id: str, now: str) -> Destruction:
        """Delete the key and its records, keep a tombstone."""


class SQLKeyTable(KeyTable):
    """The key table in one database; SQL is written with ``?`` and adapted per driver."""

    blob = "BLOB"

    @abstractmethod
    def run(self, statements: Sequence[tuple[str, tuple[Any, ...]]], commit: bool = False) -> Rows:
        """Run statements in one transaction (committed when ``commit``: writes); the rows of
        the last one."""

    @abstractmethod
    def run_in(self, cursor: Any, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> Rows:
        """Run statements on ``cursor``, in a transaction its owner holds (a write's own);
        the rows of the last one."""

    def write_in(self, cursor: Any, new_keys: NewKeys, records: KeyedRecords, now: str) -> None:
        self.run_in(
            cursor,
            [self.new_key_statement(key_id, wrapped, now) for key_id, wrapped in new_keys]
            + [self.record_statement(*record) for record in records],
        )

    @staticmethod
    def new_key_statement(key_id: str, wrapped: bytes, now: str) -> tuple[str, tuple[Any, ...]]:
        """Create ``key_id``'s key as ``wrapped``, if absent and never destroyed."""
        return (
            f"INSERT INTO {KEYS_TABLE} (key_id, wrapped, created_at) SELECT ?, ?, ?"
            f" WHERE NOT EXISTS (SELECT 1 FROM {DESTROYED_TABLE} WHERE key_id = ?)"
            f" AND NOT EXISTS (SELECT 1 FROM {KEYS_TABLE} WHERE key_id = ?)",
            (key_id, wrapped, now, key_id, key_id),
        )

    @staticmethod
    def record_statement(
        key_id: str, wrapped: bytes, digest: str, sealed: bytes
    ) -> tuple[str, tuple[Any, ...]]:
        """Store a record sealed under ``key_id``'s key, only if the key stored is ``wrapped``."""
        return (
            f"INSERT INTO {RECORDS_TABLE} (digest, key_id, sealed) SELECT ?, ?, ?"
            f" WHERE EXISTS (SELECT 1 FROM {KEYS_TABLE} WHERE key_id = ? AND wrapped = ?)"
            f" AND NOT EXISTS (SELECT 1 FROM {RECORDS_TABLE} WHERE digest = ?)",
            (digest, key_id, sealed, key_id, wrapped, digest),
        )

    @staticmethod
    def key_state_statement(key_id: str) -> tuple[str, tuple[Any, ...]]:
        return (
            f"SELECT (SELECT wrapped FROM {KEYS_TABLE} WHERE key_id = ?),"
            f" (SELECT COUNT(*) FROM {DESTROYED_TABLE} WHERE key_id = ?)",
            (key_id, key_id),
        )

    def key_state(self, key_id: str, cursor: Any = None) -> tuple[bytes | None, bool]:
        statement = self.key_state_statement(key_id)
        rows = self.run([statement]) if cursor is None else self.run_in(cursor, [statement])
        wrapped, destroyed = rows[0]
        return (None if wrapped is None else bytes(wrapped)), bool(destroyed)

    def create(self) -> None:
        self.run(
            [
                (
                    f"CREATE TABLE IF NOT EXISTS {KEYS_TABLE} (key_id TEXT PRIMARY KEY,"
                    f" wrapped {self.blob} NOT NULL, created_at TEXT NOT NULL)",
                    (),
                ),
                (
                    f"CREATE TABLE IF NOT EXISTS {RECORDS_TABLE} (digest TEXT PRIMARY KEY,"
                    f" key_id TEXT NOT NULL, sealed {self.blob} NOT NULL)",
                    (),
                ),
                (
                    f"CREATE INDEX IF NOT EXISTS {RECORDS_TABLE}_key ON {RECORDS_TABLE} (key_id)",
                    (),
                ),
                (
                    f"CREATE TABLE IF NOT EXISTS {DESTROYED_TABLE} (key_id TEXT PRIMARY KEY,"
                    " destroyed_at TEXT NOT NULL)",
                    (),
                ),
            ],
            commit=True,
        )

    def wrapped_key(self, key_id: str, new_wrapped: bytes | None, now: str) -> bytes | None:
        """The wrapped key of ``key_id``; with ``new_wrapped``, created first if absent and
        never destroyed. None: no key (destroyed, or absent and not created)."""
        statements: list[tuple[str, tuple[Any, ...]]] = []
        if new_wrapped is not None:
            statements.append(
                (
                    f"INSERT INTO {KEYS_TABLE} (key_id, wrapped, created_at) SELECT ?, ?, ?"
                    f" WHERE NOT EXISTS (SELECT 1 FROM {DESTROYED_TABLE} WHERE key_id = ?)"
                    f" AND NOT EXISTS (SELECT 1 FROM {KEYS_TABLE} WHERE key_id = ?)",
                    (key_id, new_wrapped, now, key_id, key_id),
                )
            )
        statements.append((f"SELECT wrapped FROM {KEYS_TABLE} WHERE key_id = ?", (key_id,)))
        rows = self.run(statements, commit=new_wrapped is not None)
        return bytes(rows[0][0]) if rows else None

    def new_key_with_record(
        self, key_id: str, wrapped: bytes, now: str, digest: str, sealed: bytes
    ) -> bytes | None:
        """In one transaction: create ``key_id``'s key as ``wrapped`` (if absent and never
        destroyed) and store the record sealed under it, but only if the key stored is that
        one; the stored wrapped key (None: destroyed). A person's first record costs one
        commit, not two; a writer that lost the race to create the key stores nothing here."""
        rows = self.run(
            [
                self.new_key_statement(key_id, wrapped, now),
                self.record_statement(key_id, wrapped, digest, sealed),
                (f"SELECT wrapped FROM {KEYS_TABLE} WHERE key_id = ?", (key_id,)),
            ],
            commit=True,
        )
        return bytes(rows[0][0]) if rows else None

    def destroyed_at(self, key_id: str) -> str | None:
        rows = self.run(
            [(f"SELECT destroyed_at FROM {DESTROYED_TABLE} WHERE key_id = ?", (key_id,))]
        )
        return str(rows[0][0]) if rows else None

    def put_record(self, digest: str, key_id: str, sealed: bytes) -> None:
        self.run(
            [
                (
                    f"INSERT INTO {RECORDS_TABLE} (digest, key_id, sealed) SELECT ?, ?, ?"
                    f" WHERE NOT EXISTS (SELECT 1 FROM {RECORDS_TABLE} WHERE digest = ?)",
                    (digest, key_id, sealed, digest),
                )
            ],
            commit=True,
        )

    def opening(self, key_id: str, digest: str) -> tuple[bytes | None, bytes | None, bool]:
        """(wrapped key, sealed record, destroyed) in one read."""
        rows = self.run(
            [
                (
                    f"SELECT (SELECT wrapped FROM {KEYS_TABLE} WHERE key_id = ?),"
                    f" (SELECT sealed FROM {RECORDS_TABLE} WHERE digest = ? AND key_id = ?),"
                    f" (SELECT COUNT(*) FROM {DESTROYED_TABLE} WHERE key_id = ?)",
                    (key_id, digest, key_id, key_id),
                )
            ]
        )
        wrapped, sealed, destroyed = rows[0]
        return (
            None if wrapped is None else bytes(wrapped),
            None if sealed is None else bytes(sealed),
            bool(destroyed),
        )

    def key_ids(self) -> list[str]:
        return [str(r[0]) for r in self.run([(f"SELECT key_id FROM {KEYS_TABLE}", ())])]

    def erasures(self) -> int:
        return int(self.run([(f"SELECT COUNT(*) FROM {DESTROYED_TABLE}", ())])[0][0])

    def destroy_statements(self, key_id: str, now: str) -> list[tuple[str, tuple[Any, ...]]]:
        return [
            (f"DELETE FROM {RECORDS_TABLE} WHERE key_id = ?", (key_id,)),
            (f"DELETE FROM {KEYS_TABLE} WHERE key_id = ?", (key_id,)),
            (
                f"INSERT INTO {DESTROYED_TABLE} (key_id, destroyed_at) SELECT ?, ?"
                f" WHERE NOT EXISTS (SELECT 1 FROM {DESTROYED_TABLE} WHERE key_id = ?)",
                (key_id, now, key_id),
            ),
        ]


class SQLiteKeyTable(SQLKeyTable):
    def __init__(self, recorder: SQLiteApplicationRecorder, path: Path | None) -> None:
        self.recorder = recorder
        self.path = path

    def run(self, statements: Sequence[tuple[str, tuple[Any, ...]]], commit: bool = False) -> Rows:
        if not commit and len(statements) == 1:
            # One statement that only reads is atomic by itself (the library's connections
            # are in autocommit mode): no BEGIN and ROLLBACK around it. Every case load reads
            # the erasure count this way, and every opening of a sealed record.
            ((text, params),) = statements
            datastore = self.recorder.datastore
            with (
                datastore.get_connection(commit=False) as connection,
                connection.cursor() as cursor,
            ):
                cursor.execute(text, params)
                return [tuple(r) for r in cursor.fetchall()]
        with self.recorder.datastore.transaction(commit=commit) as cursor:
            return self.run_in(cursor, statements)

    def run_in(self, cursor: Any, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> Rows:
        rows: Rows = []
        for text, params in statements:
            cursor.execute(text, params)
            rows = [tuple(r) for r in cursor.fetchall()]
        return rows

    def count(self, key_id: str) -> int:
        sql = f"SELECT COUNT(*) FROM {RECORDS_TABLE} WHERE key_id = ?"
        return int(self.run([(sql, (key_id,))])[0][0])

    def destroy(self, key_id: str, now: str) -> Destruction:
        """Delete the key and its records with ``secure_delete`` on, then rewrite the file
        (``VACUUM``: no free page keeps an old copy) and empty the WAL."""
        records = self.count(key_id)
        statements = self.destroy_statements(key_id, now)
        if self.path is None:  # an in-memory database: nothing outlives the process
            self.run(statements, commit=True)
            return Destruction(key_id, records, False, False)
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        try:
            connection.execute("PRAGMA secure_delete = ON")
            connection.execute("BEGIN IMMEDIATE")
            for text, params in statements:
                connection.execute(text, params)
            connection.execute("COMMIT")
            connection.execute("VACUUM")
            truncated = False
            for _ in range(CHECKPOINT_TRIES):
                busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy:
                    truncated = True
                    break
                time.sleep(0.1)
        finally:
            connection.close()
        return Destruction(key_id, records, True, truncated)


class PostgresKeyTable(SQLKeyTable):
    blob = "bytea"

    def __init__(self, recorder: PostgresApplicationRecorder) -> None:
        self.recorder = recorder
        self.schema = str(recorder.datastore.schema)

    def _sql(self, text: str) -> str:
        for table in TABLES:
            text = text.replace(f" {table} ", f' "{self.schema}"."{table}" ')
            text = text.replace(f" {table}_key ON", f' "{table}_key" ON')
        return text.replace("?", "%s")

    def run(self, statements: Sequence[tuple[str, tuple[Any, ...]]], commit: bool = False) -> Rows:
        with self.recorder.datastore.transaction(commit=commit) as cursor:
            return self.run_in(cursor, statements)

    def run_in(self, cursor: Any, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> Rows:
        rows: Rows = []
        for text, params in statements:
            cursor.execute(self._sql(text + " ").rstrip(), params)
            # in the recorder's pipeline a query's description comes only with its results:
            # a SELECT is fetched (which waits for them), an INSERT or DELETE is not
            reads = text.startswith("SELECT") or cursor.description
            rows = [tuple(r.values()) for r in cursor.fetchall()] if reads else []
        return rows

    def destroy(self, key_id: str, now: str) -> Destruction:
        """Delete the key and its records, then ``VACUUM FULL`` the two tables: the table
        files are rewritten without the dead row versions (see docs/PRIVACY.md for what
        PostgreSQL's WAL, replicas and backups still hold)."""
        records = int(
            self.run([(f"SELECT COUNT(*) FROM {RECORDS_TABLE} WHERE key_id = ?", (key_id,))])[0][0]
        )
        self.run(self.destroy_statements(key_id, now), commit=True)
        with self.recorder.datastore.get_connection() as connection:
            for table in (KEYS_TABLE, RECORDS_TABLE):
                connection.execute(f'VACUUM FULL "{self.schema}"."{table}"')
        return Destruction(key_id, records, True, False)


class MemoryKeyTable(KeyTable):
    """The in-memory store of a unit test: the same rules, kept in dicts."""

    def __init__(self) -> None:
        self.keys: dict[str, bytes] = {}
        self.records: dict[str, tuple[str, bytes]] = {}
        self.destroyed: dict[str, str] = {}

    def create(self) -> None:
        return

    def wrapped_key(self, key_id: str, new_wrapped: bytes | None, now: str) -> bytes | None:
        if new_wrapped is not None and key_id not in self.destroyed:
            self.keys.setdefault(key_id, new_wrapped)
        return self.keys.get(key_id)

    def destroyed_at(self, key_id: str) -> str | None:
        return self.destroyed.get(key_id)

    def put_record(self, digest: str, key_id: str, sealed: bytes) -> None:
        self.records.setdefault(digest, (key_id, sealed))

    def new_key_with_record(
        self, key_id: str, wrapped: bytes, now: str, digest: str, sealed: bytes
    ) -> bytes | None:
        stored = self.wrapped_key(key_id, wrapped, now)
        if stored == wrapped:
            self.put_record(digest, key_id, sealed)
        return stored

    def write_in(self, cursor: Any, new_keys: NewKeys, records: KeyedRecords, now: str) -> None:
        for key_id, wrapped in new_keys:
            self.wrapped_key(key_id, wrapped, now)
        for key_id, wrapped, digest, sealed in records:
            if self.keys.get(key_id) == wrapped:
                self.put_record(digest, key_id, sealed)

    def key_state(self, key_id: str, cursor: Any = None) -> tuple[bytes | None, bool]:
        return self.keys.get(key_id), key_id in self.destroyed

    def opening(self, key_id: str, digest: str) -> tuple[bytes | None, bytes | None, bool]:
        owner, sealed = self.records.get(digest, (None, None))
        return self.keys.get(key_id), sealed if owner == key_id else None, key_id in self.destroyed

    def key_ids(self) -> list[str]:
        return list(self.keys)

    def erasures(self) -> int:
        return len(self.destroyed)

    def destroy(self, key_id: str, now: str) -> Destruction:
        gone = [d for d, (owner, _) in self.records.items() if owner == key_id]
        for digest in gone:
            del self.records[digest]
        self.keys.pop(key_id, None)
        self.destroyed.setdefault(key_id, now)
        return Destruction(key_id, len(gone), False, False)


def key_table(recorder: ApplicationRecorder, sqlite_path: Path | None) -> KeyTable:
    if isinstance(recorder, SQLiteApplicationRecorder):
        return SQLiteKeyTable(recorder, sqlite_path)
    if isinstance(recorder, PostgresApplicationRecorder):
        return PostgresKeyTable(recorder)
    return MemoryKeyTable()


# -- the vault -----------------------------------------------------------------------------


def key_encryption_key(store_key_b64: str) -> bytes:
    """The key-encryption key: HKDF-SHA-256 of the store's cipher key (one-way: knowing it
    does not give the store key)."""
    return HKDF(algorithm=hashes.SHA256(), length=DATA_KEY_BYTES, salt=None, info=KEK_INFO).derive(
        base64.b64decode(store_key_b64)
    )


def _seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = AESCipher.random_bytes(NONCE_BYTES)  # the scenario dump fixes it, like the store's
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def _open(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)


@dataclass
class _Deferred:
    """What :meth:`PersonVault.seal` leaves for the write's own transaction: each key used
    (wrapped, unwrapped, whether it is new) and each record (key id, digest, sealed bytes)."""

    keys: dict[str, tuple[bytes, bytes, bool]] = field(default_factory=dict)
    records: list[tuple[str, str, bytes]] = field(default_factory=list)


class PersonVault:
    """Seals personal values under their subject's key; opens them; destroys keys."""

    def __init__(self, table: KeyTable, store_key_b64: str, now: Callable[[], str]) -> None:
        self.table = table
        self._kek = key_encryption_key(store_key_b64)
        self._now = now
        self._local = threading.local()
        table.create()

    @contextmanager
    def deferring(self) -> Iterator[None]:
        """While open (in this thread), :meth:`seal` writes nothing itself: a new key and
        the sealed records wait for :meth:`write_deferred`, which the store runs inside the
        transaction that writes the events referencing them. A person's first record then
        costs no commit of its own, and a write that is refused (a conflict, a rule) leaves
        no key and no record behind."""
        self._local.deferred = _Deferred()
        try:
            yield
        finally:
            self._local.deferred = None

    def write_deferred(self, cursor: Any) -> None:
        """Write what :meth:`seal` left, on ``cursor`` (a write's transaction, after its
        events): the new keys, then the records, each only under the key it was sealed with;
        then check that every key used is stored as it was sealed with. A key destroyed
        meanwhile refuses the write as erased; a key another writer created first refuses
        it as a conflict — either way the transaction, events included, is undone."""
        deferred: _Deferred | None = getattr(self._local, "deferred", None)
        if deferred is None or not deferred.records:
            return
        self.table.write_in(
            cursor,
            [(key_id, wrapped) for key_id, (wrapped, _, new) in deferred.keys.items() if new],
            [
                (key_id, deferred.keys[key_id][0], digest, sealed)
                for key_id, digest, sealed in deferred.records
            ],
            self._now(),
        )
        for key_id, (wrapped, _, _) in deferred.keys.items():
            stored, destroyed = self.table.key_state(key_id, cursor)
            if stored == wrapped:
                continue
            if stored is None and destroyed:
                raise _erased(key_id)
            case, _, subject = key_id.partition("/")
            raise ConcurrentWriteConflict(
                f"case {case}: another writer stored the key of {subject} first; nothing of"
                " this write was stored",
                hint="reload it and try again",
            )
        self._local.deferred = _Deferred()  # written: a second insert in this save adds none

    def seal(self, key_id: str, value: PersonalData) -> PersonalRef:
        """Seal ``value`` under ``key_id``'s data key (created on first use) and store the
        record. Refused when the key was destroyed: an erased person's data is not recorded
        again under their old identity in the case."""
        if isinstance(value, ErasedPersonalData):
            raise _erased(key_id)
        plaintext = json.dumps(value.as_dict(), sort_keys=True, separators=(",", ":")).encode()
        aad = _RECORD_AAD + key_id.encode()
        deferred: _Deferred | None = getattr(self._local, "deferred", None)
        if deferred is not None:
            return self._seal_deferred(deferred, key_id, plaintext, aad)
        wrapped = self.table.wrapped_key(key_id, None, self._now())
        if wrapped is None:  # the person's first record: the new key and it in one commit
            fresh = AESCipher.random_bytes(DATA_KEY_BYTES)
            new_wrapped = self._wrap(key_id, fresh)
            sealed = _seal(fresh, plaintext, aad)
            digest = hashlib.sha256(sealed).hexdigest()
            wrapped = self.table.new_key_with_record(
                key_id, new_wrapped, self._now(), digest, sealed
            )
            if wrapped == new_wrapped:
                return PersonalRef(key_id, digest)
        if wrapped is None:
            raise _erased(key_id)
        # the key existed (or another writer created it just now): seal under the stored one
        data_key = self._unwrap(key_id, wrapped)
        sealed = _seal(data_key, plaintext, aad)
        digest = hashlib.sha256(sealed).hexdigest()
        self.table.put_record(digest, key_id, sealed)
        return PersonalRef(key_id, digest)

    def _seal_deferred(
        self, deferred: _Deferred, key_id: str, plaintext: bytes, aad: bytes
    ) -> PersonalRef:
        """:meth:`seal` within :meth:`deferring`: the key is read (one statement) or made
        once per write, and nothing is written here."""
        if key_id not in deferred.keys:
            wrapped, destroyed = self.table.key_state(key_id)
            if wrapped is not None:
                deferred.keys[key_id] = (wrapped, self._unwrap(key_id, wrapped), False)
            elif destroyed:
                raise _erased(key_id)
            else:  # the person's first record: a new key, stored with it
                fresh = AESCipher.random_bytes(DATA_KEY_BYTES)
                deferred.keys[key_id] = (self._wrap(key_id, fresh), fresh, True)
        data_key = deferred.keys[key_id][1]
        sealed = _seal(data_key, plaintext, aad)
        digest = hashlib.sha256(sealed).hexdigest()
        deferred.records.append((key_id, digest, sealed))
        return PersonalRef(key_id, digest)

    def open(self, ref: PersonalRef) -> PersonalData:
        """The value a reference stands for, or :class:`ErasedPersonalData` once its key was
        destroyed."""
        wrapped, sealed, destroyed = self.table.opening(ref.key_id, ref.digest)
        if wrapped is None and destroyed:
            return ErasedPersonalData()
        if wrapped is None or sealed is None or hashlib.sha256(sealed).hexdigest() != ref.digest:
            raise PersonalRecordMissing(
                f"the sealed personal record {ref.digest[:16]}… of key {ref.key_id} is missing"
                " or altered, and its key was not destroyed by an erasure",
                hint="restore the person key tables from the store's backup; `socai audit"
                " verify` shows whether the events themselves are intact",
            )
        values = json.loads(_open(self._unwrap(ref.key_id, wrapped), sealed, _aad(ref.key_id)))
        return PersonalData(**values)

    def has_key(self, key_id: str) -> bool:
        return self.table.wrapped_key(key_id, None, self._now()) is not None

    def destroyed_at(self, key_id: str) -> str | None:
        return self.table.destroyed_at(key_id)

    def erasures(self) -> int:
        """How many keys were ever destroyed (a number that grows with each erasure)."""
        return self.table.erasures()

    def destroy(self, key_id: str) -> Destruction:
        return self.table.destroy(key_id, self._now())

    def data_keys(self) -> dict[str, bytes]:
        """Every data key the tool still holds, unwrapped (for checks that an erased record
        opens with none of them)."""
        keys = {}
        for key_id in self.table.key_ids():
            wrapped = self.table.wrapped_key(key_id, None, self._now())
            if wrapped is not None:
                keys[key_id] = self._unwrap(key_id, wrapped)
        return keys

    def _wrap(self, key_id: str, data_key: bytes) -> bytes:
        return _seal(self._kek, data_key, _WRAP_AAD + key_id.encode())

    def _unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        try:
            return _open(self._kek, wrapped, _WRAP_AAD + key_id.encode())
        except InvalidTag:
            raise PersonalRecordMissing(
                f"the data key {key_id} does not open with this store's key",
                hint="the person key table was altered or copied from another store",
            ) from None


def _aad(key_id: str) -> bytes:
    return _RECORD_AAD + key_id.encode()


def _erased(key_id: str) -> RuleViolation:
    return RuleViolation(
        "person_erased",
        f"the personal data of {key_id.partition('/')[2]} in case {key_id.partition('/')[0]}"
        " was erased; nothing can be recorded again under that person's key",
        hint="the erasure is final; record what you need without that person's identity",
    )
