"""The workers' sink without a broker: redelivered records (same offsets) and republished
events (same ids, new offsets) change nothing twice; tables equal the in-process ones."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from projections.registry import all_projections
from streams.contracts import to_public
from streams.worker import ProjectionSink, Record, immediate_sqlite
from tests.streams.processes import digests, in_process_digests


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def projections_engine(request, tmp_path):
    if request.param == "sqlite":
        return immediate_sqlite(sa.create_engine(f"sqlite:///{tmp_path / 'sink.db'}"))
    url = request.getfixturevalue("pg_url")
    return sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


def _published(demo_store, tmp_path, republished: int = 0) -> tuple[dict, int, list[Record]]:
    """The in-process projections' digests, how many public messages the store makes, and
    their records: one partition per topic, the first ``republished`` messages sent twice
    (a relay that "crashed" after them and republished everything)."""
    app = demo_store.open()
    try:
        expected = in_process_digests(app, tmp_path / "in_process.db")
        messages = [m for m in (to_public(n.event(), "test") for n in app.log.entries()) if m]
    finally:
        app.close()
    log: dict[str, list[bytes]] = {}
    for m in messages[:republished] + messages:
        log.setdefault(m.topic, []).append(m.value)
    records = [
        Record(topic, 0, offset, value)
        for topic, values in log.items()
        for offset, value in enumerate(values)
    ]
    return expected, len(messages), records


def test_redelivery_and_republishing_apply_once(demo_store, projections_engine, tmp_path):
    expected, published, records = _published(demo_store, tmp_path, republished=100)
    sink = ProjectionSink(projections_engine, all_projections(), consumer="test")
    applied = 0
    for start in range(0, len(records), 64):
        applied += sink.apply(records[start : start + 64])
    # a worker restarted from an old committed offset gets everything again
    applied += sink.apply(records[:300])
    assert applied == published
    assert digests(projections_engine) == expected


def test_workers_starting_together_never_reset_what_another_applies(
    demo_store, projections_engine, tmp_path
):
    """Four workers start on one empty database at once (the first start of a deployment, or
    restarts after a kill); one applies events as soon as it has started. No other's start
    may reset the tables it is filling: the result equals the in-process projections."""
    expected, _, records = _published(demo_store, tmp_path)
    starting = threading.Barrier(WORKERS_STARTING)

    def worker(index: int) -> None:
        starting.wait()
        sink = ProjectionSink(projections_engine, all_projections(), consumer="test")
        if index == 0:
            for start in range(0, len(records), 16):
                sink.apply(records[start : start + 16])

    with ThreadPoolExecutor(WORKERS_STARTING) as pool:  # a worker's error is raised here
        list(pool.map(worker, range(WORKERS_STARTING)))
    assert digests(projections_engine) == expected


#: Workers started at once in the start-up race test.
WORKERS_STARTING = 4
