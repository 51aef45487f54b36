"""Cost of the audit-grade ledger, measured against baselines in the same run.

Prints:
1. append events/s through eventsourcing's plain application recorder and through the
   chained one (one event per transaction, like one command; and 10 per transaction), each on
   a fresh store of the same kind, taking turns every 20 transactions; ratio;
2. full verification events/s (``verify_store``: recompute leaves, chain, checkpoints) against
   a raw ``SELECT`` scan of the same rows, ratio;
3. time to bring the Merkle node cache up to date and sign a checkpoint, then inclusion and
   consistency proof generation time at ``--events`` (default 200,000) events.

Events are stored with realistic encrypted-state sizes; the log is built through the chained
recorder in batches (the same code path as the application).

On SQLite and PostgreSQL (a throw-away server from ``infra.devservices``), each printed as a
row of the issue-18 table (socai, baseline, ratio, goal).

    PYTHONPATH=. python bench/audit.py [--events 200000 | --quick] [--append 2000]
        [--backend sqlite|postgresql|both] [--append-only]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.cryptography import AESCipher
from eventsourcing.persistence import StoredEvent
from psycopg.rows import tuple_row

from bench._stores import add_options, backend, events_of, header, kinds, row, settings_for
from infra.ledger.audit import verify_store
from infra.ledger.checkpoints import create_signing_key, make_checkpoint
from infra.ledger.proofs import consistency_proof, inclusion_proof
from infra.ledger.store import FAST_SCAN_PAGE_ROWS, LedgerTables

STATE_BYTES = 320  # a typical AES-GCM + zlib case event
BUILD_BATCH_EVENTS = 1_000
PROOF_SAMPLES = 20
APPEND_ROUNDS = 3
#: Transactions each recorder writes before the other takes its turn.
APPEND_SLICE_TX = 20


def events(count: int) -> list[StoredEvent]:
    return [
        StoredEvent(
            originator_id=uuid4(),
            originator_version=1,
            topic="socai.case:Received.v1",
            state=os.urandom(STATE_BYTES),
        )
        for _ in range(count)
    ]


def recorder(url: str, folder: Path, chained: bool) -> Any:
    """The application recorder of a fresh store at ``url``: eventsourcing's own (plain) or
    the ledger's chained one, on the same kind of store."""
    from eventsourcing.application import Application

    from infra.application import store_env

    env = store_env(settings_for(url, folder), AESCipher.create_key(32))
    if not chained:
        del env["APPLICATION_RECORDER_TOPIC"]
    app = Application[Any](env=env)
    APPS.append(app)  # keep it open (its pool closes when it is collected)
    return app.recorder


APPS: list[Any] = []


