"""``socai units``: look up administrative unit codes on both maps."""

from __future__ import annotations

import typer
from rich.table import Table

from domain.reference.units import AdminMap, unit_directory
from infra.cli.context import console, refusing

app = typer.Typer(no_args_is_help=True)


@app.command()
@refusing
def find(
    name: str,
    map_: str = typer.Option(None, "--map", help="old | 2025 (default: both)"),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
) -> None:
    """Find units whose name contains NAME, with their codes and 2025 successors."""
    directory = unit_directory()
    admin_map = AdminMap.parse(map_) if map_ else None
    table = Table()
    for column in ("map", "level", "code", "name", "in (parent)", "2025 successor"):
        table.add_column(column)
    for unit in directory.find(name, admin_map)[:limit]:
        parent = directory.parent(unit)
        successor = directory.to_2025(unit)
        table.add_row(
            unit.map.value,
            unit.level.value,
            unit.code,
            unit.name,
            parent.name if parent else "",
            "" if successor is unit else str(successor),
        )
    console.print(table)
