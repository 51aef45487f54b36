"""Projections with a PostgreSQL store live in the same PostgreSQL database, and give
exactly the rows the SQLite default gives for the same events."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from domain.reference.units import AdminMap
from infra.projection_db import projections_engine, projections_url
from infra.scenario import ScenarioConfig, run_scenario
from infra.services.socai import Socai
from infra.settings import Settings
from projections.framework import InProcessRunner, content_digest
from projections.registry import all_projections
from projections.rollup import compute_rollup

pytestmark = pytest.mark.postgres


def test_postgres_projections_equal_sqlite(
    make_app: Callable[..., Socai], pg_url: str, tmp_path: Path
) -> None:
    pg_app = make_app(pg_url)
    sqlite_app = make_app(f"sqlite:///{tmp_path / 's.db'}")
    for application in (pg_app, sqlite_app):
        run_scenario(application, ScenarioConfig(cases=30, seed=8))
    pg_engine = projections_engine(Settings.load(pg_url))
    assert str(projections_url(Settings.load(pg_url))).startswith("postgresql+psycopg://")
    sqlite_engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    InProcessRunner(pg_app.log, pg_engine, all_projections(), batch_size=50).run()
    InProcessRunner(sqlite_app.log, sqlite_engine, all_projections()).run()
    for projection in all_projections():
        assert content_digest(pg_engine, projection) == content_digest(sqlite_engine, projection)
    years = tuple(range(2016, 2027))
    assert (
        compute_rollup(pg_engine, AdminMap.NEW, "VN", years).values
        == compute_rollup(sqlite_engine, AdminMap.NEW, "VN", years).values
    )
    pg_engine.dispose()
