"""Wiring of the Kafka streams to the store: settings and the ledger's checkpoint log.

The relay reads events through :attr:`infra.services.socai.Socai.log` (the
:class:`~projections.eventlog.EventLog` port).

Settings (environment):

- ``SOCAI_KAFKA`` — bootstrap servers of the Kafka cluster, ``host:port[,host:port]``. In
  production any Apache Kafka cluster; in development ``scripts/broker.sh`` prints one.
- ``SOCAI_STORE_ID`` — one word naming this store in the public events' ``source``
  (``urn:socai:store:<id>``) and ids; default ``socai``. Never change it once published:
  event ids are derived from it.
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

DEFAULT_STORE_ID = "socai"


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


def store_id(value: str | None = None) -> str:
    ident = (value or os.environ.get("SOCAI_STORE_ID") or DEFAULT_STORE_ID).strip()
    if not ident.replace("-", "").replace("_", "").isalnum() or len(ident) > 64:
        raise StreamSettingsError(
            f"SOCAI_STORE_ID {ident!r} must be one word of letters, digits, - and _",
            hint="e.g. SOCAI_STORE_ID=vn-national",
        )
    return ident


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
