"""What every bench shares: the size and backend options, stores on SQLite and on a throw-away
PostgreSQL (``infra.devservices``), a synthetic store built in a child process (so the
measuring process's peak RSS is its own), and peak RSS.

Not a bench itself (``make bench`` runs ``bench/[a-z]*.py``).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

#: Default log size of every bench; --events 1000000 / 10000000 for the growth figures.
DEFAULT_EVENTS = 200_000
QUICK_EVENTS = 20_000
EVENTS_PER_CASE_ESTIMATE = 9

StoreURL = Callable[[str], str]


def add_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, help="log size")
    parser.add_argument(
        "--quick", action="store_true", help=f"a small run ({QUICK_EVENTS:,} events)"
    )
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql", "both"), default="both", help="stores"
    )


def events_of(args: argparse.Namespace) -> int:
    return QUICK_EVENTS if args.quick else int(args.events)


def kinds(args: argparse.Namespace) -> tuple[str, ...]:
    return ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)


@contextmanager
def backend(kind: str, folder: Path) -> Iterator[StoreURL]:
    """``url(name)``: a fresh store URL of this kind (a SQLite file or a new PostgreSQL
    database on a server started for the bench)."""
    if kind == "sqlite":
        yield lambda name: f"sqlite:///{folder / (name + '.db')}"
        return
    from infra.devservices.postgres import TemporaryPostgres

    server = TemporaryPostgres().start()
    try:
        yield lambda name: server.create_database(f"{name}_{uuid4().hex[:8]}")
    finally:
        server.stop()


def settings_for(url: str, folder: Path):  # type: ignore[no-untyped-def]
    from infra.keys import create_key_file
    from infra.settings import Settings

    key = folder / f"{uuid4().hex[:8]}.key"
    create_key_file(key)
    return Settings.load(url, str(key))


def _build(url: str, key: str, events: int, seed: int) -> None:
    from infra.scenario import ScenarioConfig, ScenarioGenerator, bulk_load
    from infra.services.socai import Socai
    from infra.settings import Settings

    app = Socai(Settings.load(url, key))
    config = ScenarioConfig(cases=events // EVENTS_PER_CASE_ESTIMATE + 1, seed=seed)
    bulk_load(app, islice(ScenarioGenerator(config).steps(), events))
    app.close()


def build_synthetic(settings, events: int, seed: int = 1_000_000) -> float:  # type: ignore[no-untyped-def]
    """Record ``events`` synthetic scenario steps through the domain (every rule checked,
    AES-GCM + zlib, chained), in a child process; returns the build rate (events/s)."""
    started = time.perf_counter()
    child = multiprocessing.get_context("spawn").Process(
        target=_build, args=(settings.store.raw, str(settings.key_file), events, seed)
    )
    child.start()
    child.join()
    assert child.exitcode == 0, "building the bench store failed"
    return events / (time.perf_counter() - started)


def peak_rss_mib() -> float:
    """This process's peak resident set size so far, plus the largest peak of the child
    processes it has waited for (the relay's encoding worker), in MiB: an upper bound of
    what the phase held at once."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def row(figure: str, kind: str, value: str, baseline: str, ratio: float, goal: str) -> None:
    """One row of the issue's table, as every bench prints it."""
    print(f"| {figure} | {kind} | {value} | {baseline} | {ratio:.2f} | {goal} |", flush=True)


def header() -> None:
    print("| figure | store | socai | baseline (same run) | ratio | goal |")
    print("|---|---|---|---|---|---|", flush=True)


def _call(queue, func, args) -> None:  # type: ignore[no-untyped-def]
    result = func(*args)
    queue.put((result, peak_rss_mib()))


def in_child(func: Callable[..., object], *args: object) -> tuple[object, float]:
    """``func(*args)`` in a fresh (spawned) process: its result and that process's peak RSS
    (MiB), so each measured phase reports its own memory."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_call, args=(queue, func, args))
    child.start()
    result = queue.get()
    child.join()
    assert child.exitcode == 0, f"{func.__name__} failed in its child process"
    return result  # type: ignore[no-any-return]
