"""Rebuild throughput: all projections from N events (default 1,000,000), next to the rate
at which the same run reads and decodes the notification log (the ceiling for any rebuild).

The store is built first from the lead's synthetic scenario with ``infra.scenario.bulk_load``
(every rule checked by the ``Case`` aggregate, events encrypted with AES-GCM and zlib as in
production, many cases saved per transaction).
Pass ``--store PATH`` to keep the built store and reuse it in a later run.

    python bench/rebuild.py [--events 1000000] [--store /tmp/bench-1m.db]

Prints: events in the log, decoded read rate (events/s), rebuild rate (events/s), their
ratio, and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event

from domain.reference.units import unit_directory
from infra.keys import create_key_file
from infra.projection_db import sqlite_pragmas
from infra.scenario import ScenarioConfig, ScenarioGenerator, bulk_load
from infra.services.socai import Socai
from infra.settings import Settings
from projections.framework import REBUILD_BATCH_SIZE_EVENTS, InProcessRunner
from projections.registry import all_projections

EVENTS_PER_CASE_ESTIMATE = 9


def open_store(path: Path) -> Socai:
    key = path.with_name(path.name + ".key")
    if not key.exists():
        create_key_file(key)
    return Socai(Settings.load(f"sqlite:///{path}", str(key)))


def build(app: Socai, events: int) -> None:
    """Record about ``events`` scenario steps through the domain (``infra.scenario``)."""
    config = ScenarioConfig(cases=events // EVENTS_PER_CASE_ESTIMATE + 1, seed=1_000_000)
    started = time.perf_counter()
    written = bulk_load(app, islice(ScenarioGenerator(config).steps(), events))
    print(f"  built {written:,} events ({written / (time.perf_counter() - started):,.0f}/s)")


def read_rate(app: Socai) -> tuple[int, float]:
    started = time.perf_counter()
    count = 0
    for entry in app.log.entries():
        entry.event()
        count += 1
    return count, count / (time.perf_counter() - started)


def rebuild_rate(app: Socai, path: Path) -> float:
    path.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", sqlite_pragmas)
    runner = InProcessRunner(
        app.log, engine, all_projections(), batch_size=REBUILD_BATCH_SIZE_EVENTS
    )
    started = time.perf_counter()
    covered = runner.run()
    elapsed = time.perf_counter() - started
    assert covered == app.log.head()
    return covered / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="SQLite store to build (or reuse when it already has events).",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp) / "bench.db"
        app = open_store(store)
        if app.log.head() == 0:
            print(f"building a store of {args.events:,} events in {store} ...", flush=True)
            build(app, args.events)
        started = time.perf_counter()
        unit_directory()  # one-time load of both maps (~0.3 s idle), outside the timings
        directory_s = time.perf_counter() - started
        count, read = read_rate(app)
        rebuild = rebuild_rate(app, Path(tmp) / "projections.db")
        peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        app.close()
    print(f"events in the notification log       : {count:12,}")
    print(f"read + decode the log (baseline)     : {read:12,.0f} events/s")
    print(f"rebuild all projections              : {rebuild:12,.0f} events/s")
    print(f"ratio rebuild / read                 : {rebuild / read:12.2f}")
    print(f"unit directory load (once, untimed)  : {directory_s:12.1f} s")
    print(f"peak RSS                             : {peak_mib:12,.0f} MiB")


if __name__ == "__main__":
    main()
