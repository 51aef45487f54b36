"""Redacted positions (vị trí đã xóa dữ liệu): events whose stored state was overwritten by an
authorised erasure, and the leaf hash they had.

An erasure of personal data held *inside* an event (stores made before per-person keys,
docs/PRIVACY.md) must change that event's stored bytes. The ledger keeps what they hashed to:
``ledger_redactions`` holds, per redacted position, the **original leaf hash** (the one chained
and signed when the event was written), the position of the **authorising erasure event**
and the **subject** the erasure names. Verification (:mod:`infra.ledger.audit`) takes the leaf
hash of a redacted position from here only when the authorising position exists, is later,
carries the erasure topic, is itself intact, and its originator id is the erasure id of the
redacted event's originator and that subject, **and** the log holds, after the redacted
position, an intact *authorisation event* whose originator id binds that erasure to that
position and that original leaf hash (:class:`ErasureAuthority`); otherwise the position is
NOT INTACT. The application records the authorisation events in the same transaction as the
erasure event, before any stored state is rewritten, so an erasure names, in plaintext
columns an inspector reads without the store key, exactly which positions it redacts. The
chain, the Merkle tree and every checkpoint are unchanged.

This package knows nothing of the application: the erasure topic and the namespace of
erasure ids are given to it as plain values. Writing a redaction replaces the stored state
and records the row in one transaction, then scrubs the old bytes: ``secure_delete``,
``VACUUM`` and a truncating WAL checkpoint on SQLite; ``VACUUM FULL`` of the events table on
PostgreSQL (what WAL archives and backups keep: docs/PRIVACY.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from hashlib import sha256
from uuid import UUID, uuid5

from infra.ledger.chain import ChainedPostgresRecorder
from infra.ledger.errors import LedgerError
from infra.ledger.store import LedgerTables

REDACTIONS_TABLE = "ledger_redactions"
#: How often a WAL checkpoint is retried while another connection still reads (SQLite).
_CHECKPOINT_TRIES = 50


@dataclass(frozen=True, slots=True)
class Redaction:
    """One redacted position: the leaf hash it had, and the erasure that authorised it."""

    position: int
    leaf_hash: bytes
    authorised_by: int
    subject: str


@dataclass(frozen=True, slots=True)
class ErasureAuthority:
    """What makes an event an erasure, as the application defines it (plain values): its
    stored topic, and the namespace of its id: ``uuid5(namespace, f"{originator}/{subject}")``
    for the erasure of ``subject``'s data held under ``originator``; and what binds one
    redacted position to that erasure: the stored topic of the authorisation events and the
    namespace of their ids, ``uuid5(authorisation_namespace,
    f"{erasure}/{position}/{leaf}/{copy}")`` with ``leaf`` the position's original leaf hash
    and ``copy`` the SHA-256 of the redacted copy's stored bytes (both hex)."""

    topic: str
    namespace: UUID
    authorisation_topic: str
    authorisation_namespace: UUID

    def erasure_id(self, originator_id: str, subject: str) -> str:
        return str(uuid5(self.namespace, f"{originator_id}/{subject}"))

    def authorisation_id(
        self, erasure_id: str, position: int, leaf_hash: bytes, redacted_state: bytes
    ) -> str:
        """The originator id of the event by which erasure ``erasure_id`` authorises the
        redaction of ``position`` (original leaf hash ``leaf_hash``) by the copy whose stored
        bytes hash to ``redacted_state`` (SHA-256)."""
        named = f"{erasure_id}/{position}/{leaf_hash.hex()}/{redacted_state.hex()}"
        return str(uuid5(self.authorisation_namespace, named))


def table_name(tables: LedgerTables) -> str:
    """The redactions table, qualified by the PostgreSQL schema."""
    recorder = tables.recorder
    if not isinstance(recorder, ChainedPostgresRecorder):
        return REDACTIONS_TABLE
    return f'"{recorder.datastore.schema}"."{REDACTIONS_TABLE}"'


def _exists(tables: LedgerTables) -> bool:
    with tables.cursor() as c:
        if tables.kind == "sqlite":
            c.execute(
                "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = ?",
                (REDACTIONS_TABLE,),
            )
            return bool(c.fetchall())
        c.execute("SELECT to_regclass(%s) AS x", (table_name(tables),))
        return c.fetchall()[0]["x"] is not None


def redactions(tables: LedgerTables) -> dict[int, Redaction]:
    """Every redactions row, by position (none when the table was never made). A row whose
    values are not of the types written is returned with an empty leaf hash, so that the
    position does not verify."""
    if not _exists(tables):
        return {}
    with tables.cursor() as c:
        c.execute(
            f"SELECT position, leaf_hash, authorised_by, subject FROM {table_name(tables)}"
            " ORDER BY position"
        )
        rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall()]
    found = {}
    for position, leaf, by, subject in rows:
        if type(position) is not int:
            continue
        ok = isinstance(leaf, bytes | memoryview) and type(by) is int and type(subject) is str
        found[position] = Redaction(
            position,
            bytes(leaf) if ok else b"",
            by if type(by) is int else -1,
            subject if type(subject) is str else "",
        )
    return found


