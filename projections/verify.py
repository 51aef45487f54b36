"""Verifying the read models (đối chiếu bảng tổng hợp): is every table exactly what the events say?

Projection tables are derived data, kept in a database that an operator can edit like any
other. The ledger proves the *events* unaltered; this proves the *reports* built from them: each
projection is rebuilt from the log into a private scratch database up to the same log position
as the live tables, and the two are compared table by table and row by row (by primary key).
Any difference — a changed cell, a deleted row, an inserted row, a moved position — is named:
projection, table, the row's key, and the columns that differ.

The comparison also yields each projection's content digest (SHA-256 over its rows in
primary-key order, :func:`projections.framework.content_digest`) at its log position: the
figure a report can print so that a reader can later check that the report they hold is what
the events gave at that position.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, Table, select
from sqlalchemy.orm import Session

from projections.framework import Projection, content_digest, position_of

#: Rows listed per table and kind of difference; the counts are always complete.
MAX_LISTED_ROWS_PER_TABLE = 20


@dataclass(frozen=True, slots=True)
class RowDifference:
    """One row that differs: its primary key, and what differs (``missing``: the live table
    lacks a row the events give; ``extra``: the live table has a row no event gives;
    ``changed``: same key, other values, in the columns named)."""

    kind: str
    key: tuple[Any, ...]
    columns: tuple[str, ...] = ()

    def describe(self) -> str:
        shown = ", ".join(str(part) for part in self.key)
        if self.kind == "changed":
            return f"row ({shown}) changed in {', '.join(self.columns)}"
        if self.kind == "missing":
            return f"row ({shown}) missing (the events give it)"
        return f"row ({shown}) extra (no event gives it)"


@dataclass(slots=True)
class TableReport:
    projection: str
    table: str
    rows_compared: int = 0
    differences: int = 0
    listed: list[RowDifference] = field(default_factory=list)


@dataclass(slots=True)
class ProjectionReport:
    name: str
    position: int
    rebuilt_position: int
    digest: str
    rebuilt_digest: str
    tables: list[TableReport] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return (
            self.position == self.rebuilt_position
            and self.digest == self.rebuilt_digest
            and not any(t.differences for t in self.tables)
        )


def _rows(engine: Engine, table: Table) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    key_columns = list(table.primary_key.columns) or list(table.columns)
    key_names = [c.name for c in key_columns]
    rows: dict[tuple[Any, ...], tuple[Any, ...]] = {}
    with engine.connect() as connection:
        for row in connection.execute(select(table)):
            mapping = row._mapping
            rows[tuple(mapping[name] for name in key_names)] = tuple(row)
    return rows


def compare_table(projection: str, table: Table, live: Engine, rebuilt: Engine) -> TableReport:
    """Every row of one table, live against rebuilt, by primary key."""
    report = TableReport(projection=projection, table=table.name)
    have, want = _rows(live, table), _rows(rebuilt, table)
    report.rows_compared = len(have.keys() | want.keys())
    names = [c.name for c in table.columns]

    def note(difference: RowDifference) -> None:
        report.differences += 1
        if len(report.listed) < MAX_LISTED_ROWS_PER_TABLE:
            report.listed.append(difference)

    for key in sorted(want.keys() - have.keys(), key=repr):
        note(RowDifference("missing", key))
    for key in sorted(have.keys() - want.keys(), key=repr):
        note(RowDifference("extra", key))
    for key in sorted(have.keys() & want.keys(), key=repr):
        if have[key] != want[key]:
            differing = tuple(
                name for name, a, b in zip(names, have[key], want[key], strict=True) if a != b
            )
            note(RowDifference("changed", key, differing))
    return report


def _position(engine: Engine, projection: Projection) -> int:
    with Session(engine) as session:
        return position_of(session, projection.name)


def compare_projection(projection: Projection, live: Engine, rebuilt: Engine) -> ProjectionReport:
    report = ProjectionReport(
        name=projection.name,
        position=_position(live, projection),
        rebuilt_position=_position(rebuilt, projection),
        digest=content_digest(live, projection),
        rebuilt_digest=content_digest(rebuilt, projection),
    )
    for table in sorted(projection.metadata.sorted_tables, key=lambda t: t.name):
        report.tables.append(compare_table(projection.name, table, live, rebuilt))
    return report


def verify_projections(
    projections: Sequence[Projection],
    live: Engine,
    rebuild_into: Callable[[Sequence[Projection]], Engine],
) -> list[ProjectionReport]:
    """Compare each live projection with one rebuilt from the log by ``rebuild_into`` (which
    brings a fresh scratch database to the head of the log). The caller brings the live
    tables to the head first; if the log moved in between, positions differ and the report
    says so rather than comparing unlike things."""
    rebuilt = rebuild_into(projections)
    try:
        return [compare_projection(p, live, rebuilt) for p in projections]
    finally:
        rebuilt.dispose()


def all_intact(reports: Iterable[ProjectionReport]) -> bool:
    return all(report.intact for report in reports)
