"""The event store (kho sự kiện): one event-sourced store for every aggregate.

One :class:`EventStore` (pinned ``name = "socai"``: the name names the tables, so renaming
the class must never point it at a new, empty table) holds cases, programmes and activities,
so there is exactly one notification log — one total order of everything that happened, which
the hash chain, the projections and the Kafka relay all follow.

The store knows persistence, encryption, the clock and the ledger's attach point; the rules
of each aggregate are applied by the application services of :mod:`infra.services`, which all
share one store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, LRUCache
from eventsourcing.domain import Aggregate, DomainEventProtocol, MutableOrImmutableAggregate
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    Mapper,
    MapperDeserialisationError,
    OperationalError,
    Recording,
)

from domain.errors import ConcurrentWriteConflict, NotFound, SocaiError
from domain.time import require_aware, utc_now
from infra import transcodings
from infra.key_check import require_store_key
from infra.keys import load_key
from infra.ledger.chain import chained, recorder_env
from infra.ledger_settings import attach_checkpoints
from infra.privacy.sealing import PersonalRefAsDict, SealingMapper, seals_personal_data
from infra.privacy.vault import PersonalRecordMissing, PersonVault, key_table
from infra.schema.store import require_schema
from infra.settings import Settings

A = TypeVar("A", bound=Aggregate)

Clock = Callable[[], datetime]

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


def _seals_any(aggregate: Aggregate) -> bool:
    return any(seals_personal_data(event) for event in aggregate.pending_events)


class StoreUnreachable(SocaiError):
    """The store cannot be opened: the database does not answer or refuses the login."""


class EventStore(Application[UUID]):
    """The one eventsourcing application of socai: every aggregate, one notification log."""

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
            # before the library creates a table: a new store is initialised, an older or a
            # newer one refused (infra.schema.store)
            self.identity = require_schema(settings)
            super().__init__(env=env)
            require_store_key(self.recorder, key, settings.store.display)
            self.vault = PersonVault(
                key_table(self.recorder, settings.store.sqlite_path),
                key,
                lambda: self.now().isoformat(timespec="microseconds"),
            )
        except (OperationalError, InterfaceError) as error:
            raise StoreUnreachable(
                f"cannot open the store {settings.store.display}: {error}",
                hint="check the host, port, database name and password in --store /"
                " SOCAI_STORE, and that the server is running and accepts connections",
            ) from None
        assert isinstance(self.mapper, SealingMapper)
        self.mapper.vault = self.vault
        chained(self.recorder).in_transaction = self.vault.write_deferred
        self._erasures_seen = self.vault.erasures()
        self._attach_ledger()

    def _attach_ledger(self) -> None:
        """The ledger's one attach point: its checkpoint policy follows this store's writes."""
        attach_checkpoints(self.recorder, self.settings)

    def load(
        self,
        aggregate_id: UUID,
        kind: type[A],
        what: str,
        hint: str = "",
        version: int | None = None,
    ) -> A:
        """The aggregate ``aggregate_id`` of type ``kind`` (at ``version``, when given), or
        :class:`NotFound` naming ``what`` it was meant to be and how to find one."""
        self._forget_if_erased()
        try:
            found: object = self.repository.get(aggregate_id, version=version)
        except AggregateNotFoundError:
            raise NotFound(f"no {what} with id {aggregate_id}", hint=hint) from None
        except MapperDeserialisationError as error:
            if isinstance(error.__cause__, PersonalRecordMissing):
                raise error.__cause__ from None  # a person key table altered: say which key
            raise
        if not isinstance(found, kind):
            raise NotFound(f"{aggregate_id} is not a {what}", hint=hint)
        return found

    def _forget_if_erased(self) -> None:
        """Empty the cache of decoded aggregates when a person's data was erased since the
        last look (by this process or another): a cached case would still hold the values
        decoded before the key was destroyed. One count of the key table's tombstones."""
        erasures = self.vault.erasures()
        if erasures == self._erasures_seen:
            return
        self._erasures_seen = erasures
        cache = self.repository.cache
        if isinstance(cache, LRUCache):
            with cache.lock:
                cache.cache.clear()
                cache.clear()
                cache.full = False
        elif cache is not None:
            cache.cache.clear()

    def save(
        self,
        *objs: MutableOrImmutableAggregate[UUID] | DomainEventProtocol[UUID] | None,
        **kwargs: Any,
    ) -> list[Recording[UUID]]:
        """The library's save, with the personal values it seals written in the same
        transaction as the events that reference them (:meth:`PersonVault.deferring`): a new
        person's key and record cost no commit of their own, and a write that is refused (a
        conflict, a key destroyed meanwhile) leaves no key and no record behind. Every write
        of the store goes through here: services, the scenario's bulk loader, erasures."""
        with self.vault.deferring():
            return super().save(*objs, **kwargs)

    def save_or_refuse(self, aggregate: Aggregate, what: str, *with_it: Aggregate) -> None:
        """Save one aggregate's new events (and those of ``with_it``, in the same
        transaction), or refuse with :class:`ConcurrentWriteConflict` when another writer
        saved a newer version first (optimistic concurrency): the loser is told what
        happened and nothing of its write is stored."""
        started = aggregate.version - len(aggregate.pending_events)
        keep = [a for a in (aggregate, *with_it) if not _seals_any(a)]
        try:
            self.save(aggregate, *with_it)
        except IntegrityError:
            raise ConcurrentWriteConflict(
                f"{what}: another writer recorded version {started + 1} first (this write"
                f" started from version {started}); nothing of this write was stored",
                hint="reload it and try again",
            ) from None
        self._cache_saved(keep)

    def _cache_saved(self, saved: list[Aggregate]) -> None:
        """Keep the aggregates just saved as the repository's cached copies: the next load
        then fast-forwards from the version written here (reading only what other writers
        added since, as before) instead of reading and decoding this write's own events
        again. What a save applied to the aggregate is exactly what replaying its events
        gives (tested against a replay of every case and user); the object saved belongs to
        the cache from now on — a caller that changes the aggregate again loads it again
        (every service does: each write starts with a load).

        An aggregate whose new events hold personal data is not kept: the next load opens
        those values from the vault, as every reader does, so a key table altered meanwhile
        is noticed there and not hidden by values this process still holds."""
        cache = self.repository.cache
        if cache is None:
            return
        for aggregate in saved:
            cache.put(aggregate.id, aggregate)

    def construct_mapper(self) -> Mapper[UUID]:
        """The library's mapper, sealing each person's data under their own key
        (:mod:`infra.privacy.sealing`)."""
        return self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=SealingMapper
        )

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in transcodings.ALL:
            transcoder.register(transcoding())
        transcoder.register(PersonalRefAsDict(lambda: self.vault))

    def now(self) -> datetime:
        """The record time of a write: the clock's reading, which must be timezone-aware."""
        return require_aware(self.clock(), "clock")
