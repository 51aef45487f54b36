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
mean stored size of each kind of event is printed, so the sameness can be seen. The batched
row is also printed in process CPU time per transfer (each side's own, in the same run): on
a shared machine other jobs' load hides part of the wall-clock difference, not the CPU one.

    PYTHONPATH=. python bench/funding.py [--transfers 100000] [--batch 1000]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.domain import Aggregate
from sqlalchemy import create_engine

from bench._stores import header, row
from domain.case.values import Actor
from domain.funding import commands as money
from domain.funding.aggregate import Programme, record_event, spending_fields, void_fields
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


class _Unchecked:
    """The effect of a baseline's copy of a funding event: none (it keeps no ledger)."""

    def apply(self, aggregate: object) -> None:
        """Changes nothing."""


class BenchTransfers(Aggregate):
    """The baseline: the same events as the transfers — the funding events' own classes
    (their fields, under the bench's topics), values (the command's, the officer's, the
    accounts the programme would post) and record times (the store's clock), made and queued
    as the programme makes them (:func:`record_event`, :func:`spending_fields`,
    :func:`void_fields`) — saved by an aggregate that checks nothing and keeps nothing but
    what the next event needs, in the same store (AES-GCM + zlib, chained). What is left
    between the two is the ledger's own work: its rules, its balances and the bookkeeping of
    the programme."""

    TOPIC = "socai.bench:BenchTransfers"

    class Created(Aggregate.Created):
        TOPIC = "socai.bench:TransfersCreated"

    class Committed(_Unchecked, Programme.Committed):
        TOPIC = "socai.bench:Committed.v1"

    class Paid(_Unchecked, Programme.Paid):
        TOPIC = "socai.bench:Paid.v1"

    class Voided(_Unchecked, Programme.Voided):
        TOPIC = "socai.bench:Voided.v1"

    def __init__(self) -> None:
        self.commitments: dict[str, money.Commit] = {}

    def store(self, command: money.MoneyCommand, recorded_at: datetime) -> None:
        """The event the programme records for ``command``, unchecked."""
        if isinstance(command, money.Void):
            event_class: type = self.Voided
            fields = void_fields(self.commitments[command.commitment], command.reason)
        elif isinstance(command, money.Commit):
            self.commitments[command.transaction_id] = command
            event_class, fields = (
                self.Committed,
                spending_fields(command, command.allocation, command.amount_vnd),
            )
        else:
            assert isinstance(command, money.Pay)
            paid = self.commitments[command.commitment] if command.commitment else command
            assert paid.allocation is not None
            assert paid.amount_vnd is not None
            event_class = self.Paid
            fields = {
                "commitment": command.commitment,
                **spending_fields(paid, paid.allocation, paid.amount_vnd),
            }
        record_event(
            self, event_class, command, ACTOR.officer_id, ACTOR.agency, recorded_at, fields
        )


def spending(n: int, allocations: int, offset: int = 0) -> list[money.MoneyCommand]:
    """``n`` transfers cycling commit, pay, direct pay, commit, void (5 transfers)."""
    commands: list[money.MoneyCommand] = []
    i = offset
    while len(commands) < n:
        a = f"A-{i % allocations}"
        what = {"activity": "communication_session", "description": "Buổi truyền thông"}
        cycle: list[money.MoneyCommand] = [
            money.Commit(f"C{i}", DAY, allocation=a, amount_vnd=1_000 + i % 97, **what),
            money.Pay(f"P{i}", DAY, commitment=f"C{i}"),
            money.Pay(f"D{i}", DAY, allocation=a, amount_vnd=500 + i % 89, **what),
            money.Commit(f"K{i}", DAY, allocation=a, amount_vnd=700 + i % 83, **what),
            money.Void(f"V{i}", DAY, commitment=f"K{i}", reason="hủy"),
        ]
        commands.extend(cycle[: n - len(commands)])
        i += 1
    return commands


def setup_programme(app: Socai, code: str, allocations: int) -> None:
    app.funding.establish(
        money.Establish(code, "Bench", date(2016, 1, 1), date(2030, 12, 31), date(2016, 1, 1)),
        worker(app, ACTOR),
    )
    each = 10**11
    setup: list[money.MoneyCommand] = [
        money.Pledge("S", DAY, source="NSTW", source_kind="central", amount_vnd=each * allocations),
        money.BudgetLine(
            "L", DAY, line="L1", line_title="Line", source="NSTW", amount_vnd=each * allocations
        ),
    ]
    setup += [
        money.Allocate(
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


class GcClock:
    """Process CPU time spent in Python's garbage collector (``gc.callbacks``). A full
    collection scans the whole heap (a tenth of a second here) and falls on whichever side
    happens to allocate past its threshold: a few of them decide several hundredths of a
    ratio, so the bench prints them apart."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started

    def close(self) -> None:
        gc.callbacks.remove(self._tick)


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
        same_cpu = ledger_cpu = 0.0  # process CPU time of each side: what load cannot hide
        same_gc = ledger_gc = 0.0  # of it, in the garbage collector
        collector = GcClock()
        for start in range(0, len(commands), args.batch):
            batch = commands[start : start + args.batch]
            started, cpu, in_gc = time.perf_counter(), time.process_time(), collector.seconds
            for command in batch:
                same.store(command, app.store.now())
            app.store.save(same)
            same_seconds += time.perf_counter() - started
            same_cpu += time.process_time() - cpu
            same_gc += collector.seconds - in_gc
            started = time.perf_counter()
            for n in range(start, start + len(batch)):
                note.note(n)
            app.store.save(note)
            baseline_seconds += time.perf_counter() - started
            started, cpu, in_gc = time.perf_counter(), time.process_time(), collector.seconds
            app.funding.record_batch("BENCH", batch, officer)
            ledger_seconds += time.perf_counter() - started
            ledger_cpu += time.process_time() - cpu
            ledger_gc += collector.seconds - in_gc
        collector.close()
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
            same.store(command, app.store.now())
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
        per = 1e6 / len(commands)
        print(
            f"  record, batched, CPU per transfer: ledger {ledger_cpu * per:.1f} µs (garbage"
            f" collection {ledger_gc * per:.1f}), store alone with the same events"
            f" {same_cpu * per:.1f} µs (garbage collection {same_gc * per:.1f}); ratio"
            f" {same_cpu / ledger_cpu:.2f}, without garbage collection"
            f" {(same_cpu - same_gc) / (ledger_cpu - ledger_gc):.2f}"
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
            f"funding transfers, batched ({args.batch:,}/batch), CPU time",
            "sqlite",
            f"{ledger_cpu * per:.1f} µs/transfer",
            f"the store alone, the same events {same_cpu * per:.1f} µs/event",
            same_cpu / ledger_cpu,
            "",
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
