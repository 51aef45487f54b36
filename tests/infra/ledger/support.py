"""Shared by the ledger tests: a real store with real cases, and raw tampering under it.

The tamperer works on the database directly (sqlite3 / psycopg), as an operator with write
access to the database but without the signing key would.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from domain.case.commands import RecordDemographics
from domain.case.values import Actor
from infra.ledger.checkpoints import export_checkpoints, make_checkpoint
from infra.ledger.hashing import chain_hash, leaf_bytes, leaf_hash
from infra.ledger.store import LedgerTables
from infra.ledger.verifier import JsonCheckpoint, key_id
from infra.scenario.builders import LEDGER_DEMOGRAPHICS, ledger_receive_command
from infra.scenario.staff import on_case, scenario_staff
from infra.services.socai import Socai
from infra.settings import Settings

ACTOR = Actor("OF-LEDGER-1", "police")
CHECKPOINT_EVERY_EVENTS = 10


def populate(app: Socai, key: Any, cases: int) -> int:
    """The officer's registration (users, grants, tokens: ledger events like the rest), then
    two events per case; a signed checkpoint every CHECKPOINT_EVERY_EVENTS case events and one
    at the end. Returns the number of the users' events, written first."""
    tables = LedgerTables(app.store.recorder)
    receive = ledger_receive_command()
    officer = on_case(app, ACTOR, receive)
    users = tables.head().size
    for i in range(cases):
        case_id = app.cases.receive(receive, officer)
        app.cases.execute(case_id, RecordDemographics.parse(LEDGER_DEMOGRAPHICS), officer)
        if (2 * (i + 1)) % CHECKPOINT_EVERY_EVENTS == 0:
            make_checkpoint(tables, key)
    make_checkpoint(tables, key)
    return users


#: Each store's officer token and the ledger's size once the officer was registered.
_OFFICERS: dict[str, tuple[str, int]] = {}


def officer_token(settings: Settings) -> tuple[str, int]:
    """Register the ledger tests' officer in a session of its own (once per store) and return
    an API token for it and the ledger's size after the registration: a later session's
    checkpoint policy then counts only the case events the test writes, and tree sizes are
    that size plus the case events."""
    if settings.store.raw in _OFFICERS:
        return _OFFICERS[settings.store.raw]
    app = Socai(settings)
    try:
        staff = scenario_staff(app)
        officer = on_case(app, ACTOR, ledger_receive_command())
        token = app.access.issue_token(staff.administrator(), 30, "ledger-test", officer.username)
        made = _OFFICERS[settings.store.raw] = (
            str(token),
            LedgerTables(app.store.recorder).head().size,
        )
        return made
    finally:
        app.close()


def export_anchors(app: Socai, directory: Path) -> None:
    export_checkpoints(LedgerTables(app.store.recorder), directory, None)


@dataclass(frozen=True)
class SqlExpr:
    """A value written as SQL (for values Python cannot pass as a parameter, such as text that
    is not UTF-8)."""

    sql: str


