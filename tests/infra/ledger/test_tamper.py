"""Tamper suite: change the raw database under the application; verification must catch
every change and name the right position.

Each example starts from a pristine copy of a real store (real cases written through
Socai, signed checkpoints every 10 events, all exported as anchors), applies one
tampering drawn by hypothesis, and runs the full verification against the anchors.
"""

from __future__ import annotations

import itertools
import json
import shutil
import sqlite3
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.case.commands import RecordDemographics
from infra.audit_store import ledger_tables
from infra.keys import create_key_file
from infra.ledger.audit import Report, verify_store
from infra.ledger.checkpoints import create_signing_key, read_anchor_dir
from infra.ledger.verifier import Checkpoint, JsonCheckpoint
from infra.scenario.builders import LEDGER_DEMOGRAPHICS, ledger_receive_command
from infra.scenario.staff import worker
from infra.services.socai import Socai
from infra.settings import Settings
from tests.infra.ledger.support import (
    ACTOR,
    RawStore,
    SqlExpr,
    export_anchors,
    populate,
    sign_legacy,
)

CASES = 20  # the users' events, then 40 case events, a checkpoint every 10 of them
DEFAULT_EXAMPLES = 100
SLOW_EXAMPLES = 1_000

KINDS = (
    "state",
    "topic",
    "version",
    "originator",
    "record_time",
    "delete_event",
    "delete_entry",
    "swap",
    "insert_forged",
    "append_unchained",
    "truncate",
    "rewrite",
    "malformed",
)
#: Variants of RawStore.malform (NULLs and wrongly typed values), each tested once.
MALFORM_VARIANTS = 13


@dataclass(frozen=True)
class Tampering:
    kind: str
    first: int  # index into the positions
    second: int
    byte: int
    bit: int
    drop_checkpoints: bool
    forge_checkpoint: bool


TAMPERINGS = st.builds(
    Tampering,
    kind=st.sampled_from(KINDS),
    first=st.integers(0, 10_000),
    second=st.integers(0, 10_000),
    byte=st.integers(0, 10_000),
    bit=st.integers(0, 7),
    drop_checkpoints=st.booleans(),
    forge_checkpoint=st.booleans(),
)


@dataclass
class Pristine:
    """A populated store to copy, its anchors and its public key."""

    make_copy: Any  # () -> (Settings, RawStore, cleanup)
    anchors: list[Checkpoint]
    public_key: Any
    attacker_key: Any
    backend: str


def apply(raw: RawStore, t: Tampering, attacker_key: Any) -> tuple[set[str], int, int]:
    """Tamper; returns (acceptable finding kinds, first bad position, last of its range)."""
    positions = raw.positions()
    p = positions[t.first % len(positions)]
    last = positions[-1]
    if t.kind in ("state", "topic", "version", "originator", "record_time"):
        {
            "state": lambda: raw.flip_state_bit(p, t.byte, t.bit),
            "topic": lambda: raw.set_topic(p),
            "version": lambda: raw.set_version(p),
            "originator": lambda: raw.set_originator(p),
            "record_time": lambda: raw.set_record_time(p),
        }[t.kind]()
        return {"altered"}, p, p
    if t.kind == "malformed":
        raw.malform(p, t.second)
        return {"altered", "chain_broken"}, p, p
    if t.kind == "delete_event":
        raw.delete_event(p)
        return {"missing_event"}, p, p
    if t.kind == "delete_entry":
        raw.delete_entry(p)
        return ({"truncated"} if p == last else {"removed"}), p, p
    if t.kind == "swap":
        q = positions[t.second % len(positions)]
        if q == p:
            q = positions[(t.first + 1) % len(positions)]
        raw.swap(min(p, q), max(p, q))
        return {"altered"}, min(p, q), min(p, q)
    if t.kind == "insert_forged":
        raw.insert_forged(p, positions[t.second % len(positions)])
        return {"altered"}, p, p
    if t.kind == "append_unchained":
        added = raw.append_unchained(positions[t.second % len(positions)])
        return {"unchained_event"}, added, added
    if t.kind == "truncate":
        raw.truncate_tail(p)
        return {"truncated"}, p, p
    assert t.kind == "rewrite"
    raw.rewrite_from(p, drop_checkpoints=t.drop_checkpoints)
    if t.forge_checkpoint:
        forged = sign_legacy(
            JsonCheckpoint(
                len(positions), "00" * 32, last, "00" * 32, "2026-01-01T00:00:00+00:00", "", ""
            ),
            attacker_key,
        )
        raw.run(
            ("DELETE FROM ledger_checkpoints WHERE tree_size = ?", (len(positions),)),
            (
                "INSERT INTO ledger_checkpoints VALUES (?, ?)",
                (len(positions), json.dumps(forged.to_json())),
            ),
        )
    return {"rewritten"}, p, p


