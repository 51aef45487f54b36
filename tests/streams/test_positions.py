"""The relay's tracked positions: forward only, one row a relay name, on SQLite and
PostgreSQL. The class of fault tested: a position written backward or lost while the common
case (one statement per acknowledged batch) takes the short path."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from streams.positions import RELAY_POSITIONS, PositionStore


@pytest.fixture
def positions(store_url: str) -> PositionStore:
    return PositionStore(sa.create_engine(store_url))


def rows(store: PositionStore) -> list[tuple[str, int]]:
    with store.engine.connect() as connection:
        found = connection.execute(
            sa.select(RELAY_POSITIONS.c.relay_name, RELAY_POSITIONS.c.position).order_by(
                RELAY_POSITIONS.c.relay_name
            )
        )
        return [(name, position) for name, position in found]


def test_a_position_is_recorded_then_moves_forward_only(positions: PositionStore) -> None:
    assert positions.get("kafka") == 0
    positions.set("kafka", 1_000)
    positions.set("kafka", 1_000)  # the same position again (a batch without messages)
    positions.set("kafka", 2_000)
    assert positions.get("kafka") == 2_000
    with pytest.raises(AssertionError, match="moves forward"):
        positions.set("kafka", 1_999)
    assert rows(positions) == [("kafka", 2_000)]  # the backward write left nothing behind


def test_names_are_independent_and_a_reset_starts_again(positions: PositionStore) -> None:
    positions.set("kafka", 500)
    positions.set("kafka-checkpoints", 7)
    assert rows(positions) == [("kafka", 500), ("kafka-checkpoints", 7)]
    positions.reset("kafka")
    assert positions.get("kafka") == 0
    positions.set("kafka", 10)  # after a reset a lower position is a first one
    assert rows(positions) == [("kafka", 10), ("kafka-checkpoints", 7)]
