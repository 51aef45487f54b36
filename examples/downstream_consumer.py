"""Example downstream consumer: support paid per type and year, from socai's public events.

Copy this file to start your own. It reads ``socai.case-events.v1`` (CloudEvents 1.0, JSON;
schemas in socai's ``streams/schemas/``), keeps a table ``support_paid`` in its own SQLite
database and stays correct when Kafka redelivers or socai's relay republishes: the helper
runs the handler once per event id, in the same transaction as its offsets.

    pip install ./consumer      # socai-consumer: kafka-python, jsonschema, SQLAlchemy; no socai
    SOCAI_KAFKA=127.0.0.1:9092 python examples/downstream_consumer.py support.db

Stop with Ctrl-C; start again and it resumes where it stopped.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import sqlalchemy as sa
from socai_consumer import CASE_EVENTS, IdempotentConsumer

metadata = sa.MetaData()
support_paid = sa.Table(
    "support_paid",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("support_type", sa.String(40), primary_key=True),
    sa.Column("times", sa.Integer, nullable=False),
    sa.Column("amount_vnd", sa.BigInteger, nullable=False),  # whole đồng, never float
)


def handle(connection: sa.Connection, event: dict[str, Any]) -> None:
    """Called once per public event, inside the consumer's transaction."""
    if event["type"] != "vn.socai.case.SupportProvided.v1":
        return
    data = event["data"]
    key = {"year": int(data["occurred_on"][:4]), "support_type": data["support_type"]}
    amount = int(data["amount_vnd"] or 0)
    updated = connection.execute(
        support_paid.update()
        .where(
            support_paid.c.year == key["year"], support_paid.c.support_type == key["support_type"]
        )
        .values(times=support_paid.c.times + 1, amount_vnd=support_paid.c.amount_vnd + amount)
    )
    if updated.rowcount == 0:
        connection.execute(support_paid.insert().values(**key, times=1, amount_vnd=amount))


def main(database: str, bootstrap: str, idle_exit_seconds: float | None = None) -> None:
    engine = sa.create_engine(f"sqlite:///{database}")
    metadata.create_all(engine)
    consumer = IdempotentConsumer(
        bootstrap, [CASE_EVENTS], engine, handle, name="support-paid-example", validate=True
    )
    stopping = [False]
    signal.signal(signal.SIGINT, lambda *_: stopping.__setitem__(0, True))
    signal.signal(signal.SIGTERM, lambda *_: stopping.__setitem__(0, True))
    try:
        handled = consumer.run(should_stop=lambda: stopping[0], idle_exit_seconds=idle_exit_seconds)
    finally:
        consumer.close()
    print(f"handled {handled} new events ({consumer.duplicates} duplicates skipped)")
    with engine.connect() as connection:
        for row in connection.execute(
            sa.select(support_paid).order_by(support_paid.c.year, support_paid.c.support_type)
        ):
            print(f"{row.year} {row.support_type:28} {row.times:5}× {row.amount_vnd:>15,} đ")


if __name__ == "__main__":
    idle = os.environ.get("IDLE_EXIT_SECONDS")
    main(
        sys.argv[1] if len(sys.argv) > 1 else "downstream.db",
        os.environ.get("SOCAI_KAFKA", "127.0.0.1:9092"),
        float(idle) if idle else None,
    )
