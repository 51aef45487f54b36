"""``socai status``: store, ledger, projections and relay positions and lags in one report."""

from __future__ import annotations

import json

import typer

from domain.errors import SocaiError
from infra.cli.context import console, refusing, state
from infra.cli.options import FORMAT
from infra.cli.output import check_format


@refusing
def status(ctx: typer.Context, output_format: str = FORMAT) -> None:
    """Heads, positions and lags: store, ledger and last checkpoint, projections, relay.

    Reads only (no key needed, nothing created). Exit 0 whatever the lags: a monitor compares
    the JSON figures with its own thresholds.
    """
    from infra.status import status as gather
    from infra.status import status_lines

    output_format = check_format(output_format)
    if output_format == "csv":
        raise SocaiError(
            "socai status is a nested document: it has no CSV",
            hint="socai status --format json (or the table: --format table)",
        )
    report = gather(state(ctx).settings())
    if output_format == "json":
        print(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True))
        return
    for line in status_lines(report):
        console.print(line, soft_wrap=True)
