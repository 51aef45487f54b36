"""The store's identity row (``socai_store``).

A new store records the identity it is initialised with; a store made before identities
were stored adopts the one it was used with (``SOCAI_STORE_ID`` or the default ``socai``, or
``socai migrate --store-id``), marked ``adopted``. See :mod:`infra.schema.identity`.

Revision ID: 0002_store_identity
Revises: 0001_baseline
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0002_store_identity"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    identity = op.create_table(
        "socai_store",
        sa.Column("id", sa.Integer, sa.CheckConstraint("id = 1"), primary_key=True),
        sa.Column("store_id", sa.String(64), nullable=False),
        sa.Column("how", sa.String(16), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("eventsourcing", sa.String(32), nullable=False),
    )
    given = context.config.attributes
    op.bulk_insert(
        identity,
        [
            {
                "id": 1,
                "store_id": given["store_id"],
                "how": given["how"],
                "recorded_at": given["now"],
                "eventsourcing": given["eventsourcing"],
            }
        ],
    )


def downgrade() -> None:
    raise NotImplementedError("a store keeps its identity for life: restore a backup instead")
