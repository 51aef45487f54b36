"""An edited report is found: every projection table, every kind of edit, named by table and row.

The fault: editing the projection database changed the official rollup while ``audit verify``
said intact and ``projections status`` showed no lag. ``socai projections verify`` rebuilds
from the events into a scratch database and compares. The class of fault is "any edit of any
row of any projection table": for every table that holds rows, a changed cell in every
non-key column, a deleted row and an inserted row must each be reported at that table; an
edited position too.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, UniqueConstraint, create_engine, delete, insert, select, update

from infra.projection_db import projections_engine
from infra.scenario import ScenarioConfig, run_scenario
from infra.services.socai import Socai
from infra.settings import Settings
from projections import asof
from projections.framework import (
    REBUILD_BATCH_SIZE_EVENTS,
    InProcessRunner,
    Projection,
    projection_positions,
    reset,
)
from projections.registry import all_projections
from projections.verify import ProjectionReport, all_intact, verify_projections
from tests.infra.cli.test_cli import socai


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    folder = tmp_path_factory.mktemp("verify")
    store = f"sqlite:///{folder / 's.db'}"
    made = socai(store, "demo", "--cases", "12", "--seed", "5")
    assert made.returncode == 0, made.stderr
    ran = socai(store, "projections", "run")
    assert ran.returncode == 0, ran.stderr
    return store, folder / "s.db.projections.db"


def _verify(store: str, live_path: Path) -> list[ProjectionReport]:
    app = Socai(Settings.load(store))
    live = create_engine(f"sqlite:///{live_path}")

    def rebuild_into(projections: Sequence[Projection]) -> Engine:
        scratch = asof.memory_engine()
        InProcessRunner(app.log, scratch, projections, batch_size=REBUILD_BATCH_SIZE_EVENTS).run()
        return scratch

    try:
        return verify_projections(all_projections(), live, rebuild_into)
    finally:
        live.dispose()
        app.close()


def _tables() -> list[tuple[str, Any]]:
    return [
        (p.name, table)
        for p in all_projections()
        for table in sorted(p.metadata.sorted_tables, key=lambda t: t.name)
    ]


def _changed(value: Any, column: Any) -> Any:
    if value is None:  # a blank cell filled in
        python_type = column.type.python_type
        return {date: date(2020, 1, 1), str: "x", bool: True}.get(python_type, 1)
    if isinstance(value, date):  # datetime too: one day later
        return value + timedelta(days=1)
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    text = str(value)  # the same length: PostgreSQL enforces VARCHAR(n)
    return (text[:-1] + ("y" if text.endswith("x") else "x")) if text else "x"


def _report_for(reports: list[ProjectionReport], table_name: str) -> list[str]:
    return [
        f"{d.kind}:{','.join(d.columns)}"
        for r in reports
        for t in r.tables
        if t.table == table_name
        for d in t.listed
    ]


def test_untouched_tables_verify_and_carry_a_digest_at_their_position(
    demo: tuple[str, Path],
) -> None:
    store, live = demo
    reports = _verify(store, live)
    assert all_intact(reports)
    for report in reports:
        assert report.position > 0 and len(report.digest) == 64
        assert report.digest == report.rebuilt_digest


def _edits(table: Any, row: dict[str, Any]) -> list[tuple[str, Any, str]]:
    """Every edit of one row of ``table`` the class covers, with what verify must report:
    the row deleted, each non-key cell changed, a copy inserted under a new key."""
    keys = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
    where = [table.c[k] == row[k] for k in keys]
    edits: list[tuple[str, Any, str]] = [("delete", delete(table).where(*where), "missing:")]
    for column in table.columns:
        if column.name in keys:
            continue
        edits.append(
            (
                f"change {column.name}",
                update(table)
                .where(*where)
                .values({column.name: _changed(row[column.name], column)}),
                f"changed:{column.name}",
            )
        )
    unique = {c.name for c in table.columns if c.unique} | {
        c.name
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
        for c in constraint.columns
    }
    clone = dict(row)
    for name in {keys[0]} | unique:
        clone[name] = _changed(row[name], table.c[name])
    edits.append(("insert", insert(table).values(clone), "extra:"))
    return edits


@pytest.mark.parametrize(("projection", "table"), _tables(), ids=lambda v: getattr(v, "name", v))
def test_every_edit_of_every_table_is_named(
    demo: tuple[str, Path], tmp_path: Path, projection: str, table: Any
) -> None:
    store, original = demo
    engine = create_engine(f"sqlite:///{original}")
    with engine.connect() as connection:
        rows = [dict(r._mapping) for r in connection.execute(select(table).limit(1))]
    engine.dispose()
    if not rows:
        pytest.skip(f"the demo scenario writes no {table.name} rows")
    edits = _edits(table, rows[0])

    for label, statement, expected in edits:
        copy = tmp_path / f"{label.replace(' ', '_')}.db"
        shutil.copy(original, copy)
        edited = create_engine(f"sqlite:///{copy}")
        with edited.begin() as connection:
            assert connection.execute(statement).rowcount == 1, label
        edited.dispose()
        reports = _verify(store, copy)
        assert not all_intact(reports), label
        named = _report_for(reports, table.name)
        assert any(n.startswith(expected) for n in named), (label, named)


def test_an_edited_position_is_reported(demo: tuple[str, Path], tmp_path: Path) -> None:
    store, original = demo
    copy = tmp_path / "position.db"
    shutil.copy(original, copy)
    edited = create_engine(f"sqlite:///{copy}")
    with edited.begin() as connection:
        connection.execute(
            update(projection_positions)
            .where(projection_positions.c.name == "activity")
            .values(position=projection_positions.c.position + 1_000)
        )
    edited.dispose()
    reports = _verify(store, copy)
    (activity,) = [r for r in reports if r.name == "activity"]
    assert not activity.intact and activity.position != activity.rebuilt_position


def test_the_cli_names_the_table_and_row_and_exits_1(demo: tuple[str, Path]) -> None:
    store, live = demo
    assert socai(store, "projections", "verify").returncode == 0
    backup = live.with_suffix(".bak")
    shutil.copy(live, backup)
    try:
        engine = create_engine(f"sqlite:///{live}")
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE case_status SET stage = 'closed' WHERE rowid = (SELECT min(rowid) FROM"
                " case_status WHERE stage != 'closed')"
            )
        engine.dispose()
        result = socai(store, "projections", "verify")
        assert result.returncode == 1
        assert "case_status: DIFFERS FROM THE EVENTS" in result.stdout
        assert "table case_status: 1 of" in result.stdout and "changed in stage" in result.stdout
        assert "hint:" in result.stdout
    finally:
        shutil.move(backup, live)


def test_a_report_names_the_log_position_and_digest_that_verify_recomputes(
    demo: tuple[str, Path],
) -> None:
    store, _live = demo
    report = socai(store, "rollup", "--period", "2016-2020", "--map", "old")
    assert report.returncode == 0, report.stderr
    provenance = [line for line in report.stdout.splitlines() if line.startswith("nguồn: ")]
    assert [line.split()[1] for line in provenance] == [p.name for p in all_projections()]
    verified = socai(store, "projections", "verify")
    assert verified.returncode == 0, verified.stdout
    for line in provenance:
        name, position, digest = line.split()[1], line.split()[5].rstrip(","), line.split()[-1]
        assert f"{name}: intact at log position {position} (sha256 {digest})" in verified.stdout


@pytest.mark.postgres
def test_edits_of_projection_tables_on_postgresql_are_named(
    make_app: Callable[..., Socai], pg_url: str
) -> None:
    """The same class on a PostgreSQL store, whose projections live in its own database: for
    every table with rows, each edit is named, then the tables are rebuilt for the next."""
    app = make_app(pg_url)
    run_scenario(app, ScenarioConfig(cases=12, seed=5))
    live = projections_engine(app.settings)
    projections = all_projections()
    InProcessRunner(app.log, live, projections).run()

    def rebuild_into(chosen: Sequence[Projection]) -> Engine:
        scratch = asof.memory_engine()
        InProcessRunner(app.log, scratch, chosen, batch_size=REBUILD_BATCH_SIZE_EVENTS).run()
        return scratch

    assert all_intact(verify_projections(projections, live, rebuild_into))
    edited_tables = 0
    for projection in projections:
        for table in sorted(projection.metadata.sorted_tables, key=lambda t: t.name):
            with live.connect() as connection:
                rows = [dict(r._mapping) for r in connection.execute(select(table).limit(1))]
            if not rows:
                continue
            edited_tables += 1
            for label, statement, expected in _edits(table, rows[0]):
                with live.begin() as connection:
                    # psycopg reports -1 for an INSERT's rowcount; an edit that matched nothing
                    # would report 0
                    assert connection.execute(statement).rowcount != 0, label
                reports = verify_projections(projections, live, rebuild_into)
                named = _report_for(reports, table.name)
                assert any(n.startswith(expected) for n in named), (table.name, label, named)
                reset(live, projection)
                InProcessRunner(app.log, live, [projection]).run()
    assert edited_tables >= 5  # the scenario writes most tables; every one written is edited
    live.dispose()
