"""Sealing personal data on its way into the store (niêm phong dữ liệu cá nhân).

:class:`SealingMapper` is the store's mapper: before an event is transcoded, each
:class:`~domain.case.values.PersonalData` field is sealed under its subject's key
(:func:`domain.case.subjects.subject_of`) into the vault, and the event is stored with a
:class:`~infra.privacy.vault.PersonalRef` (transcoding ``personal_ref``) in its place. The
domain event itself is not changed; the topic and every other field are stored as before.

Reading back, :class:`PersonalRefAsDict` opens the reference through the vault: the values,
or :class:`~domain.case.values.ErasedPersonalData` once the subject's key was destroyed.
Events written before per-person keys hold their values inline (transcoding
``personal_data``) and still read as they always did: they are never rewritten.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent, Transcoding

from domain.case.subjects import key_id, subject_of
from domain.case.values import PersonalData
from infra.privacy.vault import PersonalRef, PersonVault


class PersonalRefAsDict(Transcoding):
    """A reference to a sealed personal record: ``{"key": key id, "digest": sha-256 hex}``."""

    type = PersonalRef
    name = "personal_ref"

    def __init__(self, vault: Callable[[], PersonVault]) -> None:
        self._vault = vault

    def encode(self, obj: PersonalRef) -> dict[str, str]:
        return {"key": obj.key_id, "digest": obj.digest}

    def decode(self, data: dict[str, str]) -> PersonalData:
        return self._vault().open(PersonalRef(data["key"], data["digest"]))


def _personal_fields(state: dict[str, Any]) -> dict[str, PersonalData]:
    return {k: v for k, v in state.items() if isinstance(v, PersonalData)}


def seals_personal_data(event: object) -> bool:
    """Whether storing ``event`` seals a personal value (the mapper below stores a reference
    to a sealed record in its place)."""
    return bool(_personal_fields(vars(event)))


class SealingMapper(Mapper[Any]):
    """The library's mapper, sealing personal fields first (see module doc)."""

    vault: PersonVault | None = None

    def to_stored_event(self, domain_event: DomainEventProtocol[Any]) -> StoredEvent:
        state = vars(domain_event)
        personal = _personal_fields(state)
        if not personal:
            return super().to_stored_event(domain_event)
        assert self.vault is not None, "the store attaches its vault before any write"
        kind = type(domain_event).__name__
        version = int(state["originator_version"])
        sealed = {
            name: self.vault.seal(
                key_id(state["originator_id"], subject_of(kind, version, name, state)), value
            )
            for name, value in personal.items()
        }
        copy = object.__new__(type(domain_event))
        object.__setattr__(copy, "__dict__", {**state, **sealed})
        return super().to_stored_event(copy)
