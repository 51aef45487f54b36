"""Rebuild throughput: all projections from N events (default 1,000,000), next to the rate
at which the same run reads and decodes the notification log (the ceiling for any rebuild).

The store is built first from the lead's synthetic scenario through the domain (every rule
checked by the ``Case`` aggregate, events encrypted with AES-GCM and zlib as in production);
to keep that part short, aggregates stay in memory and are saved many per transaction.
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
from collections import OrderedDict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, event

from domain.case.aggregate import Case
from domain.case.commands import Receive
from domain.errors import RuleViolation
from domain.reference.units import unit_directory
from infra.application import SocaiApplication
from infra.keys import create_key_file
from infra.projection_db import sqlite_pragmas
from infra.settings import Settings
from infra.synthetic import ScenarioConfig, ScenarioGenerator
from projections.framework import REBUILD_BATCH_SIZE_EVENTS, InProcessRunner
from projections.registry import all_projections

#: Aggregates kept in memory while building the store (older ones are reloaded if needed).
CACHE_AGGREGATES = 20_000
#: Steps recorded per save (one transaction) while building the store.
SAVE_EVERY_STEPS = 500
EVENTS_PER_CASE_ESTIMATE = 9


def open_store(path: Path) -> SocaiApplication:
    key = path.with_name(path.name + ".key")
    if not key.exists():
        create_key_file(key)
    return SocaiApplication(Settings.load(f"sqlite:///{path}", str(key)))


def build(app: SocaiApplication, events: int) -> None:
    """Record about ``events`` scenario steps through the domain, many per transaction."""
    config = ScenarioConfig(cases=events // EVENTS_PER_CASE_ESTIMATE + 1, seed=1_000_000)
    cache: OrderedDict = OrderedDict()
    dirty: dict = {}
    written = 0
    started = time.perf_counter()
    for step in ScenarioGenerator(config).steps():
        if written >= events:
            break
        try:
            if isinstance(step.command, Receive):
                case = Case.receive(step.case_id, step.command, step.actor, step.recorded_at)
            else:
                case = cache.get(step.case_id) or dirty.get(step.case_id) \
                    or app.repository.get(step.case_id)
                case.execute(step.command, step.actor, step.recorded_at)
        except RuleViolation:
            continue
        cache[step.case_id] = case
        cache.move_to_end(step.case_id)
        dirty[step.case_id] = case
        written += 1
        if written % SAVE_EVERY_STEPS == 0:
            app.save(*dirty.values())
            dirty.clear()
            while len(cache) > CACHE_AGGREGATES:
                cache.popitem(last=False)
            if written % 100_000 == 0:
                rate = written / (time.perf_counter() - started)
                print(f"  built {written:,} events ({rate:,.0f}/s)", flush=True)
    if dirty:
        app.save(*dirty.values())


def read_rate(app: SocaiApplication) -> tuple[int, float]:
    started = time.perf_counter()
    count = 0
    for notification in app.notifications():
        app.mapper.to_domain_event(notification)
        count += 1
    return count, count / (time.perf_counter() - started)


def rebuild_rate(app: SocaiApplication, path: Path) -> float:
    path.unlink(missing_ok=True)
    engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", sqlite_pragmas)
    runner = InProcessRunner(app, engine, all_projections(),
                             batch_size=REBUILD_BATCH_SIZE_EVENTS)
    started = time.perf_counter()
    covered = runner.run()
    elapsed = time.perf_counter() - started
    assert covered == app.max_position()
    return covered / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, default=None,
                        help="SQLite store to build (or reuse when it already has events).")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or Path(tmp) / "bench.db"
        app = open_store(store)
        if app.max_position() == 0:
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
