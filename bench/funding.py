"""Benchmark: recording funding transfers, and reconciling them.

Prints transfers/s for recording ``--transfers`` transfers (default 100,000) through the real
application (SQLite + AES-GCM + zlib, the embedded default) in batches, and for single
commands; the time to replay the programme cold; the time to build the reconciliation tables
from the log and to reconcile. The baseline, measured in the same run on the same store, is
the store alone saving **the same events** (the funding events' fields and values, by an
aggregate that checks nothing: :class:`BenchTransfers`) in the same batch sizes; the earlier
baseline (a trivial event of four fields, about half the stored bytes) is printed as a second
row. They take turns batch by batch, so load on a shared machine affects them alike; the
ratio says what the ledger's checks and bookkeeping cost on top of storing its events. The
mean stored size of each kind of event is printed, so the sameness can be seen.

    PYTHONPATH=. python bench/funding.py [--transfers 100000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.domain import Aggregate
from sqlalchemy import create_engine

from bench._stores import header, row
from domain.case.values import Actor
from domain.funding.aggregate import allocation_account, expense_account
from domain.funding.commands import (
    Allocate,
    BudgetLine,
    Commit,
    Establish,
    MoneyCommand,
    Pay,
    Pledge,
    Void,
)
from infra.scenario.builders import open_app
from infra.scenario.staff import worker
from infra.services.socai import Socai
from projections.framework import REBUILD_BATCH_SIZE_EVENTS, InProcessRunner
from projections.funding_sql import FundingProjection, FundingQueries

ACTOR = Actor("TC-BENCH", "labour_social_affairs")
DAY = date(2020, 6, 1)
UNITS = ("22", "20", "10", "72", "89", "87", "870", "868")
SINGLE_COMMANDS = 2_000


class BenchNote(Aggregate):
    """The earlier baseline: a trivial aggregate whose events carry four fields (about half
    the stored bytes of a transfer; printed as a second row for continuity)."""

    TOPIC = "socai.bench:BenchNote"

    class Created(Aggregate.Created):
        TOPIC = "socai.bench:Created"

    class Noted(Aggregate.Event):
        TOPIC = "socai.bench:Noted.v1"
        transaction_id: str
        amount_vnd: int
        debit_account: str
        credit_account: str

    def note(self, n: int) -> None:
        self.trigger_event(
            self.Noted,
            transaction_id=f"T{n}",
            amount_vnd=1_000 + n,
            debit_account="allocation:A-1",
            credit_account="expense:A-1",
        )


class BenchTransfers(Aggregate):
    """The baseline: the same events as the transfers — the funding events' fields, names
    and values (the command's, the officer's, the accounts the programme would post) — saved
    by an aggregate that checks nothing and keeps nothing but what the next event needs, in
    the same store (AES-GCM + zlib, chained). What is left between the two is the ledger's
    own work: its rules, its balances and the bookkeeping of the programme."""

    TOPIC = "socai.bench:BenchTransfers"

    class Created(Aggregate.Created):
        TOPIC = "socai.bench:TransfersCreated"

    class Committed(Aggregate.Event):
        TOPIC = "socai.bench:Committed.v1"
        occurred_on: date
        officer_id: str
        agency: str
        legal_basis: str | None
        transaction_id: str
        allocation: str
        amount_vnd: int
        purpose_kind: str
        case_id: UUID | None
        support_version: int | None
        activity: str | None
        description: str | None
        debit_account: str
        credit_account: str

    class Paid(Aggregate.Event):
        TOPIC = "socai.bench:Paid.v1"
        occurred_on: date
        officer_id: str
        agency: str
        legal_basis: str | None
        transaction_id: str
        commitment: str | None
        allocation: str
        amount_vnd: int
        purpose_kind: str
        case_id: UUID | None
        support_version: int | None
        activity: str | None
        description: str | None
        debit_account: str
        credit_account: str

    class Voided(Aggregate.Event):
        TOPIC = "socai.bench:Voided.v1"
        occurred_on: date
        officer_id: str
        agency: str
        legal_basis: str | None
        transaction_id: str
        commitment: str
        allocation: str
        amount_vnd: int
        reason: str
        debit_account: str
        credit_account: str

    def __init__(self) -> None:
        self.commitments: dict[str, MoneyCommand] = {}

    def store(self, command: MoneyCommand) -> None:
        """The event the programme records for ``command``, unchecked."""
        common = {
            "occurred_on": command.occurred_on,
            "officer_id": ACTOR.officer_id,
            "agency": ACTOR.agency,
            "legal_basis": command.legal_basis,
            "transaction_id": command.transaction_id,
        }
        if isinstance(command, Void):
            committed = self.commitments[command.commitment]
            assert isinstance(committed, Commit)
            self.trigger_event(
                self.Voided,
                **common,
                commitment=command.commitment,
                allocation=committed.allocation,
                amount_vnd=committed.amount_vnd,
                reason=command.reason,
                **_accounts(committed.allocation),
            )
            return
        source = (
            self.commitments[command.commitment]
            if isinstance(command, Pay) and command.commitment
            else command
        )
        assert isinstance(source, Commit | Pay)
        assert source.allocation is not None
        fields = {
            "allocation": source.allocation,
            "amount_vnd": source.amount_vnd,
            "purpose_kind": source.purpose_kind,
            "case_id": source.case_id,
            "support_version": source.support_version,
            "activity": source.activity,
            "description": source.description,
            **_accounts(source.allocation),
        }
        if isinstance(command, Commit):
            self.commitments[command.transaction_id] = command
            self.trigger_event(self.Committed, **common, **fields)
        else:
            assert isinstance(command, Pay)
            self.trigger_event(self.Paid, **common, commitment=command.commitment, **fields)


def _accounts(allocation: str) -> dict[str, str]:
    return {
        "debit_account": allocation_account(allocation),
        "credit_account": expense_account(allocation),
    }


def spending(n: int, allocations: int, offset: int = 0) -> list[MoneyCommand]:
    """``n`` transfers cycling commit, pay, direct pay, commit, void (5 transfers)."""
    commands: list[MoneyCommand] = []
    i = offset
    while len(commands) < n:
        a = f"A-{i % allocations}"
        what = {"activity": "communication_session", "description": "Buổi truyền thông"}
        cycle: list[MoneyCommand] = [
            Commit(f"C{i}", DAY, allocation=a, amount_vnd=1_000 + i % 97, **what),
            Pay(f"P{i}", DAY, commitment=f"C{i}"),
            Pay(f"D{i}", DAY, allocation=a, amount_vnd=500 + i % 89, **what),
            Commit(f"K{i}", DAY, allocation=a, amount_vnd=700 + i % 83, **what),
            Void(f"V{i}", DAY, commitment=f"K{i}", reason="hủy"),
        ]
        commands.extend(cycle[: n - len(commands)])
        i += 1
    return commands


def setup_programme(app: Socai, code: str, allocations: int) -> None:
    app.funding.establish(
        Establish(code, "Bench", date(2016, 1, 1), date(2030, 12, 31), date(2016, 1, 1)),
        worker(app, ACTOR),
    )
    each = 10**11
    setup: list[MoneyCommand] = [
        Pledge("S", DAY, source="NSTW", source_kind="central", amount_vnd=each * allocations),
        BudgetLine(
            "L", DAY, line="L1", line_title="Line", source="NSTW", amount_vnd=each * allocations
        ),
    ]
    setup += [
        Allocate(
            f"A-{k}",
            DAY,
            line="L1",
            source="NSTW",
            unit_map="old",
            unit_code=UNITS[k % len(UNITS)],
            period="2020",
            amount_vnd=each,
        )
        for k in range(allocations)
    ]
    app.funding.record_batch(code, setup, worker(app, ACTOR))


def stored_sizes(app: Socai) -> dict[str, float]:
    """Mean stored state bytes of the transfers and of each baseline's events."""
    kinds = {
        "socai.funding:": (
            "socai.funding:Committed.v1",
            "socai.funding:Paid.v1",
            "socai.funding:Voided.v1",
        ),
        "socai.bench:BenchTransfers": (
            "socai.bench:Committed.v1",
            "socai.bench:Paid.v1",
            "socai.bench:Voided.v1",
        ),
        "socai.bench:Noted": ("socai.bench:Noted.v1",),
    }
    sizes = {}
    with app.store.recorder.datastore.transaction(commit=False) as cursor:
        for name, topics in kinds.items():
            marks = ",".join("?" * len(topics))
            cursor.execute(
                f"SELECT AVG(LENGTH(state)) AS size FROM stored_events WHERE topic IN ({marks})",
                topics,
            )
            sizes[name] = float(cursor.fetchone()["size"])
    return sizes


