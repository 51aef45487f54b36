"""Where the ledger's signing key lives and how often a writer signs a checkpoint.

The ledger (:mod:`infra.ledger`) takes these as plain values; this module reads them from the
settings and the environment and attaches the automatic checkpoint policy to a store's
recorder:

- ``SOCAI_SIGNING_KEY_FILE`` — the Ed25519 signing key; by default ``PATH.signing.pem``
  beside a SQLite store, ``./socai.signing.pem`` for PostgreSQL. Keep it off the database
  host: whoever can write the database must not be able to sign.
- ``SOCAI_CHECKPOINT_EVERY_EVENTS`` (1,000) and ``SOCAI_CHECKPOINT_EVERY_SECONDS`` (300) — a
  writing process signs after that many events, or on the first write that long after its
  last checkpoint.
"""

from __future__ import annotations

import os
from pathlib import Path

from infra.ledger.checkpoints import (
    DEFAULT_EVERY_EVENTS,
    DEFAULT_EVERY_SECONDS,
    CheckpointPolicy,
    attach_policy,
)
from infra.settings import Settings


def signing_key_path(settings: Settings) -> Path:
    configured = os.environ.get("SOCAI_SIGNING_KEY_FILE")
    if configured:
        return Path(configured)
    if settings.store.sqlite_path is not None:
        path = settings.store.sqlite_path
        return path.with_name(path.name + ".signing.pem")
    return Path("socai.signing.pem")


def attach_checkpoints(recorder: object, settings: Settings) -> CheckpointPolicy | None:
    """Checkpoint automatically from this process's writes (cadence from the environment).
    The policy only signs and stores; the relay publishes stored checkpoints to Kafka."""
    return attach_policy(
        recorder,
        signing_key_path(settings),
        every_events=int(os.environ.get("SOCAI_CHECKPOINT_EVERY_EVENTS", DEFAULT_EVERY_EVENTS)),
        every_seconds=float(
            os.environ.get("SOCAI_CHECKPOINT_EVERY_SECONDS", DEFAULT_EVERY_SECONDS)
        ),
    )
