"""The funding reconciliation as SQL tables (SQLAlchemy), kept from the notification log.

A thin layer over :mod:`projections.funding`: the pure projector decides what each event
means; :class:`FundingProjection` stores its legs and the support amounts the discrepancy
report needs. It has the shape of the projection framework's ``Projection`` (``name``,
``metadata``, ``topics``, ``apply(session, events)`` inside the caller's transaction), so the
framework's runners can drive it. Until it is registered there, :func:`catch_up` drives it
from the log and records the position it reached in ``funding_tracking`` in the same
transaction as the rows, so a restart neither skips nor double-counts an event. Figures are
then plain ``GROUP BY`` queries (:class:`FundingQueries`).

Tables: ``funding_legs`` (one row per leg), ``funding_programmes`` (programme id → code),
``funding_supports`` (case support events and their corrected amounts, no personal data),
``funding_tracking`` (the last log position applied by :func:`catch_up`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Session

from domain.funding.aggregate import EVENT_TOPICS
from projections.funding import (
    CASE_TOPICS,
    MEASURES,
    UNASSIGNED,
    FundingProjector,
    Leg,
    Row,
    SupportLedger,
    check_dimensions,
)

#: Events applied per database transaction while catching up.
CATCH_UP_CHUNK_EVENTS = 5_000
TRACKING_NAME = "funding"

metadata = MetaData()

legs_table = Table(
    "funding_legs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version", BigInteger, nullable=False),
    Column("programme", String(64), nullable=False),
    Column("transaction_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("year", String(4), nullable=False),
    Column("half", String(7), nullable=False),
    Column("month", String(7), nullable=False),
    Column("source", String(64), nullable=False),
    Column("line", String(64)),
    Column("allocation", String(64)),
    Column("unit_map", String(4)),
    Column("unit_code", String(8)),
    Column("unit_name", String(200)),
    Column("province_code", String(8)),
    Column("unit", String(16), nullable=False),
    Column("province", String(16), nullable=False),
    Column("purpose_kind", String(16)),
    Column("case_id", String(36)),
    Column("support_version", Integer),
    Column("activity", String(32)),
    *(Column(m, BigInteger, nullable=False) for m in MEASURES),
    Index("funding_legs_by_transaction", "programme", "transaction_id"),
)

programmes_table = Table(
    "funding_programmes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
)

supports_table = Table(
    "funding_supports",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("support_version", Integer, primary_key=True),
    Column("support_type", String(32), nullable=False),
    Column("amount_vnd", BigInteger),
)

tracking_table = Table(
    "funding_tracking",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

_LEG_FIELDS = (
    "version",
    "programme",
    "transaction_id",
    "kind",
    "occurred_on",
    "source",
    "line",
    "allocation",
    "unit_map",
    "unit_code",
    "unit_name",
    "province_code",
    "purpose_kind",
    "case_id",
    "support_version",
    "activity",
    *MEASURES,
)


def _row_of(leg: Leg) -> dict[str, Any]:
    row = {name: getattr(leg, name) for name in _LEG_FIELDS}
    row["case_id"] = str(leg.case_id) if leg.case_id else None
    for dim in ("year", "half", "month", "unit", "province"):
        row[dim] = leg.dimension(dim)
    return row


def _leg_of(row: Any) -> Leg:
    values = {name: getattr(row, name) for name in _LEG_FIELDS}
    values["case_id"] = UUID(row.case_id) if row.case_id else None
    return Leg(**values)


class _SqlLookup:
    """Earlier legs: those of this batch (not yet written) and those already read, then the
    table (allocations are looked up by every payment; each is read once per batch)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[tuple[str, str], list[Leg]] = {}

    def legs_of(self, programme: str, transaction_id: str) -> list[Leg]:
        key = (programme, transaction_id)
        found = self.known.get(key)
        if found is None:
            rows = self.session.execute(
                select(legs_table)
                .where(
                    legs_table.c.programme == programme,
                    legs_table.c.transaction_id == transaction_id,
                )
                .order_by(legs_table.c.id)
            )
            found = self.known[key] = [_leg_of(r) for r in rows]
        return found


