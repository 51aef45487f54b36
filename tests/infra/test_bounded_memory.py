"""Verify, rebuild and relay read the log in bounded memory (not timed).

Each runs in a fresh process on a small and on a five times larger synthetic store; the
larger run's peak RSS (``ru_maxrss``, plus the largest of its child processes': the relay's
encoding worker) must stay within 1.5× of the smaller one's — a reader
that held the whole log (or anything per event) would grow about five-fold. Sizes default to
20,000 and 100,000 events so the test fits the suite; ``SOCAI_MEMORY_EVENTS=200000,1000000``
runs the sizes of issue 18 (docs/PERFORMANCE.md records such a run).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path

import pytest

from infra.keys import create_key_file
from infra.scenario import ScenarioConfig, ScenarioGenerator, bulk_load
from infra.services.socai import Socai
from infra.settings import Settings

pytestmark = pytest.mark.slow

SIZES = tuple(int(n) for n in os.environ.get("SOCAI_MEMORY_EVENTS", "20000,100000").split(","))
#: The larger store's peak RSS may be at most this multiple of the smaller one's.
GROWTH_LIMIT = 1.5


def _build(url: str, key: str, events: int) -> None:
    app = Socai(Settings.load(url, key))
    config = ScenarioConfig(cases=events // 9 + 1, seed=18)
    bulk_load(app, islice(ScenarioGenerator(config).steps(), events))
    app.close()


def verify(url: str, key: str, scratch: str) -> int:
    from infra.ledger.audit import verify_store
    from infra.ledger.store import LedgerTables

    app = Socai(Settings.load(url, key))
    report = verify_store(LedgerTables(app.store.recorder), None)
    app.close()
    assert report.intact, report.findings
    return report.events


def rebuild(url: str, key: str, scratch: str) -> int:
    from sqlalchemy import create_engine

    from projections.framework import REBUILD_BATCH_SIZE_EVENTS, InProcessRunner
    from projections.registry import all_projections

    app = Socai(Settings.load(url, key))
    engine = create_engine(f"sqlite:///{scratch}/projections.db")
    covered = InProcessRunner(
        app.log, engine, all_projections(), batch_size=REBUILD_BATCH_SIZE_EVENTS
    ).run()
    app.close()
    return covered


def relay(url: str, key: str, scratch: str) -> int:
    """The relay as ``socai streams relay`` runs it: batches encoded in a worker process."""
    from functools import partial

    from infra.services.eventlog import opened_event_log
    from infra.streaming import store_engine
    from streams.positions import PositionStore
    from streams.relay import Relay

    app = Socai(Settings.load(url, key))
    bootstrap = os.environ["SOCAI_TEST_BOOTSTRAP"]
    runner = Relay(
        app.log,
        PositionStore(store_engine(app.settings)),
        bootstrap,
        "memtest",
        open_log=partial(opened_event_log, app.settings),
    )
    published = runner.run().published
    runner.close()
    app.close()
    return published


def _measure(queue: object, phase: Callable[..., int], args: tuple[str, ...]) -> None:
    count = phase(*args)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # waited-for workers
    queue.put((count, own + children))  # type: ignore[attr-defined]


def in_fresh_process(phase: Callable[..., int], *args: str) -> tuple[int, int]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    child = context.Process(target=_measure, args=(queue, phase, args))
    child.start()
    result: tuple[int, int] = queue.get(timeout=1_800)
    child.join()
    assert child.exitcode == 0
    return result


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str, int]]:
    made = []
    for events in SIZES:
        folder = tmp_path_factory.mktemp(f"mem{events}")
        url, key = f"sqlite:///{folder / 'store.db'}", str(folder / "store.key")
        create_key_file(Path(key))
        context = multiprocessing.get_context("spawn")
        child = context.Process(target=_build, args=(url, key, events))
        child.start()
        child.join()
        assert child.exitcode == 0
        made.append((url, key, events))
    return made


@pytest.fixture(scope="module")
def broker() -> Iterator[str]:
    if os.environ.get("SOCAI_SKIP_KAFKA") == "1":
        pytest.skip("SOCAI_SKIP_KAFKA=1")
    from infra.devservices.broker import Broker
    from streams.topics import ensure_topics

    with Broker() as started:
        ensure_topics(started.bootstrap)
        os.environ["SOCAI_TEST_BOOTSTRAP"] = started.bootstrap
        yield started.bootstrap
        del os.environ["SOCAI_TEST_BOOTSTRAP"]


def assert_bounded(
    phase: Callable[..., int], stores: list[tuple[str, str, int]], tmp_path: Path
) -> None:
    peaks = []
    for url, key, events in stores:
        scratch = tmp_path / f"{phase.__name__}-{events}"
        scratch.mkdir()
        count, peak_kib = in_fresh_process(phase, url, key, str(scratch))
        assert count >= events * 0.9, (phase.__name__, count, events)
        peaks.append(peak_kib)
    small, large = peaks[0], peaks[-1]
    assert large <= GROWTH_LIMIT * small, (
        f"{phase.__name__}: peak RSS {large / 1024:.0f} MiB at {stores[-1][2]:,} events,"
        f" {small / 1024:.0f} MiB at {stores[0][2]:,}"
    )


def test_verify_reads_the_log_in_bounded_memory(
    stores: list[tuple[str, str, int]], tmp_path: Path
) -> None:
    assert_bounded(verify, stores, tmp_path)


def test_rebuild_reads_the_log_in_bounded_memory(
    stores: list[tuple[str, str, int]], tmp_path: Path
) -> None:
    assert_bounded(rebuild, stores, tmp_path)


@pytest.mark.kafka
def test_relay_reads_the_log_in_bounded_memory(
    stores: list[tuple[str, str, int]], broker: str, tmp_path: Path
) -> None:
    assert_bounded(relay, stores, tmp_path)
