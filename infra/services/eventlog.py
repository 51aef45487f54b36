"""The event store's notification log as the :class:`projections.eventlog.EventLog` port.

Only this adapter touches the library's recorder (to select notifications) and mapper (to
decode them); the projection runner, the relay and the services read through it.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from uuid import UUID

from infra.application import EventStore
from projections.eventlog import DomainEvent, LogEntry

#: Notifications are read in pages of this many rows (bounded memory for any log size).
NOTIFICATION_PAGE_SIZE = 1_000


class StoreEventLog:
    """Reads the store's notifications, page by page, decoding only what is asked for."""

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def read(self, after: int, limit: int, topics: tuple[str, ...] = ()) -> list[LogEntry]:
        assert limit > 0, "a page holds at least one notification"
        page = self.store.recorder.select_notifications(
            start=after, limit=limit, topics=topics, inclusive_of_start=False
        )
        decode = self.store.mapper.to_domain_event
        return [LogEntry(n.id, n.topic, _uuid(n.originator_id), partial(decode, n)) for n in page]

    def head(self) -> int:
        return self.store.recorder.max_notification_id() or 0

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