def append_rates(plain: Any, chained: Any, count: int, per_tx: int) -> tuple[float, float]:
    """Events/s of the plain and the chained recorder, each on its own fresh store, taking
    turns every ``APPEND_SLICE_TX`` transactions (who goes first alternates), so that the
    shared machine's changing load falls on both alike."""
    targets = (plain, chained)
    batches = [[events(per_tx) for _ in range(count // per_tx)] for _ in targets]
    spent = [0.0, 0.0]
    for turn, start in enumerate(range(0, count // per_tx, APPEND_SLICE_TX)):
        for which in (0, 1) if turn % 2 == 0 else (1, 0):
            target = targets[which]
            started = time.perf_counter()
            for batch in batches[which][start : start + APPEND_SLICE_TX]:
                target.insert_events(batch)
            spent[which] += time.perf_counter() - started
    written = count // per_tx * per_tx
    return written / spent[0], written / spent[1]


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def verify_times(tables: LedgerTables, public: Any, size: int) -> tuple[float, tuple[float, float]]:
    """One full verification of the intact log: its wall time, and the CPU time it spent in
    this process and in the worker that checks the second part (when the log was split)."""
    before = _cpu()
    started = time.perf_counter()
    report = verify_store(tables, public)
    wall = time.perf_counter() - started
    after = _cpu()
    assert report.intact, report.findings
    assert report.events == size, report.events
    return wall, (after[0] - before[0], after[1] - before[1])


def scan_times(tables: LedgerTables, both: bool) -> tuple[float, float]:
    """One :func:`raw_scan`: its wall time and this process's CPU time (on SQLite the whole
    read; on PostgreSQL the client's share)."""
    before = _cpu()[0]
    wall = timed(lambda: raw_scan(tables, both))
    return wall, _cpu()[0] - before


def _cpu() -> tuple[float, float]:
    """User + system CPU seconds of this process and of its ended children."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def raw_scan(tables: LedgerTables, both: bool) -> None:
    """Read every event row (and, with ``both``, every chain row) as plain tuples, in pages
    of the verifier's size: what any verification must at least pay."""
    for _events, _links in tables.raw_pages() if both else _event_pages(tables):
        pass


def _event_pages(tables: LedgerTables) -> Any:
    sql = tables._sql(
        "SELECT {d.position}, originator_id, originator_version, topic, state FROM {d.events}"
        " WHERE {d.position} > {p} ORDER BY {d.position} LIMIT {p}"
    )
    with tables.cursor() as c:
        cursor = c.sqlite_cursor if tables.kind == "sqlite" else c
        cursor.row_factory = None if tables.kind == "sqlite" else tuple_row
        after = 0
        while True:
            cursor.execute(sql, (after, FAST_SCAN_PAGE_ROWS))
            page = cursor.fetchall()
            if not page:
                return
            yield page, ()
            after = page[-1][0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_options(parser)
    parser.add_argument("--append", type=int, default=2_000, help="events per append round")
    parser.add_argument("--append-only", action="store_true", help="only the chained append rows")
    args = parser.parse_args()
    size = events_of(args) // BUILD_BATCH_EVENTS * BUILD_BATCH_EVENTS
    header()
    for kind in kinds(args):
        with tempfile.TemporaryDirectory() as tmp, backend(kind, Path(tmp)) as url:
            run(kind, url, Path(tmp), args.append, size, args.append_only)


def run(kind: str, url: Any, folder: Path, append: int, size: int, append_only: bool) -> None:
    """Every figure of one kind of store (or only the append rows)."""
    for per_tx in (1, 10):
        rates: dict[bool, list[float]] = {False: [], True: []}
        for round_ in range(APPEND_ROUNDS):
            plain_rate, chained_rate = append_rates(
                recorder(url(f"plain{per_tx}_{round_}"), folder, False),
                recorder(url(f"chained{per_tx}_{round_}"), folder, True),
                append,
                per_tx,
            )
            rates[False].append(plain_rate)
            rates[True].append(chained_rate)
        plain, chained_rate = (statistics.median(rates[c]) for c in (False, True))
        row(
            f"chained append, {per_tx} event/tx (median of {APPEND_ROUNDS})",
            kind,
            f"{chained_rate:,.0f} ev/s",
            f"plain eventsourcing recorder {plain:,.0f} ev/s",
            chained_rate / plain,
            "≥ 0.9",
        )
    if append_only:
        _close_apps()
        return

    log = recorder(url("verify"), folder, True)
    for _ in range(size // BUILD_BATCH_EVENTS):
        log.insert_events(events(BUILD_BATCH_EVENTS))
    tables = LedgerTables(log)
    key = create_signing_key(folder / "bench.signing.pem")
    first_s = timed(lambda: make_checkpoint(tables, key))
    (scan_one, one_cpu), (scan_both, both_cpu) = (
        min(scan_times(tables, both) for _ in range(2)) for both in (False, True)
    )
    verify_s, spent = min(verify_times(tables, key.public_key(), size) for _ in range(2))
    row(
        f"audit verify, {size:,} events",
        kind,
        f"{size / verify_s:,.0f} ev/s",
        f"raw SELECT scan of the events {size / scan_one:,.0f} rows/s",
        scan_one / verify_s,
        "≥ 0.5",
    )
    row(
        f"audit verify, {size:,} events",
        kind,
        f"{size / verify_s:,.0f} ev/s",
        f"raw SELECT scan of events + chain {size / scan_both:,.0f} rows/s",
        scan_both / verify_s,
        "(fairer baseline)",
    )

    print(
        f"  ({kind}: verify {verify_s:.2f} s wall, CPU {spent[0]:.2f} s in this process and"
        f" {spent[1]:.2f} s in its worker; raw scans {scan_one:.2f} s and {scan_both:.2f} s"
        f" wall, CPU {one_cpu:.2f} s and {both_cpu:.2f} s in this process; on two free cores:"
        f" {one_cpu / max(spent):.2f} and {both_cpu / max(spent):.2f}; load average"
        f" {os.getloadavg()[0]:.1f})",
        flush=True,
    )
    log.insert_events(events(BUILD_BATCH_EVENTS))
    extend = timed(lambda: make_checkpoint(tables, key))
    latest = tables.checkpoints()[-1]
    first = tables.checkpoints()[0]
    positions = random.Random(7).sample(range(1, size + 1), PROOF_SAMPLES)
    public = key.public_key()
    prove = timed(lambda: [inclusion_proof(tables, p, latest, public) for p in positions])
    consistent = timed(lambda: consistency_proof(tables, first, latest, public))
    print(
        f"  ({kind}: first checkpoint over {size:,} events {first_s:.1f} s; inclusion"
        f" proof {prove / PROOF_SAMPLES * 1000:.1f} ms; consistency"
        f" {first.tree_size:,}→{latest.tree_size:,} {consistent * 1000:.1f} ms;"
        f" checkpoint after {BUILD_BATCH_EVENTS} more events {extend * 1000:.0f} ms)",
        flush=True,
    )
    _close_apps()


def _close_apps() -> None:
    for app in APPS:
        app.close()
    APPS.clear()


if __name__ == "__main__":
    main()