def check(pristine: Pristine, t: Tampering) -> None:
    store, raw, cleanup = pristine.make_copy()
    try:
        kinds, position, _ = apply(raw, t, pristine.attacker_key)
        with ledger_tables(store) as tables:
            report: Report = verify_store(tables, pristine.public_key, pristine.anchors)
        assert not report.intact, t
        first = report.first
        assert first is not None
        assert first.kind in kinds, (t, str(first))
        if first.kind == "rewritten":
            assert first.position is not None
            assert first.last_position is not None
            assert first.position <= position <= first.last_position, (t, str(first))
        else:
            assert first.position == position, (t, str(first))
    finally:
        cleanup()


def _build(store: Settings, directory: Path) -> tuple[list[Checkpoint], Any, Any]:
    create_key_file(store.key_file)
    signing = create_signing_key(directory / "store.signing.pem")
    app = Socai(store)
    try:
        users = populate(app, signing, CASES)
        export_anchors(app, directory / "anchors")
        with ledger_tables(store) as tables:
            intact = verify_store(
                tables, signing.public_key(), read_anchor_dir(directory / "anchors")
            )
        assert intact.intact, intact.findings
        assert intact.events == users + 2 * CASES
        assert intact.checkpoints_checked == 2 * (2 * CASES // 10)
    finally:
        app.close()
    return (
        read_anchor_dir(directory / "anchors"),
        signing.public_key(),
        create_signing_key(directory / "attacker.signing.pem"),
    )


@pytest.fixture(scope="module")
def sqlite_pristine(tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    directory = tmp_path_factory.mktemp("ledger-sqlite")
    store = Settings.load(f"sqlite:///{directory / 'pristine.db'}", str(directory / "c.key"))
    anchors, public, attacker = _build(store, directory)
    counter = itertools.count()

    def make_copy() -> tuple[Settings, RawStore, Any]:
        path = directory / f"copy-{next(counter)}.db"
        shutil.copyfile(directory / "pristine.db", path)
        copy = Settings.load(f"sqlite:///{path}", str(directory / "c.key"))
        return copy, RawStore("sqlite", str(path)), path.unlink

    return Pristine(make_copy, anchors, public, attacker, "sqlite")


def test_pristine_copy_verifies_intact(sqlite_pristine: Pristine) -> None:
    store, _, cleanup = sqlite_pristine.make_copy()
    try:
        with ledger_tables(store) as tables:
            report = verify_store(tables, sqlite_pristine.public_key, sqlite_pristine.anchors)
        assert report.intact
        assert report.events == sqlite_pristine.anchors[-1].tree_size  # users' + cases' events
        assert report.unsigned_tail == 0
    finally:
        cleanup()


# -- PostgreSQL -------------------------------------------------------------------------------
#: The tables a tampering can touch; restored after each example.
PG_RESTORED = ("socai_events", "ledger_chain", "ledger_checkpoints")


@pytest.fixture(scope="module")
def postgres_pristine(postgres_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Pristine:
    directory = tmp_path_factory.mktemp("ledger-pg")
    # one per module that uses it (the split-verify tests import it too)
    url = postgres_server.create_database(f"ledger_pristine_{uuid4().hex[:8]}")
    store = Settings.load(url, str(directory / "c.key"))
    anchors, public, attacker = _build(store, directory)
    raw = RawStore("postgresql", url)
    saved = {table: raw.rows(f"SELECT * FROM {table}") for table in PG_RESTORED}

    def restore() -> None:
        """Put back the pristine rows (much faster than a database per example)."""
        with raw.connect() as c:
            c.execute(f"TRUNCATE {', '.join(PG_RESTORED)}")
            for table, rows in saved.items():
                with c.cursor() as cursor:
                    columns = ", ".join(["%s"] * len(rows[0]))
                    cursor.executemany(f"INSERT INTO {table} VALUES ({columns})", rows)

    def make_copy() -> tuple[Settings, RawStore, Any]:
        return store, raw, restore

    return Pristine(make_copy, anchors, public, attacker, "postgres")


# -- both backends ----------------------------------------------------------------------------
@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def pristine(request: pytest.FixtureRequest) -> Pristine:
    """The pristine store of each backend (PostgreSQL's only where its tests run)."""
    found: Pristine = request.getfixturevalue(f"{request.param}_pristine")
    return found


def drawn_tamperings(examples: int) -> Callable[[Pristine], None]:
    r"""A test that :func:`check`\ s ``examples`` tamperings drawn by Hypothesis against the
    ``pristine`` fixture's store (each module that imports it chooses its store and count)."""

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )
    @given(t=TAMPERINGS)
    def test(pristine: Pristine, t: Tampering) -> None:
        check(pristine, t)

    return test


test_every_tampering_is_detected_at_its_position = drawn_tamperings(DEFAULT_EXAMPLES)
test_every_tampering_is_detected_at_its_position_slow = pytest.mark.slow(
    drawn_tamperings(SLOW_EXAMPLES)
)


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_tampering_once(pristine: Pristine, kind: str) -> None:
    """Each kind once per backend; checkpoints dropped on SQLite and kept on PostgreSQL, so
    both variants are covered without doubling the cases."""
    check(pristine, Tampering(kind, 7, 23, 5, 3, pristine.backend == "sqlite", True))


@pytest.mark.parametrize("variant", range(MALFORM_VARIANTS))
def test_each_malformed_value_is_caught(pristine: Pristine, variant: int) -> None:
    check(pristine, Tampering("malformed", 11, variant, 0, 0, False, False))


@pytest.mark.postgres
def test_postgres_chain_follows_gaps_and_concurrent_writers(pg_url: str, tmp_path: Path) -> None:
    """A refused save burns a notification id; four writers race. The chain follows log
    order across the gap, serialised by the events table lock, and verifies intact."""
    store = Settings.load(pg_url, str(tmp_path / "c.key"))
    create_key_file(store.key_file)
    first = Socai(store)
    try:
        officer = worker(first, ACTOR)  # registered before the race
        users = first.log.head()
        case_id = first.cases.receive(ledger_receive_command(), officer)
        duplicate = first.store.recorder.select_events(case_id)[0]
        with pytest.raises(IntegrityError):
            first.store.recorder.insert_events([duplicate])  # refused: burns an id

        # Opened one by one: eventsourcing's CREATE OR REPLACE FUNCTION races otherwise.
        writers = [Socai(store) for _ in range(4)]

        def write(app: Socai) -> None:
            for _ in range(5):
                new = app.cases.receive(ledger_receive_command(), officer)
                app.cases.execute(new, RecordDemographics.parse(LEDGER_DEMOGRAPHICS), officer)

        try:
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(write, writers))
        finally:
            for app in writers:
                app.close()
        with ledger_tables(store) as tables:
            report = verify_store(tables, None)
            positions = [p for p, _, _ in tables.merged()]
        assert report.intact, report.findings
        assert report.events == users + 1 + 4 * 5 * 2
        assert positions[: users + 1] == list(range(1, users + 2))  # the users', the reception
        gap = users + 2  # the refused save's id: a gap the chain steps over
        assert positions[users + 1] == gap + 1, f"the refused save's id {gap} is a gap"
    finally:
        first.close()


# -- re-spellings: every column, every form a database accepts ------------------------------
#: (table, key column, column, kind of value) of every column the application or verify reads.
COLUMNS = (
    ("{e}", "{pos}", "originator_id", "text"),
    ("{e}", "{pos}", "originator_version", "int"),
    ("{e}", "{pos}", "topic", "text"),
    ("{e}", "{pos}", "state", "bytes"),
    ("ledger_chain", "position", "leaf_index", "int"),
    ("ledger_chain", "position", "prev_position", "int"),
    ("ledger_chain", "position", "recorded_at", "text"),
    ("ledger_chain", "position", "leaf_hash", "bytes"),
    ("ledger_chain", "position", "chain_hash", "bytes"),
)
#: Look-alikes a lenient parser may accept: full-width digits (``int()`` reads them) and
#: Cyrillic letters that render as Latin ones.
FULL_WIDTH_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
CYRILLIC_LOOK_ALIKES = str.maketrans("aceo", "асео")


def _uuid_forms(text: str) -> list[str]:
    try:
        value = UUID(text)
    except ValueError:
        return []
    return [str(value), value.hex, f"{{{value}}}", value.urn, str(value).upper()]


#: Re-spellings of a stored value, by kind: each keeps the meaning for a lenient parser.
RESPELLINGS: dict[str, Any] = {
    "text": lambda v: [
        v.upper(),
        v.lower(),
        v.swapcase(),
        f" {v}",
        f"{v} ",
        f"{v}\n",
        f"\t{v}",
        f"{v}\u200b",
        unicodedata.normalize("NFD", v),
        v.translate(FULL_WIDTH_DIGITS),
        v.translate(CYRILLIC_LOOK_ALIKES),
        "",
        None,
        *_uuid_forms(v),
    ],
    "int": lambda v: [str(v), f" {v}", f"{v} ", f"{v}.0", float(v), hex(v), "", None],
    "bytes": lambda v: [
        v.hex(),
        v + b"\x00",
        b"\x00" + v,
        b"",
        None,
        SqlExpr("CAST(x'00' AS TEXT)"),
    ],
}


def _raw_value(raw: RawStore, table: str, key: str, column: str, position: int) -> tuple[Any, ...]:
    """The stored value exactly (storage class and bytes on SQLite, text form on PostgreSQL)."""
    select = (
        f"SELECT typeof({column}), CAST({column} AS BLOB)"
        if raw.kind == "sqlite"
        else f"SELECT {column}::text"
    )
    return raw.rows(f"{select} FROM {table} WHERE {key} = ?", (position,))[0]


#: More than any kind has re-spellings (a variant beyond a kind's list is skipped).
MAX_RESPELLINGS = 20


def _respell_cases() -> list[tuple[int, int]]:
    return [(c, v) for c in range(len(COLUMNS)) for v in range(MAX_RESPELLINGS)]


def respelled(pristine: Pristine, column_index: int, variant: int) -> None:
    """Re-spell one column of one row; the change is either refused or normalised by the
    database (harmless: the stored value is what it was) or caught by verify at that row."""
    table, key, column, kind = COLUMNS[column_index]
    store, raw, cleanup = pristine.make_copy()
    try:
        position = raw.positions()[7]
        table, key = table.format(e=raw.events), key.format(pos=raw.pos)
        (original,) = raw.rows(f"SELECT {column} FROM {table} WHERE {key} = ?", (position,))[0]
        if isinstance(original, UUID | memoryview):
            original = str(original) if isinstance(original, UUID) else bytes(original)
        forms = RESPELLINGS[kind](original)
        assert len(forms) <= MAX_RESPELLINGS
        if variant >= len(forms):
            return
        value = forms[variant]
        before = _raw_value(raw, table, key, column, position)
        try:
            if raw.kind == "postgresql" and value is None:
                raw.run((f"ALTER TABLE {table} ALTER COLUMN {column} DROP NOT NULL", ()))
            if isinstance(value, SqlExpr):
                raw.run((f"UPDATE {table} SET {column} = {value.sql} WHERE {key} = ?", (position,)))
            else:
                raw.run((f"UPDATE {table} SET {column} = ? WHERE {key} = ?", (value, position)))
        except (sqlite3.Error, psycopg.Error):
            return  # refused by the database: nothing changed
        if _raw_value(raw, table, key, column, position) == before:
            return  # normalised by the database: every reader reads what the recorder wrote
        with ledger_tables(store) as tables:
            report = verify_store(tables, pristine.public_key, pristine.anchors)
        assert not report.intact, (column, variant)
        assert report.first is not None
        assert report.first.position == position, (column, variant, str(report.first))
    finally:
        cleanup()


@pytest.mark.parametrize(("column", "variant"), _respell_cases())
def test_every_respelling_of_every_column_is_harmless_or_caught(
    pristine: Pristine, column: int, variant: int
) -> None:
    respelled(pristine, column, variant)


def test_upper_case_originator_hiding_a_closure_is_caught_sqlite(
    sqlite_pristine: Pristine,
) -> None:
    """The reported attack: ``upper(originator_id)`` on a case's later events."""
    store, raw, cleanup = sqlite_pristine.make_copy()
    try:
        (case_id,) = raw.rows("SELECT originator_id FROM {e} ORDER BY {pos} LIMIT 1")[0]
        raw.run(
            (
                "UPDATE {e} SET originator_id = upper(originator_id)"
                " WHERE originator_id = ? AND originator_version >= 2",
                (case_id,),
            )
        )
        (hidden,) = raw.rows(
            "SELECT MIN({pos}) FROM {e} WHERE originator_id = upper(?)", (case_id,)
        )[0]
        with ledger_tables(store) as tables:
            report = verify_store(tables, sqlite_pristine.public_key, sqlite_pristine.anchors)
        assert report.first is not None
        assert (report.first.kind, report.first.position) == ("altered", hidden)
    finally:
        cleanup()


# -- checkpoint deletion: an unsigned tail, never "intact and signed" -----------------------
def deleted_checkpoints(pristine: Pristine) -> None:
    store, raw, cleanup = pristine.make_copy()
    try:
        raw.run(("DELETE FROM ledger_checkpoints", ()))
        raw.run(
            ("DELETE FROM {e} WHERE {pos} > ?", (raw.positions()[-3],)),  # and the last events
            ("DELETE FROM ledger_chain WHERE position > ?", (raw.positions()[-3],)),
        )
        with ledger_tables(store) as tables:
            alone = verify_store(tables, pristine.public_key)
            anchored = verify_store(tables, pristine.public_key, pristine.anchors)
        assert alone.intact
        left = pristine.anchors[-1].tree_size - 2  # every event but the two removed
        assert (alone.checkpoints_checked, alone.covered, alone.unsigned_tail) == (0, 0, left)
        assert not anchored.intact  # the inspector's anchors betray the removed tail
        assert anchored.first is not None
        assert anchored.first.kind == "truncated"
    finally:
        cleanup()


def test_deleted_checkpoints_leave_an_unsigned_tail(pristine: Pristine) -> None:
    deleted_checkpoints(pristine)
