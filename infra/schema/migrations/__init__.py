"""Alembic revisions of socai's tables in a store's database (see infra.schema.store)."""
