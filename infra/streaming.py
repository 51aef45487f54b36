"""Wiring of the Kafka streams to the store: settings and the ledger's checkpoint log.

The relay reads events through :attr:`infra.services.socai.Socai.log` (the
:class:`~projections.eventlog.EventLog` port).

Settings (environment):

- ``SOCAI_KAFKA`` — bootstrap servers of the Kafka cluster, ``host:port[,host:port]``. In
  production any Apache Kafka cluster; in development ``scripts/broker.sh`` prints one.
- ``SOCAI_TOPIC_REPLICATION`` (default 1), ``SOCAI_TOPIC_MIN_INSYNC`` (default: the
  broker's) and ``SOCAI_TOPIC_RETENTION`` (``30d``, ``12h``, ``forever``; default: the
  broker's) — how new topics are created (:class:`streams.topics.TopicSettings`).

The store's identity, which names it in the public events' ``source``
(``urn:socai:store:<id>``) and ids, is stored with its data (:mod:`infra.schema.identity`);
``SOCAI_STORE_ID`` only chooses it for a new store.
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa

from domain.errors import SocaiError
from infra.application import EventStore
from infra.ledger.store import LedgerTables
from infra.ledger.verifier import checkpoint_from_bytes
from infra.settings import Settings
from streams.topics import DEFAULT_REPLICATION_FACTOR, RETAIN_FOREVER, TopicSettings


class StreamSettingsError(SocaiError):
    """A Kafka setting is missing or malformed."""


def kafka_bootstrap(value: str | None = None) -> str:
    bootstrap = (value or os.environ.get("SOCAI_KAFKA") or "").strip()
    if not bootstrap:
        raise StreamSettingsError(
            "no Kafka cluster configured",
            hint="set SOCAI_KAFKA=host:port (scripts/broker.sh starts a development broker)",
        )
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        if not host or not port.isdigit():
            raise StreamSettingsError(
                f"SOCAI_KAFKA entry {server!r} is not host:port", hint="e.g. 127.0.0.1:9092"
            )
    return bootstrap


#: Units of a retention setting, in milliseconds.
RETENTION_UNITS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000}


def retention_ms(text: str) -> int:
    """``30d``, ``12h``, ``90m`` or ``forever`` as ``retention.ms``. A bare number is
    refused: ``7`` could mean days or milliseconds, and as milliseconds it would delete every
    record at once."""
    value = text.strip().lower()
    if value in {"forever", "-1"}:
        return RETAIN_FOREVER
    number, unit = value[:-1], value[-1:]
    if unit not in RETENTION_UNITS or not number.isdigit() or int(number) == 0:
        raise StreamSettingsError(
            f"retention {text!r} is not a number with a unit",
            hint="write e.g. 30d (days), 12h (hours), 90m (minutes) or forever",
        )
    return int(number) * RETENTION_UNITS[unit]


def _positive_int(name: str, text: str) -> int:
    if not text.strip().isdigit():
        raise StreamSettingsError(
            f"{name} {text!r} is not a whole number", hint=f"e.g. {name}=3 (see docs/DEPLOY.md)"
        )
    return int(text)


def topic_settings(
    replication: int | None = None, min_insync: int | None = None, retention: str | None = None
) -> TopicSettings:
    """How new topics are created: the arguments (CLI options), else ``SOCAI_TOPIC_*``."""
    env_replication = os.environ.get("SOCAI_TOPIC_REPLICATION", "").strip()
    env_min_insync = os.environ.get("SOCAI_TOPIC_MIN_INSYNC", "").strip()
    if replication is None and env_replication:
        replication = _positive_int("SOCAI_TOPIC_REPLICATION", env_replication)
    if min_insync is None and env_min_insync:
        min_insync = _positive_int("SOCAI_TOPIC_MIN_INSYNC", env_min_insync)
    retention = retention or os.environ.get("SOCAI_TOPIC_RETENTION", "").strip() or None
    return TopicSettings(
        replication_factor=DEFAULT_REPLICATION_FACTOR if replication is None else replication,
        min_insync_replicas=min_insync,
        retention_ms=None if retention is None else retention_ms(retention),
    )


def store_engine(settings: Settings) -> sa.Engine:
    url = settings.store.sqlalchemy_url()
    if url.drivername == "sqlite":
        return sa.create_engine(url, connect_args={"timeout": 30})
    return sa.create_engine(url, pool_pre_ping=True)


class LedgerCheckpointLog:
    """The ledger's stored checkpoints as the relay's :class:`streams.relay.CheckpointLog`."""

    def __init__(self, store: EventStore) -> None:
        self.tables = LedgerTables(store.recorder)

    def after(self, tree_size: int) -> list[dict[str, Any]]:
        """Each as its JSON document; a C2SP checkpoint's carries its signed note verbatim."""
        return [
            checkpoint_from_bytes(text.encode()).to_json()
            for size, text in self.tables.checkpoint_documents()
            if size > tree_size
        ]
