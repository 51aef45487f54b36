"""The projections built from the public (PII-free) events equal those built in process.

No broker here: the same messages the relay would publish are decoded and applied through
the framework, in per-case order but interleaved differently (as Kafka partitions would).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from projections.framework import (
    InProcessRunner,
    Position,
    apply_batch,
    content_digest,
    create_tables,
)
from projections.funding_sql import legs_table, supports_table
from projections.registry import all_projections
from streams.contracts import to_public
from streams.contracts.model import read_message
from streams.contracts.registry import domain_event_of
from streams.topics import EVENT_TOPIC_PARTITIONS


def test_projections_from_public_events_equal_in_process(demo_store, tmp_path):
    app = demo_store.open()
    try:
        direct = create_engine(f"sqlite:///{tmp_path / 'direct.db'}")
        InProcessRunner(app.log, direct, all_projections()).run()
        messages = [m for m in (to_public(n.event(), "test") for n in app.log.entries()) if m]
    finally:
        app.close()
    assert any(m.topic == "socai.activity-events.v1" for m in messages)
    assert any(m.topic == "socai.funding-events.v1" for m in messages)

    # split by key into partitions, then apply partition after partition
    partitions: dict[tuple[str, int], list] = defaultdict(list)
    for m in messages:
        partitions[(m.topic, hash(m.key) % EVENT_TOPIC_PARTITIONS)].append(m)
    public = create_engine(f"sqlite:///{tmp_path / 'public.db'}")
    projections = all_projections()
    create_tables(public, projections)
    for (topic, partition), batch in sorted(partitions.items(), reverse=True):
        events = [domain_event_of(read_message(m.value)) for m in batch]
        with Session(public) as session, session.begin():
            for projection in projections:
                wanted = [e for e in events if type(e).TOPIC in projection.topics]
                apply_batch(session, projection, wanted, Position(topic, partition, len(batch)))
    for projection in projections:
        assert content_digest(public, projection) == content_digest(direct, projection), (
            projection.name
        )
    # the funding comparison is not between empty tables: legs of several programmes (applied
    # in another order than the log's) and support rows from the case topic
    with public.connect() as connection:
        programmes = connection.execute(
            select(func.count(func.distinct(legs_table.c.programme)))
        ).scalar_one()
        supports = connection.execute(select(func.count()).select_from(supports_table))
        assert programmes >= 2 and supports.scalar_one() > 0