def timed(label: str, func, *args):
    started = time.perf_counter()
    result = func(*args)
    seconds = time.perf_counter() - started
    print(f"  {label}: {seconds:.2f} s")
    return result, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--allocations", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        app = open_app(directory)
        print(
            f"funding ledger benchmark: {args.transfers:,} transfers, batches of"
            f" {args.batch:,}, SQLite + AES-GCM + zlib"
        )

        # The store alone (baselines) and the ledger take turns, batch by batch, so that a
        # change in the machine's load during the run affects them alike.
        note = BenchNote()
        app.store.save(note)
        same = BenchTransfers()
        app.store.save(same)
        setup_programme(app, "BENCH", args.allocations)
        officer = worker(app, ACTOR)  # logged in once, as an officer's session is
        commands = spending(args.transfers, args.allocations)
        same_seconds = baseline_seconds = ledger_seconds = 0.0
        for start in range(0, len(commands), args.batch):
            batch = commands[start : start + args.batch]
            started = time.perf_counter()
            for command in batch:
                same.store(command)
            app.store.save(same)
            same_seconds += time.perf_counter() - started
            started = time.perf_counter()
            for n in range(start, start + len(batch)):
                note.note(n)
            app.store.save(note)
            baseline_seconds += time.perf_counter() - started
            started = time.perf_counter()
            app.funding.record_batch("BENCH", batch, officer)
            ledger_seconds += time.perf_counter() - started
        same_batched = len(commands) / same_seconds
        baseline_batched = len(commands) / baseline_seconds
        ledger_batched = len(commands) / ledger_seconds
        sizes = stored_sizes(app)

        # One command per store transaction, taking turns likewise.
        setup_programme(app, "BENCH-1", args.allocations)
        singles = spending(SINGLE_COMMANDS, args.allocations)
        baseline_seconds = ledger_seconds = 0.0
        for command in singles:
            started = time.perf_counter()
            same.store(command)
            app.store.save(same)
            baseline_seconds += time.perf_counter() - started
            started = time.perf_counter()
            app.funding.record("BENCH-1", command, officer)
            ledger_seconds += time.perf_counter() - started
        baseline_single = SINGLE_COMMANDS / baseline_seconds
        ledger_single = SINGLE_COMMANDS / ledger_seconds

        print(
            f"  record, batched: {ledger_batched:,.0f} transfers/s (store alone, same events"
            f" {same_batched:,.0f} events/s, ratio {ledger_batched / same_batched:.2f}; small"
            f" events {baseline_batched:,.0f} events/s, ratio"
            f" {ledger_batched / baseline_batched:.2f})"
        )
        print(
            "  mean stored event (bytes, encrypted + compressed):"
            f" transfers {sizes['socai.funding:']:.0f},"
            f" same events {sizes['socai.bench:BenchTransfers']:.0f},"
            f" small events {sizes['socai.bench:Noted']:.0f}"
        )
        print(
            f"  record, one per command: {ledger_single:,.0f} transfers/s (store alone, same events"
            f" {baseline_single:,.0f} events/s; ratio {ledger_single / baseline_single:.2f})"
        )

        app.close()
        cold = open_app(directory)
        programme, _ = timed(
            f"replay the {len(commands):,}-transfer programme cold", cold.funding.programme, "BENCH"
        )
        programme.ledger.assert_invariants()
        engine = create_engine(f"sqlite:///{directory / 'bench.db.projections.db'}")
        runner = InProcessRunner(
            cold.log, engine, [FundingProjection()], batch_size=REBUILD_BATCH_SIZE_EVENTS
        )
        # the baseline reads and decodes what the projection reads and decodes: the funding
        # projection's topics (the log also holds the baselines' own events, which it skips)
        wanted = FundingProjection.topics
        started, cpu = time.perf_counter(), time.process_time()
        funding_events = sum(1 for _ in cold.log.events(topics=wanted))
        read = funding_events / (time.perf_counter() - started)
        read_cpu = time.process_time() - cpu
        cpu = time.process_time()
        applied, build = timed("build the reconciliation tables from the log", runner.run)
        build_cpu = time.process_time() - cpu
        print(
            f"    ({applied:,} notifications, {funding_events:,} of them the projection's;"
            f" {funding_events / build:,.0f} of its events/s)"
        )
        header()
        row(
            f"funding transfers, batched ({args.batch:,}/batch)",
            "sqlite",
            f"{ledger_batched:,.0f} transfers/s",
            f"the store alone, the same events {same_batched:,.0f} events/s",
            ledger_batched / same_batched,
            "≥ 0.8",
        )
        row(
            f"funding transfers, batched ({args.batch:,}/batch)",
            "sqlite",
            f"{ledger_batched:,.0f} transfers/s",
            f"the store alone, small events (earlier baseline) {baseline_batched:,.0f} events/s",
            ledger_batched / baseline_batched,
            "(earlier)",
        )
        row(
            f"reconciliation tables from the log, {funding_events:,} of {applied:,} notifications",
            "sqlite",
            f"{funding_events / build:,.0f} events/s",
            f"decoded read of the same topics {read:,.0f} events/s",
            funding_events / build / read,
            "≥ 0.5",
        )
        row(  # the same two phases on this process's CPU time (not distorted by other jobs)
            f"reconciliation tables from the log, {funding_events:,} events, CPU",
            "sqlite",
            f"{build_cpu / funding_events * 1e6:,.1f} µs/event",
            f"decoded read of the same topics {read_cpu / funding_events * 1e6:,.1f} µs/event",
            read_cpu / build_cpu,
            "(on CPU)",
        )
        queries = FundingQueries(engine)
        expected = sum(
            account.credits_posted - account.debits_posted
            for code in ("BENCH", "BENCH-1")
            for account in cold.funding.programme(code).ledger.accounts.values()
            if account.key.startswith("expense:")
        )
        for by in (("programme", "line", "source"), ("unit", "month"), ("allocation",)):
            rows, _ = timed(f"reconcile by {','.join(by)}", queries.reconcile, by)
            assert sum(r.disbursed for r in rows) == expected, "reconciliation disagrees"
        cold.close()


if __name__ == "__main__":
    main()
