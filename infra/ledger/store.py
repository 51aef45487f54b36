"""Reading and extending the ledger tables of a store, on SQLite and PostgreSQL alike.

:class:`LedgerTables` reads the *raw* rows (events joined to their chain rows by position,
never through the application, so no decryption key is needed and nothing the application
filters is hidden), keeps the Merkle node cache (``ledger_nodes``: hashes of perfect subtrees,
derived from the chain's leaf hashes, so proofs over a million events need only a few dozen
lookups) and stores signed checkpoints.

The node cache and the checkpoint table are conveniences, not trust anchors: ``socai audit
verify`` recomputes everything from the event rows, and checkpoints are trusted only through
their signature by the operator's key.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteConnectionPool, SQLiteDatastore
from psycopg.rows import tuple_row

from infra.ledger.chain import (
    CHAIN_TABLE,
    CHECKPOINTS_TABLE,
    LOG_TABLE,
    NODE_STATE_TABLE,
    NODES_TABLE,
    POSTGRES_DDL,
    SQLITE_DDL,
    ChainedPostgresRecorder,
    ChainedSQLiteRecorder,
    Head,
    canonical_originator_id,
    chained,
    head_of,
    is_written_form,
)
from infra.ledger.errors import LedgerError
from infra.ledger.hashing import node_hash
from infra.ledger.origin import check_origin, generated_origin
from infra.ledger.verifier import (
    Checkpoint,
    NoteCheckpoint,
    checkpoint_from_bytes,
)

#: Rows read per query when scanning the log (bounded memory for any log size).
SCAN_PAGE_ROWS = 5_000
#: Rows per page of the fast verification scan (plain tuples; about 10 MiB a page).
FAST_SCAN_PAGE_ROWS = 20_000
#: Columns the leaf and the chain row are recomputed from, with the Python type each must have
#: (UUID: the originator id, a uuid column on PostgreSQL and hex text on SQLite).
EVENT_COLUMNS: tuple[tuple[str, type], ...] = (
    ("originator_id", UUID),
    ("originator_version", int),
    ("topic", str),
    ("state", bytes),
)
CHAIN_COLUMNS: tuple[tuple[str, type], ...] = (
    ("leaf_index", int),
    ("prev_position", int),
    ("recorded_at", str),
    ("leaf_hash", bytes),
    ("chain_hash", bytes),
)


class UnreadableRow(Exception):
    """A stored value the database driver cannot read as its column's type (tampering)."""


@dataclass(frozen=True, slots=True)
class EventRow:
    """One raw stored event: what the leaf commits to (state stays encrypted).

    ``originator_id`` is the id's canonical text, as the leaf holds it;
    ``originator_as_written`` says whether the stored id is byte for byte the form the
    recorder writes (see :func:`chain.is_written_form`). Version, topic and state are the
    exact stored values, so the leaf itself commits to every byte of them."""

    position: int
    originator_id: str
    version: int | None  # None: NULL or a value of the wrong type (tampered)
    topic: str | None
    state: bytes | None
    originator_as_written: bool


@dataclass(frozen=True, slots=True)
class ChainRow:
    position: int
    leaf_index: int | None  # None: NULL or a value of the wrong type (tampered)
    prev_position: int | None
    recorded_at: str | None
    leaf_hash: bytes | None
    chain_hash: bytes | None


@dataclass(frozen=True, slots=True)
class _Dialect:
    param: str
    position: str  # the events table's position column
    events: str
    chain: str
    nodes: str
    node_state: str
    checkpoints: str
    log: str
    insert_ignore: str
    on_conflict_ignore: str
    greatest: str


