"""The funding projection's look-up of earlier legs (issue 18): each look-up reads one
transaction's legs through ``funding_legs_by_transaction``, never the programme's whole
history, and still gives them in (version, seq) order.

The fault class: a query whose ``ORDER BY`` matches the primary key lets SQLite walk that key
instead of the transaction index, which makes a rebuild quadratic in the legs of a programme
while every result stays right — so the plan itself is checked, not only the answer.
"""

from __future__ import annotations

from datetime import date

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
