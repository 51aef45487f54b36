"""Open a store's ledger tables for audit (kiểm toán) without its encryption key.

Verification, checkpoints and proofs read only hashes and the stored (encrypted) bytes, so an
inspector can run them with no access to the AES key that protects personal data. This is
the application's side of the ledger: it knows how a socai store is configured; the ledger
(:mod:`infra.ledger`) knows nothing of the application.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from eventsourcing.persistence import InfrastructureFactory, InterfaceError, OperationalError
from eventsourcing.utils import Environment

from domain.access.log import ERASURE_NAMESPACE, REDACTION_NAMESPACE, AccessRecord
from infra.application import EventStore, StoreUnreachable, store_env
from infra.ledger.errors import LedgerError
from infra.ledger.redactions import ErasureAuthority
from infra.ledger.store import LedgerTables
from infra.schema.store import require_readable
from infra.settings import Settings

#: The events that authorise a redaction (docs/PRIVACY.md): the erasure of a person's data,
#: whose id is ``erasure_id(case, subject)``, and one authorisation per redacted position,
#: whose id is ``redaction_authorisation_id(erasure, position, leaf hash)``. Given to the
#: ledger as plain values.
ERASURE_AUTHORITY = ErasureAuthority(
    AccessRecord.PersonalDataErased.TOPIC,
    ERASURE_NAMESPACE,
    AccessRecord.RedactionAuthorised.TOPIC,
    REDACTION_NAMESPACE,
)


@contextmanager
def ledger_tables(settings: Settings) -> Iterator[LedgerTables]:
    """The ledger tables of the configured store (which must exist)."""
    path = settings.store.sqlite_path
    if path is not None and not path.exists():
        raise LedgerError(f"no store at {path}", hint="check --store / SOCAI_STORE")
    env = {k: v for k, v in store_env(settings, "").items() if not k.startswith("CIPHER_")}
    env["CREATE_TABLE"] = "false"  # inspect what is there; never create tables in a store
    factory = InfrastructureFactory.construct(Environment(EventStore.name, env))
    try:
        try:
            require_readable(settings)
            recorder = factory.application_recorder()
        except (OperationalError, InterfaceError) as error:
            raise StoreUnreachable(
                f"cannot open the store {settings.store.display}: {error}",
                hint="check --store / SOCAI_STORE and that the server accepts connections",
            ) from None
        yield LedgerTables(recorder)
    finally:
        factory.close()
