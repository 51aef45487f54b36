"""The store's identity (danh tính kho): one word, stored with the data, fixed for life.

The identity names the store in every public event it publishes — the CloudEvents ``source``
``urn:socai:store:<id>``, the subject of its checkpoint messages — and the public event ids
are derived from it (``uuid5(ns, "<source>/<aggregate id>/<version>")``). A store that
changed its identity would republish every event under new ids, and consumers that
deduplicate by id would count everything twice. So the identity lives in the store's own
``socai_store`` row, not in a process's environment:

- ``socai init --store-id WORD`` chooses it for a new store (``how = "init"``);
- a store created implicitly (``socai demo``, a first write) takes ``SOCAI_STORE_ID`` or the
  default ``socai``, exactly the value it would have been used with before identities were
  stored (``how = "init"`` too);
- a store made before identities were stored adopts, on its first migration, the value it
  was used with: ``socai migrate --store-id WORD``, else ``SOCAI_STORE_ID``, else ``socai``
  (``how = "adopted"``).

Afterwards ``SOCAI_STORE_ID`` may only repeat the stored value; a different one is refused.

The row also records which version of the eventsourcing library laid out the library's own
``stored_events`` table (socai never migrates that table; the library keeps it compatible
within a minor series, and socai pins the series).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import version

from domain.errors import SocaiError

IDENTITY_TABLE = "socai_store"
DEFAULT_STORE_ID = "socai"
STORE_ID_MAX_CHARS = 64


class IdentityError(SocaiError):
    """A store identity is malformed, or disagrees with the one stored."""


def check_store_id(word: str, source: str = "store id") -> str:
    """``word`` if it is one word of letters, digits, ``-`` and ``_`` (≤ 64 characters).

    Exactly the rule ``SOCAI_STORE_ID`` was checked with before identities were stored
    (``str.isalnum``, so letters of any script), so every identity a store was used with can
    be adopted."""
    ident = word.strip()
    if not ident.replace("-", "").replace("_", "").isalnum() or len(ident) > STORE_ID_MAX_CHARS:
        raise IdentityError(
            f"{source} {ident!r} must be one word of letters, digits, - and _"
            f" (at most {STORE_ID_MAX_CHARS})",
            hint="e.g. vn-national",
        )
    return ident


def environment_store_id() -> str | None:
    """``SOCAI_STORE_ID`` if set (checked), else None."""
    value = os.environ.get("SOCAI_STORE_ID")
    return check_store_id(value, "SOCAI_STORE_ID") if value and value.strip() else None


def eventsourcing_series(full: str | None = None) -> str:
    """The library's minor series (``9.5``): the unit of its stored-events compatibility."""
    return ".".join((full or version("eventsourcing")).split(".")[:2])


@dataclass(frozen=True, slots=True)
class StoreIdentity:
    """The stored identity row."""

    store_id: str
    how: str  # "init" (chosen or defaulted at creation) or "adopted" (on first migration)
    recorded_at: str  # ISO-8601 UTC
    eventsourcing: str  # the library version that last initialised or migrated the store

    def require_environment_agrees(self, store_display: str) -> None:
        """Refuse a ``SOCAI_STORE_ID`` that names another store: event ids derive from it."""
        given = environment_store_id()
        if given is not None and given != self.store_id:
            raise IdentityError(
                f"SOCAI_STORE_ID={given} but the store {store_display} is {self.store_id!r}"
                " (stored with its data): publishing under another identity would give every"
                " event a new public id",
                hint=f"unset SOCAI_STORE_ID, or set it to {self.store_id}",
            )
