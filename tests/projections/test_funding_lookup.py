"""The funding projection's look-up of earlier legs (issue 18): each look-up reads one
transaction's legs through ``funding_legs_by_transaction``, never the programme's whole
history, and still gives them in (version, seq) order.

The fault class: a query whose ``ORDER BY`` matches the primary key lets SQLite walk that key
instead of the transaction index, which makes a rebuild quadratic in the legs of a programme
while every result stays right — so the plan itself is checked, not only the answer.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from projections.framework import insert_rows
from projections.funding import Leg
from projections.funding_sql import _row_of, _SqlLookup, legs_of_transaction, legs_table, metadata


def _leg(version: int, transaction: str, programme: str = "P", **kw: int | str) -> Leg:
    return Leg(version, programme, transaction, "paid", date(2025, 3, 1), "state", **kw)  # type: ignore[arg-type]


def test_a_lookup_of_one_transaction_uses_the_transaction_index() -> None:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    statement = legs_of_transaction("P", "tx-1").compile(
        engine, compile_kwargs={"literal_binds": True}
    )
    with engine.connect() as connection:
        plan = " ".join(
            str(step[-1]) for step in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}")
        )
    assert "funding_legs_by_transaction" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_looked_up_legs_come_in_version_and_seq_order_whatever_the_insert_order() -> None:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    wanted = [(7, 0), (7, 1), (12, 0), (30, 0), (30, 1)]
    others = [_leg(v, "other", disbursed=v) for v in range(100, 160)]
    with Session(engine) as session, session.begin():
        rows = [
            {**_row_of(_leg(v, "tx-1", disbursed=v * 10 + s)), "seq": s}
            for v, s in reversed(wanted)
        ]
        rows += [{**_row_of(leg), "seq": 0} for leg in others]
        rows += [{**_row_of(_leg(7, "tx-1", programme="Q")), "seq": 0}]
        insert_rows(session, legs_table, rows)
    with Session(engine) as session:
        found = _SqlLookup(session).legs_of("P", "tx-1")
    assert [(leg.version, leg.disbursed) for leg in found] == [(v, v * 10 + s) for v, s in wanted]
    assert {leg.programme for leg in found} == {"P"}


@settings(max_examples=300, deadline=None)
@given(
    day=st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)),
    unit_map=st.none() | st.sampled_from(["old", "new"]),
    unit_code=st.none() | st.sampled_from(["", "01", "001", "26734"]),
    province_code=st.none() | st.sampled_from(["", "01", "79"]),
    case_id=st.none() | st.uuids(),
    line=st.none() | st.text(max_size=3),
)
def test_a_leg_row_holds_the_leg_and_the_dimensions_the_projector_prints(
    day: date,
    unit_map: str | None,
    unit_code: str | None,
    province_code: str | None,
    case_id: UUID | None,
    line: str | None,
) -> None:
    """The row is built in one pass (a rebuild writes one per leg); its grouping columns
    must be what :meth:`Leg.dimension` prints, its fields the leg's, whatever the values."""
    leg = Leg(
        9, "P", "tx", "pay", day, "state", line, None, unit_map, unit_code, None,
        province_code, "case", case_id, 3, None, 0, 0, 5, -5, 0,
    )  # fmt: skip
    row = _row_of(leg)
    for name in ("year", "half", "month", "unit", "province"):
        assert row[name] == leg.dimension(name)
    assert row["case_id"] == (str(case_id) if case_id else None)
    for name in (f.name for f in fields(Leg) if f.name != "case_id"):
        assert row[name] == getattr(leg, name)
