"""One relay per store (một bộ chuyển tiếp cho mỗi kho): a lock the relay holds while it runs.

Two relays on one store would both read the same tracked position, publish the same batches
twice and race on the position row. Events would still be deduplicated by their stable ids
downstream, but the relay's progress and lag would lie and the broker would carry every event
twice. So the relay takes a lock when it starts and holds it until it exits:

- **PostgreSQL**: a session advisory lock, ``pg_try_advisory_lock(key)``, on a connection of
  its own that stays open while the relay runs. The key is derived from the relay's name
  (:func:`lock_key`); advisory locks belong to one database, so the database is the store.
  PostgreSQL releases the lock when the session ends — a relay killed with SIGKILL, or a
  machine that lost its network, leaves no stale lock behind once the server notices.
- **SQLite**: an exclusive ``flock`` on a lock file beside the database
  (``<db>.relay-<name>.lock``). The kernel releases it when the process exits, however it
  exits; the file itself is left in place and means nothing without the lock.

A second relay does not wait: it refuses to start (``error:`` + ``hint:``, exit 2) and names
who holds the lock (host and process id), so an operator finds the other one.

While running the relay asks :meth:`RelayLock.lost` between batches; on PostgreSQL that pings
the lock's session (at most every :data:`LOCK_CHECK_SECONDS`), and a session that died (the
server restarted, the connection was cut) means the lock is gone: the relay stops rather than
run beside a relay that may have started meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import socket
import time
from pathlib import Path
from typing import IO

import sqlalchemy as sa

from domain.errors import SocaiError

#: Seconds between checks that the PostgreSQL session holding the lock is still alive.
LOCK_CHECK_SECONDS = 5.0
#: How long a starting relay retries a held lock file before refusing (a ``socai status``
#: probe holds it for an instant).
FILE_LOCK_PATIENCE_SECONDS = 0.5


class RelayAlreadyRunning(SocaiError):
    """Another relay holds this store's relay lock."""


def lock_key(relay_name: str) -> int:
    """The advisory-lock key of a relay: a signed 64-bit integer from ``socai-relay/<name>``
    (stable across versions and machines: every relay of one store computes the same)."""
    digest = hashlib.sha256(f"socai-relay/{relay_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def holder_label() -> str:
    """Who holds a lock, for the refusal a second relay prints: host and process id."""
    return f"socai-relay@{socket.gethostname()}:{os.getpid()}"


def _flock_within(handle: IO[str], operation: int, seconds: float) -> None:
    """``flock`` without blocking, retried for ``seconds``; BlockingIOError when still held."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(handle.fileno(), operation | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


class RelayLock:
    """The lock of one relay name on one store; :meth:`acquire` or refuse."""

    def __init__(self, engine: sa.Engine, relay_name: str) -> None:
        self.engine = engine
        self.relay_name = relay_name
        self.key = lock_key(relay_name)
        self._connection: sa.Connection | None = None
        self._file: IO[str] | None = None
        self._checked = 0.0
        self._dead = False

    @property
    def kind(self) -> str:
        return "postgresql advisory lock" if self._postgres else "lock file"

    @property
    def _postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def lock_file(self) -> Path:
        """The SQLite store's lock file (beside the database file)."""
        database = self.engine.url.database
        assert database, "a SQLite store is a file"
        path = Path(database)
        return path.with_name(f"{path.name}.relay-{self.relay_name}.lock")

    def acquire(self) -> RelayLock:
        """Take the lock or raise :class:`RelayAlreadyRunning` (nothing published)."""
        if self._postgres:
            self._acquire_postgres()
        else:
            self._acquire_file()
        self._checked = time.monotonic()
        return self

    def _acquire_postgres(self) -> None:
        connection = self.engine.connect()
        try:
            # the holder's name shows in pg_stat_activity, where a refused relay looks it up
            connection.execute(
                sa.text("SELECT set_config('application_name', :label, false)"),
                {"label": holder_label()[:63]},
            )
            taken = connection.execute(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar_one()
            connection.commit()  # the lock is the session's: it outlives this transaction
            if not taken:
                holder = self._postgres_holder(connection) or "a session that just ended"
                raise RelayAlreadyRunning(
                    f"another relay already runs on this store (relay {self.relay_name!r},"
                    f" PostgreSQL advisory lock {self.key} held by {holder})",
                    hint="one relay per store: stop the other one first (or let it run — it"
                    " publishes everything); systemctl status socai-relay on the machine named",
                )
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    def _postgres_holder(self, connection: sa.Connection) -> str | None:
        """The application name and client address of the session holding the lock."""
        unsigned = self.key & 0xFFFF_FFFF_FFFF_FFFF
        row = connection.execute(
            sa.text(
                "SELECT a.application_name, a.client_addr, a.pid FROM pg_locks l"
                " JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted"
                " AND l.classid = :high AND l.objid = :low AND l.objsubid = 1"
                " AND l.database = (SELECT oid FROM pg_database"
                " WHERE datname = current_database())"
            ),
            {"high": unsigned >> 32, "low": unsigned & 0xFFFF_FFFF},
        ).first()
        connection.rollback()
        if row is None:
            return None
        name = row.application_name or "an unnamed session"
        return f"{name} (server pid {row.pid}, client {row.client_addr or 'local socket'})"

    def _acquire_file(self) -> None:
        path = self.lock_file()
        handle = path.open("a+", encoding="utf-8")
        try:
            _flock_within(handle, fcntl.LOCK_EX, FILE_LOCK_PATIENCE_SECONDS)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "an unknown process"
            handle.close()
            raise RelayAlreadyRunning(
                f"another relay already runs on this store (relay {self.relay_name!r},"
                f" lock file {path} held by {holder})",
                hint="one relay per store: stop the other one first; the lock goes with the"
                " process, so a stale file is never the cause",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(holder_label() + "\n")
        handle.flush()
        self._file = handle

    def holder(self) -> str | None:
        """Who holds the lock now (host and process id), or None — without taking it for
        longer than an instant (``socai status``)."""
        if self._postgres:
            with self.engine.connect() as connection:
                holder = self._postgres_holder(connection)
            return holder
        path = self.lock_file()
        if not path.exists():
            return None
        with path.open("r", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return handle.read().strip() or "an unknown process"
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return None

    def lost(self) -> bool:
        """True when the lock can no longer be trusted (its PostgreSQL session died).
        Cheap: checks at most every :data:`LOCK_CHECK_SECONDS`."""
        if self._connection is None:
            return self._file is None
        now = time.monotonic()
        if now - self._checked < LOCK_CHECK_SECONDS:
            return False
        self._checked = now
        if self._dead:
            return True
        try:
            self._connection.execute(sa.text("SELECT 1")).scalar_one()
            self._connection.rollback()
        except sa.exc.DBAPIError:
            # the session (and with it the lock) is gone: never use this connection again
            self._connection.invalidate()
            self._dead = True
        return self._dead

    def release(self) -> None:
        if self._connection is not None:
            if not self._dead:
                with contextlib.suppress(sa.exc.DBAPIError):
                    self._connection.execute(
                        sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key}
                    )
                    self._connection.commit()
            self._connection.close()
            self._connection = None
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> RelayLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
