"""The event store's notification log as the :class:`projections.eventlog.EventLog` port.

Only this adapter touches the library's recorder (to select notifications) and mapper (to
decode them); the projection runner, the relay and the services read through it.

On SQLite and PostgreSQL a page is read with one ``SELECT`` of plain tuples on the recorder's
own connection (the recorder's ``select_notifications`` builds a dict or ``sqlite3.Row`` and a
``Notification`` per row, most of the cost of a page); the rows, their order and the topic
filter are the recorder's, and each event is decoded by the library's mapper, as before.

The relay reads the rows undecoded (:meth:`StoreEventLog.read_stored`) and decodes only the
state of what it publishes with :class:`StateDecoder`: the mapper's own cipher, compressor
and transcodings, without building domain event objects and without opening personal data
that no public message reads.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.compressor import ZlibCompressor
from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import (
    Cipher,
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    StoredEvent,
    Transcoding,
    TranscodingNotRegisteredError,
)
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.rows import tuple_row

from infra.application import EventStore
from infra.privacy.sealing import PersonalRefAsDict
from infra.settings import Settings
from infra.transcodings import PersonalDataAsDict
from projections.eventlog import DomainEvent, LogEntry
from streams.contracts.stored import Sealed
from streams.pipeline import StoredRow

#: Notifications are read in pages of this many rows (bounded memory for any log size).
NOTIFICATION_PAGE_SIZE = 1_000


class StoreEventLog:
    """Reads the store's notifications, page by page, decoding only what is asked for."""

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._statements: dict[tuple[Any, ...], Any] = {}
        self._state_decoder: StateDecoder | None = None
        self._public_mapper = public_mapper(store.mapper)

    def read(self, after: int, limit: int, topics: tuple[str, ...] = ()) -> list[LogEntry]:
        rows = self._rows(after, limit, topics)
        full, public = self.store.mapper, self._public_mapper
        decode = self._decode
        return [
            LogEntry(
                position,
                topic,
                (oid := _uuid(originator_id)),
                partial(decode, full, oid, version, topic, state),
                partial(decode, public, oid, version, topic, state),
            )
            for position, originator_id, version, topic, state in rows
        ]

    def read_stored(self, after: int, limit: int) -> list[StoredRow]:
        """(position, topic, originator id, version, stored state) of up to ``limit`` events
        after ``after``, of every topic, undecoded (the relay's read: it decodes only what it
        publishes, with :meth:`state_decoder`)."""
        return [
            (position, topic, originator_id, version, state)
            for position, originator_id, version, topic, state in self._rows(after, limit, ())
        ]

    def state_decoder(self) -> StateDecoder:
        """The decoder of this store's stored states (made once)."""
        if self._state_decoder is None:
            self._state_decoder = StateDecoder(self.store.mapper)
        return self._state_decoder

    def _rows(
        self, after: int, limit: int, topics: tuple[str, ...]
    ) -> list[tuple[int, UUID | str, int, str, bytes]]:
        assert limit > 0, "a page holds at least one notification"
        recorder = self.store.recorder
        if isinstance(recorder, SQLiteApplicationRecorder | PostgresApplicationRecorder):
            return self._select(recorder, after, limit, topics)
        return [
            (n.id, n.originator_id, n.originator_version, n.topic, n.state)
            for n in recorder.select_notifications(
                start=after, limit=limit, topics=topics, inclusive_of_start=False
            )
        ]

    @staticmethod
    def _decode(
        mapper: Mapper[Any], originator_id: UUID, version: int, topic: str, state: bytes
    ) -> DomainEvent:
        """One stored event decoded by ``mapper`` (built only when asked for)."""
        return mapper.to_domain_event(
            StoredEvent(
                originator_id=originator_id, originator_version=version, topic=topic, state=state
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


def public_mapper(mapper: Mapper[Any]) -> Mapper[Any]:
    """The store's mapper for readers of public values only (:meth:`LogEntry.public_event`):
    the same cipher (one ``AESGCM`` kept for the store's key instead of one built per event,
    as :class:`StateDecoder` does), compressor and transcodings, except that personal values
    (``personal_ref``: sealed in the person key tables; ``personal_data``: inline in older
    events) decode to :class:`Sealed`, opened only if read. Everything else of the event
    (its class, upcasting, ids, times) is the library's ``Mapper.to_domain_event``."""
    transcoder = mapper.transcoder
    assert isinstance(transcoder, JSONTranscoder), "the store writes JSON states"
    public = JSONTranscoder()
    for name, transcoding in transcoder.names.items():
        public.register(_SealedOnRead(transcoding) if name in _SEALED else transcoding)
    cipher = mapper.cipher
    return Mapper(
        transcoder=public,
        compressor=mapper.compressor,
        cipher=_OneKeyAESCipher(cipher.key) if type(cipher) is AESCipher else cipher,
    )


#: The transcodings of personal values (left sealed by :func:`public_mapper`).
_SEALED = frozenset({PersonalRefAsDict.name, PersonalDataAsDict.name})


class _SealedOnRead(Transcoding):
    """A personal value's transcoding that decodes to :class:`Sealed` (the inner
    transcoding's decode, run only by ``open()``); a public mapper never encodes."""

    def __init__(self, inner: Transcoding) -> None:
        self.type = inner.type
        self.name = inner.name
        self._inner = inner

    def encode(self, obj: Any) -> Any:
        raise TypeError("a public mapper decodes only")

    def decode(self, data: Any) -> Sealed:
        return Sealed(partial(self._inner.decode, data))


class _OneKeyAESCipher(Cipher):
    """``AESCipher.decrypt`` with one ``AESGCM`` for the key (see :func:`_aes_gcm_decrypt`);
    a public mapper decrypts only."""

    def __init__(self, key: bytes) -> None:
        self._decrypt = _aes_gcm_decrypt(AESGCM(key))

    def encrypt(self, plaintext: bytes) -> bytes:
        raise TypeError("a public mapper decrypts only")

    def decrypt(self, ciphertext: bytes) -> bytes:
        return self._decrypt(ciphertext)


class StateDecoder:
    """A stored event's state as a plain mapping, decoded as the store's mapper decodes it
    (``Mapper.to_domain_event``: its cipher, its compressor, its JSON transcoder's names),
    minus the domain event object: times, dates and ids are revived by the registered
    transcodings; personal values (``personal_ref``: sealed in the person key tables;
    ``personal_data``: inline in older events) are left :class:`Sealed` and opened by the
    same transcoding only if read. Any failure is the mapper's
    :class:`MapperDeserialisationError`, naming the event by topic, id and version only.

    The library's AES-GCM cipher builds a new ``AESGCM`` for every event; this decoder keeps
    one for the store's key (same nonce, tag and ciphertext layout, same error on a wrong
    tag)."""

    def __init__(self, mapper: Mapper[Any]) -> None:
        cipher, compressor, transcoder = mapper.cipher, mapper.compressor, mapper.transcoder
        assert isinstance(transcoder, JSONTranscoder), "the store writes JSON states"
        self._decrypt: Callable[[bytes], bytes] | None = (
            _aes_gcm_decrypt(AESGCM(cipher.key))
            if type(cipher) is AESCipher
            else (cipher.decrypt if cipher is not None else None)
        )
        self._decompress: Callable[[bytes], bytes] | None = (
            zlib.decompress
            if type(compressor) is ZlibCompressor
            else (compressor.decompress if compressor is not None else None)
        )
        names = transcoder.names

        def revive(mapping: dict[str, Any]) -> Any:
            # the transcoder's rule (JSONTranscoder._decode_obj): exactly _type_ and _data_
            if len(mapping) == 2 and "_type_" in mapping and "_data_" in mapping:
                name = mapping["_type_"]
                transcoding = names.get(name)
                if transcoding is None:
                    raise TranscodingNotRegisteredError(
                        f"Data serialized with name '{name}' is not deserializable."
                    )
                if name in _SEALED:
                    return Sealed(partial(transcoding.decode, mapping["_data_"]))
                return transcoding.decode(mapping["_data_"])
            return mapping

        self._json = json.JSONDecoder(object_hook=revive).decode

    def __call__(self, row: StoredRow) -> dict[str, Any]:
        _, topic, originator_id, version, state = row
        try:
            if self._decrypt is not None:
                state = self._decrypt(state)
            if self._decompress is not None:
                state = self._decompress(state)
            decoded: dict[str, Any] = self._json(state.decode("utf8"))
        except Exception as error:
            raise MapperDeserialisationError(
                f"Failed to deserialise state of stored event with topic '{topic}',"
                f" originator_id '{originator_id}' and originator_version {version}: {error}"
            ) from error
        return decoded


def _aes_gcm_decrypt(aesgcm: AESGCM) -> Callable[[bytes], bytes]:
    """``AESCipher.decrypt`` with one ``AESGCM``: nonce (12 bytes), tag (16), ciphertext."""

    def decrypt(ciphertext: bytes) -> bytes:
        nonce = ciphertext[:12]
        if len(nonce) != 12:
            raise ValueError("Damaged cipher text: invalid nonce length")
        tag = ciphertext[12:28]
        if len(tag) != 16:
            raise ValueError("Damaged cipher text: invalid tag length")
        try:
            return aesgcm.decrypt(nonce, ciphertext[28:] + tag, None)
        except InvalidTag as error:
            raise ValueError("Invalid cipher tag") from error

    return decrypt


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
