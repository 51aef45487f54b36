"""Tracked positions (vị trí đã xử lý) of the relay, in the store's own database.

The relay remembers the last notification-log position whose event the broker acknowledged.
The table lives beside the event tables, never inside them: the event store stays
append-only and the relay's bookkeeping can be dropped and rebuilt (republishing is safe:
event ids are stable and consumers deduplicate by them).
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

#: The relay's name in the position table (one relay per store and cluster).
DEFAULT_RELAY_NAME = "kafka"

METADATA = sa.MetaData()

RELAY_POSITIONS = sa.Table(
    "socai_stream_relay_positions",
    METADATA,
    sa.Column("relay_name", sa.String(64), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


class PositionStore:
    """Positions by relay name; a missing name is position 0 (nothing relayed yet)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        METADATA.create_all(engine, tables=[RELAY_POSITIONS])

    def get(self, name: str) -> int:
        with self.engine.connect() as connection:
            value = connection.execute(
                sa.select(RELAY_POSITIONS.c.position).where(RELAY_POSITIONS.c.relay_name == name)
            ).scalar_one_or_none()
        return int(value or 0)

    def set(self, name: str, position: int) -> None:
        """Record ``position``; positions only move forward (asserted). One statement in the
        usual case (the relay records one position per acknowledged batch): the row is
        updated only where it is not ahead; no row updated means a first position or one
        moving backward, told apart by reading it."""
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            moved = connection.execute(
                RELAY_POSITIONS.update()
                .where(RELAY_POSITIONS.c.relay_name == name)
                .where(RELAY_POSITIONS.c.position <= position)
                .values(position=position, updated_at=now)
            ).rowcount
            if moved:
                return
            current = connection.execute(
                sa.select(RELAY_POSITIONS.c.position).where(RELAY_POSITIONS.c.relay_name == name)
            ).scalar_one_or_none()
            assert current is None, f"relay position moves forward ({current} -> {position})"
            connection.execute(
                RELAY_POSITIONS.insert().values(relay_name=name, position=position, updated_at=now)
            )

    def reset(self, name: str) -> None:
        """Forget the position: the next run republishes everything (consumers dedupe)."""
        with self.engine.begin() as connection:
            connection.execute(RELAY_POSITIONS.delete().where(RELAY_POSITIONS.c.relay_name == name))
