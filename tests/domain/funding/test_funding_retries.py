"""Idempotency (ghi lại an toàn) of every kind of money transaction, from a programme as it is
kept in memory and from one replayed cold from the store.

A transaction's content is formatted only when its id comes again (not when it is recorded
or replayed), so the comparison must read the same content from a recorded event as from the
command: a retry is a no-op, the same id with any field changed is a conflict, and neither
writes anything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from domain.errors import InvalidInput, RuleViolation
from domain.funding import commands as money
from infra.scenario.builders import FINANCE, open_app
from infra.scenario.staff import worker
from infra.services.socai import Socai

DAY = date(2020, 6, 1)
WHAT = {"activity": "communication_session", "description": "Buổi truyền thông"}

#: One transaction of every kind, in an order the rules accept.
COMMANDS: tuple[money.MoneyCommand, ...] = (
    money.Pledge("S-1", DAY, source="IOM", source_kind="aid", donor="IOM", amount_vnd=9_000_000),
    money.BudgetLine("L-1", DAY, line="L1", line_title="Line", source="IOM", amount_vnd=8_000_000),
    money.Allocate(
        "A-1",
        DAY,
        line="L1",
        source="IOM",
        unit_map="old",
        unit_code="22",
        period="2020",
        amount_vnd=7_000_000,
    ),
    money.Commit("C-1", DAY, allocation="A-1", amount_vnd=100_000, **WHAT),
    money.Pay("P-1", DAY, commitment="C-1"),
    money.Pay("D-1", DAY, allocation="A-1", amount_vnd=50_000, **WHAT),
    money.Commit("C-2", DAY, allocation="A-1", amount_vnd=70_000, **WHAT),
    money.Void("V-1", DAY, commitment="C-2", reason="hủy"),
    money.Reverse("R-1", DAY, reverses="D-1", reason="ghi sai"),
)


def changed(command: money.MoneyCommand) -> list[money.MoneyCommand]:
    """The command with each of its fields but the id changed in turn, where the changed
    value is still a valid command, and only where it changes the compared content."""
    variants = []
    for field in dataclasses.fields(command):
        value = getattr(command, field.name)
        if field.name == "transaction_id" or isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int):
            new: object = value + 1
        elif isinstance(value, date):
            new = date(2020, 5, 31)
        else:
            new = f"{value}-x"
        try:
            variant = dataclasses.replace(command, **{field.name: new})
        except InvalidInput:
            continue  # a code from a closed list: no other valid spelling of this kind
        if variant.content() != command.content():
            variants.append(variant)
    return variants


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Socai]:
    with open_app(tmp_path) as application:
        officer = worker(application, FINANCE)
        application.funding.establish(
            money.Establish(
                "RETRY", "Retries", date(2016, 1, 1), date(2030, 12, 31), date(2016, 1, 1)
            ),
            officer,
        )
        application.funding.record_batch("RETRY", COMMANDS, officer)
        yield application


def check_retries(app: Socai) -> None:
    officer = worker(app, FINANCE)
    head = app.log.head()
    for command in COMMANDS:
        assert not app.funding.record("RETRY", command, officer).recorded, command
        assert changed(command), f"{command.KIND} compares no field"
        for variant in changed(command):
            with pytest.raises(RuleViolation) as refused:
                app.funding.record("RETRY", variant, officer)
            assert refused.value.code == "transaction_conflict", variant
    assert app.log.head() == head, "a retry or a conflict wrote something"


def test_a_retry_of_every_kind_is_a_no_op_and_any_change_a_conflict(app: Socai) -> None:
    check_retries(app)


def test_the_same_holds_for_a_programme_replayed_cold(app: Socai, tmp_path: Path) -> None:
    app.close()
    with open_app(tmp_path) as cold:
        assert "RETRY" in cold.funding.codes()
        check_retries(cold)


def test_a_whole_batch_repeated_is_a_no_op(app: Socai) -> None:
    head = app.log.head()
    outcomes = app.funding.record_batch("RETRY", COMMANDS, worker(app, FINANCE))
    assert [o.recorded for o in outcomes] == [False] * len(COMMANDS)
    assert app.log.head() == head
