"""``socai status``: store, ledger, projections and relay positions and lags in one report."""

from __future__ import annotations

import json

import typer

from domain.errors import SocaiError
from infra.cli.context import console, refusing, state

FORMATS = ("text", "json")


@refusing
def status(
    ctx: typer.Context,
    output_format: str = typer.Option("text", "--format", help="text | json"),
) -> None:
    """Heads, positions and lags: store, ledger and last checkpoint, projections, relay.

    Reads only (no key needed, nothing created). Exit 0 whatever the lags: a monitor compares
    the JSON figures with its own thresholds.
    """
    from infra.status import status as gather
    from infra.status import status_lines

    if output_format not in FORMATS:
        raise SocaiError(
            f"--format {output_format!r} is not one of {', '.join(FORMATS)}",
            hint="socai status --format json",
        )
    report = gather(state(ctx).settings())
    if output_format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True))
        return
    for line in status_lines(report):
        console.print(line, soft_wrap=True)
