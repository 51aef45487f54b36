"""The runner asks the store only for its projections' topics, and still moves each
projection's position past the notifications of every other topic.

The class of fault: a position that stops at the last event *of its topics* (so every
catch-up re-reads the other topics' tail, and ``socai projections`` reports a lag that never
closes), a position that jumps past one of its own events (a page cut at the batch size, a
projection behind the others), or a read of topics nobody applies. Each test holds on
SQLite and on PostgreSQL (the ``store_url`` fixture).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from domain.activity.commands import IssueDirective
from domain.case.values import Actor
from infra.scenario import ScenarioConfig, run_scenario, seed_funding
from infra.scenario.staff import worker
from infra.services.eventlog import StoreEventLog
from infra.services.socai import Socai
from projections.activity import ActivityProjection
from projections.eventlog import LogEntry
from projections.framework import InProcessRunner, Projection, content_digest
from projections.funding_sql import FundingProjection
from projections.registry import all_projections

ACTOR = Actor("CB-778", "labour_social_affairs")


class CountingLog:
    """The store's own log, counting what each read asked for and what it returned."""

    def __init__(self, log: StoreEventLog) -> None:
        self.log = log
        self.asked: list[tuple[str, ...]] = []
        self.returned: Counter[int] = Counter()

    def read(self, after: int, limit: int, topics: tuple[str, ...] = ()) -> list[LogEntry]:
        self.asked.append(topics)
        page = self.log.read(after, limit, topics)
        self.returned.update(entry.position for entry in page)
        return page

    def head(self) -> int:
        return self.log.head()


def mixed_log(app: Socai, seed: int) -> None:
    """Cases, their supports paid from a programme's funds, and field activities: every
    projection's topics, interleaved in the one log."""
    run_scenario(app, ScenarioConfig(cases=10, seed=seed))
    paid = [
        case_id
        for case_id in app.cases.ids()
        if any(s.amount_vnd for s in app.cases.get(case_id).status.supports)
    ]
    seed_funding(app, paid)
    record_activity(app, date(2024, 3, 1))


def record_activity(app: Socai, on: date) -> None:
    app.activities.record(
        IssueDirective.parse({"occurred_on": on.isoformat(), "unit_code": "87", "documents": 2}),
        worker(app, ACTOR),
    )


def positions_of_topics(app: Socai, topics: tuple[str, ...]) -> list[int]:
    return [entry.position for entry in app.log.entries(topics=topics)]


def reference_digests(app: Socai, tmp_path: Path) -> dict[str, str]:
    """Every projection built together, one event per batch (each page holds one event of
    some projection's topics): the digests every other way of running must give."""
    engine = create_engine(f"sqlite:///{tmp_path / 'reference.db'}")
    InProcessRunner(app.log, engine, all_projections(), batch_size=1).run()
    return {p.name: content_digest(engine, p) for p in all_projections()}


@pytest.mark.parametrize("batch_size", [3, 1_000])
def test_each_projection_reads_only_its_topics_once_and_reaches_the_head(
    make_app: Callable[..., Socai], store_url: str, tmp_path: Path, batch_size: int
) -> None:
    app = make_app(store_url)
    mixed_log(app, seed=31)
    expected = reference_digests(app, tmp_path)
    head = app.log.head()
    for projection in all_projections():
        log = CountingLog(app.log)
        engine = create_engine(f"sqlite:///{tmp_path / f'{projection.name}-{batch_size}.db'}")
        runner = InProcessRunner(log, engine, [projection], batch_size=batch_size)
        assert runner.run() == head  # the position moved over the whole log…
        assert runner.positions() == {projection.name: head}
        assert runner.lag() == {projection.name: 0}
        assert content_digest(engine, projection) == expected[projection.name]
        # …asking only for its own topics, and reading each of their events exactly once
        assert set(log.asked) == {tuple(sorted(set(projection.topics)))}
        own = positions_of_topics(app, projection.topics)
        assert sorted(log.returned) == own
        assert set(log.returned.values()) <= {1}
        engine.dispose()


def test_a_tail_of_other_topics_moves_the_position_and_is_never_read(
    make_app: Callable[..., Socai], store_url: str, tmp_path: Path
) -> None:
    app = make_app(store_url)
    mixed_log(app, seed=32)
    log = CountingLog(app.log)
    engine = create_engine(f"sqlite:///{tmp_path / 'funding.db'}")
    runner = InProcessRunner(log, engine, [FundingProjection()], batch_size=50)
    runner.run()
    before, read_before = app.log.head(), sum(log.returned.values())
    record_activity(app, date(2024, 4, 2))  # only other projections' topics after this
    record_activity(app, date(2024, 4, 3))
    head = app.log.head()
    assert head > before
    assert runner.lag() == {FundingProjection.name: head - before}
    assert runner.run_once() == head - before  # one batch covers the tail…
    assert runner.positions() == {FundingProjection.name: head}
    assert runner.run_once() == 0  # …and then the runner is caught up
    assert runner.run() == 0
    assert sum(log.returned.values()) == read_before  # none of the tail was read


def test_projections_at_different_positions_each_get_exactly_their_events(
    make_app: Callable[..., Socai], store_url: str, tmp_path: Path
) -> None:
    """A projection added later (or reset) catches up beside one already at the head, in
    small pages of the union of their topics: the one ahead is not applied twice, the one
    behind misses nothing, both end at the head."""
    app = make_app(store_url)
    mixed_log(app, seed=33)
    expected = reference_digests(app, tmp_path)
    engine = create_engine(f"sqlite:///{tmp_path / 'both.db'}")
    InProcessRunner(app.log, engine, [FundingProjection()], batch_size=7).run()
    record_activity(app, date(2024, 5, 6))
    expected_activity = ActivityProjection()
    scratch = create_engine(f"sqlite:///{tmp_path / 'activity.db'}")
    InProcessRunner(app.log, scratch, [expected_activity], batch_size=1).run()
    both: list[Projection] = [FundingProjection(), ActivityProjection()]
    runner = InProcessRunner(app.log, engine, both, batch_size=4)
    runner.run()
    head = app.log.head()
    assert runner.positions() == {p.name: head for p in both}
    assert content_digest(engine, both[0]) == expected[FundingProjection.name]
    assert content_digest(engine, both[1]) == content_digest(scratch, expected_activity)


def test_a_runner_with_no_topics_reads_nothing_and_keeps_up(
    make_app: Callable[..., Socai], store_url: str, tmp_path: Path
) -> None:
    """An empty topic list must not become "every topic" (the port's meaning of ``()``)."""

    class Nothing(ActivityProjection):
        name = "nothing"
        topics: tuple[str, ...] = ()

    app = make_app(store_url)
    record_activity(app, date(2024, 6, 1))
    log = CountingLog(app.log)
    engine: Engine = create_engine(f"sqlite:///{tmp_path / 'nothing.db'}")
    runner = InProcessRunner(log, engine, [Nothing()])
    assert runner.run() == app.log.head() > 0
    assert runner.positions() == {"nothing": app.log.head()}
    assert log.asked == []
