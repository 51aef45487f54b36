"""Public messages straight from stored state (mã hoá từ trạng thái đã lưu), the relay's path.

The relay does not need the library's domain event objects: a stored event's topic names its
contract, its aggregate id and version come with the row, and its decoded state (a plain
mapping: the JSON inside the AES envelope, with the times, dates and ids revived by the
store's own transcodings) holds every field a contract reads. :class:`StoredEncoder` wraps
that mapping in a light :class:`StoredEventView` named after the event class and runs the
contract's own mapper over it, so the mapping rules stay in one place (the contract modules)
and both paths publish the same bytes (tests/streams/test_stored_encoding.py compares every
demo event with :func:`streams.contracts.registry.to_public`, and that with the SDK).

Personal values (the received person, a protected relative) are not opened while decoding:
the store's decoder leaves them :class:`Sealed`, and a view opens one only when a mapper reads
that field (whether a relative is on file), so publishing a reception never touches the
person key tables. A sealed value read any other way is a structured value, which
:func:`streams.contracts.model.public_value` refuses to publish.

Invariants: the aggregate id is the canonical UUID text; upcasting follows the library's
``class_version`` rule; an event without a contract has no message.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.utils import resolve_topic

from domain.case.catalogue import PERSONAL_EVENT_FIELDS
from streams.contracts.model import (
    MAX_MESSAGE_BYTES,
    STRUCTURED_HEADERS,
    Contract,
    EnvelopeText,
    cloudevent_json,
    cloudevent_time,
    envelope_text,
    stable_event_id,
    store_source,
)
from streams.contracts.registry import contract_for_internal

#: One Kafka message: topic, key, value (CloudEvents JSON), headers.
Message = tuple[str, bytes, bytes, tuple[tuple[str, bytes], ...]]
#: A stored event's aggregate id as a recorder gives it: a UUID, or its 32 hex digits.
StoredId = UUID | str

_HEX_ID = re.compile(r"[0-9a-f]{32}")


class Sealed:
    """A personal value the decoder left closed; :meth:`open` decodes it (through the store's
    person key tables) when a contract reads it."""

    __slots__ = ("open",)

    def __init__(self, opener: Callable[[], Any]) -> None:
        self.open = opener


class StoredEventView:
    """A stored event's decoded state read as attributes, as a contract mapper reads a domain
    event (each concrete view class carries the event class's name and ``TOPIC``)."""

    def __init__(self, state: dict[str, Any]) -> None:
        self.__dict__ = state


def _personal(name: str) -> property:
    def opened(view: StoredEventView) -> Any:
        state = view.__dict__
        value = state[name]
        if type(value) is Sealed:
            value = state[name] = value.open()  # opened once, however often it is read
        return value

    return property(opened)


def view_class(event_class: Any) -> type[StoredEventView]:
    """The view of ``event_class``'s stored state: the same name and topic, and personal
    fields opened on read."""
    namespace: dict[str, Any] = {name: _personal(name) for name in PERSONAL_EVENT_FIELDS}
    namespace["TOPIC"] = event_class.TOPIC
    namespace["__slots__"] = ()
    return type(event_class.__name__, (StoredEventView,), namespace)


def canonical_id(originator_id: StoredId) -> str:
    """The aggregate id as text, as ``str(UUID(...))`` writes it (SQLite rows hold the 32 hex
    digits the library stores, PostgreSQL rows a UUID)."""
    if type(originator_id) is str and _HEX_ID.fullmatch(originator_id):
        h = originator_id
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return str(originator_id if isinstance(originator_id, UUID) else UUID(originator_id))


@dataclass(frozen=True, slots=True)
class _Topic:
    """What encoding one stored topic needs, prepared once."""

    contract: Contract
    view: type[StoredEventView]
    event_class: type
    class_version: int
    text: EnvelopeText
    topic: str


class StoredEncoder:
    """Encodes one store's stored events as their public messages (see the module doc)."""

    def __init__(self, store_id: str) -> None:
        self.source = store_source(store_id)
        self._topics: dict[str, _Topic | None] = {}

    def message(
        self, topic: str, originator_id: StoredId, version: int, state: dict[str, Any]
    ) -> Message | None:
        """The message of the stored event (None: no contract maps its topic). ``state`` is
        the decoded state; it becomes the view's attributes (not copied)."""
        prepared = self._topics.get(topic)
        if prepared is None:
            if topic in self._topics:
                return None
            prepared = self._topics[topic] = self._prepare(topic)
            if prepared is None:
                return None
        aggregate = canonical_id(originator_id)
        state["originator_id"] = aggregate
        state["originator_version"] = version
        if prepared.class_version > 1 or "class_version" in state:
            _upcast(prepared.event_class, prepared.class_version, state)
        view = prepared.view(state)
        contract = prepared.contract
        data = contract.data_of(view)
        subject = contract.subject_of(view)
        assert subject, "every public message is keyed"
        value = cloudevent_json(
            prepared.text,
            stable_event_id(self.source, aggregate, version),
            subject,
            cloudevent_time(state["timestamp"]),
            data,
        )
        assert len(value) <= MAX_MESSAGE_BYTES, f"{contract.public_type}: too large"
        return prepared.topic, subject.encode(), value, STRUCTURED_HEADERS

    def _prepare(self, topic: str) -> _Topic | None:
        contract = contract_for_internal(topic)
        if contract is None:
            return None
        event_class = resolve_topic(topic)
        return _Topic(
            contract=contract,
            view=view_class(event_class),
            event_class=event_class,
            class_version=getattr(event_class, "class_version", 1),
            text=envelope_text(contract, self.source),
            topic=contract.stream.topic,
        )


def _upcast(event_class: type, class_version: int, state: dict[str, Any]) -> None:
    """The library's rule (``Mapper.to_domain_event``): a state stored at an older
    ``class_version`` is upcast step by step to the class's."""
    from_version = state.pop("class_version", 1)
    while from_version < class_version:
        getattr(event_class, f"upcast_v{from_version}_v{from_version + 1}")(state)
        from_version += 1
