"""The socai application: one event-sourced store for every aggregate.

One :class:`SocaiApplication` (pinned ``name = "socai"``: renaming the class must never point
it at a new, empty table) holds cases, funds and activities, so there is exactly one
notification log — one total order of everything that happened, which the hash chain, the
projections and the Kafka relay all follow.

Commands go through :meth:`SocaiApplication.receive` and :meth:`SocaiApplication.execute`: the
aggregate checks every rule first; only then is anything saved, atomically, with optimistic
concurrency (a stale writer gets :class:`ConcurrentWriteConflict` naming the case and the
version it started from, and nothing it tried is written).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    Notification,
    OperationalError,
)

from domain.case.aggregate import Case, CaseEvent
from domain.case.commands import Command, Receive
from domain.case.values import Actor
from domain.errors import ConcurrentWriteConflict, NotFound, SocaiError
from domain.time import require_aware, utc_now
from infra import transcodings
from infra.activity_service import ActivityService
from infra.funding_service import FundingCommands
from infra.key_check import require_store_key
from infra.keys import load_key
from infra.ledger.chain import recorder_env
from infra.ledger_settings import attach_checkpoints
from infra.settings import Settings

Clock = Callable[[], datetime]

#: Notifications are read in pages of this many rows (bounded memory for any log size).
NOTIFICATION_PAGE_SIZE = 1_000
#: How long opening a PostgreSQL store waits for a connection before it gives up with a clear
#: error (the library's default is 30 s: an operator with a wrong host waits half a minute).
POSTGRES_CONNECT_TIMEOUT_SECONDS = 5

#: Cases kept decoded in memory by the repository (a few KiB each).
AGGREGATE_CACHE_SIZE = 1_000


def store_env(settings: Settings, cipher_key: str) -> dict[str, str]:
    """The eventsourcing environment for a store: persistence, AES-GCM, zlib, and the
    ledger's chained recorder (every socai store keeps the hash chain)."""
    env = {
        "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        "CIPHER_KEY": cipher_key,
        "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
        # Cached cases are fast-forwarded from the store before use, so several writers
        # stay correct; the cache saves replaying and decrypting a case for every step.
        "AGGREGATE_CACHE_MAXSIZE": str(AGGREGATE_CACHE_SIZE),
    }
    url = settings.store
    if url.kind == "sqlite":
        assert url.sqlite_path is not None
        url.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        env.update(
            PERSISTENCE_MODULE="eventsourcing.sqlite",
            SQLITE_DBNAME=str(url.sqlite_path),
            SQLITE_LOCK_TIMEOUT="10",
        )
    else:
        env.update(
            PERSISTENCE_MODULE="eventsourcing.postgres",
            POSTGRES_DBNAME=url.dbname,
            POSTGRES_HOST=url.host,
            POSTGRES_PORT=str(url.port),
            POSTGRES_USER=url.user,
            POSTGRES_PASSWORD=url.password,
            POSTGRES_POOL_SIZE="5",
            POSTGRES_LOCK_TIMEOUT="10",
            POSTGRES_CONNECT_TIMEOUT=str(POSTGRES_CONNECT_TIMEOUT_SECONDS),
        )
    env.update(recorder_env(url.kind))
    return env


class StoreUnreachable(SocaiError):
    """The store cannot be opened: the database does not answer or refuses the login."""


