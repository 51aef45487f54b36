"""Property tests of the funding ledger on a real SQLite store.

Random sequences of pledges, line budgets, allocations, commitments, payments, voids,
reversals, retries and id conflicts must never break the zero-sum invariant, never overdraw an
account, replay to the same balances, leave the store unchanged whenever a command is refused,
and reconcile (every grouping's totals equal what the ledger's accounts say).
"""

from __future__ import annotations

import itertools
import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import event as note_outcome
from hypothesis import strategies as st

from domain.errors import RuleViolation
from domain.funding import commands as money
from domain.funding.aggregate import Programme
from domain.funding.ledger import AccountKind
from infra.scenario.builders import FINANCE, open_app
from infra.scenario.staff import worker
from infra.services.socai import Socai
from projections.funding import (
    DIMENSIONS,
    MEASURES,
    FundingProjector,
    InMemoryLegs,
    legs_behind,
    reconcile,
    totals,
)

pytestmark = pytest.mark.property

SOURCES = (("NSTW", "central", None), ("NSDP", "local", None), ("IOM", "aid", "IOM"))
LINES = ("L1", "L2")
UNITS = (("old", "870"), ("old", "22"), ("2025", "82"))
DAY = date(2020, 6, 1)

amounts = st.integers(min_value=1, max_value=6_000)
index = st.integers(min_value=0, max_value=50)
operation = st.one_of(
    st.tuples(st.just("pledge"), index, amounts),
    st.tuples(st.just("line"), index, index, amounts),
    st.tuples(st.just("allocate"), index, index, index, amounts),
    st.tuples(st.just("commit"), index, amounts),
    st.tuples(st.just("pay_direct"), index, amounts),
    st.tuples(st.just("pay"), index),
    st.tuples(st.just("void"), index),
    st.tuples(st.just("reverse"), index),
    st.tuples(st.just("retry"), index),
    st.tuples(st.just("conflict"), index, amounts),
)


@pytest.fixture(scope="module")
def app() -> Iterator[Socai]:
    with tempfile.TemporaryDirectory() as directory, open_app(Path(directory)) as application:
        yield application


_codes = itertools.count()


def _pick(items: list, i: int):
    return items[i % len(items)] if items else None


def _command(op: tuple, n: int, done: list, allocations: list, commitments: list):
    tid = f"T{n}"
    kind = op[0]
    if kind == "pledge":
        source, skind, donor = SOURCES[op[1] % len(SOURCES)]
        return money.Pledge(
            tid, DAY, source=source, source_kind=skind, donor=donor, amount_vnd=op[2]
        )
    if kind == "line":
        return money.BudgetLine(
            tid,
            DAY,
            line=LINES[op[1] % 2],
            line_title=f"Line {LINES[op[1] % 2]}",
            source=SOURCES[op[2] % len(SOURCES)][0],
            amount_vnd=op[3],
        )
    if kind == "allocate":
        unit_map, unit_code = UNITS[op[3] % len(UNITS)]
        return money.Allocate(
            tid,
            DAY,
            line=LINES[op[1] % 2],
            source=SOURCES[op[2] % 3][0],
            unit_map=unit_map,
            unit_code=unit_code,
            period="2020",
            amount_vnd=op[4],
        )
    if kind in ("commit", "pay_direct"):
        allocation = _pick(allocations, op[1]) or "A-missing"
        cls = money.Commit if kind == "commit" else money.Pay
        return cls(
            tid,
            DAY,
            allocation=allocation,
            amount_vnd=op[2],
            activity="communication_session",
            description="Buổi truyền thông xã",
        )
    if kind == "pay":
        return money.Pay(tid, DAY, commitment=_pick(commitments, op[1]) or "C-missing")
    if kind == "void":
        return money.Void(
            tid, DAY, commitment=_pick(commitments, op[1]) or "C-missing", reason="không thực hiện"
        )
    if kind == "reverse":
        target = _pick(done, op[1])
        return money.Reverse(
            tid, DAY, reverses=target.transaction_id if target else "none", reason="ghi sai"
        )
    if kind == "retry":
        return _pick(done, op[1])
    previous = _pick(done, op[1])
    if previous is None:
        return None
    return money.Pledge(
        previous.transaction_id,
        DAY,
        source="NSTW",
        source_kind="central",
        amount_vnd=op[2] + 7_000_000,
    )


