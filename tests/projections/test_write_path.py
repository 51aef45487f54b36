"""The batched write path stores exactly what one statement per event stored.

Two halves of one claim (the projections' digests do not change with the speed-ups):

- ``insert_rows`` and ``insert_tuples`` (a driver-level ``executemany`` on SQLite, ``COPY``
  on PostgreSQL) store the same values as SQLAlchemy's own
  ``session.execute(table.insert(), rows)``, on SQLite and on PostgreSQL;
- applying a log in one batch gives the same rows as applying it one event per batch (each
  event alone, as before batching), also when a batch holds an activity and its withdrawal,
  or a support and its correction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, Table, create_engine
from sqlalchemy.orm import Session

import projections.activity
import projections.case_status
import projections.framework
import projections.funding_sql
import projections.proceedings
from domain.activity.commands import DistributeMaterials, IssueDirective, Withdraw
from domain.case.commands import Correct
from domain.case.values import Actor
from infra.keys import create_key_file
from infra.scenario import ScenarioConfig, run_scenario, seed_funding
from infra.scenario.staff import worker
from infra.services.socai import Socai
from infra.settings import Settings
from projections.framework import InProcessRunner, content_digest
from projections.registry import all_projections

ACTOR = Actor("CB-778", "labour_social_affairs")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Socai]:
    """Cases, their supports paid (one corrected after payment), activities (one withdrawn
    right after it was recorded, one much later) and support corrections."""
    folder = tmp_path_factory.mktemp("write-path")
    settings = Settings.load(f"sqlite:///{folder / 'store.db'}", str(folder / "store.key"))
    create_key_file(settings.key_file)
    app = Socai(settings)
    run_scenario(app, ScenarioConfig(cases=40, seed=18))
    with_money = [
        case_id
        for case_id in app.cases.ids()
        if any(s.amount_vnd for s in app.cases.get(case_id).status.supports)
    ]
    assert with_money
    seed_funding(app, with_money)
    first = app.activities.record(
        IssueDirective.parse({"occurred_on": "2024-03-01", "unit_code": "87", "documents": 2}),
        worker(app, ACTOR),
    )
    app.activities.withdraw(
        first, Withdraw(occurred_on=date(2024, 3, 2), reason="x"), worker(app, ACTOR)
    )
    second = app.activities.record(
        DistributeMaterials.parse({"occurred_on": "2025-09-10", "unit_code": "82", "posters": 4}),
        worker(app, ACTOR),
    )
    case_id = with_money[0]
    support = app.cases.get(case_id).status.supports[0]
    app.cases.execute(
        case_id,
        Correct.parse(
            {
                "occurred_on": "2024-03-05",
                "corrects_version": support.version,
                "field": "amount_vnd",
                "old_value": support.amount_vnd,
                "new_value": (support.amount_vnd or 0) + 1_000,
                "reason": "nhập sai",
            }
        ),
        worker(app, ACTOR),
    )
    run_scenario(app, ScenarioConfig(cases=5, seed=19))
    app.activities.withdraw(
        second, Withdraw(occurred_on=date(2025, 9, 12), reason="y"), worker(app, ACTOR)
    )
    yield app
    app.close()


def digests(log_app: Socai, engine: Engine, batch_size: int) -> dict[str, str]:
    projections = all_projections()
    InProcessRunner(log_app.log, engine, projections, batch_size=batch_size).run()
    return {p.name: content_digest(engine, p) for p in projections}


def sqlalchemy_insert(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """The write before ``insert_rows``: SQLAlchemy's executemany."""
    if rows:
        session.execute(table.insert(), list(rows))


def sqlalchemy_insert_tuples(
    session: Session, table: Table, names: tuple[str, ...], rows: Sequence[tuple[Any, ...]]
) -> None:
    """The same for rows given as tuples (``insert_tuples``)."""
    sqlalchemy_insert(session, table, [dict(zip(names, row, strict=True)) for row in rows])


def engine_for(kind: str, tmp_path: Path, name: str, request: pytest.FixtureRequest) -> Engine:
    if kind == "sqlite":
        return create_engine(f"sqlite:///{tmp_path / f'{name}.db'}")
    url = request.getfixturevalue("pg_url")
    return create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_driver_executemany_stores_what_sqlalchemy_stores(
    store: Socai,
    kind: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fast = digests(store, engine_for(kind, tmp_path, "fast", request), 5_000)
    for module in (
        projections.case_status,
        projections.activity,
        projections.funding_sql,
        projections.proceedings,
    ):
        monkeypatch.setattr(module, "insert_rows", sqlalchemy_insert)
    for module in (projections.case_status, projections.funding_sql):
        monkeypatch.setattr(module, "insert_tuples", sqlalchemy_insert_tuples)
    reference = digests(store, engine_for(kind, tmp_path, "reference", request), 5_000)
    assert fast == reference


def test_one_batch_gives_the_rows_of_one_event_per_batch(store: Socai, tmp_path: Path) -> None:
    one_by_one = digests(store, create_engine(f"sqlite:///{tmp_path / 'one.db'}"), 1)
    for size in (3, 64, 5_000):
        engine = create_engine(f"sqlite:///{tmp_path / f'b{size}.db'}")
        assert digests(store, engine, size) == one_by_one, size


@pytest.mark.parametrize(
    "columns",
    [("only_text",), ("only_day",), ("only_text", "number"), ("only_day", "number", "flag")],
)
def test_insert_rows_of_any_width_stores_what_sqlalchemy_stores(
    columns: tuple[str, ...], tmp_path: Path
) -> None:
    """One column or several, with a bind processor (date, boolean) or none: the class of
    fault is a row shape the fast path packs differently (a 1-tuple, a processed value)."""
    from sqlalchemy import Boolean, Column, Date, Integer, MetaData, String, select

    def table_in(metadata: MetaData) -> Table:
        return Table(
            "shapes",
            metadata,
            Column("only_text", String(20)),
            Column("only_day", Date),
            Column("number", Integer),
            Column("flag", Boolean),
        )

    values = {"only_text": "a", "only_day": date(2025, 2, 3), "number": 7, "flag": True}
    rows = [{c: values[c] if i % 2 else None for c in columns} for i in range(5)]
    stored = []
    for name, write in (("fast", projections.framework.insert_rows), ("ref", sqlalchemy_insert)):
        metadata = MetaData()
        table = table_in(metadata)
        engine = create_engine(f"sqlite:///{tmp_path / f'{name}.db'}")
        metadata.create_all(engine)
        with Session(engine) as session, session.begin():
            write(session, table, rows)
        with engine.connect() as connection:
            raw = connection.exec_driver_sql("SELECT * FROM shapes ORDER BY rowid").all()
            typed = connection.execute(select(table)).all()
        stored.append((raw, typed))
    assert stored[0] == stored[1]
    assert len(stored[0][0]) == len(rows)
