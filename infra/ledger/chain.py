"""The hash chain (chuỗi băm), written in the same transaction as the events it covers.

Every stored event gets one row in ``ledger_chain``, keyed by its position in the
notification log:

* ``leaf_index`` — its place among all chained events (0, 1, 2, … with no gaps, whereas
  positions on PostgreSQL can skip ids burned by refused saves);
* ``prev_position`` — the position chained just before it (0 for the first), so a removed
  event is named by position;
* ``recorded_at`` — record time (thời điểm ghi), UTC, ISO-8601 text;
* ``leaf_hash`` — RFC 9162 leaf hash of the canonical leaf (:func:`hashing.leaf_bytes`);
* ``chain_hash`` — ``SHA-256(0x02 || previous chain_hash || leaf_hash)``.

Because the rows are inserted by the application recorder inside the transaction that
inserts the events (and after the insert, so the writer already holds SQLite's write lock or
PostgreSQL's EXCLUSIVE lock on the events table), the chain follows log order exactly and two
writers can never both extend the same head. A save that is refused writes neither events
nor chain rows.

The recorder classes are selected with eventsourcing's ``APPLICATION_RECORDER_TOPIC``
(:func:`recorder_env`), so every socai store is chained.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import PersistenceError, ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from infra.ledger.errors import LedgerError
from infra.ledger.hashing import CHAIN_GENESIS, chain_hash, stored_leaf_hash
from infra.ledger.verifier import VerificationError

log = logging.getLogger(__name__)

_UUID_HEX = re.compile("[0-9a-f]{32}")

CHAIN_TABLE = "ledger_chain"
NODES_TABLE = "ledger_nodes"
NODE_STATE_TABLE = "ledger_node_state"
CHECKPOINTS_TABLE = "ledger_checkpoints"
#: One row: the log's identity (origin), fixed once a checkpoint is signed under it.
LOG_TABLE = "ledger_log"

SQLITE_DDL = (
    f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} (position INTEGER PRIMARY KEY,"
    " leaf_index INTEGER NOT NULL UNIQUE, prev_position INTEGER NOT NULL,"
    " recorded_at TEXT NOT NULL, leaf_hash BLOB NOT NULL, chain_hash BLOB NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {NODES_TABLE} (level INTEGER NOT NULL, idx INTEGER NOT NULL,"
    " hash BLOB NOT NULL, PRIMARY KEY (level, idx)) WITHOUT ROWID",
    f"CREATE TABLE IF NOT EXISTS {NODE_STATE_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " size INTEGER NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS_TABLE} (tree_size INTEGER PRIMARY KEY,"
    " document TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {LOG_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1),"
    " origin TEXT NOT NULL)",
)

POSTGRES_DDL = (
    "CREATE TABLE IF NOT EXISTS {schema}.{chain} (position bigint PRIMARY KEY,"
    " leaf_index bigint NOT NULL UNIQUE, prev_position bigint NOT NULL,"
    " recorded_at text NOT NULL, leaf_hash bytea NOT NULL, chain_hash bytea NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {schema}.{nodes} (level int NOT NULL, idx bigint NOT NULL,"
    " hash bytea NOT NULL, PRIMARY KEY (level, idx))",
    "CREATE TABLE IF NOT EXISTS {schema}.{node_state} (id int PRIMARY KEY CHECK (id = 1),"
    " size bigint NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {schema}.{checkpoints} (tree_size bigint PRIMARY KEY,"
    " document text NOT NULL)",
    "CREATE TABLE IF NOT EXISTS {schema}.{log} (id int PRIMARY KEY CHECK (id = 1),"
    " origin text NOT NULL)",
)


def canonical_originator_id(value: object) -> str:
    """The id as it goes into a leaf: a UUID's canonical text (``str(uuid)``).

    Text that is no UUID (only a tampered row holds such) is kept as it is: it can never
    equal a canonical UUID text, so its leaf differs from the chained one."""
    if isinstance(value, UUID):
        return str(value)
    if not isinstance(value, str):  # a tampered SQLite row may hold any type
        return f"invalid:{value!r}"
    if _UUID_HEX.fullmatch(value):  # SQLite's uuid.hex: fast path
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    try:
        return str(UUID(value))
    except (TypeError, ValueError, AttributeError):
        return f"invalid:{value!r}"


def is_written_form(value: object) -> bool:
    """Whether a stored originator id is exactly what the chained recorders write: a ``uuid``
    value (PostgreSQL's uuid column) or the UUID's 32 lower-case hex digits (SQLite,
    ``uuid.hex``).

    The leaf holds the canonical text, so other texts of the same UUID (upper case, dashes,
    braces, ``urn:uuid:``, surrounding whitespace, full-width digits) hash alike; but the
    application selects a case's events by the exact stored text, so such a row silently
    drops out of its case. Verification therefore flags every id not in the written form."""
    if isinstance(value, UUID):
        return True
    return isinstance(value, str) and _UUID_HEX.fullmatch(value) is not None


def record_time() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class Head:
    """The last chained event: where the next one links on."""

    position: int = 0
    leaf_index: int = -1
    chain_hash: bytes = CHAIN_GENESIS

    @property
    def size(self) -> int:
        return self.leaf_index + 1


def link(
    head: Head, positions: Sequence[int], events: Sequence[StoredEvent], recorded_at: str
) -> tuple[list[tuple[int, int, int, str, bytes, bytes]], Head]:
    """Chain rows for events just inserted at ``positions`` after ``head``.

    Each leaf is hashed in one SHA-256 call over the bytes at hand
    (:func:`hashing.stored_leaf_hash`, byte for byte the leaf of :func:`hashing.leaf_bytes`);
    the record time is encoded once for the whole write."""
    assert len(positions) == len(events), (len(positions), len(events))
    moment = recorded_at.encode()
    previous, index, value = head.position, head.leaf_index, head.chain_hash
    rows = []
    for position, event in zip(positions, events, strict=True):
        if position <= previous:
            raise LedgerError(
                f"refusing to write: the new event's position {position} does not follow the"
                f" chain head {previous} (the end of the log was tampered with)",
                hint="run `socai audit verify`; nothing of this write was stored",
            )
        version = event.originator_version
        assert version >= 0, version
        state = event.state
        digest = stored_leaf_hash(
            position,
            canonical_originator_id(event.originator_id).encode(),
            version,
            event.topic.encode(),
            state if type(state) is bytes else bytes(state),
            moment,
        )
        value = chain_hash(value, digest)
        index += 1
        rows.append((position, index, previous, recorded_at, digest, value))
        previous = position
    return rows, Head(previous, index, value)


def head_of(row: Any) -> Head:
    if row is None:
        return Head()
    return Head(int(row["position"]), int(row["leaf_index"]), bytes(row["chain_hash"]))


#: Called after a committed append with the number of events appended (checkpoint policy).
AfterAppend = Callable[[int], None]
#: Called with the cursor of a write's transaction once its events and chain rows are
#: inserted, before the commit: what it writes commits with them, and what it raises undoes
#: the whole write (the store's person key table: a new person's key and sealed record).
InTransaction = Callable[[Any], None]


class _AfterAppendMixin:
    """Runs the checkpoint policy after a write has committed; its failure never undoes or
    hides a committed write (it is logged, and ``socai audit checkpoint`` retries).

    Invariant: what runs here touches only the store (no network): publishing a checkpoint
    is the relay's job, never an officer's write's."""

    after_append: AfterAppend | None = None
    in_transaction: InTransaction | None = None

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions: Sequence[int] | None
        # a mixin: the recorder after it in the MRO defines insert_events (hence the ignore)
        positions = super().insert_events(stored_events, **kwargs)  # type: ignore[misc]
        self._after_commit(len(stored_events))
        return positions

    def _after_commit(self, count: int) -> None:
        if self.after_append is None or count == 0:
            return
        try:
            self.after_append(count)
        except (LedgerError, VerificationError, PersistenceError) as error:
            log.warning("automatic ledger checkpoint failed: %s", error)


class ChainedSQLiteRecorder(_AfterAppendMixin, SQLiteApplicationRecorder):
    """SQLite application recorder that chains every event in the writing transaction."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self.select_head_statement = (
            "SELECT position, CAST(leaf_index AS INTEGER) AS leaf_index,"
            f" CAST(chain_hash AS BLOB) AS chain_hash FROM {CHAIN_TABLE}"
            " ORDER BY position DESC LIMIT 1"
        )
        self.insert_chain_statement = f"INSERT INTO {CHAIN_TABLE} VALUES (?,?,?,?,?,?)"

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *SQLITE_DDL]

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The library's query of one aggregate's events, run as the one statement it is,
        without the BEGIN and ROLLBACK the library puts around it: a single SELECT reads one
        snapshot by itself (the connections are in autocommit mode), so the rows are the
        same, and every write's loads (the case's and the user's fast-forward) save two
        statements each."""
        statement = self.select_events_statement
        params: list[Any] = [
            originator_id.hex if isinstance(originator_id, UUID) else originator_id
        ]
        if gt is not None:
            statement += "AND originator_version>? "
            params.append(gt)
        if lte is not None:
            statement += "AND originator_version<=? "
            params.append(lte)
        statement += "ORDER BY originator_version " + ("DESC " if desc else "ASC ")
        if limit is not None:
            statement += "LIMIT ? "
            params.append(limit)
        with self.datastore.get_connection(commit=False) as connection, connection.cursor() as c:
            c.execute(statement, params)
            return [
                StoredEvent(
                    originator_id=self.convert_originator_id(row["originator_id"]),
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=row["state"],
                )
                for row in c.fetchall()
            ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        positions = super()._insert_events(c, stored_events, **kwargs)
        assert positions is not None
        assert len(positions) == len(stored_events)
        c.execute(self.select_head_statement)
        rows, _ = link(head_of(c.fetchone()), positions, stored_events, record_time())
        c.executemany(self.insert_chain_statement, rows)
        if self.in_transaction is not None:
            self.in_transaction(c)
        return positions


class ChainedPostgresRecorder(_AfterAppendMixin, PostgresApplicationRecorder):
    """PostgreSQL application recorder that chains every event in the writing transaction.

    The parent takes ``LOCK TABLE … IN EXCLUSIVE MODE`` on the events table before
    inserting, so reading the chain head after the insert is serialised across writers.
    """

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        if datastore.enable_db_functions:
            raise LedgerError(
                "the ledger cannot chain events written by the database insert function",
                hint="unset POSTGRES_ENABLE_DB_FUNCTIONS for socai stores",
            )
        names = {
            "schema": Identifier(datastore.schema),
            "chain": Identifier(CHAIN_TABLE),
            "nodes": Identifier(NODES_TABLE),
            "node_state": Identifier(NODE_STATE_TABLE),
            "checkpoints": Identifier(CHECKPOINTS_TABLE),
            "log": Identifier(LOG_TABLE),
        }
        self.sql_create_statements.extend(SQL(ddl).format(**names) for ddl in POSTGRES_DDL)
        self.select_head_statement = SQL(
            "SELECT position, leaf_index, chain_hash FROM {schema}.{chain}"
            " ORDER BY position DESC LIMIT 1"
        ).format(**names)
        # The events' INSERT returns the chain head with the new positions: one statement,
        # one round trip, read under the table lock (taken by the statement before it) and
        # in the INSERT's own snapshot, so it is the head every earlier writer committed.
        self.insert_events_statement = (
            SQL("WITH head AS (")
            + self.select_head_statement
            + SQL(") ")
            + self.insert_events_statement
            + SQL(
                ", (SELECT position FROM head) AS head_position,"
                " (SELECT leaf_index FROM head) AS head_leaf_index,"
                " (SELECT chain_hash FROM head) AS head_chain_hash"
            )
        )
        self.insert_chain_statement = SQL(
            "INSERT INTO {schema}.{chain} VALUES (%s,%s,%s,%s,%s,%s)"
        ).format(**names)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        assert curs.statusmessage, "the events' INSERT ran"
        assert curs.statusmessage.startswith("INSERT"), curs.statusmessage
        returned = curs.fetchall()
        if len(returned) != len(stored_events):
            raise ProgrammingError(
                f"Couldn't get all notification IDs (got {len(returned)},"
                f" expected {len(stored_events)})"
            )
        positions = [row["notification_id"] for row in returned]
        first = returned[0]
        head = (
            Head()
            if first["head_position"] is None
            else Head(
                int(first["head_position"]),
                int(first["head_leaf_index"]),
                bytes(first["head_chain_hash"]),
            )
        )
        # RETURNING gives the ids in insert order; the chain needs them ascending.
        order = sorted(range(len(positions)), key=positions.__getitem__)
        rows, _ = link(
            head,
            [positions[i] for i in order],
            [stored_events[i] for i in order],
            record_time(),
        )
        self._insert_chain(curs, rows)
        return positions

    def _insert_chain(self, curs: Cursor[DictRow], rows: list[tuple[Any, ...]]) -> None:
        curs.executemany(self.insert_chain_statement, rows)
        if self.in_transaction is not None:
            self.in_transaction(curs)


def recorder_env(store_kind: str) -> dict[str, str]:
    """The eventsourcing setting that makes a store of this kind chained."""
    recorder = {"sqlite": ChainedSQLiteRecorder, "postgresql": ChainedPostgresRecorder}[store_kind]
    return {"APPLICATION_RECORDER_TOPIC": f"{recorder.__module__}:{recorder.__qualname__}"}


def chained(recorder: object) -> ChainedSQLiteRecorder | ChainedPostgresRecorder:
    if not isinstance(recorder, ChainedSQLiteRecorder | ChainedPostgresRecorder):
        raise LedgerError(
            f"the store's recorder {type(recorder).__name__} keeps no hash chain",
            hint="open the store through socai (infra.services) or infra.ledger",
        )
    return recorder
