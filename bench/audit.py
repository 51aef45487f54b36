"""Cost of the audit-grade ledger, measured against baselines in the same run.

Prints:
1. append events/s through eventsourcing's plain SQLite application recorder and through the
   chained one (one event per transaction, like one command; and 10 per transaction), ratio;
2. full verification events/s (``verify_store``: recompute leaves, chain, checkpoints) against
   a raw ``SELECT`` scan of the same rows, ratio;
3. time to bring the Merkle node cache up to date and sign a checkpoint, then inclusion and
   consistency proof generation time at ``--events`` (default 1,000,000) events.

Events are stored with realistic encrypted-state sizes; the log is built through the chained
recorder in batches (the same code path as the application).

    PYTHONPATH=. python bench/audit.py [--events 1000000] [--append 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteDatastore

from infra.ledger.audit import verify_store
from infra.ledger.chain import ChainedSQLiteRecorder
from infra.ledger.checkpoints import create_signing_key, make_checkpoint
from infra.ledger.proofs import consistency_proof, inclusion_proof
from infra.ledger.store import LedgerTables

STATE_BYTES = 320  # a typical AES-GCM + zlib case event
BUILD_BATCH_EVENTS = 1_000
PROOF_SAMPLES = 20
APPEND_ROUNDS = 3


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


def recorder(cls: type[SQLiteApplicationRecorder], path: Path) -> SQLiteApplicationRecorder:
    made = cls(SQLiteDatastore(str(path), lock_timeout=10))
    made.create_table()
    return made


def append_rate(cls: type[SQLiteApplicationRecorder], path: Path, count: int, per_tx: int) -> float:
    target = recorder(cls, path)
    batches = [events(per_tx) for _ in range(count // per_tx)]
    started = time.perf_counter()
    for batch in batches:
        target.insert_events(batch)
    return count / (time.perf_counter() - started)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--append", type=int, default=2_000)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="socai-bench-audit-"))

    print(
        f"1. append ({args.append} events, {STATE_BYTES}-byte states, SQLite file; median of"
        f" {APPEND_ROUNDS} alternating rounds, since fsync time on a shared disk is noisy)"
    )
    for per_tx in (1, 10):
        rates: dict[str, list[float]] = {"plain": [], "chained": []}
        for round_ in range(APPEND_ROUNDS):
            for name, cls in (
                ("plain", SQLiteApplicationRecorder),
                ("chained", ChainedSQLiteRecorder),
            ):
                target = directory / f"{name}-{per_tx}-{round_}.db"
                rates[name].append(append_rate(cls, target, args.append, per_tx))
        plain, chained = statistics.median(rates["plain"]), statistics.median(rates["chained"])
        print(
            f"   {per_tx:>2} event/tx: plain {plain:9,.0f} ev/s   chained {chained:9,.0f} ev/s"
            f"   ratio {chained / plain:.2f}"
        )

    path = directory / "big.db"
    log = recorder(ChainedSQLiteRecorder, path)
    build = timed(
        lambda: [
            log.insert_events(events(BUILD_BATCH_EVENTS))
            for _ in range(args.events // BUILD_BATCH_EVENTS)
        ]
    )
    size = args.events // BUILD_BATCH_EVENTS * BUILD_BATCH_EVENTS
    print(
        f"   (built a log of {size:,} events in {build:.1f} s,"
        f" {size / build:,.0f} ev/s at {BUILD_BATCH_EVENTS} ev/tx)"
    )

    tables = LedgerTables(log)
    key = create_signing_key(directory / "bench.signing.pem")
    started = time.perf_counter()
    first = make_checkpoint(tables, key)
    first_time = time.perf_counter() - started
    print(
        f"   first signed checkpoint over {size:,} events (builds the Merkle node cache):"
        f" {first_time:.1f} s"
    )

    def raw_scan() -> None:
        with sqlite3.connect(path) as raw:
            for _ in raw.execute("SELECT rowid, * FROM stored_events ORDER BY rowid"):
                pass

    scan = timed(raw_scan)
    verify = timed(lambda: verify_store(tables, key.public_key()))
    print(
        f"\n2. verify {size:,} events: {size / verify:,.0f} ev/s; raw SELECT scan"
        f" {size / scan:,.0f} ev/s; ratio {scan / verify:.3f}"
    )

    log.insert_events(events(BUILD_BATCH_EVENTS))
    extend = timed(lambda: make_checkpoint(tables, key))
    latest = tables.checkpoints()[-1]
    positions = random.Random(7).sample(range(1, size + 1), PROOF_SAMPLES)
    public = key.public_key()
    prove = timed(lambda: [inclusion_proof(tables, p, latest, public) for p in positions])
    consistent = timed(lambda: consistency_proof(tables, first, latest, public))
    print(
        f"\n3. proofs at {latest.tree_size:,} events: inclusion proof"
        f" {prove / PROOF_SAMPLES * 1000:.1f} ms each (generated and self-verified, mean of"
        f" {PROOF_SAMPLES}); consistency {first.tree_size:,}→{latest.tree_size:,}"
        f" {consistent * 1000:.1f} ms; checkpoint after {BUILD_BATCH_EVENTS} more events"
        f" {extend * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
