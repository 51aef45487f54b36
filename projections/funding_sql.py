"""The funding reconciliation as SQL tables (SQLAlchemy), kept from the notification log.

A thin layer over :mod:`projections.funding`: the pure projector decides what each event
means; :class:`FundingProjection` stores its legs and the support amounts the discrepancy
report needs. It has the shape of the projection framework's ``Projection`` (``name``,
``metadata``, ``topics``, ``apply(session, events)`` inside the caller's transaction), so the
framework's runners drive it: it is registered in :mod:`projections.registry`, so the
in-process runner (``socai projections run|rebuild|status``, ``socai finance`` reading
commands) and the Kafka worker apply its events and record their position in
``projection_positions`` in the same transaction as the rows — a restart neither skips nor
double-counts an event. Figures are then plain ``GROUP BY`` queries (:class:`FundingQueries`).

No personal data: legs name a case only by its pseudonymous id and support version; the
support table keeps a support event's type and amount, and a case correction touches it only
when it corrects one of those two fields of a support event.

Tables: ``funding_legs`` (one row per leg, keyed by programme, event version and place),
``funding_programmes`` (programme id → code),
``funding_supports`` (case support events and their corrected type and amount, no personal
data).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from operator import attrgetter
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
from sqlalchemy.sql import Select

from domain.funding.aggregate import EVENT_TOPICS
from projections.framework import insert_rows, insert_tuples
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

#: Fields of a case's ``SupportProvided`` event the support table keeps; a correction of any
#: other field (or of another event) leaves the table alone.
SUPPORT_COLUMNS = ("support_type", "amount_vnd")

metadata = MetaData()

legs_table = Table(
    "funding_legs",
    metadata,
    # (programme, version, seq): the programme event and the leg's place among its legs, so
    # the rows are the same whatever order programmes' events arrive in (log or Kafka).
    Column("programme", String(64), primary_key=True),
    Column("version", BigInteger, primary_key=True),
    Column("seq", Integer, primary_key=True, autoincrement=False),
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
    """The leg's row (without its ``seq``) as a mapping of column → value."""
    return dict(zip(_ROW_COLUMNS, _tuple_of(leg), strict=True))


#: The columns of :func:`_tuple_of`'s tuples, in order; ``seq`` follows them.
_ROW_COLUMNS = (*_LEG_FIELDS, "year", "half", "month", "unit", "province")
_leg_values = attrgetter(*_LEG_FIELDS)


def _tuple_of(leg: Leg) -> tuple[Any, ...]:
    """The leg's row as a tuple of :data:`_ROW_COLUMNS`: its fields (the case id as text)
    and its grouping dimensions as :meth:`Leg.dimension` prints them, computed here once
    per leg (the rebuild writes one row per leg)."""
    values = _leg_values(leg)
    day = leg.occurred_on
    year = str(day.year)
    unit_map = leg.unit_map
    return (
        *values[:13],
        str(leg.case_id) if leg.case_id else None,
        *values[14:],
        year,
        f"{year}-H{1 if day.month <= 6 else 2}",
        f"{year}-{day.month:02d}",
        f"{unit_map}:{leg.unit_code}" if leg.unit_code else UNASSIGNED,
        f"{unit_map}:{leg.province_code}" if leg.province_code else UNASSIGNED,
    )


def _leg_of(row: Any) -> Leg:
    values = {name: getattr(row, name) for name in _LEG_FIELDS}
    values["case_id"] = UUID(row.case_id) if row.case_id else None
    return Leg(**values)


def legs_of_transaction(programme: str, transaction_id: str) -> Select[Any]:
    """The legs one transaction wrote, unordered (the caller sorts by version and seq), so
    that the store answers from ``funding_legs_by_transaction``."""
    return select(legs_table).where(
        legs_table.c.programme == programme, legs_table.c.transaction_id == transaction_id
    )


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
            # Sorted here, not by ``ORDER BY version, seq``: with that clause SQLite walks
            # the primary key (programme, version, seq) and reads every leg of the
            # programme for each look-up — quadratic in a rebuild — instead of using
            # ``funding_legs_by_transaction``. A transaction has a handful of legs.
            rows = self.session.execute(legs_of_transaction(programme, transaction_id))
            ordered = sorted(rows, key=lambda r: (r.version, r.seq))
            found = self.known[key] = [_leg_of(r) for r in ordered]
        return found


