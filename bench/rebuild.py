"""Rebuild throughput: every projection rebuilt from the log, next to reading and decoding
the same log (the ceiling for any rebuild), in the same run, on SQLite and PostgreSQL.

The store is built first (in a child process) from the synthetic scenario with
``infra.scenario.bulk_load``: every rule checked by the ``Case`` aggregate, events encrypted
with AES-GCM and zlib as in production. The read and the rebuild each run in a fresh child
process, so the peak RSS printed is the phase's own; a second row gives the same ratio on
the CPU time of each phase's process (what other jobs on a shared machine do not distort).

    python bench/rebuild.py [--events 200000 | --quick] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._stores import (
    add_options,
    backend,
    build_synthetic,
    events_of,
    header,
    in_child,
    kinds,
    row,
    settings_for,
)


def read_log(url: str, key: str, public: bool = True) -> tuple[int, float, float]:
    """(events, seconds, CPU seconds) to read and decode the whole log.

    ``public``: as the rebuild decodes it (``public_event``: personal values left sealed,
    since no projection reads them): the same decode work, so the ratio compares the
    projections' own work — the row the goal is read on. Otherwise as the library decodes
    every event (``event()``: personal values opened from the vault), the baseline the
    issue measured before the rebuild stopped opening them."""
    from infra.services.socai import Socai
    from infra.settings import Settings

    app = Socai(Settings.load(url, key))
    started, cpu = time.perf_counter(), time.process_time()
    count = 0
    for entry in app.log.entries():
        if public:
            entry.public_event()
        else:
            entry.event()
        count += 1
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    app.close()
    return count, seconds, cpu


def rebuild(url: str, key: str, projections_url: str) -> tuple[int, float, float]:
    """(notifications, seconds, CPU seconds) to rebuild every projection from zero."""
    from sqlalchemy import create_engine, event

    from domain.reference.units import unit_directory
    from infra.projection_db import sqlite_pragmas
    from infra.services.socai import Socai
    from infra.settings import Settings
    from projections.framework import REBUILD_BATCH_SIZE_EVENTS, InProcessRunner
    from projections.registry import all_projections

    unit_directory()  # one-time load of both maps, outside the timing
    app = Socai(Settings.load(url, key))
    engine = create_engine(projections_url)
    if projections_url.startswith("sqlite"):
        event.listen(engine, "connect", sqlite_pragmas)
    runner = InProcessRunner(
        app.log, engine, all_projections(), batch_size=REBUILD_BATCH_SIZE_EVENTS
    )
    started, cpu = time.perf_counter(), time.process_time()
    covered = runner.run()
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert covered > 0
    app.close()
    return covered, seconds, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_options(parser)
    args = parser.parse_args()
    events = events_of(args)
    header()
    for kind in kinds(args):
        with tempfile.TemporaryDirectory() as tmp, backend(kind, Path(tmp)) as url:
            settings = settings_for(url("rebuild"), Path(tmp))
            build_synthetic(settings, events)
            store, key = settings.store.raw, str(settings.key_file)
            projections_url = (
                f"sqlite:///{Path(tmp) / 'projections.db'}"
                if kind == "sqlite"
                else store.replace("postgresql://", "postgresql+psycopg://", 1)
            )
            (count, read_s, read_cpu), read_rss = in_child(read_log, store, key)
            (full_count, full_s, full_cpu), _ = in_child(read_log, store, key, False)
            assert full_count == count
            (covered, rebuild_s, rebuild_cpu), rebuild_rss = in_child(
                rebuild, store, key, projections_url
            )
            read, rate = count / read_s, covered / rebuild_s
            row(
                f"rebuild of all projections, {count:,} events",
                kind,
                f"{rate:,.0f} ev/s, peak RSS {rebuild_rss:,.0f} MiB",
                f"read + decode the log {read:,.0f} ev/s (RSS {read_rss:,.0f} MiB)",
                rate / read,
                "≥ 0.5; RSS < 512 MiB at 1 M",
            )
            # CPU time of each phase's own process (user + system): the same ratio, not
            # distorted by other jobs on a shared machine (the waits for the disk excluded)
            row(
                f"rebuild of all projections, {count:,} events, CPU",
                kind,
                f"{rebuild_cpu / covered * 1e6:,.1f} µs/event",
                f"read + decode the log {read_cpu / count * 1e6:,.1f} µs/event",
                (read_cpu / count) / (rebuild_cpu / covered),
                "(on CPU)",
            )
            row(
                f"rebuild of all projections, {count:,} events, CPU",
                kind,
                f"{rebuild_cpu / covered * 1e6:,.1f} µs/event",
                f"read + full decode (personal values opened) {full_cpu / count * 1e6:,.1f}"
                f" µs/event, {count / full_s:,.0f} ev/s",
                (full_cpu / count) / (rebuild_cpu / covered),
                "(the issue's first baseline)",
            )


if __name__ == "__main__":
    main()
