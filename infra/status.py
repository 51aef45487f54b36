"""How far everything has got (tình trạng hệ thống): one report for operators and monitors.

``socai status`` (and ``--format json`` for scripts) reads, without the encryption key and
without writing anything:

- the store's head (the last notification-log position),
- the ledger's head (events chained) and its last signed checkpoint (tree size, time, and how
  many chained events it does not cover yet),
- each projection's position and lag in the log (the in-process runner's), and the stream
  workers' positions per topic and partition (next offset to read, Kafka's convention),
- the relay's position and lag, its checkpoint position, and whether a relay holds the store's
  relay lock right now (and who: host and process id).

Lags are upper bounds on PostgreSQL, whose notification ids may have gaps.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from infra.audit_store import ledger_tables
from infra.ledger.verifier import checkpoint_from_bytes
from infra.projection_db import projections_engine
from infra.settings import Settings
from infra.streaming import store_engine
from projections.framework import NOTIFICATION_LOG_SOURCE, projection_positions
from projections.registry import all_projections
from streams.positions import DEFAULT_RELAY_NAME, RELAY_POSITIONS
from streams.relay_lock import RelayLock

#: Version of the JSON document (a field added keeps it; a field removed or renamed bumps it).
STATUS_FORMAT_VERSION = 1


@contextmanager
def _disposing(engine: sa.Engine) -> Iterator[sa.Engine]:
    try:
        yield engine
    finally:
        engine.dispose()


def _rows(engine: sa.Engine, table: sa.Table) -> list[Any]:
    """Every row of ``table``; none when the table (or the SQLite file) does not exist yet
    (nothing ran). Never creates either."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and not Path(database).exists():
        return []
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(table.name):
            return []
        return list(connection.execute(sa.select(table)))


def ledger_status(settings: Settings) -> tuple[int, dict[str, Any]]:
    """(store head, ledger section) read through the ledger tables (no key needed)."""
    with ledger_tables(settings) as tables:
        store_head = int(tables.recorder.max_notification_id() or 0)
        head = tables.head()
        documents = tables.checkpoint_documents()
    last: dict[str, Any] | None = None
    if documents:
        document = checkpoint_from_bytes(documents[-1][1].encode()).to_json()
        last = {
            "tree_size": int(document["tree_size"]),
            "time": document["time"],
            "events_not_covered": head.size - int(document["tree_size"]),
        }
    return store_head, {
        "head_position": head.position,
        "chained_events": head.size,
        "last_checkpoint": last,
    }


def projections_status(settings: Settings, store_head: int) -> dict[str, Any]:
    with _disposing(projections_engine(settings)) as engine:
        rows = _rows(engine, projection_positions)
        database = engine.url.render_as_string(hide_password=True)
    in_process = {
        (r.name, r.partition): int(r.position) for r in rows if r.source == NOTIFICATION_LOG_SOURCE
    }
    positions = {}
    for projection in all_projections():
        position = in_process.get((projection.name, 0), 0)
        positions[projection.name] = {"position": position, "lag": max(0, store_head - position)}
    workers: dict[str, dict[str, dict[str, int]]] = {}
    for r in rows:
        if r.source != NOTIFICATION_LOG_SOURCE:
            by_topic = workers.setdefault(r.name, {}).setdefault(r.source, {})
            by_topic[str(r.partition)] = int(r.position)
    return {"database": database, "in_process": positions, "stream_workers": workers}


def relay_status(settings: Settings, store_head: int, ledger_size: int) -> dict[str, Any]:
    with _disposing(store_engine(settings)) as engine:
        positions = {r.relay_name: int(r.position) for r in _rows(engine, RELAY_POSITIONS)}
        holder = RelayLock(engine, DEFAULT_RELAY_NAME).holder()
    position = positions.get(DEFAULT_RELAY_NAME, 0)
    checkpoints = positions.get(f"{DEFAULT_RELAY_NAME}-checkpoints", 0)
    return {
        "name": DEFAULT_RELAY_NAME,
        "position": position,
        "lag": max(0, store_head - position),
        "checkpoints_published_up_to_tree_size": checkpoints,
        "running": holder is not None,
        "held_by": holder,
        "ledger_events_after_published_checkpoint": max(0, ledger_size - checkpoints),
    }


def status(settings: Settings) -> dict[str, Any]:
    """The whole report as JSON-ready data."""
    store_head, ledger = ledger_status(settings)
    return {
        "format": STATUS_FORMAT_VERSION,
        "store": {"url": settings.store.display, "head": store_head},
        "ledger": ledger,
        "projections": projections_status(settings, store_head),
        "relay": relay_status(settings, store_head, ledger["chained_events"]),
    }


def status_lines(report: dict[str, Any]) -> list[str]:
    """The report for people, one fact per line."""
    ledger, relay = report["ledger"], report["relay"]
    last = ledger["last_checkpoint"]
    lines = [
        f"store        {report['store']['url']}  head {report['store']['head']}",
        f"ledger       {ledger['chained_events']} events chained (head position"
        f" {ledger['head_position']})",
        "checkpoint   "
        + (
            f"tree size {last['tree_size']} at {last['time']}"
            f" ({last['events_not_covered']} events not covered yet)"
            if last
            else "none signed yet (socai audit checkpoint)"
        ),
    ]
    for name, entry in report["projections"]["in_process"].items():
        lines.append(f"projection   {name:20} position {entry['position']}  lag {entry['lag']}")
    for group, topics in report["projections"]["stream_workers"].items():
        for topic, partitions in topics.items():
            offsets = " ".join(f"{p}:{o}" for p, o in sorted(partitions.items()))
            lines.append(f"worker       {group} {topic} next offsets {offsets}")
    running = f"running ({relay['held_by']})" if relay["running"] else "not running"
    lines.append(
        f"relay        {relay['name']} position {relay['position']}  lag {relay['lag']}  {running}"
    )
    return lines
