"""``socai init`` and ``socai migrate``: create a store, or bring one to this code's schema."""

from __future__ import annotations

import typer

from infra.cli.commands import cli_command
from infra.cli.context import say, state
from infra.keys import create_key_file
from infra.schema.identity import check_store_id, environment_store_id
from infra.schema.store import SchemaMismatch, default_identity, head, initialise, state_of
from infra.schema.store import migrate as migrate_store

#: Exit status of ``socai migrate --check`` when the store needs a migration.
EXIT_MIGRATION_PENDING = 1

STORE_ID_HELP = (
    "One word naming the store in its public events (urn:socai:store:WORD);"
    " default SOCAI_STORE_ID, else socai. Fixed for life."
)


@cli_command
def init(
    ctx: typer.Context,
    store_id: str = typer.Option(None, "--store-id", help=STORE_ID_HELP),
) -> None:
    """Create a new store: its schema, identity, encryption key (if none) and key check."""
    cli = state(ctx)
    settings = cli.settings()
    chosen = check_store_id(store_id, "--store-id") if store_id else default_identity()
    from_environment = environment_store_id()
    if from_environment is not None and from_environment != chosen:
        raise SchemaMismatch(
            f"--store-id {chosen} disagrees with SOCAI_STORE_ID={from_environment}",
            hint="give one identity: unset SOCAI_STORE_ID or drop --store-id",
        )
    identity = initialise(settings, chosen)
    created_key = not settings.key_file.exists() and not settings.cipher_key
    if created_key:
        create_key_file(settings.key_file)
    cli.app()  # opens it: the library's tables, the key-check value, the ledger's origin
    say(
        f"initialised the store {settings.store.display}: identity {identity.store_id},"
        f" schema version {head()}"
    )
    if created_key:
        say(
            ("note:", "yellow"),
            f" created its encryption key {settings.key_file} (mode 0600). Back it up: without"
            " it the personal data in the store cannot be read.",
        )


@cli_command
def migrate(
    ctx: typer.Context,
    store_id: str = typer.Option(
        None,
        "--store-id",
        help="For a store made before stored identities: the identity it was used with"
        " (default SOCAI_STORE_ID, else socai).",
    ),
    check: bool = typer.Option(
        False, "--check", help="Only say whether a migration is needed (exit 1 if so)."
    ),
) -> None:
    """Upgrade the store's schema to this socai's (back it up and stop its relay and workers
    first). Needs no encryption key; projections rebuild themselves on next use."""
    settings = state(ctx).settings()
    chosen = check_store_id(store_id, "--store-id") if store_id else None
    current = state_of(settings)
    if check:
        if current.status == "current":
            say(f"schema version {current.revision}: current")
            return
        if current.status in ("new", "newer"):
            migrate_store(settings, chosen)  # refuses, saying why
        say(f"schema version {current.label}: `socai migrate` upgrades it to {head()}")
        raise typer.Exit(EXIT_MIGRATION_PENDING)
    done = migrate_store(settings, chosen)
    if done.before == done.after:
        say(f"schema version {done.after}: current, nothing to migrate")
        return
    say(f"migrated {settings.store.display} from schema version {current.label} to {done.after}")
    if done.adopted:
        source = (
            "--store-id"
            if chosen
            else "SOCAI_STORE_ID"
            if environment_store_id()
            else "the default"
        )
        say(
            f"identity {done.identity.store_id} adopted from {source}: the value its public"
            " events were published under"
        )