def _ledger_totals(programme: Programme) -> tuple[int, ...]:
    """The five reconciliation totals, read from the ledger's accounts alone."""
    budget = allocated = disbursed = pending = remaining = 0
    for account in programme.ledger.accounts.values():
        net = account.credits_posted - account.debits_posted
        if account.kind is AccountKind.SOURCE:
            budget -= net
        if account.kind in (AccountKind.ALLOCATION, AccountKind.EXPENSE):
            allocated += net
        if account.kind is AccountKind.EXPENSE:
            disbursed += net
            pending += account.credits_pending
        if account.kind in (AccountKind.UNASSIGNED, AccountKind.LINE, AccountKind.ALLOCATION):
            remaining += net - account.debits_pending
    return (budget, allocated, disbursed + pending, disbursed, remaining)


_fixture_ok = [HealthCheck.function_scoped_fixture]


@settings(max_examples=25, deadline=None, suppress_health_check=_fixture_ok)
@given(ops=st.lists(operation, min_size=1, max_size=40))
def test_random_sequences_keep_the_ledger_sound(app: Socai, ops: list) -> None:
    check_random_sequence(app, ops)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=_fixture_ok)
@given(ops=st.lists(operation, min_size=1, max_size=80))
def test_many_long_random_sequences(app: Socai, ops: list) -> None:
    check_random_sequence(app, ops)


def check_random_sequence(app: Socai, ops: list) -> None:
    code = f"PROP-{next(_codes)}"
    app.funding.establish(
        money.Establish(code, "Property programme", date(2016, 1, 1), date(2030, 12, 31), DAY),
        worker(app, FINANCE),
    )
    done: list = []
    allocations: list[str] = []
    commitments: list[str] = []
    # A prelude that gives every source, line and unit some money, so that the random part
    # mostly spends, voids and reverses (and often overdraws) rather than being refused
    # for naming things that do not exist.
    prelude = [("pledge", i, 12_000) for i in range(3)]
    prelude += [("line", i, j, 3_000) for i in range(2) for j in range(3)]
    prelude += [("allocate", i, i, j, 900) for i in range(2) for j in range(3)]
    prelude += [("commit", i, 300) for i in range(3)]
    for n, op in enumerate(prelude + ops):
        command = _command(op, n, done, allocations, commitments)
        if command is None:
            continue
        before = app.log.head()
        try:
            outcome = app.funding.record(code, command, worker(app, FINANCE))
        except RuleViolation as refusal:
            note_outcome(f"refused {op[0]}: {refusal.code}")
            assert app.log.head() == before, "a refused command wrote something"
            continue
        note_outcome(f"{'recorded' if outcome.recorded else 'no-op'} {op[0]}")
        if outcome.recorded:
            assert app.log.head() > before
            done.append(command)
            if isinstance(command, money.Allocate):
                allocations.append(command.transaction_id)
            if isinstance(command, money.Commit):
                commitments.append(command.transaction_id)
        else:
            assert app.log.head() == before, "an idempotent retry wrote something"
        app.funding.programme(code).ledger.assert_invariants()

    live = app.funding.programme(code)
    live.ledger.assert_invariants()
    replayed = app.store.repository.get(live.id, version=live.version)
    assert replayed.ledger.accounts == live.ledger.accounts
    assert replayed.transactions == live.transactions

    legs = InMemoryLegs()
    projector = FundingProjector(legs)
    for _, event in app.funding.events():
        if event.originator_id == live.id:
            legs.add(projector.apply(event))
    expected = _ledger_totals(live)
    for dims in [(d,) for d in DIMENSIONS] + [("line", "source"), ("unit", "year")]:
        rows = reconcile(legs.legs, dims)
        assert totals(rows).figures == expected, dims
        for row in rows:  # each figure is the sum of the transactions behind it
            behind = list(legs_behind(legs.legs, dims, row.key))
            for measure, figure in zip(MEASURES, row.figures, strict=True):
                assert sum(getattr(leg, measure) for leg in behind) == figure
    by_allocation = {row.key[0]: row for row in reconcile(legs.legs, ("allocation",))}
    for allocation_id in allocations:
        account = live.ledger.accounts[f"allocation:{allocation_id}"]
        available = account.credits_posted - account.debits_posted - account.debits_pending
        assert by_allocation[allocation_id].remaining == available
    by_source = {row.key[0]: row for row in reconcile(legs.legs, ("source",))}
    for source, *_ in SOURCES:
        account = live.ledger.accounts.get(f"source:{source}")
        if account is not None:
            assert by_source[source].budget == account.debits_posted - account.credits_posted
