"""The public envelope (phong bì sự kiện) of an aggregate's events, declared once.

Every public event of a case, an activity, a programme or a criminal case starts with the same
eight fields, in this order: the aggregate's id under its own name (also the message key), the
event's version, kind, business date, record time, officer, agency and legal basis. What each
means in words may differ by aggregate (a case's step, a programme's voucher), so the words of
the id, version, kind, date and legal basis are given by each contract; record time, officer
and agency are worded here, as is the map of the administrative unit an event names
(:func:`unit_fields`). The published schemas are built from these words: changing one changes
a schema's bytes (tests/streams golden files).

After the envelope come the event's own fields. An event whose own fields all leave as
:func:`~streams.contracts.model.shared_field` allows (codes, numbers, dates, document codes;
the contract's free-text fields withheld) is mapped by :func:`plain_mapper`, and rebuilt from
public data by :func:`plain_rebuilder`; :func:`plain_contracts` declares with both the
contracts of an aggregate whose events all are so (an activity, a programme, a criminal case).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import fields as dataclass_fields
from typing import Any

from eventsourcing.domain import CanInitAggregate
from eventsourcing.utils import get_topic

from streams.contracts.model import (
    DATE,
    DATETIME,
    INTEGER,
    STRING,
    STRING_OR_NULL,
    UUID_STRING,
    Contract,
    FieldSpec,
    Mapper,
    domain_envelope,
    public_envelope,
    shared_field,
)
from streams.topics import Stream


def envelope_fields(
    key: str,
    key_meaning: str,
    *,
    version: str,
    kind: str,
    occurred_on: str,
    legal_basis: str,
    recorded: str = "it",
) -> tuple[FieldSpec, ...]:
    """The eight envelope fields; ``recorded`` names what was recorded ("it", "the step")."""
    return (
        FieldSpec(key, UUID_STRING, key_meaning),
        FieldSpec("version", INTEGER, version),
        FieldSpec("kind", STRING, kind),
        FieldSpec("occurred_on", DATE, occurred_on),
        FieldSpec("recorded_at", DATETIME, f"When {recorded} was recorded (UTC)."),
        FieldSpec("officer_id", STRING, f"Officer who recorded {recorded} (mã cán bộ)."),
        FieldSpec("agency", STRING, "Agency of the officer (cơ quan)."),
        FieldSpec("legal_basis", STRING_OR_NULL, legal_basis),
    )


def unit_fields(unit_meaning: str) -> tuple[FieldSpec, FieldSpec]:
    """An event's administrative unit (đơn vị hành chính): ``unit_code`` on the map named by
    ``unit_map`` (a code means nothing without its map, the old one or the 2025 one). What
    the unit is to the event (where a case was received, who was given the money) is worded
    by each contract."""
    return (
        FieldSpec("unit_map", STRING, "Administrative map of unit_code: old | 2025."),
        FieldSpec("unit_code", STRING, unit_meaning),
    )


def plain_mapper(
    specific: Mapping[str, tuple[FieldSpec, ...]],
    key: str,
    *,
    free_text: frozenset[str] = frozenset(),
    also: tuple[str, ...] = (),
) -> Callable[[str], Mapper]:
    """``mapper(kind)``: an event of ``kind`` as public data — its envelope under ``key``,
    then the common fields named in ``also`` and its own fields in ``specific[kind]``, each
    as :func:`shared_field` lets it leave (``free_text`` withheld)."""

    def mapper(kind: str) -> Mapper:
        names = (*also, *(f.name for f in specific[kind]))

        def plain(event: Any) -> dict[str, Any]:
            return {
                **public_envelope(event, key),
                **{name: shared_field(name, getattr(event, name), free_text) for name in names},
            }

        return plain

    return mapper


def plain_rebuilder(
    aggregate: type,
    specific: Mapping[str, tuple[FieldSpec, ...]],
    key: str,
    *,
    also: tuple[str, ...] = (),
    convert: Callable[[str, Any], Any] | None = None,
    withheld: tuple[str, ...] = (),
) -> Callable[[dict[str, Any]], Any]:
    """The inverse of :func:`plain_mapper`: ``to_domain(data)``, the domain event of
    ``aggregate`` (its nested class named ``data["kind"]``) that public ``data`` stands for —
    the envelope under ``key``, the fields named in ``also`` and the kind's own, each read
    through ``convert(name, value)`` when given; the event's fields named in ``withheld``
    (never published) come back empty, and an aggregate's creating event names the aggregate's
    topic, as the library's own creating events do."""
    aggregate_topic = get_topic(aggregate)
    kinds: dict[str, tuple[type, tuple[str, ...], dict[str, Any]]] = {}
    for kind, own in specific.items():
        event_class = getattr(aggregate, kind)
        event_fields = {f.name for f in dataclass_fields(event_class)}
        fixed: dict[str, Any] = {name: None for name in withheld if name in event_fields}
        if issubclass(event_class, CanInitAggregate):
            fixed["originator_topic"] = aggregate_topic
        kinds[kind] = (event_class, (*also, *(f.name for f in own)), fixed)

    def to_domain(data: dict[str, Any]) -> Any:
        kind = data["kind"]
        if kind not in kinds:
            raise ValueError(f"{kind!r} is not a public event kind of {aggregate.__name__}")
        event_class, names, fixed = kinds[kind]
        values = {
            name: data[name] if convert is None else convert(name, data[name]) for name in names
        }
        return event_class(**domain_envelope(data, key), **values, **fixed)

    return to_domain


def plain_contracts(
    aggregate: type,
    specific: Mapping[str, tuple[FieldSpec, ...]],
    key: str,
    *,
    common: tuple[FieldSpec, ...],
    type_prefix: str,
    stream: Stream,
    describe: Callable[[str], str],
    free_text: frozenset[str] = frozenset(),
    also: tuple[str, ...] = (),
    convert: Callable[[str, Any], Any] | None = None,
    withheld: tuple[str, ...] = (),
) -> list[Contract]:
    """One contract per event kind of ``aggregate`` (its nested class named ``kind``): the
    public type ``<type_prefix><kind>.v1`` on ``stream``, the common fields then the kind's
    own, keyed by the aggregate's id under ``key``; mapped by :func:`plain_mapper` and
    rebuilt by :func:`plain_rebuilder` (their keywords are theirs)."""
    mapper = plain_mapper(specific, key, free_text=free_text, also=also)
    to_domain = plain_rebuilder(
        aggregate, specific, key, also=also, convert=convert, withheld=withheld
    )
    return [
        Contract(
            internal_topic=getattr(aggregate, kind).TOPIC,
            public_type=f"{type_prefix}{kind}.v1",
            stream=stream,
            fields=common + own,
            description=describe(kind),
            mapper=mapper(kind),
            subject_of=lambda event: str(event.originator_id),
            to_domain=to_domain,
        )
        for kind, own in specific.items()
    ]
