"""The event store's notification log as the :class:`projections.eventlog.EventLog` port.

Only this adapter touches the library's recorder (to select notifications) and mapper (to
decode them); the projection runner, the relay and the services read through it.

On SQLite and PostgreSQL a page is read with one ``SELECT`` of plain tuples on the recorder's
own connection (the recorder's ``select_notifications`` builds a dict or ``sqlite3.Row`` and a
``Notification`` per row, most of the cost of a page); the rows, their order and the topic
filter are the recorder's, and each event is decoded by the library's mapper, as before.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.rows import tuple_row

from infra.application import EventStore
from infra.settings import Settings
from projections.eventlog import DomainEvent, LogEntry

#: Notifications are read in pages of this many rows (bounded memory for any log size).
NOTIFICATION_PAGE_SIZE = 1_000


class StoreEventLog:
    """Reads the store's notifications, page by page, decoding only what is asked for."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._statements: dict[tuple[Any, ...], Any] = {}

    def read(self, after: int, limit: int, topics: tuple[str, ...] = ()) -> list[LogEntry]:
        assert limit > 0, "a page holds at least one notification"
        recorder = self.store.recorder
        if isinstance(recorder, SQLiteApplicationRecorder | PostgresApplicationRecorder):
            rows = self._select(recorder, after, limit, topics)
        else:
            rows = [
                (n.id, n.originator_id, n.originator_version, n.topic, n.state)
                for n in recorder.select_notifications(
                    start=after, limit=limit, topics=topics, inclusive_of_start=False
                )
            ]
        decode = self._decode
        return [
            LogEntry(
                position,
                topic,
                (oid := _uuid(originator_id)),
                partial(decode, oid, version, topic, state),
            )
            for position, originator_id, version, topic, state in rows
        ]

    def _decode(self, originator_id: UUID, version: int, topic: str, state: bytes) -> DomainEvent:
        return self.store.mapper.to_domain_event(
            StoredEvent(
                originator_id=originator_id,
                originator_version=version,
                topic=topic,
                state=state,
            )
        )

    def _select(
        self,
        recorder: SQLiteApplicationRecorder | PostgresApplicationRecorder,
        after: int,
        limit: int,
        topics: tuple[str, ...],
    ) -> list[tuple[int, UUID | str, int, str, bytes]]:
        """(position, originator id, version, topic, state) of the page, as the recorder's
        ``select_notifications(start=after, limit, topics, inclusive_of_start=False)``."""
        if isinstance(recorder, SQLiteApplicationRecorder):
            statement = self._statements.get(topics)
            if statement is None:
                statement = self._statements[topics] = (
                    "SELECT rowid, originator_id, originator_version, topic, state"
                    f" FROM {recorder.events_table_name} WHERE rowid > ?"
                    + (f" AND topic IN ({','.join('?' * len(topics))})" if topics else "")
                    + " ORDER BY rowid LIMIT ?"
                )
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement, (after, *topics, limit))
                return [tuple(row) for row in cursor.fetchall()]
        key = ("postgresql", bool(topics))
        statement = self._statements.get(key)
        if statement is None:
            from psycopg.sql import SQL, Identifier

            statement = self._statements[key] = SQL(
                "SELECT notification_id, originator_id, originator_version, topic, state"
                " FROM {schema}.{table} WHERE notification_id > %s"
                + (" AND topic = ANY(%s)" if topics else "")
                + " ORDER BY notification_id LIMIT %s"
            ).format(
                schema=Identifier(recorder.datastore.schema),
                table=Identifier(recorder.events_table_name),
            )
        params = (after, list(topics), limit) if topics else (after, limit)
        with (
            recorder.datastore.get_connection() as connection,
            connection.cursor(row_factory=tuple_row) as cursor,
        ):
            cursor.execute(statement, params, prepare=True)
            return [
                (position, originator_id, version, topic, bytes(state))
                for position, originator_id, version, topic, state in cursor.fetchall()
            ]

    def head(self) -> int:
        return self.store.recorder.max_notification_id() or 0

    def positions_of(self, originator_id: UUID) -> dict[int, int]:
        """Version → log position of one aggregate's events (a case's steps): one indexed
        query on SQLite and PostgreSQL, instead of reading the whole log."""
        recorder = self.store.recorder
        if isinstance(recorder, SQLiteApplicationRecorder):
            statement = (
                f"SELECT originator_version, rowid FROM {recorder.events_table_name}"
                " WHERE originator_id = ? ORDER BY originator_version"
            )
            with recorder.datastore.transaction(commit=False) as cursor:
                cursor.execute(statement, (originator_id.hex,))  # as the library stores it
                return {int(v): int(p) for v, p in cursor.fetchall()}
        if isinstance(recorder, PostgresApplicationRecorder):
            from psycopg.sql import SQL, Identifier

            query = SQL(
                "SELECT originator_version, notification_id FROM {schema}.{table}"
                " WHERE originator_id = %s ORDER BY originator_version"
            ).format(
                schema=Identifier(recorder.datastore.schema),
                table=Identifier(recorder.events_table_name),
            )
            with (
                recorder.datastore.get_connection() as connection,
                connection.cursor(row_factory=tuple_row) as cursor,
            ):
                cursor.execute(query, (originator_id,))
                return {int(v): int(p) for v, p in cursor.fetchall()}
        found: dict[int, int] = {}  # another recorder: read the log
        for entry in self.entries():
            if entry.originator_id == originator_id:
                found[len(found) + 1] = entry.position
        return found

    def entries(
        self, after: int = 0, topics: tuple[str, ...] = (), page_size: int = NOTIFICATION_PAGE_SIZE
    ) -> Iterator[LogEntry]:
        """Every entry after position ``after``, in log order, one page at a time."""
        position = after
        while page := self.read(position, page_size, topics):
            yield from page
            position = page[-1].position

    def events(
        self, after: int = 0, topics: tuple[str, ...] = ()
    ) -> Iterator[tuple[int, DomainEvent]]:
        """(position, decoded event) of every entry after ``after``, in log order."""
        for entry in self.entries(after, topics):
            yield entry.position, entry.event()


def _uuid(originator_id: UUID | str) -> UUID:
    """socai's aggregates all have UUID ids; a recorder may hand them back as text."""
    return originator_id if isinstance(originator_id, UUID) else UUID(originator_id)


@contextmanager
def opened_event_log(settings: Settings) -> Iterator[StoreEventLog]:
    """The log of the store ``settings`` name, opened here and closed at the end: how a worker
    process (the relay's encoder, :class:`streams.pipeline.WorkerEncoder`) reads the same
    store. Picklable as ``functools.partial(opened_event_log, settings)``."""
    store = EventStore(settings)
    try:
        yield StoreEventLog(store)
    finally:
        store.close()