class SocaiApplication(FundingCommands, ActivityService, Application[UUID]):
    name = "socai"

    def __init__(
        self, settings: Settings, *, clock: Clock = utc_now, extra_env: dict[str, str] | None = None
    ) -> None:
        self.settings = settings
        self.clock = clock
        key = load_key(settings)
        env = store_env(settings, key)
        env.update(extra_env or {})
        try:
            super().__init__(env=env)
            require_store_key(self.recorder, key, settings.store.display)
        except (OperationalError, InterfaceError) as error:
            raise StoreUnreachable(
                f"cannot open the store {settings.store.display}: {error}",
                hint="check the host, port, database name and password in --store /"
                " SOCAI_STORE, and that the server is running and accepts connections",
            ) from None
        attach_checkpoints(self.recorder, settings)

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in transcodings.ALL:
            transcoder.register(transcoding())

    def now(self) -> datetime:
        return require_aware(self.clock(), "clock")

    # -- cases ------------------------------------------------------------------------------

    def receive(self, command: Receive, actor: Actor, case_id: UUID | None = None) -> UUID:
        """Open a case; returns its pseudonymous id (a random UUID unless given)."""
        case_id = case_id or uuid4()
        if case_id in self.repository:
            raise ConcurrentWriteConflict(f"case {case_id} already exists")
        case = Case.receive(case_id, command, actor, self.now())
        self._save(case, expected_version=0)
        return case.id

    def execute(
        self, case_id: UUID, command: Command, actor: Actor, expected_version: int | None = None
    ) -> int:
        """Record one step on a case; returns the new event's version.

        ``expected_version``, when given, is the version the caller last saw: if the case
        has moved on since, the step is refused as a conflict (the caller decided on stale
        information). Either way two writers racing on one case cannot both win.
        """
        case = self.get_case(case_id)
        if expected_version is not None and case.version != expected_version:
            raise ConcurrentWriteConflict(
                f"case {case_id} is at version {case.version}, not {expected_version} as"
                " expected; someone recorded a step in between",
                hint="reload the case history and decide again",
            )
        started_at = case.version
        case.execute(command, actor, self.now())
        self._save(case, expected_version=started_at)
        return case.version

    def _save(self, aggregate: Any, expected_version: int) -> None:
        try:
            self.save(aggregate)
        except IntegrityError:
            raise ConcurrentWriteConflict(
                f"case {aggregate.id}: another writer recorded version {expected_version + 1}"
                f" first (this write started from version {expected_version}); nothing of"
                " this write was stored",
                hint="reload the case and try again",
            ) from None

    def get_case(self, case_id: UUID, version: int | None = None) -> Case:
        try:
            case = self.repository.get(case_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(
                f"no case with id {case_id}",
                hint="`socai case list` shows the cases; receive a person first",
            ) from None
        if not isinstance(case, Case):
            raise NotFound(f"{case_id} is not a case")
        return case

    def case_events(self, case_id: UUID) -> list[CaseEvent]:
        events = [e for e in self.events.get(case_id) if isinstance(e, CaseEvent)]
        if not events:
            raise NotFound(f"no case with id {case_id}", hint="`socai case list` shows the cases")
        return events

    def case_as_known_at(self, case_id: UUID, known_at: datetime) -> Case:
        """The case as the system knew it at record time ``known_at`` (what a report sent
        then was built from): only events recorded by then, corrections included."""
        require_aware(known_at, "--known-at")
        known = [e for e in self.case_events(case_id) if e.timestamp <= known_at]
        if not known:
            raise NotFound(
                f"case {case_id} was not yet recorded at {known_at.isoformat()}",
                hint="choose a later --known-at",
            )
        return self.get_case(case_id, version=known[-1].originator_version)

    def case_ids(self) -> Iterator[UUID]:
        """Every case, in the order received (scans the log for receptions only)."""
        for notification in self.notifications(topics=(Case.Received.TOPIC,)):
            yield UUID(str(notification.originator_id))

    # -- the notification log -----------------------------------------------------------------

    def notifications(
        self, after: int = 0, topics: tuple[str, ...] = (), page_size: int = NOTIFICATION_PAGE_SIZE
    ) -> Iterator[Notification]:
        """Every stored event after position ``after``, in log order, page by page.

        Readers always ask for "greater than the last seen", never "last + 1": PostgreSQL
        positions can have gaps where a refused save burned an id.
        """
        position = after
        while True:
            page = self.recorder.select_notifications(
                start=position, limit=page_size, topics=topics, inclusive_of_start=False
            )
            if not page:
                return
            yield from page
            position = page[-1].id

    def max_position(self) -> int:
        return self.recorder.max_notification_id() or 0