class FundingProjection:
    """The funding read model, in the projection framework's shape."""

    name = "funding"
    metadata = metadata
    topics: tuple[str, ...] = (*EVENT_TOPICS, *CASE_TOPICS)

    def apply(self, session: Session, events: Sequence[Any]) -> None:
        """Apply decoded events (log order) as row changes in ``session``'s transaction."""
        lookup = _SqlLookup(session)
        projector = FundingProjector(lookup)
        projector.programme_codes = {
            UUID(r.id): r.code for r in session.execute(select(programmes_table))
        }
        rows: list[dict[str, Any]] = []
        for event in events:
            name = type(event).__name__
            if name == "Established":
                session.execute(
                    insert(programmes_table).values(id=str(event.originator_id), code=event.code)
                )
            if name in ("SupportProvided", "CorrectionRecorded"):
                _apply_case_event(session, event)
                continue
            for leg in projector.apply(event):
                lookup.known.setdefault((leg.programme, leg.transaction_id), []).append(leg)
                rows.append(_row_of(leg))
        if rows:
            session.execute(insert(legs_table), rows)


def _apply_case_event(session: Session, event: Any) -> None:
    if type(event).__name__ == "SupportProvided":
        session.execute(
            insert(supports_table).values(
                case_id=str(event.originator_id),
                support_version=event.originator_version,
                support_type=event.support_type,
                amount_vnd=event.amount_vnd,
            )
        )
    elif event.field == "amount_vnd":
        session.execute(
            update(supports_table)
            .where(
                supports_table.c.case_id == str(event.originator_id),
                supports_table.c.support_version == event.corrects_version,
            )
            .values(amount_vnd=event.new_value)
        )


def tracked_position(engine: Engine) -> int:
    with Session(engine) as session:
        found = session.execute(
            select(tracking_table.c.position).where(tracking_table.c.name == TRACKING_NAME)
        ).scalar()
    return int(found or 0)


def catch_up(engine: Engine, events: Iterable[tuple[int, Any]]) -> int:
    """Apply (log position, decoded event) pairs after the tracked position, in chunks of
    :data:`CATCH_UP_CHUNK_EVENTS`, each chunk with its position in one transaction."""
    metadata.create_all(engine)
    projection = FundingProjection()
    start = tracked_position(engine)
    applied = 0
    chunk: list[tuple[int, Any]] = []

    def flush() -> int:
        with Session(engine) as session, session.begin():
            tracked = session.execute(
                select(tracking_table.c.position).where(tracking_table.c.name == TRACKING_NAME)
            ).scalar()
            if tracked is not None and chunk[0][0] <= tracked:
                return 0  # another runner applied these first; nothing is applied twice
            projection.apply(session, [event for _, event in chunk])
            last = chunk[-1][0]
            if tracked is None:
                session.execute(insert(tracking_table).values(name=TRACKING_NAME, position=last))
            else:
                session.execute(
                    update(tracking_table)
                    .where(tracking_table.c.name == TRACKING_NAME)
                    .values(position=last)
                )
        return len(chunk)

    for position, event in events:
        if position <= start:
            continue
        chunk.append((position, event))
        if len(chunk) >= CATCH_UP_CHUNK_EVENTS:
            applied += flush()
            chunk = []
    if chunk:
        applied += flush()
    return applied


class FundingQueries:
    """Reconciliation, drill-down and support amounts, read from the tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    # -- queries ----------------------------------------------------------------------------

    def reconcile(self, by: Iterable[str], programme: str | None = None) -> list[Row]:
        dims = check_dimensions(by)
        columns = [func.coalesce(legs_table.c[d], UNASSIGNED).label(d) for d in dims]
        query = select(*columns, *(func.sum(legs_table.c[m]).label(m) for m in MEASURES))
        if programme is not None:
            query = query.where(legs_table.c.programme == programme)
        if dims:
            query = query.group_by(*columns).order_by(*columns)
        with self.engine.connect() as c:
            result = list(c.execute(query))
        return [
            Row(
                tuple(str(r[i]) for i in range(len(dims))),
                *(int(r[len(dims) + i] or 0) for i in range(len(MEASURES))),
            )
            for r in result
        ]

    def legs(self, programme: str | None = None) -> Iterator[Leg]:
        query = select(legs_table).order_by(legs_table.c.id)
        if programme is not None:
            query = query.where(legs_table.c.programme == programme)
        with self.engine.connect() as c:
            for row in c.execute(query):
                yield _leg_of(row)

    def supports(self) -> SupportLedger:
        ledger = SupportLedger()
        with self.engine.connect() as c:
            for r in c.execute(select(supports_table)):
                key = (UUID(r.case_id), r.support_version)
                ledger.amounts[key] = r.amount_vnd
                ledger.types[key] = r.support_type
        return ledger
