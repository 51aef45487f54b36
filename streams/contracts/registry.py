"""Every public contract, looked up by internal topic or public type, and the mapping of one
stored event to its public message (or to nothing: unmapped events never leave)."""

from __future__ import annotations

from typing import Any

from streams.contracts.activity import activity_contracts
from streams.contracts.audit import CHECKPOINT_INTERNAL_TOPIC, checkpoint_contract
from streams.contracts.case import case_contracts
from streams.contracts.funding import funding_contracts
from streams.contracts.model import Contract, PublicMessage, stable_event_id, store_source
from streams.contracts.proceedings import proceedings_contracts

CONTRACTS: tuple[Contract, ...] = (
    *case_contracts(),
    *activity_contracts(),
    *funding_contracts(),
    *proceedings_contracts(),
    checkpoint_contract(),
)
_BY_INTERNAL = {c.internal_topic: c for c in CONTRACTS}
_BY_TYPE = {c.public_type: c for c in CONTRACTS}
assert len(_BY_INTERNAL) == len(CONTRACTS) == len(_BY_TYPE), "one contract per type"


def contract_for_internal(topic: str) -> Contract | None:
    return _BY_INTERNAL.get(topic)


def contract_for_type(public_type: str) -> Contract:
    try:
        return _BY_TYPE[public_type]
    except KeyError:
        raise KeyError(f"no public contract {public_type!r}") from None


def published_internal_topics() -> tuple[str, ...]:
    """Stored event topics the relay publishes (checkpoints are published on their own)."""
    return tuple(
        c.internal_topic for c in CONTRACTS if c.internal_topic != CHECKPOINT_INTERNAL_TOPIC
    )


def to_public(event: Any, store_id: str) -> PublicMessage | None:
    """The public message of a stored domain event, or None when no contract maps it."""
    topic = getattr(type(event), "TOPIC", None)
    contract = _BY_INTERNAL.get(topic) if topic is not None else None
    if contract is None:
        return None
    source = store_source(store_id)
    return PublicMessage.build(
        contract,
        event_id=stable_event_id(source, event.originator_id, event.originator_version),
        source=source,
        subject=contract.subject_of(event),
        time=event.timestamp,
        data=contract.data_of(event),
    )


def domain_event_of(envelope: dict[str, Any]) -> Any:
    """The domain event a published CloudEvent stands for (personal fields empty), for
    drivers of the projections; None for types without a reverse mapping (checkpoints)."""
    contract = contract_for_type(envelope["type"])
    if contract.to_domain is None:
        return None
    return contract.to_domain(envelope["data"])
