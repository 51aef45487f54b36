"""``socai units``: look up administrative unit codes on both maps."""

from __future__ import annotations

import typer

from domain.reference.units import AdminMap, unit_directory
from infra.cli.commands import command
from infra.cli.output import Column, Reply, Report

app = typer.Typer(no_args_is_help=True)


@command(app)
def find(
    reply: Reply,
    name: str,
    map_: str = typer.Option(
        None, "--on-map", help="old | 2025: only units of that map (default: both)."
    ),
    limit: int = typer.Option(20, "--limit", min=1, max=1000),
) -> None:
    """Find units whose name contains NAME (with or without diacritics): their MAP:CODE,
    level, parent and 2025 successor. Every --unit option takes MAP:CODE or such a name."""
    directory = unit_directory()
    admin_map = AdminMap.parse(map_, "--on-map") if map_ else None
    rows = []
    for unit in directory.find(name, admin_map)[:limit]:
        parent = directory.parent(unit)
        successor = directory.to_2025(unit)
        rows.append(
            {
                "unit": f"{unit.map.value}:{unit.code}",
                "level": unit.level.value,
                "name": unit.name,
                "parent": parent.name if parent else None,
                "successor_2025": None if successor is unit else f"2025:{successor.code}",
                "successor_name": None if successor is unit else successor.name,
            }
        )
    columns = (
        Column("unit", "unit (MAP:CODE)"),
        Column("level", "level"),
        Column("name", "name"),
        Column("parent", "in (parent)"),
        Column("successor_2025", "2025 successor"),
        Column("successor_name", "successor name"),
    )
    reply.emit(Report(columns, rows))
