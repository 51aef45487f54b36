"""A projection rebuilds itself when its definition changes (tables, topics or declared
version), is left alone when it does not, and one fed from Kafka is refused instead."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, create_engine, inspect, text
from sqlalchemy.orm import Session

from infra.scenario.builders import StepClock, open_app
from infra.scenario.histories import run
from projections.case_status import CaseStatusProjection
from projections.definitions import DefinitionChanged, definition_digest, projection_definitions
from projections.framework import (
    InProcessRunner,
    Position,
    apply_batch,
    content_digest,
    create_tables,
)
from projections.registry import all_projections

ROOT = Path(__file__).resolve().parents[2]


class Bumped(CaseStatusProjection):
    """The same tables, but ``apply`` declared changed."""

    definition_version = 2


def _widened() -> MetaData:
    metadata = MetaData()
    for table in CaseStatusProjection.metadata.sorted_tables:
        table.to_metadata(metadata)
    metadata.tables["case_status"].append_column(Column("added_later", Integer))
    return metadata


class Widened(CaseStatusProjection):
    """One more (nullable) column in ``case_status``."""

    metadata = _widened()


class Narrowed(CaseStatusProjection):
    """Applies fewer topics."""

    topics = CaseStatusProjection.topics[:-1]


@pytest.fixture
def store(tmp_path: Path):
    clock = StepClock()
    app = open_app(tmp_path, clock)
    for unit in ("29869", "30001"):
        run(
            app,
            clock,
            None,
            "receive",
            occurred_on=date(2020, 5, 1),
            unit_code=unit,
            reception_form="rescued",
            legal_basis="BB-9",
        )
    yield app
    app.close()


def _built(store, engine: Engine, projection: CaseStatusProjection) -> InProcessRunner:
    runner = InProcessRunner(store.log, engine, [projection])
    runner.run()
    return runner


@pytest.fixture
def engine(store, tmp_path: Path) -> Engine:
    """A projections database holding the case status built from every event of ``store``."""
    built = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    _built(store, built, CaseStatusProjection())
    return built


def test_an_unchanged_definition_keeps_its_rows(
    store, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="socai.projections"):
        again = InProcessRunner(store.log, engine, [CaseStatusProjection()])
    assert again.positions() == {"case_status": store.log.head()}
    assert not caplog.records


@pytest.mark.parametrize("changed", [Bumped, Widened, Narrowed])
def test_a_changed_definition_is_rebuilt_from_the_log(
    store,
    engine: Engine,
    caplog: pytest.LogCaptureFixture,
    changed: type[CaseStatusProjection],
) -> None:
    assert definition_digest(changed()) != definition_digest(CaseStatusProjection())
    with caplog.at_level(logging.WARNING, logger="socai.projections"):
        runner = InProcessRunner(store.log, engine, [changed()])
    assert [r.getMessage() for r in caplog.records] == [
        "projection case_status: definition changed, rebuilding from the log"
    ]
    assert runner.positions() == {"case_status": 0}
    columns = {c["name"] for c in inspect(engine).get_columns("case_status")}
    assert ("added_later" in columns) == (changed is Widened)
    runner.run()
    fresh = create_engine("sqlite://")
    _built(store, fresh, changed())
    assert content_digest(engine, changed()) == content_digest(fresh, changed())
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="socai.projections"):
        InProcessRunner(store.log, engine, [changed()])  # recorded: not rebuilt twice
    assert not caplog.records


def test_a_projection_built_before_digests_is_rebuilt_once(
    store, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    with engine.begin() as connection:
        connection.execute(projection_definitions.delete())
    with caplog.at_level(logging.WARNING, logger="socai.projections"):
        runner = InProcessRunner(store.log, engine, [CaseStatusProjection()])
    assert len(caplog.records) == 1
    assert runner.positions() == {"case_status": 0}


def test_a_projection_fed_from_kafka_is_refused_not_reset(store, tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    projection = CaseStatusProjection()
    create_tables(engine, [projection])
    events = store.cases.events(next(iter(store.cases.ids())))
    with Session(engine) as session, session.begin():
        apply_batch(session, projection, events, Position("socai.case-events.v1", 2, 7))
    before = content_digest(engine, projection)
    with pytest.raises(DefinitionChanged, match=r"socai\.case-events\.v1") as refused:
        create_tables(engine, [Bumped()])
    assert refused.value.hint and "--group" in refused.value.hint
    assert content_digest(engine, projection) == before
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM projection_positions")).scalar() == 1


def test_definition_digests_are_the_same_in_every_process() -> None:
    """No set order, memory address or hash seed may leak into a digest (else every start
    would rebuild)."""
    script = (
        "import json; from projections.registry import all_projections;"
        " from projections.definitions import definition_digest;"
        " print(json.dumps({p.name: definition_digest(p) for p in all_projections()}))"
    )
    digests = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", script],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
                env={"PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed},
            ).stdout
        )
        for seed in ("1", "2")
    ]
    here = {p.name: definition_digest(p) for p in all_projections()}
    assert digests == [here, here]


def test_every_registered_projection_declares_its_definition_version() -> None:
    for projection in all_projections():
        assert isinstance(type(projection).__dict__.get("definition_version"), int), projection