def leaf_hashes(tables: LedgerTables, positions: Iterable[int]) -> dict[int, bytes]:
    """The chained (original) leaf hash of each position, as the authorisation events name
    it before the position is redacted."""
    d = tables.d
    found = {}
    with tables.cursor() as c:
        for position in sorted(set(positions)):
            c.execute(f"SELECT leaf_hash FROM {d.chain} WHERE position = {d.param}", (position,))
            rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall()]
            if not rows:
                raise LedgerError(f"no chained event at position {position}", hint="")
            found[position] = bytes(rows[0][0])
    return found


def redact(
    tables: LedgerTables,
    states: Mapping[int, bytes],
    authorised_by: int,
    subject: str,
    authorised: Mapping[int, tuple[bytes, bytes]],
) -> None:
    """Replace the stored state of each position in ``states`` and record its redaction,
    authorised by the erasure event at ``authorised_by`` (see module doc); then scrub.
    ``authorised`` is what the authorisation events already stored name (position → original
    leaf hash, SHA-256 of the copy): exactly the positions of ``states``, each with the leaf
    hash chained there and the digest of the copy written there."""
    if any(p >= authorised_by for p in states):
        raise LedgerError(
            "a redaction must be authorised by a later erasure event",
            hint="store the erasure event first",
        )
    if set(states) != set(authorised):
        raise LedgerError(
            "the positions to redact are not exactly those the erasure authorised",
            hint="record one authorisation event per redacted position with the erasure",
        )
    blob = "BLOB" if tables.kind == "sqlite" else "bytea"
    d = tables.d
    p = d.param
    with tables.cursor(commit=True) as c:
        if tables.kind == "sqlite":
            c.execute("PRAGMA secure_delete = ON")
        c.execute(
            f"CREATE TABLE IF NOT EXISTS {table_name(tables)} (position BIGINT PRIMARY KEY,"
            f" leaf_hash {blob} NOT NULL, authorised_by BIGINT NOT NULL, subject TEXT NOT NULL)"
        )
        for position, state in sorted(states.items()):
            c.execute(f"SELECT leaf_hash FROM {d.chain} WHERE position = {p}", (position,))
            found = [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall()]
            if not found:
                raise LedgerError(f"no chained event at position {position}", hint="")
            if sha256(state).digest() != authorised[position][1]:
                raise LedgerError(
                    f"the copy to write at position {position} is not the one authorised",
                    hint="record the authorisation of this copy before writing it",
                )
            if bytes(found[0][0]) != authorised[position][0]:
                raise LedgerError(
                    f"the leaf hash chained at position {position} is not the one authorised",
                    hint="run `socai audit verify`: the log was edited",
                )
            c.execute(
                f"INSERT INTO {table_name(tables)} (position, leaf_hash, authorised_by, subject)"
                f" VALUES ({p}, {p}, {p}, {p})",
                (position, bytes(found[0][0]), authorised_by, subject),
            )
            c.execute(
                f"UPDATE {d.events} SET state = {p} WHERE {d.position} = {p}", (state, position)
            )
    scrub(tables)


def scrub(tables: LedgerTables) -> bool:
    """Leave no copy of overwritten bytes the tool can read: rewrite the SQLite file
    (``VACUUM``) and empty its WAL; ``VACUUM FULL`` the events table on PostgreSQL. False
    when another SQLite connection kept the WAL busy (it is emptied at the next checkpoint)."""
    path = tables.sqlite_file
    if tables.kind == "sqlite":
        if path is None:
            return True
        connection = sqlite3.connect(path, isolation_level=None, timeout=10)
        try:
            connection.execute("VACUUM")
            for _ in range(_CHECKPOINT_TRIES):
                busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
                if not busy:
                    return True
            return False
        finally:
            connection.close()
    recorder = tables.recorder
    assert isinstance(recorder, ChainedPostgresRecorder)
    with recorder.datastore.get_connection() as pg:
        pg.execute(f"VACUUM FULL {tables.d.events}")
    return True


def positions_of(tables: LedgerTables, originator_id: UUID) -> dict[int, int]:
    """The log positions of an originator's stored events, by version."""
    written: object = originator_id.hex if tables.kind == "sqlite" else originator_id
    d = tables.d
    with tables.cursor() as c:
        c.execute(
            f"SELECT {d.position} AS position, originator_version AS version FROM {d.events}"
            f" WHERE originator_id = {d.param}",
            (written,),
        )
        rows = [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in c.fetchall()]
    return {int(version): int(position) for position, version in rows}
