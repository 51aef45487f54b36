"""The projection framework: read models (bảng tổng hợp) built from events, with tracked positions.

A *projection* is a named read model: its SQL tables (one SQLAlchemy ``MetaData``), the event
topics it cares about, and ``apply(session, events)`` that turns a batch of decoded domain
events into row changes inside the caller's transaction. It never reads the clock, never
reads the event store, and never holds personal data (name, identity number, address, phone):
only the pseudonymous case id.

Exactly-once by construction: a driver applies a batch of events *and* records the position
it reached in ``projection_positions`` in the same database transaction. After a crash the
transaction either happened (position and rows) or did not (neither), so a restart resumes
from the recorded position and neither skips nor double-counts. A position is generic — a
``(projection, source, partition) → position`` row — so the same code is driven by:

- :class:`InProcessRunner` polling the event store's notification log through the
  :class:`~projections.eventlog.EventLog` port (source ``"socai"``, partition 0, position =
  notification id; the embedded default), or
- a Kafka consumer (source = topic, partition = partition, position = consumed offset), which
  calls :func:`apply_batch` with its own :class:`Position`.

A projection may *defer* rows it derives from many events (a case's status): it lists
what it owes in a working table in the same transaction and writes those rows when it is
settled (:func:`settle`) — after every batch for a live driver, once at the end of a
catch-up (:meth:`InProcessRunner.run`) — so that a rebuild writes them once, not per batch.

Where the tables live: by default a separate SQLite file beside the event store
(``<store>.projections.db``); with a PostgreSQL store, the same PostgreSQL database (see
``infra/projection_db.py``). A projection can always be dropped and rebuilt from the events.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from typing import Any, Protocol

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    Dialect,
    Engine,
    MetaData,
    String,
    Table,
    and_,
    select,
    text,
)
from sqlalchemy.dialects.sqlite import DATE as SQLiteDate
from sqlalchemy.orm import Session

from projections import definitions
from projections.collector import catch_up_pace, collector_paused
from projections.eventlog import DomainEvent, EventLog

log = logging.getLogger("socai.projections")

#: Notifications decoded and applied per database transaction. Bigger batches amortise the
#: commit; the cost is redoing at most this many events after a crash.
BATCH_SIZE_EVENTS = 1_000

#: Batch size for a rebuild from zero: nobody reads the tables meanwhile, so bigger
#: transactions (fewer commits, fewer re-reads of a case's steps) win; since the fourth
#: round a catch-up writes a case's derived rows once, when it settles, not per batch.
#: Measured at 200 k events on SQLite (third round, docs/PERFORMANCE.md): 5,000 → 7,285
#: ev/s, 438 MiB; 10,000 → 8,222 ev/s, 456 MiB; 20,000 → 7,780 ev/s, 484 MiB (the larger
#: page costs more than it saves).
REBUILD_BATCH_SIZE_EVENTS = 10_000

#: The source name of the event store's own notification log.
NOTIFICATION_LOG_SOURCE = "socai"

position_metadata = MetaData()

#: One row per (projection, source, partition): the last position applied, committed in the
#: same transaction as the projection's rows.
projection_positions = Table(
    "projection_positions",
    position_metadata,
    Column("name", String(64), primary_key=True),
    Column("source", String(128), primary_key=True),
    Column("partition", BigInteger, primary_key=True),
    Column("position", BigInteger, nullable=False),
)


class Projection(Protocol):
    """What every projection provides."""

    #: Stable name; the key of its position rows (at most 64 characters).
    name: str
    #: The projection's own tables (dropped and re-created by a rebuild).
    metadata: MetaData
    #: Event topics it applies; others are skipped without decoding.
    topics: tuple[str, ...]

    def apply(self, session: Session, events: Sequence[Any]) -> None:
        """Apply decoded events, in log order, as row changes in ``session``'s transaction.

        Must be deterministic: the same events give the same rows whatever the batching.
        """
        ...


#: Optional on a projection: ``settle(session)`` writes what ``apply`` deferred (rows derived
#: from the state of many events, written once when the batches end rather than in every
#: batch), in the caller's transaction; and ``working_metadata``, tables the projection keeps
#: for itself (what it still owes, say): created, dropped and part of the definition digest
#: like its own tables, but not content (not in :func:`content_digest`, not verified), and
#: empty once settled. A driver settles before the tables are read: :func:`apply_batch` by
#: default after every batch, :meth:`InProcessRunner.run` once when it has caught up.


def settle(session: Session, projection: Projection) -> None:
    """Write what ``projection`` deferred, in ``session``'s transaction (nothing when it
    defers nothing)."""
    settle_projection = getattr(projection, "settle", None)
    if settle_projection is not None:
        settle_projection(session)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a driver has got to in one source: a notification id or a Kafka offset."""

    source: str
    partition: int
    position: int


