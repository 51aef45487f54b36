"""The catalogue of case events: one entry per kind, agreeing with the event classes."""

from __future__ import annotations

from dataclasses import fields

import pytest

from domain.case.aggregate import COMMON_FIELDS, Case
from domain.case.catalogue import CATALOGUE, PERSONAL_EVENT_FIELDS, is_personal_field
from domain.case.commands import Correct
from domain.case.steps import StepKind


def test_every_kind_has_one_entry_with_its_command_check_and_effect() -> None:
    assert set(CATALOGUE) == set(StepKind)
    for kind, spec in CATALOGUE.items():
        assert kind.value == spec.command.EVENT
        assert callable(spec.effect)
        assert spec.check is None or callable(spec.check)


@pytest.mark.parametrize("kind", list(StepKind))
def test_the_event_class_carries_the_commands_fields(kind: StepKind) -> None:
    event_fields = {f.name for f in fields(getattr(Case, kind.value))}
    given = set(CATALOGUE[kind].field_names)
    if CATALOGUE[kind].command is Correct:
        given.discard("more")  # further fields of one correction become events of their own
    assert given | set(COMMON_FIELDS) <= event_fields


def test_personal_fields_are_declared_by_type_not_by_a_list() -> None:
    personal = {k.value: set(s.personal_fields) for k, s in CATALOGUE.items() if s.personal_fields}
    assert personal == {"Received": {"person"}, "ProtectionApplied": {"relative"}}
    assert PERSONAL_EVENT_FIELDS == ("person", "relative")
    assert is_personal_field("person.full_name")
    assert is_personal_field("relative")
    assert not is_personal_field("sex")
    assert not is_personal_field("personal")
