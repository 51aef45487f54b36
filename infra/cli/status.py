"""``socai status``: store, ledger, projections and relay positions and lags in one report."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import typer

from infra.cli.commands import cli_command
from infra.cli.context import console, say, state
from infra.cli.options import FORMAT, OUTPUT
from infra.cli.output import UTF8_BOM, Column, Report, check_format, render


@cli_command
def status(ctx: typer.Context, output_format: str = FORMAT, output: Path = OUTPUT) -> None:
    """Heads, positions and lags: store, ledger and last checkpoint, projections, relay.

    Reads only (no key needed, nothing created). Exit 0 whatever the lags: a monitor compares
    the JSON figures with its own thresholds. ``--format json`` is the nested document;
    ``--format csv`` the same facts one per line (``key,value``, the key a dotted path).
    """
    from infra.status import status as gather
    from infra.status import status_lines

    output_format = check_format(output_format)
    report = gather(state(ctx).settings())
    if output_format == "json":
        text = json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    elif output_format == "csv":
        columns = (Column("key", "key"), Column("value", "value"))
        rows = [{"key": k, "value": v} for k, v in flattened(report)]
        text = UTF8_BOM * (output is not None) + render(Report(columns, rows), "csv")
    else:
        text = "\n".join(status_lines(report)) + "\n"
    if output is None:
        if output_format == "table":
            for line in status_lines(report):
                console.print(line, soft_wrap=True)
        else:
            console.file.write(text)
        return
    output.write_text(text, encoding="utf-8")
    say(f"wrote {output}", err=True)


def flattened(document: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Each leaf of a nested document with its dotted path (``relay.lag``), in key order; an
    empty mapping is a leaf of its own (``None``), so no section disappears."""
    for key in sorted(document):
        value, path = document[key], f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from flattened(value, f"{path}.")
        else:
            yield path, (None if isinstance(value, Mapping) else value)