class FundingProjection:
    """The funding read model, in the projection framework's shape."""

    name = "funding"
    #: Bump when ``apply`` writes other rows for the same events (projections.definitions).
    definition_version = 1
    metadata = metadata
    topics: tuple[str, ...] = (*EVENT_TOPICS, *CASE_TOPICS)

    def apply(self, session: Session, events: Sequence[Any]) -> None:
        """Apply decoded events (log order) as row changes in ``session``'s transaction.

        Rows are written once per batch: every leg and support row with one driver-level
        ``executemany``, a correction of a support added in the same batch applied to its
        pending row, other corrections as updates after the inserts, in log order — the same
        rows as one statement per event."""
        lookup = _SqlLookup(session)
        projector = FundingProjector(lookup)
        projector.programme_codes = {
            UUID(r.id): r.code for r in session.execute(select(programmes_table))
        }
        rows: list[tuple[Any, ...]] = []
        supports = _SupportRows()
        for event in events:
            name = type(event).__name__
            if name == "Established":
                session.execute(
                    insert(programmes_table).values(id=str(event.originator_id), code=event.code)
                )
            if name in ("SupportProvided", "CorrectionRecorded"):
                supports.apply(event)
                continue
            for seq, leg in enumerate(projector.apply(event)):
                lookup.known.setdefault((leg.programme, leg.transaction_id), []).append(leg)
                rows.append((*_tuple_of(leg), seq))
        insert_tuples(session, legs_table, (*_ROW_COLUMNS, "seq"), rows)
        supports.write(session)


class _SupportRows:
    """A batch's changes to ``funding_supports``: new rows (keyed by case and version, so a
    correction in the same batch changes its pending row) and updates of earlier rows.

    A support event adds its row; a correction of its type or amount updates that row. The
    update is keyed by (case, corrected version): a correction of an event that is not a
    support event matches no row and changes nothing."""

    def __init__(self) -> None:
        self.new: dict[tuple[str, int], dict[str, Any]] = {}
        self.updates: list[tuple[str, Any, str, int]] = []

    def apply(self, event: Any) -> None:
        case_id = str(event.originator_id)
        if type(event).__name__ == "SupportProvided":
            self.new[(case_id, event.originator_version)] = {
                "case_id": case_id,
                "support_version": event.originator_version,
                "support_type": event.support_type,
                "amount_vnd": event.amount_vnd,
            }
        elif event.field in SUPPORT_COLUMNS:
            pending = self.new.get((case_id, event.corrects_version))
            if pending is not None:
                pending[event.field] = event.new_value
            else:
                self.updates.append((event.field, event.new_value, case_id, event.corrects_version))

    def write(self, session: Session) -> None:
        insert_rows(session, supports_table, list(self.new.values()))
        for field, value, case_id, version in self.updates:
            session.execute(
                update(supports_table)
                .where(
                    supports_table.c.case_id == case_id,
                    supports_table.c.support_version == version,
                )
                .values({field: value})
            )


class FundingQueries:
    """Reconciliation, drill-down and support amounts, read from the tables."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        metadata.create_all(engine)

    # -- queries ----------------------------------------------------------------------------

    def reconcile(
        self, by: Iterable[str], programme: str | None = None, as_of: date | None = None
    ) -> list[Row]:
        """The figures grouped ``by`` the dimensions; with ``as_of``, only the transactions
        dated on or before it (the books as they stood on that business date)."""
        dims = check_dimensions(by)
        columns = [func.coalesce(legs_table.c[d], UNASSIGNED).label(d) for d in dims]
        query = select(*columns, *(func.sum(legs_table.c[m]).label(m) for m in MEASURES))
        if programme is not None:
            query = query.where(legs_table.c.programme == programme)
        if as_of is not None:
            query = query.where(legs_table.c.occurred_on <= as_of)
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

    def legs(self, programme: str | None = None, as_of: date | None = None) -> Iterator[Leg]:
        query = select(legs_table).order_by(*legs_table.primary_key.columns)
        if programme is not None:
            query = query.where(legs_table.c.programme == programme)
        if as_of is not None:
            query = query.where(legs_table.c.occurred_on <= as_of)
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
