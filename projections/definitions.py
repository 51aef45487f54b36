"""Projection definitions (định nghĩa bảng tổng hợp): a projection rebuilds itself when its
definition changes.

A projection's tables are derived from the log, so a changed projection is never migrated
row by row: it is rebuilt from the events. What "changed" means is its *definition digest*,
SHA-256 over

- its tables as DDL (names, columns, types, nullability, keys, constraints, indexes), its
  working tables included,
- the topics it applies, and
- its ``definition_version`` (an int, 1 if absent), which the author bumps when ``apply``
  changes what rows it writes without changing a table.

The digest is stored per projection in ``projection_definitions``, beside its positions.
When the framework creates a projection's tables (every runner and worker does on start) a
stored digest that differs — or none, for a projection built before digests were stored —
means the rows were written by another definition. The in-process driver then drops the
tables and forgets the positions, logs it, and the runner rebuilds them from the log. A
projection driven from Kafka (positions in a topic) cannot replay the log from here, so it is
refused with a hint instead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, MetaData, String, Table, select
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, CreateTable

from domain.errors import SocaiError

definitions_metadata = MetaData()

#: One row per projection: the digest of the definition its rows were built by.
projection_definitions = Table(
    "projection_definitions",
    definitions_metadata,
    Column("name", String(64), primary_key=True),
    Column("digest", String(64), nullable=False),
)


class DefinitionChanged(SocaiError):
    """A projection's rows were built by another definition and cannot be rebuilt here."""


def metadatas(projection: Any) -> list[MetaData]:
    """The projection's tables: its content (``metadata``) and, when it has them, the working
    tables it keeps for itself (``working_metadata``, see :mod:`projections.framework`)."""
    working = getattr(projection, "working_metadata", None)
    return [projection.metadata] if working is None else [projection.metadata, working]


def definition_digest(projection: Any) -> str:
    """The SHA-256 (hex) of a projection's definition (dialect-independent DDL)."""
    parts = [
        f"projection {projection.name}",
        f"version {getattr(projection, 'definition_version', 1)}",
        "topics " + " ".join(sorted(projection.topics)),
    ]
    tables = [table for metadata in metadatas(projection) for table in metadata.sorted_tables]
    for table in sorted(tables, key=lambda t: t.name):
        parts.append(str(CreateTable(table)).strip())
        parts.extend(sorted(str(CreateIndex(index)).strip() for index in table.indexes))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def stored_digests(connection: Connection) -> dict[str, str]:
    """Every stored digest by projection name (the table must exist)."""
    rows = connection.execute(select(projection_definitions)).all()
    return {str(row.name): str(row.digest) for row in rows}


def stale(connection: Connection, projections: Sequence[Any]) -> list[Any]:
    """The projections whose stored digest is not their definition's (or is missing)."""
    stored = stored_digests(connection)
    return [p for p in projections if stored.get(p.name) != definition_digest(p)]


def stored_digest(connection: Connection, name: str) -> str | None:
    """The digest stored for projection ``name`` (None: none), in the caller's transaction."""
    value = connection.execute(
        select(projection_definitions.c.digest).where(projection_definitions.c.name == name)
    ).scalar_one_or_none()
    return None if value is None else str(value)


def record(session: Session | Connection, projection: Any) -> None:
    """Store the projection's digest (in the caller's transaction)."""
    digest = definition_digest(projection)
    session.execute(
        projection_definitions.delete().where(projection_definitions.c.name == projection.name)
    )
    session.execute(projection_definitions.insert().values(name=projection.name, digest=digest))


def refuse_kafka_driven(projection: Any, sources: set[str]) -> None:
    """A projection whose rows came from Kafka topics is rebuilt by its workers, not here."""
    raise DefinitionChanged(
        f"the definition of projection {projection.name} changed since its rows were built"
        f" from {', '.join(sorted(sources))}",
        hint="rebuild it from Kafka: start the workers on an empty projections database (or"
        " `socai projections rebuild` it from the store) with a new consumer --group",
    )