def create_tables(engine: Engine, projections: Iterable[Projection]) -> None:
    """Create the tables of ``projections`` (and of positions and definitions) and reset each
    projection whose rows another definition built (:func:`_reset_changed`).

    Several processes start on one database at once (two workers, a worker and ``socai
    projections``): all of this is one transaction holding a lock (:func:`_exclusive`), so
    none resets a projection that another has just rebuilt and already applies events to,
    and one killed half-way leaves the old tables and digests, never new rows without one."""
    chosen = list(projections)
    with _exclusive(engine) as connection:
        position_metadata.create_all(connection)
        definitions.definitions_metadata.create_all(connection)
        _reset_changed(connection, chosen)
        for projection in chosen:
            for metadata in definitions.metadatas(projection):
                metadata.create_all(connection)


def _reset_changed(connection: Connection, projections: Sequence[Projection]) -> None:
    """Reset each projection whose stored digest is not its definition's: the runner then
    rebuilds it from the log. Rows built from Kafka are refused instead."""
    for projection in definitions.stale(connection, projections):
        sources = set(
            connection.execute(
                select(projection_positions.c.source).where(
                    projection_positions.c.name == projection.name
                )
            ).scalars()
        )
        if sources - {NOTIFICATION_LOG_SOURCE}:
            definitions.refuse_kafka_driven(projection, sources)
        if sources:
            log.warning(
                "projection %s: definition changed, rebuilding from the log", projection.name
            )
        _reset_in(connection, projection)
        definitions.record(connection, projection)


#: The PostgreSQL advisory lock key of projection (re)definitions ("socai-pd" as an integer).
_DEFINITIONS_LOCK_KEY = int.from_bytes(b"socai-pd", "big", signed=True)


@contextmanager
def _exclusive(engine: Engine) -> Iterator[Connection]:
    """One transaction that holds, from its first statement, PostgreSQL's transaction advisory
    lock of the definitions, or SQLite's write lock (``BEGIN IMMEDIATE``; an engine made by
    ``streams.worker.immediate_sqlite`` begins every transaction so already). Committed when
    the block ends, rolled back if it raises."""
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": _DEFINITIONS_LOCK_KEY}
            )
        else:
            connection.execute(text("SELECT 1"))  # SQLAlchemy's begin (an engine's own BEGIN)
            if not connection.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
                connection.exec_driver_sql("BEGIN IMMEDIATE")
        yield connection
        connection.commit()


def position_of(
    session: Session, name: str, source: str = NOTIFICATION_LOG_SOURCE, partition: int = 0
) -> int:
    """The last position applied by ``name`` in ``(source, partition)``; 0 when none."""
    value = session.execute(
        select(projection_positions.c.position).where(
            and_(
                projection_positions.c.name == name,
                projection_positions.c.source == source,
                projection_positions.c.partition == partition,
            )
        )
    ).scalar_one_or_none()
    return int(value or 0)


def _record_position(session: Session, name: str, reached: Position) -> None:
    key = and_(
        projection_positions.c.name == name,
        projection_positions.c.source == reached.source,
        projection_positions.c.partition == reached.partition,
    )
    updated = session.execute(
        projection_positions.update().where(key).values(position=reached.position)
    )
    # Session.execute is typed as Result; an UPDATE returns a CursorResult, which has rowcount.
    if updated.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(
            projection_positions.insert().values(
                name=name,
                source=reached.source,
                partition=reached.partition,
                position=reached.position,
            )
        )


