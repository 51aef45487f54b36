"""Shared fixtures: a fresh encrypted SQLite store per test, and a throw-away PostgreSQL
server per session (skipped only when SOCAI_SKIP_PG=1)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from domain.case.values import Actor
from infra.keys import create_key_file
from infra.services.socai import Socai
from infra.settings import Settings

BORDER_GUARD = Actor("BP-87-01", "border_guard")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'socai.db'}"


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    if os.environ.get("SOCAI_SKIP_PG") == "1":
        pytest.skip("SOCAI_SKIP_PG=1")
    from infra.devservices.postgres import TemporaryPostgres

    server = TemporaryPostgres().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(postgres_server: object) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database(f"t_{uuid.uuid4().hex[:16]}")  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'socai.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def make_app(tmp_path: Path) -> Iterator[Callable[..., Socai]]:
    """Open applications on a store URL with one shared key; all closed at the end."""
    key_file = tmp_path / "test.key"
    create_key_file(key_file)
    opened: list[Socai] = []

    def make(url: str, **kwargs: object) -> Socai:
        app = Socai(Settings.load(url, str(key_file)), **kwargs)  # type: ignore[arg-type]
        opened.append(app)
        return app

    yield make
    for app in opened:
        app.close()


@pytest.fixture
def app(make_app: Callable[..., Socai], sqlite_url: str) -> Socai:
    return make_app(sqlite_url)


@pytest.fixture
def store_app(make_app: Callable[..., Socai], store_url: str) -> Socai:
    return make_app(store_url)


def reception(**overrides: object) -> dict[str, object]:
    """A valid reception (in Hồng Ngự district's first commune, 2019) to vary in tests."""
    fields: dict[str, object] = {
        "occurred_on": date(2019, 3, 2),
        "reception_form": "bilateral_handover",
        "unit_code": "29956",
        "legal_basis": "BB-87-2019-001",
        "belongings_checked": True,
        "interview_held": True,
        "person": {"full_name": "Lê Thị Mẫu", "id_number": "087190001234"},
    }
    fields.update(overrides)
    return fields