@dataclass
class RawStore:
    """Raw SQL access to a store's tables, as an attacker with database access has it."""

    kind: str  # "sqlite" | "postgresql"
    target: str  # file path or conninfo

    @property
    def events(self) -> str:
        return "stored_events" if self.kind == "sqlite" else "socai_events"

    @property
    def pos(self) -> str:
        return "rowid" if self.kind == "sqlite" else "notification_id"

    @contextmanager
    def connect(self) -> Iterator[Any]:
        if self.kind == "sqlite":
            connection = sqlite3.connect(self.target)
            connection.execute("PRAGMA synchronous = OFF")  # a throw-away copy
            try:
                yield connection
                connection.commit()
            finally:
                connection.close()
        else:
            with psycopg.connect(self.target) as connection:
                yield connection

    def _q(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.kind == "postgresql" else sql

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.connect() as c:
            return list(c.execute(self._q(sql.format(e=self.events, pos=self.pos)), params))

    def run(self, *statements: tuple[str, tuple[Any, ...]]) -> None:
        with self.connect() as c:
            for sql, params in statements:
                c.execute(self._q(sql.format(e=self.events, pos=self.pos)), params)

    def positions(self) -> list[int]:
        return [r[0] for r in self.rows("SELECT {pos} FROM {e} ORDER BY {pos}")]

    def originator(self, value: Any) -> str:
        return str(value) if self.kind == "postgresql" else str(UUID(value))

    # -- tampering ------------------------------------------------------------------------

    def flip_state_bit(self, position: int, byte: int, bit: int) -> None:
        (state,) = self.rows("SELECT state FROM {e} WHERE {pos} = ?", (position,))[0]
        data = bytearray(state)
        data[byte % len(data)] ^= 1 << bit
        self.run(("UPDATE {e} SET state = ? WHERE {pos} = ?", (bytes(data), position)))

    def set_topic(self, position: int) -> None:
        self.run(("UPDATE {e} SET topic = topic || 'x' WHERE {pos} = ?", (position,)))

    def set_version(self, position: int) -> None:
        self.run(
            (
                "UPDATE {e} SET originator_version = originator_version + 1000 WHERE {pos} = ?",
                (position,),
            )
        )

    def set_originator(self, position: int) -> None:
        new = uuid4()
        self.run(
            (
                "UPDATE {e} SET originator_id = ? WHERE {pos} = ?",
                (new.hex if self.kind == "sqlite" else new, position),
            )
        )

    def set_record_time(self, position: int) -> None:
        self.run(
            (
                "UPDATE ledger_chain SET recorded_at = '2020-01-01T00:00:00.000000+00:00'"
                " WHERE position = ?",
                (position,),
            )
        )

    def malform(self, position: int, variant: int) -> str:
        """Put NULL or a wrongly typed value into one column; returns what was done."""
        event_edits = {
            "sqlite": [
                ("originator_id", "not-a-uuid"),
                ("originator_version", "seven"),
                ("topic", None),
                ("state", None),
                ("state", "text, not bytes"),
                ("state", SqlExpr("CAST(x'fffe41' AS TEXT)")),  # text that is not UTF-8
                ("topic", SqlExpr("x'fffe'")),  # bytes where text belongs
                ("originator_id", SqlExpr("CAST(x'ff' AS TEXT)")),
            ],
            "postgresql": [("topic", None), ("state", None), ("originator_version", -5)],
        }[self.kind]
        chain_edits = {
            "sqlite": [
                ("leaf_hash", "text"),
                ("recorded_at", 42),
                ("chain_hash", b"short"),
                ("recorded_at", SqlExpr("CAST(x'fffe' AS TEXT)")),
                ("chain_hash", SqlExpr("CAST(x'fffe' AS TEXT)")),
            ],
            "postgresql": [("leaf_hash", None), ("recorded_at", None), ("chain_hash", b"short")],
        }[self.kind]
        edits = [
            *(("{e}", "{pos}", *edit) for edit in event_edits),
            *(("ledger_chain", "position", *edit) for edit in chain_edits),
        ]
        table, key, column, value = edits[variant % len(edits)]
        if self.kind == "postgresql" and table == "ledger_chain" and value is None:
            self.run((f"ALTER TABLE ledger_chain ALTER COLUMN {column} DROP NOT NULL", ()))
        if isinstance(value, SqlExpr):
            self.run((f"UPDATE {table} SET {column} = {value.sql} WHERE {key} = ?", (position,)))
        else:
            self.run((f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (value, position)))
        return f"{table}.{column} = {value!r}"

    def delete_event(self, position: int) -> None:
        self.run(("DELETE FROM {e} WHERE {pos} = ?", (position,)))

    def delete_entry(self, position: int) -> None:
        self.run(
            ("DELETE FROM {e} WHERE {pos} = ?", (position,)),
            ("DELETE FROM ledger_chain WHERE position = ?", (position,)),
        )

    def swap(self, first: int, second: int) -> None:
        columns = "originator_id, originator_version, topic, state"
        a = self.rows(f"SELECT {columns} FROM {{e}} WHERE {{pos}} = ?", (first,))[0]
        b = self.rows(f"SELECT {columns} FROM {{e}} WHERE {{pos}} = ?", (second,))[0]
        setter = (
            "UPDATE {e} SET originator_id = ?, originator_version = ?, topic = ?,"
            " state = ? WHERE {pos} = ?"
        )
        self.run(
            ("UPDATE {e} SET originator_version = -1 WHERE {pos} = ?", (first,)),
            (setter, (*a, second)),
            (setter, (*b, first)),
        )

    def insert_forged(self, position: int, copy_of: int) -> None:
        """Make room at ``position`` (shift later rows up by one) and put a forged copy of
        another event there; the chain is left as it was."""
        (oid, version, topic, state) = self.rows(
            "SELECT originator_id, originator_version, topic, state FROM {e} WHERE {pos} = ?",
            (copy_of,),
        )[0]
        self.run(
            ("UPDATE {e} SET {pos} = -{pos} WHERE {pos} >= ?", (position,)),
            ("UPDATE {e} SET {pos} = 1 - {pos} WHERE {pos} < 0", ()),
            (
                "INSERT INTO {e} (" + self.pos + ", originator_id, originator_version, topic,"
                " state) VALUES (?, ?, ?, ?, ?)",
                (position, oid, version + 5000, topic, state),
            ),
        )

    def append_unchained(self, copy_of: int) -> int:
        position = self.positions()[-1] + 1
        (oid, version, topic, state) = self.rows(
            "SELECT originator_id, originator_version, topic, state FROM {e} WHERE {pos} = ?",
            (copy_of,),
        )[0]
        self.run(
            (
                "INSERT INTO {e} (" + self.pos + ", originator_id, originator_version, topic,"
                " state) VALUES (?, ?, ?, ?, ?)",
                (position, oid, version + 5000, topic, state),
            )
        )
        return position

    def truncate_tail(self, from_position: int) -> None:
        """Delete the events and chain rows from ``from_position`` on, and every stored
        checkpoint that would betray it."""
        (remaining,) = self.rows(
            "SELECT COUNT(*) FROM ledger_chain WHERE position < ?", (from_position,)
        )[0]
        self.run(
            ("DELETE FROM {e} WHERE {pos} >= ?", (from_position,)),
            ("DELETE FROM ledger_chain WHERE position >= ?", (from_position,)),
            ("DELETE FROM ledger_checkpoints WHERE tree_size > ?", (remaining,)),
        )

    def rewrite_from(self, position: int, *, drop_checkpoints: bool) -> None:
        """Alter the event at ``position`` and recompute every later leaf and chain hash, as
        an attacker who knows the algorithm (but not the signing key) would."""
        self.flip_state_bit(position, 0, 0)
        rows = self.rows(
            "SELECT c.position, c.recorded_at, c.prev_position, e.originator_id,"
            " e.originator_version, e.topic, e.state FROM ledger_chain c JOIN {e} e"
            " ON e.{pos} = c.position WHERE c.position >= ? ORDER BY c.position",
            (position,),
        )
        previous_position = rows[0][2]
        (previous,) = (
            self.rows(
                "SELECT chain_hash FROM ledger_chain WHERE position = ?", (previous_position,)
            )
            or [(bytes(32),)]
        )[0]
        updates = []
        for pos, recorded_at, _, oid, version, topic, state in rows:
            digest = leaf_hash(
                leaf_bytes(pos, self.originator(oid), version, topic, bytes(state), recorded_at)
            )
            previous = chain_hash(bytes(previous), digest)
            updates.append(
                (
                    "UPDATE ledger_chain SET leaf_hash = ?, chain_hash = ? WHERE position = ?",
                    (digest, previous, pos),
                )
            )
        if drop_checkpoints:
            updates.append(("DELETE FROM ledger_checkpoints", ()))
        self.run(*updates)


def sqlite_settings(path: Path) -> Settings:
    return Settings.load(f"sqlite:///{path}", str(path.with_name("cipher.key")))


def sign_legacy(checkpoint: JsonCheckpoint, key: Ed25519PrivateKey) -> JsonCheckpoint:
    """A checkpoint in the earlier JSON format, as socai signed them before C2SP notes (stores
    that hold them keep verifying; an attacker may also forge one)."""
    unsigned = replace(checkpoint, key_id=key_id(key.public_key()), signature="")
    signature = base64.b64encode(key.sign(unsigned.signed_text())).decode()
    return replace(unsigned, signature=signature)
