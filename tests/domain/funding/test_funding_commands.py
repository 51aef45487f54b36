"""Every funding command checks each of its declared fields, naming the field it refuses."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.funding.commands import (
    Allocate,
    BudgetLine,
    Commit,
    FundingCommand,
    Pledge,
    Reverse,
    Void,
    _optional_text,
    _period_label,
    _source_kind,
    _unit_map,
)
from domain.funding.values import MAX_TEXT_CHARS, require_id, require_text
from domain.money import require_amount_vnd


def checks(command: type[FundingCommand]) -> list[tuple[str, Any]]:
    """The command's checked fields and their checks, in the order they run."""
    return [(f.name, f.metadata["check"]) for f in fields(command) if "check" in f.metadata]


ENVELOPE = {"transaction_id": "T-1", "occurred_on": "2020-06-01", "legal_basis": "QĐ-1"}

#: A command of each kind that is accepted, as the fields a caller gives.
VALID: dict[type[FundingCommand], dict[str, Any]] = {
    Pledge: {"source": "S1", "source_kind": "central", "amount_vnd": "1.000.000"},
    BudgetLine: {"line": "L1", "line_title": "Hỗ trợ", "source": "S1", "amount_vnd": 1_000},
    Allocate: {
        "line": "L1",
        "source": "S1",
        "unit_map": "old",
        "unit_code": "22",
        "period": "2020-h1",
        "amount_vnd": 1_000,
    },
    Commit: {
        "allocation": "A1",
        "amount_vnd": 1_000,
        "activity": "communication_session",
        "description": "tập huấn",
    },
    Void: {"commitment": "C1", "reason": "nhầm"},
    Reverse: {"reverses": "P1", "reason": "nhầm"},
}

#: A value each check refuses (a careless operator's or an attacker's).
BAD: dict[object, list[object]] = {
    require_id: ["", "has space", "x" * 65, None],
    require_text: ["", "  ", "x" * (MAX_TEXT_CHARS + 1)],
    require_amount_vnd: [0, -5, "1,5", 1.5, ""],
    _source_kind: ["", "grant"],
    _unit_map: ["", "mars"],
    _period_label: ["", "2020-13", "someday"],
    _optional_text: ["x" * (MAX_TEXT_CHARS + 1)],
}

CASES = [
    pytest.param(command, name, bad, id=f"{command.__name__}.{name}={bad!r}"[:60])
    for command in VALID
    for name, check in checks(command)
    for bad in BAD[check]
]


@pytest.mark.parametrize("command", list(VALID))
def test_each_command_is_accepted_with_its_fields_normalised(command: type[FundingCommand]) -> None:
    made = command(**ENVELOPE, **VALID[command])
    for name, check in checks(command):
        assert getattr(made, name) == check(getattr(made, name), name)


def test_every_checked_command_is_covered() -> None:
    assert all(checks(c) for c in VALID)
    assert {check for c in VALID for _, check in checks(c)} <= set(BAD)


@pytest.mark.parametrize(("command", "name", "bad"), CASES)
def test_a_bad_value_is_refused_naming_its_field(
    command: type[FundingCommand], name: str, bad: object
) -> None:
    with pytest.raises(InvalidInput) as refused:
        command(**ENVELOPE, **{**VALID[command], name: bad})
    assert refused.value.field == name


def test_the_rules_between_fields_come_after_each_field_is_checked() -> None:
    with pytest.raises(InvalidInput) as refused:
        Pledge(**ENVELOPE, **{**VALID[Pledge], "source_kind": "aid"})
    assert refused.value.field == "donor"
    with pytest.raises(InvalidInput) as refused:
        Allocate(**ENVELOPE, **{**VALID[Allocate], "unit_code": "99999"})
    assert refused.value.field == "unit"
    assert Allocate(**ENVELOPE, **VALID[Allocate]).period == "2020-H1"
