"""A SQLite store file on the test clock, and its staff (modules with their own ``app``
keep theirs)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.scenario.builders import at_now
from infra.scenario.staff import TEST_PASSWORDS, Staff
from infra.services.socai import Socai


@pytest.fixture
def app(make_app: Any, tmp_path: Path) -> Socai:
    """The services on ``tmp_path/s.db`` (a file, so tests can read its raw bytes)."""
    made: Socai = make_app(f"sqlite:///{tmp_path / 's.db'}", clock=at_now, passwords=TEST_PASSWORDS)
    return made


@pytest.fixture
def team(app: Socai) -> Staff:
    """The store's first administrator, who registers users of any role on demand."""
    return Staff(app)
