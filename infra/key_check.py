"""The key-check value (giá trị kiểm tra khóa): a store refuses a key that is not its own.

Every event is encrypted (AES-GCM) under the store's key. Written with another store's key, an
event is chained, checkpointed and can never be deleted — and no reader can ever decrypt it
again. So the key is checked *before* anything is read or written:

- the store keeps one key-check value (KCV): HMAC-SHA-256 of a fixed label under the key. It
  identifies the key without revealing it (the key is 256 random bits; the HMAC is one-way);
- a new, empty store records the KCV of the first key that opens it;
- an older store with events but no KCV (made before this check existed) is checked by
  decrypting its first event; only a key that decrypts it is recorded;
- any later open with a key whose KCV differs is refused with ``wrong key``, before the
  application reads or writes a single event.

Two processes opening a new store at once with different keys cannot both win: the KCV row is
inserted only if absent, then read back and compared.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable

from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import ApplicationRecorder
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import Environment
from psycopg import sql

from domain.errors import SocaiError

#: What the KCV is computed over; a new scheme gets a new label, never a changed one.
KCV_LABEL = b"socai key-check value v1"
KCV_ALGORITHM = "hmac-sha256:socai key-check value v1"
KCV_TABLE = "socai_key_check"


class WrongKey(SocaiError):
    """The key given is not the key this store's events are encrypted under."""


def key_check_value(key_b64: str) -> str:
    """The KCV of a base64 AES key (hex; safe to store and print)."""
    return hmac.new(key_b64.encode("ascii"), KCV_LABEL, hashlib.sha256).hexdigest()


def require_store_key(recorder: ApplicationRecorder, key_b64: str, store_display: str) -> None:
    """Refuse (``WrongKey``) unless ``key_b64`` is the key of the store ``recorder`` opened.

    Records the KCV on first use. Raises before the caller has read or written an event."""
    expected = key_check_value(key_b64)
    if isinstance(recorder, SQLiteApplicationRecorder):
        stored = _sqlite_kcv(recorder, expected, key_b64, store_display)
    elif isinstance(recorder, PostgresApplicationRecorder):
        stored = _postgres_kcv(recorder, expected, key_b64, store_display)
    else:  # the in-memory store of a unit test has nothing to protect across opens
        return
    if not hmac.compare_digest(stored, expected):
        raise _wrong_key(store_display)


def _wrong_key(store_display: str) -> WrongKey:
    return WrongKey(
        f"wrong key: the encryption key given does not open the store {store_display}"
        " (its key-check value differs); nothing was read or written",
        hint="use this store's own key file (--key-file / SOCAI_KEY_FILE); unset"
        " SOCAI_CIPHER_KEY if it holds another store's key",
    )


def _first_event_opens(recorder: ApplicationRecorder, key_b64: str) -> bool | None:
    """Whether the key decrypts the store's first event (``None``: the store is empty)."""
    first = recorder.select_notifications(start=0, limit=1, inclusive_of_start=False)
    if not first:
        return None
    try:
        _cipher(key_b64).decrypt(first[0].state)
    except ValueError:
        return False
    return True


def _cipher(key_b64: str) -> AESCipher:
    return AESCipher(Environment(env={AESCipher.CIPHER_KEY: key_b64}))


def _may_record(recorder: ApplicationRecorder, key_b64: str, store_display: str) -> None:
    """For a store without a KCV: refuse unless the key opens its first event (if any)."""
    if _first_event_opens(recorder, key_b64) is False:
        raise _wrong_key(store_display)


def _stored_or_recorded(
    stored: Callable[[], str | None],
    record: Callable[[], None],
    recorder: ApplicationRecorder,
    key_b64: str,
    store_display: str,
) -> str:
    """The store's KCV: the one ``stored`` reads, or, for a store without one, the one
    ``record`` writes (idempotently: a concurrent first writer wins) once the key is known to
    open the store's first event (:func:`_may_record`)."""
    found = stored()
    if found is not None:
        return found
    _may_record(recorder, key_b64, store_display)
    record()
    found = stored()
    assert found is not None, "the key-check row exists once written"
    return found


def _sqlite_kcv(
    recorder: SQLiteApplicationRecorder, expected: str, key_b64: str, store_display: str
) -> str:
    def stored() -> str | None:
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?", (KCV_TABLE,)
            )
            if cursor.fetchone() is None:
                return None
            cursor.execute(f"SELECT check_value FROM {KCV_TABLE} WHERE id = 1")
            row = cursor.fetchone()
            return None if row is None else str(row[0])

    def record() -> None:
        with recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {KCV_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1),"
                " algorithm TEXT NOT NULL, check_value TEXT NOT NULL)"
            )
            cursor.execute(
                f"INSERT OR IGNORE INTO {KCV_TABLE} (id, algorithm, check_value) VALUES (1, ?, ?)",
                (KCV_ALGORITHM, expected),
            )

    return _stored_or_recorded(stored, record, recorder, key_b64, store_display)


def _postgres_kcv(
    recorder: PostgresApplicationRecorder, expected: str, key_b64: str, store_display: str
) -> str:
    schema = recorder.datastore.schema
    table = sql.Identifier(schema, KCV_TABLE)

    def stored() -> str | None:
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute("SELECT to_regclass(%s) AS present", (f"{schema}.{KCV_TABLE}",))
            present = cursor.fetchone()
            if present is None or present["present"] is None:
                return None
            cursor.execute(sql.SQL("SELECT check_value FROM {} WHERE id = 1").format(table))
            row = cursor.fetchone()
            return None if row is None else str(row["check_value"])

    def record() -> None:
        with recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} (id int PRIMARY KEY CHECK (id = 1),"
                    " algorithm text NOT NULL, check_value text NOT NULL)"
                ).format(table)
            )
            cursor.execute(
                sql.SQL(
                    "INSERT INTO {} (id, algorithm, check_value) VALUES (1, %s, %s)"
                    " ON CONFLICT (id) DO NOTHING"
                ).format(table),
                (KCV_ALGORITHM, expected),
            )

    return _stored_or_recorded(stored, record, recorder, key_b64, store_display)
