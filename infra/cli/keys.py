"""``socai keys``: create the AES key that encrypts the store at rest."""

from __future__ import annotations

import typer

from infra.cli.commands import command
from infra.cli.context import console, state
from infra.keys import create_key_file

app = typer.Typer(no_args_is_help=True)


@command(app, "init")
def init(ctx: typer.Context) -> None:
    """Create a new key file for the store (never overwrites an existing one)."""
    settings = state(ctx).settings()
    create_key_file(settings.key_file)
    console.print(
        f"created key file {settings.key_file} (mode 0600). Back it up: without it the"
        " personal data in the store cannot be read."
    )