def _dialect(recorder: ChainedSQLiteRecorder | ChainedPostgresRecorder) -> _Dialect:
    if isinstance(recorder, ChainedSQLiteRecorder):
        return _Dialect(
            "?",
            "rowid",
            recorder.events_table_name,
            CHAIN_TABLE,
            NODES_TABLE,
            NODE_STATE_TABLE,
            CHECKPOINTS_TABLE,
            LOG_TABLE,
            "INSERT OR IGNORE",
            "",
            "MAX",
        )
    schema = f'"{recorder.datastore.schema}".'

    def qualified(table: str) -> str:
        return f'{schema}"{table}"'

    return _Dialect(
        "%s",
        "notification_id",
        qualified(recorder.events_table_name),
        qualified(CHAIN_TABLE),
        qualified(NODES_TABLE),
        qualified(NODE_STATE_TABLE),
        qualified(CHECKPOINTS_TABLE),
        qualified(LOG_TABLE),
        "INSERT",
        " ON CONFLICT DO NOTHING",
        "GREATEST",
    )


class LedgerTables:
    """The ledger tables of one store, reached through its chained recorder."""

    def __init__(self, recorder: object) -> None:
        self.recorder = chained(recorder)
        self.kind = "sqlite" if isinstance(self.recorder, ChainedSQLiteRecorder) else "postgresql"
        self.d = _dialect(self.recorder)

    def _sql(self, text: str) -> str:
        return text.format(d=self.d, p=self.d.param)

    @contextmanager
    def cursor(self, *, commit: bool = False) -> Iterator[Any]:
        with self.recorder.datastore.transaction(commit=commit) as cursor:
            yield cursor

    def _all(self, text: str, params: Sequence[Any] = ()) -> list[Any]:
        with self.cursor() as c:
            c.execute(self._sql(text), params)
            return list(c.fetchall())

    # -- the chain -----------------------------------------------------------------------

    def head(self) -> Head:
        rows = self._all(
            f"SELECT position, {self._int('leaf_index')} AS leaf_index,"
            f" {self._blob('chain_hash')} AS chain_hash"
            " FROM {d.chain} ORDER BY position DESC LIMIT 1"
        )
        return head_of(rows[0] if rows else None)

    def _blob(self, column: str) -> str:
        """On SQLite a tampered BLOB column may hold text that is not UTF-8: read bytes."""
        return f"CAST({column} AS BLOB)" if self.kind == "sqlite" else column

    def _int(self, column: str) -> str:
        return f"CAST({column} AS INTEGER)" if self.kind == "sqlite" else column

    def _typed(self, columns: tuple[tuple[str, type], ...]) -> str:
        """Select list that survives any value: on SQLite (whose columns accept anything,
        including text that is not UTF-8) each column comes as raw bytes plus its type."""
        if self.kind == "sqlite":
            return ", ".join(f"typeof({c}) AS {c}__t, CAST({c} AS BLOB) AS {c}" for c, _ in columns)
        return ", ".join(c for c, _ in columns)

    def _values(self, row: Any, columns: tuple[tuple[str, type], ...]) -> list[Any]:
        if self.kind == "sqlite":
            return [_from_sqlite(kind, row[f"{c}__t"], row[c]) for c, kind in columns]
        return [row[c] if kind is UUID else _as(kind, row[c]) for c, kind in columns]

    def event_rows(self, after: int, limit: int = SCAN_PAGE_ROWS) -> list[EventRow]:
        rows = self._all(
            "SELECT {d.position} AS position, " + self._typed(EVENT_COLUMNS) + " FROM {d.events}"
            " WHERE {d.position} > {p} ORDER BY {d.position} LIMIT {p}",
            (after, limit),
        )
        events = []
        for r in rows:
            originator, version, topic, state = self._values(r, EVENT_COLUMNS)
            identity = "invalid:NULL" if originator is None else canonical_originator_id(originator)
            events.append(
                EventRow(
                    int(r["position"]), identity, version, topic, state, is_written_form(originator)
                )
            )
        return events

    def chain_rows(self, after: int, limit: int = SCAN_PAGE_ROWS) -> list[ChainRow]:
        rows = self._all(
            "SELECT position, " + self._typed(CHAIN_COLUMNS) + " FROM {d.chain}"
            " WHERE position > {p} ORDER BY position LIMIT {p}",
            (after, limit),
        )
        return [ChainRow(int(r["position"]), *self._values(r, CHAIN_COLUMNS)) for r in rows]

    def merged(
        self, page_rows: int = SCAN_PAGE_ROWS
    ) -> Iterator[tuple[int, EventRow | None, ChainRow | None]]:
        """Every position present in either table, ascending, with its event and chain row
        (``None`` where one side is missing)."""
        events = _paged(lambda after: self.event_rows(after, page_rows))
        chain = _paged(lambda after: self.chain_rows(after, page_rows))
        event, link = next(events, None), next(chain, None)
        while event is not None or link is not None:
            if link is None or (event is not None and event.position < link.position):
                assert event is not None
                yield event.position, event, None
                event = next(events, None)
            elif event is None or link.position < event.position:
                yield link.position, None, link
                link = next(chain, None)
            else:
                yield event.position, event, link
                event, link = next(events, None), next(chain, None)

    def raw_pages(
        self, page_rows: int = FAST_SCAN_PAGE_ROWS, after: int = 0, until: int | None = None
    ) -> Generator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]], None, None]:
        """Both tables page by page as plain tuples, in one read transaction, for the
        verifier's fast pass: up to ``page_rows`` events ``(position, originator id as text,
        version, topic, state)`` and the chain rows ``(position, leaf_index, prev_position,
        recorded_at, leaf_hash, chain_hash)`` of the same position range (a few more when rows
        were inserted: the pass then sees the lists differ). After the last event, the chain
        rows past it, if any. Values are as the driver returns them, unchecked: the caller
        checks every type and falls back to :meth:`merged` on anything unexpected. A value
        the driver cannot even read (SQLite text that is not UTF-8) raises
        :class:`UnreadableRow`.

        On PostgreSQL the originator id is read as ``uuid::text`` (the canonical form); on
        SQLite as stored (the 32 hex digits the recorder writes, or whatever was planted).

        ``after`` and ``until`` bound the positions read (``after < position <= until``): one
        part of the log, for a verifier that checks the parts in parallel."""
        originator = "originator_id" if self.kind == "sqlite" else "originator_id::text"
        bound = "" if until is None else f" AND {{d.position}} <= {int(until)}"
        events_sql = self._sql(
            "SELECT {d.position}, " + originator + ", originator_version, topic, state"
            " FROM {d.events} WHERE {d.position} > {p}" + bound + " ORDER BY {d.position} LIMIT {p}"
        )
        chain_sql = self._sql(
            "SELECT position, leaf_index, prev_position, recorded_at, leaf_hash, chain_hash"
            " FROM {d.chain} WHERE position > {p} AND position <= {p} ORDER BY position LIMIT {p}"
        )
        tail_sql = self._sql(
            "SELECT position, leaf_index, prev_position, recorded_at, leaf_hash, chain_hash"
            " FROM {d.chain} WHERE position > {p}"
            + bound.replace("{d.position}", "position")
            + " ORDER BY position LIMIT {p}"
        )
        with self.cursor() as c:
            if self.kind == "sqlite":
                c = c.sqlite_cursor  # the library's wrapper of a sqlite3 cursor
                c.row_factory = None
            else:
                c.row_factory = tuple_row
            try:
                while True:
                    c.execute(events_sql, (after, page_rows))
                    events = c.fetchall()
                    if not events:
                        c.execute(tail_sql, (after, 1))
                        links = c.fetchall()
                        if links:
                            yield [], links
                        return
                    last = events[-1][0]
                    c.execute(chain_sql, (after, last, page_rows + 1))
                    yield events, c.fetchall()
                    after = last
            except (sqlite3.Error, psycopg.DataError) as error:
                raise UnreadableRow(str(error)) from error

    def link_at_or_before(self, position: int) -> tuple[Any, ...] | None:
        """The raw chain row ``(position, leaf_index, chain_hash)`` at or before ``position``
        (unchecked values; None when there is none): where a part of the log links on."""
        rows = self._all(
            f"SELECT position, leaf_index, {self._blob('chain_hash')} FROM {{d.chain}}"
            " WHERE position <= {p}"
            " ORDER BY position DESC LIMIT 1",
            (position,),
        )
        if not rows:
            return None
        row = rows[0]  # a dict on PostgreSQL (the datastore's row factory), else a row
        return tuple(row.values()) if isinstance(row, dict) else tuple(row)

    @property
    def sqlite_file(self) -> str | None:
        """The SQLite database another process can open (None: PostgreSQL or in memory)."""
        if self.kind != "sqlite":
            return None
        pool = self.recorder.datastore.pool
        if not isinstance(pool, SQLiteConnectionPool) or pool.is_sqlite_memory_mode:
            return None
        return str(pool.db_name)

    @property
    def reopenable(self) -> bool:
        """Whether another process can open this store (:meth:`reopened`): a SQLite file or a
        PostgreSQL database, not an in-memory SQLite one."""
        return self.kind == "postgresql" or self.sqlite_file is not None

    def reopened(self) -> LedgerTables:
        """The same store's ledger tables on a connection of their own: for a forked worker
        process (the verifier's second part), which must never use the connections it
        inherited. The close of the returned tables' datastore is the caller's."""
        if self.kind == "sqlite":
            path = self.sqlite_file
            assert path is not None, "an in-memory SQLite store cannot be reopened"
            return LedgerTables(ChainedSQLiteRecorder(SQLiteDatastore(path)))
        datastore = self.recorder.datastore
        assert isinstance(datastore, PostgresDatastore)
        pool = datastore.pool
        settings = pool.kwargs() if callable(pool.kwargs) else dict(pool.kwargs or {})
        password = pool.get_password_func() if pool.get_password_func else settings["password"]
        fresh = PostgresDatastore(
            settings["dbname"],
            settings["host"],
            settings["port"],
            settings["user"],
            password,
            schema=datastore.schema,
            originator_id_type="text" if datastore.originator_id_type == "text" else "uuid",
        )
        name = self.recorder.events_table_name
        return LedgerTables(ChainedPostgresRecorder(fresh, events_table_name=name))

    def count_rows(self) -> tuple[int, int]:
        """(events, chain rows): for progress reporting."""
        events = self._all("SELECT COUNT(*) AS n FROM {d.events}")[0]["n"]
        links = self._all("SELECT COUNT(*) AS n FROM {d.chain}")[0]["n"]
        return int(events), int(links)

    def entry_at(self, position: int) -> tuple[EventRow, ChainRow]:
        rows = self.event_rows(position - 1, 1)
        links = self.chain_rows(position - 1, 1)
        if not rows or rows[0].position != position or not links or links[0].position != position:
            raise LedgerError(
                f"no chained event at position {position}",
                hint="positions are those of the notification log (1, 2, …)",
            )
        return rows[0], links[0]

    def leaf_hashes(self, start: int, end: int) -> list[bytes]:
        """Stored leaf hashes of leaves ``start`` ≤ index < ``end``."""
        rows = self._all(
            f"SELECT leaf_index, {self._blob('leaf_hash')} AS leaf_hash FROM {{d.chain}}"
            " WHERE leaf_index >= {p}"
            " AND leaf_index < {p} ORDER BY leaf_index",
            (start, end),
        )
        if len(rows) != end - start or (rows and int(rows[0]["leaf_index"]) != start):
            raise LedgerError(
                f"the chain lacks leaves between {start} and {end}", hint="run `socai audit verify`"
            )
        return [bytes(r["leaf_hash"]) for r in rows]

    # -- Merkle node cache ---------------------------------------------------------------

    def perfect(self, level: int, index: int) -> bytes:
        """Hash of the perfect subtree of ``2**level`` leaves starting at ``index << level``."""
        if level == 0:
            rows = self._all(
                f"SELECT {self._blob('leaf_hash')} AS hash FROM {{d.chain}}"
                " WHERE leaf_index = {p}",
                (index,),
            )
        else:
            rows = self._all(
                f"SELECT {self._blob('hash')} AS hash FROM {{d.nodes}} WHERE level = {{p}} AND"
                " idx = {p}",
                (level, index),
            )
        if not rows:
            raise LedgerError(
                f"the Merkle node cache lacks node ({level}, {index})",
                hint="run `socai audit checkpoint` to extend it",
            )
        return bytes(rows[0]["hash"])

    def node_cache_size(self) -> int:
        rows = self._all("SELECT size FROM {d.node_state} WHERE id = 1")
        return int(rows[0]["size"]) if rows else 0

    def extend_nodes(self, to_size: int, page_rows: int = SCAN_PAGE_ROWS) -> None:
        """Add the perfect-subtree hashes of leaves up to ``to_size`` to the node cache."""
        size = self.node_cache_size()
        if to_size <= size:
            return
        stack: list[tuple[int, int, bytes]] = []  # (level, index, hash), highest level first
        for level in reversed(range(size.bit_length())):
            if size >> level & 1:
                index = (size >> level) - 1
                stack.append((level, index, self.perfect(level, index)))
        insert = self._sql(
            "{d.insert_ignore} INTO {d.nodes} VALUES ({p}, {p}, {p}){d.on_conflict_ignore}"
        )
        upsert = self._sql(
            "INSERT INTO {d.node_state} VALUES (1, {p}) ON CONFLICT (id) DO"
            " UPDATE SET size = {d.greatest}({d.node_state}.size, excluded.size)"
        )
        if self.kind == "sqlite":
            upsert = upsert.replace(f"{self.d.node_state}.size", "size")
        while size < to_size:
            end = min(size + page_rows, to_size)
            created: list[tuple[int, int, bytes]] = []
            for offset, digest in enumerate(self.leaf_hashes(size, end)):
                level, index, node = 0, size + offset, digest
                while stack and stack[-1][0] == level:
                    _, _, left = stack.pop()
                    level, index, node = level + 1, index >> 1, node_hash(left, node)
                    created.append((level, index, node))
                stack.append((level, index, node))
            with self.cursor(commit=True) as c:
                c.executemany(insert, created)
                c.execute(upsert, (end,))
            size = end

    # -- checkpoints ---------------------------------------------------------------------

    def checkpoint_documents(self) -> list[tuple[int, str]]:
        """(tree size, document) of every stored checkpoint: a signed note, or the earlier
        JSON. Verbatim, as signed (the relay and ``export-checkpoints`` hand these out)."""
        rows = self._all("SELECT tree_size, document FROM {d.checkpoints} ORDER BY tree_size")
        return [(int(r["tree_size"]), _as_text(r["document"])) for r in rows]

    def checkpoints(self) -> list[Checkpoint]:
        """The stored checkpoints (parsed; a malformed one raises VerificationError)."""
        return [checkpoint_from_bytes(text.encode()) for _, text in self.checkpoint_documents()]

    def put_checkpoint(self, checkpoint: NoteCheckpoint) -> None:
        with self.cursor(commit=True) as c:
            c.execute(
                self._sql(
                    "{d.insert_ignore} INTO {d.checkpoints} VALUES ({p}, {p}){d.on_conflict_ignore}"
                ),
                (checkpoint.tree_size, checkpoint.serialize().decode()),
            )

    def replace_checkpoint(self, stored: NoteCheckpoint, cosigned: NoteCheckpoint) -> None:
        """Store ``cosigned`` (the same note text with more signature lines) in place of
        ``stored``, only if ``stored`` is still what the table holds (no lost update)."""
        assert cosigned.note.text == stored.note.text
        assert set(stored.note.signatures) <= set(cosigned.note.signatures)
        with self.cursor(commit=True) as c:
            c.execute(
                self._sql(
                    "UPDATE {d.checkpoints} SET document = {p} WHERE tree_size = {p}"
                    " AND document = {p}"
                ),
                (
                    cosigned.serialize().decode(),
                    stored.tree_size,
                    stored.serialize().decode(),
                ),
            )
            c.execute(
                self._sql("SELECT document FROM {d.checkpoints} WHERE tree_size = {p}"),
                (stored.tree_size,),
            )
            if [row["document"] for row in c.fetchall()] != [cosigned.serialize().decode()]:
                raise LedgerError(
                    f"the stored checkpoint of size {stored.tree_size} changed meanwhile",
                    hint="run the command again",
                )

    # -- the log's identity ---------------------------------------------------------------

    def origin(self) -> str | None:
        """The stored origin; None for a store made before origins (until it signs)."""
        if not self._has_log_table():
            return None
        rows = self._all("SELECT origin FROM {d.log} WHERE id = 1")
        return str(rows[0]["origin"]) if rows else None

    def ensure_origin(self) -> str:
        """The stored origin, generating and storing one if the store has none yet."""
        stored = self.origin()
        if stored is not None:
            return stored
        self._create_log_table()
        with self.cursor(commit=True) as c:
            c.execute(
                self._sql("{d.insert_ignore} INTO {d.log} VALUES (1, {p}){d.on_conflict_ignore}"),
                (generated_origin(self._label()),),
            )
        stored = self.origin()
        assert stored is not None
        return stored

    def set_origin(self, origin: str) -> None:
        """Choose the origin; refused once a C2SP checkpoint was signed under another one."""
        check_origin(origin)
        signed = {cp.origin for cp in self.checkpoints() if isinstance(cp, NoteCheckpoint)}
        if signed - {origin}:
            raise LedgerError(
                f"checkpoints are already signed as the log {sorted(signed)[0]!r}",
                hint="a log keeps its origin for life; start a new store for a new name",
            )
        self._create_log_table()
        with self.cursor(commit=True) as c:
            c.execute(self._sql("DELETE FROM {d.log}"))
            c.execute(self._sql("INSERT INTO {d.log} VALUES (1, {p})"), (origin,))

    def _label(self) -> str:
        if isinstance(self.recorder, ChainedSQLiteRecorder):
            return Path(self.recorder.datastore.pool.db_name).stem
        return str(self.recorder.datastore.schema)

    def _has_log_table(self) -> bool:
        if self.kind == "sqlite":
            query = "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = {p}"
            return bool(self._all(query, (LOG_TABLE,)))
        return self._all("SELECT to_regclass({p}) AS x", (self.d.log,))[0]["x"] is not None

    def _create_log_table(self) -> None:
        if isinstance(self.recorder, ChainedSQLiteRecorder):
            ddl = next(s for s in SQLITE_DDL if LOG_TABLE in s)
        else:
            ddl = next(s for s in POSTGRES_DDL if "{log}" in s).format(
                schema=f'"{self.recorder.datastore.schema}"', log=f'"{LOG_TABLE}"'
            )
        with self.cursor(commit=True) as c:
            c.execute(ddl)


