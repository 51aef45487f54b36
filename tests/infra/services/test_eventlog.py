"""The log adapter's look-up of one aggregate's positions, on SQLite and PostgreSQL."""

from __future__ import annotations

from uuid import uuid4

import pytest

from infra.scenario.builders import case_with_support
from infra.services.socai import Socai

pytestmark = pytest.mark.integration


def test_the_positions_of_a_case_are_those_the_log_gives_it(store_app: Socai) -> None:
    """Two cases written in turns (and the users and access records between them): each
    case's version → position equals what a scan of the whole log finds, and a case the store
    does not have has none."""
    first, _ = case_with_support(store_app)
    second, _ = case_with_support(store_app)
    case_with_support(store_app)
    scanned: dict[object, dict[int, int]] = {}
    for entry in store_app.log.entries():
        versions = scanned.setdefault(entry.originator_id, {})
        versions[len(versions) + 1] = entry.position
    for case_id in (first, second):
        positions = store_app.log.positions_of(case_id)
        assert positions == scanned[case_id]
        assert list(positions) == list(range(1, len(positions) + 1))
    assert store_app.log.positions_of(uuid4()) == {}
