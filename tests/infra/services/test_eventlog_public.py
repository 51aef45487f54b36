"""``LogEntry.public_event``: the domain event with its personal values left sealed, as every
projection reads the log. It equals the library mapper's event in every other field (same
class, same values), opens a person's key table only when a sealed value is opened, fails on
a damaged state as the library fails, and a rebuild of every projection from it opens no
personal value and gives the tables of a rebuild from the fully decoded events."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import MapperDeserialisationError, StoredEvent
from sqlalchemy import create_engine

from domain.access.roles import Role
from domain.case.values import ErasedPersonalData, PersonalData
from infra.privacy.vault import PersonalRecordMissing
from infra.scenario import ScenarioConfig, ScenarioGenerator, bulk_load
from infra.scenario.staff import Staff
from infra.services.eventlog import public_mapper
from infra.services.socai import Socai
from projections.eventlog import LogEntry
from projections.framework import InProcessRunner, content_digest
from projections.registry import all_projections
from streams.contracts.stored import Sealed
from tests.streams.test_stored_encoding import DAMAGE, case_with_relative  # noqa: F401 (a fixture)

pytestmark = pytest.mark.integration


Store = tuple[Socai, Staff, UUID]


@pytest.fixture
def store(case_with_relative: Store) -> Store:  # noqa: F811 (the fixture imported above)
    """A victim received and protected together with a relative whose data is on file (the
    relay's fixture), then a dozen scenario cases."""
    app, _, _ = case_with_relative
    bulk_load(app, ScenarioGenerator(ScenarioConfig(cases=12, seed=5)).steps())
    return case_with_relative


def counted_opens(app: Socai, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The key ids the store's vault opens from now on (the real vault still opens them)."""
    vault, opens = app.store.vault, []
    real_open = vault.open

    def counted(ref: Any) -> Any:
        opens.append(ref.key_id)
        return real_open(ref)

    monkeypatch.setattr(vault, "open", counted)
    return opens


def test_the_public_event_is_the_event_with_personal_values_sealed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _, _ = store
    entries = app.log.read(0, 100_000)
    opens = counted_opens(app, monkeypatch)
    publics = [entry.public_event() for entry in entries]
    assert opens == [], "decoding publicly opens no personal value"
    sealed_fields = set()
    for entry, public in zip(entries, publics, strict=True):
        full = entry.event()
        assert type(public) is type(full)
        assert vars(public).keys() == vars(full).keys()
        for name, value in vars(full).items():
            if isinstance(value, PersonalData):
                sealed = vars(public)[name]
                assert type(sealed) is Sealed, (entry.topic, name)
                assert sealed.open() == value  # opened only now, through the vault
                sealed_fields.add((type(full).__name__, name))
            else:
                assert vars(public)[name] == value, (entry.topic, name)
    assert {("Received", "person"), ("ProtectionApplied", "relative")} <= sealed_fields


def test_an_erased_person_decodes_publicly_as_before(store: Store) -> None:
    app, team, protected = store
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    app.privacy.erase(dpo, protected, "victim", "QĐ-12/2026", "subject_request")
    (received,) = [
        e for e in app.log.read(0, 100_000, ("socai.case:Received.v1",))
        if e.originator_id == protected
    ]  # fmt: skip
    public = received.public_event()
    assert isinstance(vars(public)["person"].open(), ErasedPersonalData)
    assert isinstance(vars(received.event())["person"], ErasedPersonalData)


def test_a_missing_personal_record_stops_only_what_opens_it(store: Store, tmp_path: Path) -> None:
    """The person key tables altered: the full decode fails with the vault's error; the
    public decode does not read them, and its sealed value fails the same way if opened."""
    app, _, _ = store
    with sqlite3.connect(tmp_path / "s.db") as db:
        db.execute("DELETE FROM socai_person_records")
    received = next(e for e in app.log.read(0, 100_000) if e.topic.endswith("Received.v1"))
    with pytest.raises(MapperDeserialisationError) as full:
        received.event()
    assert isinstance(full.value.__cause__, PersonalRecordMissing)
    with pytest.raises(PersonalRecordMissing):
        vars(received.public_event())["person"].open()


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_state_fails_as_the_library_mapper_fails(store: Store, damage: str) -> None:
    app, _, _ = store
    _, topic, originator_id, version, state = app.log.read_stored(0, 1)[0]
    broken = StoredEvent(originator_id, version, topic, DAMAGE[damage](state))
    with pytest.raises(MapperDeserialisationError) as theirs:
        app.store.mapper.to_domain_event(broken)
    with pytest.raises(MapperDeserialisationError) as ours:
        public_mapper(app.store.mapper).to_domain_event(broken)
    assert str(ours.value) == str(theirs.value)


class FullyDecoded:
    """The store's log with every entry's public event decoded in full (the decode before
    ``public_event``): the reference the public rebuild must equal."""

    def __init__(self, app: Socai) -> None:
        self.log = app.log

    def read(self, after: int, limit: int, topics: tuple[str, ...] = ()) -> list[LogEntry]:
        return [replace(e, public_decoder=None) for e in self.log.read(after, limit, topics)]

    def head(self) -> int:
        return self.log.head()


def test_a_rebuild_opens_no_personal_value_and_equals_the_fully_decoded_one(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _, _ = store
    full = create_engine(f"sqlite:///{tmp_path / 'full.db'}")
    InProcessRunner(FullyDecoded(app), full, all_projections(), batch_size=7).run()
    opens = counted_opens(app, monkeypatch)
    public = create_engine(f"sqlite:///{tmp_path / 'public.db'}")
    InProcessRunner(app.log, public, all_projections(), batch_size=7).run()
    assert opens == []
    for projection in all_projections():
        assert content_digest(public, projection) == content_digest(full, projection)