def _as(kind: type, value: Any) -> Any:
    """``value`` as ``kind`` (int, str or bytes), or None when a tampered row holds NULL or a
    value of another type (SQLite columns accept anything)."""
    if type(value) is kind:  # the usual case, first: this runs for every column of every row
        return value
    if kind is bytes and isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is str and isinstance(value, str):
        return value
    return None


def _from_sqlite(kind: type, sqlite_type: str, raw: bytes | None) -> Any:
    """A SQLite value read as ``CAST(x AS BLOB)`` with ``typeof(x)``, or None when it is NULL,
    of another storage class, or text that is not UTF-8."""
    if raw is None:
        return None
    if kind is bytes:
        return bytes(raw) if sqlite_type == "blob" else None
    if kind is int:
        return int(raw) if sqlite_type == "integer" else None
    if sqlite_type != "text":
        return None
    try:
        return bytes(raw).decode()
    except UnicodeDecodeError:
        return None


def _paged(fetch: Any) -> Iterator[Any]:
    after = 0
    while True:
        page = fetch(after)
        if not page:
            return
        yield from page
        after = page[-1].position


def _as_text(document: object) -> str:
    """A stored checkpoint document as text. The recorder stores text; anything else (a
    SQLite cell re-typed as a blob or a number by someone editing the file) is turned into
    text that no checkpoint parser accepts, so verification reports it instead of crashing."""
    if isinstance(document, str):
        return document
    if isinstance(document, bytes):
        try:
            return document.decode("utf-8")
        except UnicodeDecodeError:
            return f"not text: {document!r}"
    return f"not text: {document!r}"
