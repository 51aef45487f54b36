"""The event log port (nhật ký sự kiện): what readers of the store's one ordered history need.

Both the projection runner (:mod:`projections.framework`) and the Kafka relay
(:mod:`streams.relay`) read the store only through :class:`EventLog`; ``infra`` adapts the
event store to it (:class:`infra.services.eventlog.StoreEventLog`). Readers never see the
library's recorder or mapper.

Invariants every adapter keeps:

- positions are strictly increasing in log order, but may have gaps (a refused PostgreSQL
  save burns an id), so readers always ask for "greater than the last seen", never "last + 1";
- an entry's topic is known without decoding it, so a reader skips the events it does not
  want without paying for decryption and decompression; asked for some topics, the adapter
  filters them in the store's own query, so the others are not even read;
- no position at or below :meth:`EventLog.head` is committed after ``head`` returns (both
  recorders commit ids in order: SQLite's one writer, PostgreSQL's table lock on insert), so
  a reader that read the head first and then every entry of its topics after its position
  has seen all of them up to the head, and may move its position to the head.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol

#: A decoded domain event of any aggregate in the store.
DomainEvent = DomainEventProtocol[UUID]


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One stored event at its log position, decoded only on demand."""

    position: int
    topic: str
    #: The aggregate the event belongs to (a pseudonymous id, readable without decoding).
    originator_id: UUID
    decoder: Callable[[], DomainEvent]
    #: The same event with its personal values left sealed (None: the adapter has no such
    #: decoder, and :meth:`public_event` decodes everything).
    public_decoder: Callable[[], DomainEvent] | None = None

    def event(self) -> DomainEvent:
        """The domain event (decrypted, decompressed and decoded now)."""
        return self.decoder()

    def public_event(self) -> DomainEvent:
        """The domain event with its personal values (dữ liệu cá nhân: a person's name, ID
        number, address, phone) left *sealed*: each such field holds a closed value whose
        ``open()`` would read the person's key table, and nothing else of it is readable.
        For readers that never read personal values (every projection): the vault is not
        queried once per reception, and no personal value is decrypted into memory at all.
        """
        return (self.public_decoder or self.decoder)()


class EventLog(Protocol):
    """The store's notification log, read page by page."""

    def read(self, after: int, limit: int, topics: tuple[str, ...] = ()) -> list[LogEntry]:
        """Up to ``limit`` entries after position ``after``, in log order; only entries of
        ``topics`` when given (an empty tuple means every topic)."""
        ...

    def head(self) -> int:
        """The last committed position in the log (0 for an empty log)."""
        ...