def apply_batch(
    session: Session,
    projection: Projection,
    events: Sequence[Any],
    reached: Position,
    *,
    settled: bool = True,
) -> bool:
    """Apply ``events`` and record ``reached``, both in ``session``'s open transaction.

    Idempotent for redelivery: when the projection has already recorded a position at or
    beyond ``reached`` in that source and partition, nothing is applied and False is
    returned (a Kafka consumer that re-reads after a rebalance calls this safely). The
    caller commits. ``settled`` (the default) also writes what the projection deferred
    (:func:`settle`), so its tables are current when the transaction commits; a catch-up
    passes False and settles once at its end (what it still owes is in the projection's
    working tables, committed with the position, so a crash loses nothing).
    """
    done = position_of(session, projection.name, reached.source, reached.partition)
    if reached.position <= done:
        return False
    if events:
        projection.apply(session, events)
    if settled:
        settle(session, projection)
    _record_position(session, projection.name, reached)
    return True


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (mappings with the same keys) with one driver-level ``executemany``.

    Stores exactly what ``session.execute(table.insert(), rows)`` stores — each column's own
    bind processor (SQLAlchemy's, for this dialect: a date as ISO text on SQLite, say) is
    applied to its values — without SQLAlchemy's per-row statement and parameter machinery,
    which cost more than the database's own work in a rebuild. The statement is built once
    per table, dialect and column list."""
    if not rows:
        return
    names = tuple(rows[0])
    # itemgetter of one name gives a value, not a 1-tuple: such rows are wrapped.
    pick = itemgetter(*names)
    if len(names) > 1:
        insert_tuples(session, table, names, [pick(row) for row in rows])
    else:
        insert_tuples(session, table, names, [(pick(row),) for row in rows])


def insert_tuples(
    session: Session, table: Table, names: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """:func:`insert_rows` of rows given as tuples of the columns ``names``, in that order
    (what a projection that builds its rows as tuples hands over without making dicts)."""
    if not rows:
        return
    connection = session.connection()
    sql, processors = _insert_statement(table, connection.dialect, names)
    values: Sequence[tuple[Any, ...]] = rows
    if any(processors):
        pairs = [(i, p) for i, p in enumerate(processors) if p is not None]
        processed: list[tuple[Any, ...]] = []
        for row in rows:
            params = list(row)
            for i, process in pairs:
                params[i] = process(params[i])
            processed.append(tuple(params))
        values = processed
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        _copy_rows(connection, _copy_statement(table, connection.dialect, names), values)
    else:
        connection.exec_driver_sql(sql, list(values))


def _copy_statement(table: Table, dialect: Dialect, names: tuple[str, ...]) -> str:
    quote = dialect.identifier_preparer.quote
    return (
        f"COPY {dialect.identifier_preparer.format_table(table)}"
        f" ({', '.join(quote(n) for n in names)}) FROM STDIN"
    )


def _copy_rows(connection: Connection, copy_sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """On PostgreSQL, ``rows`` go in with one ``COPY … FROM STDIN`` on the session's own
    connection (so in its transaction), psycopg writing each row in C: an ``executemany``
    sends every row as a statement of its own (bind, execute, and its Python bookkeeping in
    psycopg's pipeline), which was a third of a rebuild's CPU on PostgreSQL. The values are
    those the ``INSERT`` would bind (the same column processors, adapted by psycopg's text
    dumpers and parsed by the server as the column's type); the projections' digests are
    the same (tested against SQLAlchemy's own insert)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
        write = copy.write_row
        for row in rows:
            write(row)


_INSERTS: dict[tuple[str, str, tuple[str, ...]], tuple[str, tuple[Any, ...]]] = {}


def _insert_statement(
    table: Table, dialect: Dialect, names: tuple[str, ...]
) -> tuple[str, tuple[Any, ...]]:
    key = (table.name, dialect.name, names)
    found = _INSERTS.get(key)
    if found is None:
        quote = dialect.identifier_preparer.quote
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        assert dialect.paramstyle in ("qmark", "format", "pyformat"), dialect.paramstyle
        sql = (
            f"INSERT INTO {dialect.identifier_preparer.format_table(table)}"
            f" ({', '.join(quote(n) for n in names)})"
            f" VALUES ({', '.join(marker for _ in names)})"
        )
        processors = tuple(
            _bind_processor(table.c[n].type.dialect_impl(dialect), dialect) for n in names
        )
        found = _INSERTS[key] = (sql, processors)
    return found


def _bind_processor(impl: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column type's bind processor; for SQLite's ``DATE`` in its default storage format
    (``%(year)04d-%(month)02d-%(day)02d``, which is what ``date.isoformat`` writes for every
    year 1–9999) a date is written by ``date.isoformat`` and anything else (None, a
    datetime, a wrong type) by SQLAlchemy's own processor: the same text, a quarter of the
    cost, for the dates a rebuild writes on every row."""
    process = impl.bind_processor(dialect)
    if (
        process is None
        or dialect.name != "sqlite"
        or not isinstance(impl, SQLiteDate)
        or impl._storage_format != _SQLITE_ISO_DATE
    ):
        return process
    isoformat = date.isoformat

    def sqlite_date(value: Any) -> Any:
        return isoformat(value) if type(value) is date else process(value)

    return sqlite_date


_SQLITE_ISO_DATE = "%(year)04d-%(month)02d-%(day)02d"


def reset(engine: Engine, projection: Projection) -> None:
    """Drop and re-create a projection's tables and forget its positions."""
    position_metadata.create_all(engine)
    with engine.begin() as connection:
        _reset_in(connection, projection)


def _reset_in(connection: Connection, projection: Projection) -> None:
    """:func:`reset` in the caller's transaction (DDL is transactional on both databases)."""
    for metadata in definitions.metadatas(projection):
        metadata.drop_all(connection)
        metadata.create_all(connection)
    connection.execute(
        projection_positions.delete().where(projection_positions.c.name == projection.name)
    )


def content_digest(engine: Engine, projection: Projection) -> str:
    """A stable SHA-256 of every row of the projection's tables, in primary-key order.

    Two databases with the same rows give the same digest whatever order they were written
    in: the check that a rebuild equals the live projection.
    """
    digest = hashlib.sha256()
    with engine.connect() as connection:
        for table in sorted(projection.metadata.sorted_tables, key=lambda t: t.name):
            digest.update(f"table {table.name}\n".encode())
            order = list(table.primary_key.columns) or list(table.columns)
            for row in connection.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
                digest.update(b"\n")
    return digest.hexdigest()


ProgressCallback = Callable[[int], None]


class InProcessRunner:
    """Drives projections from the store's event log (the embedded default).

    Each call of :meth:`run_once` asks the log for up to ``batch_size`` notifications of the
    topics its projections want (the store filters them: the others are never read nor
    decoded) after the lowest position among its projections, and applies them to every
    projection still behind, in one transaction per batch. The position recorded is the
    last notification the batch covered *of any topic*: the page's last one when the page is
    full, else the head of the log read before the page — so a projection's position passes
    the notifications of other topics, and a catch-up never reads them again.
    """

    def __init__(
        self,
        log: EventLog,
        engine: Engine,
        projections: Sequence[Projection],
        batch_size: int = BATCH_SIZE_EVENTS,
        accept: Callable[[DomainEvent], bool] | None = None,
    ) -> None:
        assert projections, "a runner needs at least one projection"
        assert len({p.name for p in projections}) == len(projections), "names are unique"
        assert 1 <= batch_size <= 100_000
        self.log = log
        self.engine = engine
        self.projections = list(projections)
        self.batch_size = batch_size
        #: Optional filter on decoded events (used for "as known at T" rebuilds).
        self.accept = accept
        self._topics = tuple(sorted({t for p in self.projections for t in p.topics}))
        create_tables(engine, self.projections)

    def positions(self) -> dict[str, int]:
        with Session(self.engine) as session:
            return {p.name: position_of(session, p.name) for p in self.projections}

    def run_once(self, *, settled: bool = True) -> int:
        """Apply one batch; returns how far it moved the lowest position, in notification
        ids (the notifications it covered, gaps included; 0: caught up).

        ``settled`` (the default) leaves every table current when the batch commits; False
        defers what the projections defer to a later :meth:`settle` (see :func:`apply_batch`)."""
        positions = self.positions()
        start = min(positions.values())
        # The head first: every notification at or below it is committed (the recorders
        # commit ids in order), so the page read next holds every one of our topics up to
        # it; the notifications of other topics are never read, only stepped over.
        head = self.log.head()
        if head <= start:
            return 0
        page = self.log.read(start, self.batch_size, self._topics) if self._topics else []
        if len(page) == self.batch_size:
            reached = page[-1].position  # more of our topics may follow: stop at the last
        else:
            reached = max(head, page[-1].position) if page else head
        start_of_page = page[0].position if page else reached
        decoded: list[tuple[int, str, DomainEvent]] = []
        for entry in page:
            event = entry.public_event()  # a projection reads no personal value
            if self.accept is not None and not self.accept(event):
                continue
            decoded.append((entry.position, entry.topic, event))
        with Session(self.engine) as session, session.begin():
            for projection in self.projections:
                done = positions[projection.name]
                if done >= reached:
                    continue
                wanted = set(projection.topics)
                if done < start_of_page:  # the usual case: the whole page is new to it
                    events = [e for _, topic, e in decoded if topic in wanted]
                else:
                    events = [e for nid, topic, e in decoded if nid > done and topic in wanted]
                apply_batch(
                    session,
                    projection,
                    events,
                    Position(NOTIFICATION_LOG_SOURCE, 0, reached),
                    settled=settled,
                )
        return reached - start

    def settle(self) -> None:
        """Write everything the projections deferred, in one transaction (also what a run
        that crashed left owing: it is in their working tables)."""
        with Session(self.engine) as session, session.begin():
            for projection in self.projections:
                settle(session, projection)

    def run(self, progress: ProgressCallback | None = None) -> int:
        """Apply batches until caught up with the log; returns notifications covered.

        Rows a projection derives from many events (a case's status) are written once, when
        the run has caught up (:meth:`settle`), not in every batch: the tables are current
        when this returns, not between its batches. The collector runs at
        :func:`~projections.collector.catch_up_pace` meanwhile, and only between batches
        and before the settling (:func:`~projections.collector.collector_paused`)."""
        total = 0
        with catch_up_pace():
            while True:
                with collector_paused():
                    covered = self.run_once(settled=False)
                if not covered:
                    break
                total += covered
                if progress is not None:
                    progress(covered)
            with collector_paused():
                self.settle()
        return total

    def lag(self) -> dict[str, int]:
        """Notifications each projection is behind the head of the log (an upper bound:
        PostgreSQL ids can have gaps)."""
        head = self.log.head()
        return {name: max(0, head - pos) for name, pos in self.positions().items()}
