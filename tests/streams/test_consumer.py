"""The downstream helper and example: once per event id, resumable, across republishing."""

from __future__ import annotations

from collections import defaultdict

import pytest
import sqlalchemy as sa

from domain.case.aggregate import Case
from examples import downstream_consumer
from infra.streaming import store_engine
from streams.positions import PositionStore
from streams.relay import DEFAULT_RELAY_NAME
from tests.streams.support import publish

pytestmark = pytest.mark.kafka


def _expected_support(store) -> dict[tuple[int, str], tuple[int, int]]:
    app = store.open()
    totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    try:
        for case_id in app.cases.ids():
            for event in app.cases.events(case_id):
                if isinstance(event, Case.SupportProvided):
                    entry = totals[(event.occurred_on.year, event.support_type)]
                    entry[0] += 1
                    entry[1] += event.amount_vnd or 0
    finally:
        app.close()
    return {k: (v[0], v[1]) for k, v in totals.items()}


def _table(path) -> dict[tuple[int, str], tuple[int, int]]:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        rows = connection.execute(sa.select(downstream_consumer.support_paid)).all()
    return {(r.year, r.support_type): (r.times, r.amount_vnd) for r in rows}


def test_example_consumer_counts_each_event_once_across_republishing(
    demo_store, fresh_kafka, tmp_path, capsys
):
    publish(demo_store, fresh_kafka)
    database = tmp_path / "downstream.db"
    downstream_consumer.main(str(database), fresh_kafka, idle_exit_seconds=2.0)
    expected = _expected_support(demo_store)
    assert expected
    assert _table(database) == expected

    # the relay forgets its position and republishes everything (same event ids)
    PositionStore(store_engine(demo_store.settings())).reset(DEFAULT_RELAY_NAME)
    publish(demo_store, fresh_kafka)
    capsys.readouterr()
    downstream_consumer.main(str(database), fresh_kafka, idle_exit_seconds=2.0)
    output = capsys.readouterr().out
    assert "handled 0 new events" in output
    assert "duplicates skipped" in output
    assert " 0 duplicates" not in output
    assert _table(database) == expected


def test_group_consumer_resumes_from_its_own_offsets(demo_store, fresh_kafka, tmp_path):
    from socai_consumer import IdempotentConsumer

    from streams.topics import CASE_EVENTS
    from tests.streams.support import stored_case_events

    publish(demo_store, fresh_kafka)
    app = demo_store.open()
    try:
        cases = stored_case_events(app)
    finally:
        app.close()
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'mine.db'}")
    seen = sa.Table("seen", sa.MetaData(), sa.Column("event_id", sa.String(36), primary_key=True))
    seen.metadata.create_all(engine)

    def handler(connection, event):
        connection.execute(seen.insert().values(event_id=event["id"]))

    handled = []
    for _ in range(2):
        consumer = IdempotentConsumer(
            fresh_kafka, [CASE_EVENTS.topic], engine, handler, name="mine", group="mine"
        )
        try:
            handled.append(consumer.run(idle_exit_seconds=4.0))
        finally:
            consumer.close()
    assert handled == [cases, 0]
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(seen)).scalar() == cases
