"""How every read command answers: one :class:`Report`, three formats, the terminal or a file.

A read command builds its answer as data — named columns and rows of plain values — and
:func:`emit` prints it as a table (for people), JSON (fields as fields, for scripts) or CSV
(for Excel: with a byte-order mark when written to a file, so Excel on a Vietnamese Windows
reads UTF-8). The three are made from the same rows, so a script reading ``--format json``
sees exactly what a person sees in the table. Nothing is cut: a table printed to a pipe or a
file is as wide as its widest cell (see :data:`infra.cli.context.console`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from rich.console import Console
from rich.table import Table

from domain.errors import InvalidInput
from domain.money import format_vnd
from infra.cli.context import CliState, console, say
from infra.cli.options import FORMAT, OUTPUT, OptionSet, option

__all__ = [
    "FORMAT",
    "FORMATS",
    "OUTPUT",
    "UTF8_BOM",
    "Column",
    "Reply",
    "Report",
    "answer",
    "cell",
    "check_format",
    "emit",
    "plain",
    "render",
]

#: The values of the one ``--format`` of read commands (:data:`infra.cli.options.FORMAT`).
FORMATS = ("table", "json", "csv")
#: The first cell of a table's totals line.
TOTAL_LABEL = "TỔNG CỘNG (total)"
#: Old spellings still read: ``--format text`` is the table.
FORMAT_ALIASES = {"text": "table"}
#: Written at the start of a CSV file so that Excel reads it as UTF-8.
UTF8_BOM = "\ufeff"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    justify: Literal["left", "right"] = "left"
    #: Whole đồng shown in the table as finance staff write them (``77.300.000.000 đ``);
    #: JSON and CSV carry the integer.
    money: bool = False

    def shown(self, value: Any) -> str:
        """The value as a table cell in this column."""
        return format_vnd(value) if self.money and isinstance(value, int) else cell(value)


@dataclass
class Report:
    """A read command's answer: columns, rows of plain values, and what it is about."""

    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]
    title: str | None = None
    #: Facts about the whole answer (the unit, the cut-off date...): JSON keys beside "rows";
    #: in a table, lines under it.
    meta: dict[str, Any] = field(default_factory=dict)
    #: The JSON key of the rows (``events`` in a case history).
    rows_key: str = "rows"
    #: The totals (tổng cộng) of the figure columns: the table's last line, JSON's ``total``;
    #: not a CSV row (the rows sum to it).
    total: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        keys = [c.key for c in self.columns]
        assert len(set(keys)) == len(keys), "a column is named once"
        assert self.rows_key not in self.meta, f"{self.rows_key!r} is the rows' key"
        assert self.total is None or "total" not in self.meta, "'total' is the totals' key"


def plain(value: Any) -> Any:
    """A value as JSON and CSV carry it: dates ISO 8601, ids and codes as text, money whole."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, tuple | list | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def cell(value: Any) -> str:
    """A value as a table cell: empty for none, lists joined, never a Python repr."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={cell(v)}" for k, v in value.items())
    return str(value)


def check_format(format_: str) -> str:
    """The format asked for (an old spelling read as the one it means), or a refusal."""
    format_ = FORMAT_ALIASES.get(format_, format_)
    if format_ not in FORMATS:
        raise InvalidInput("--format", f"{format_!r} is not a format", hint=" | ".join(FORMATS))
    return format_


def render(report: Report, format_: str) -> str:
    """The report as text in ``format_`` (table text is as wide as its widest cell)."""
    format_ = check_format(format_)
    if format_ == "json":
        rows = [{c.key: plain(row.get(c.key)) for c in report.columns} for row in report.rows]
        data = {**{k: plain(v) for k, v in report.meta.items()}, report.rows_key: rows}
        if report.total is not None:
            data["total"] = {k: plain(v) for k, v in report.total.items()}
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if format_ == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([c.key for c in report.columns])
        writer.writerows([cell(row.get(c.key)) for c in report.columns] for row in report.rows)
        return buffer.getvalue()
    table = _table(report)
    wide = Console(file=io.StringIO(), width=100_000, highlight=False, markup=False)
    wide.print(table)
    for key, value in report.meta.items():
        wide.print(f"{key}: {cell(value)}", soft_wrap=True)
    lines = wide.file.getvalue().splitlines()  # type: ignore[attr-defined]  # a StringIO above
    return "\n".join(line.rstrip() for line in lines) + "\n"


def emit(report: Report, format_: str = "table", output: Path | None = None) -> None:
    """Print ``report`` (a table fits the terminal when there is one) or write it to a file."""
    format_ = check_format(format_)
    if output is not None:
        text = render(report, format_)
        output.write_text((UTF8_BOM if format_ == "csv" else "") + text, encoding="utf-8")
        say(f"wrote {output}", err=True)
    elif format_ == "table" and console.is_terminal:
        console.print(_table(report))
        for key, value in report.meta.items():
            console.print(f"{key}: {cell(value)}", soft_wrap=True)
    else:
        console.file.write(render(report, format_))


def answer(
    cli: CliState, report: Report, format_: str, output: Path | None, what: str, scope: str
) -> None:
    """A read command's answer: :func:`emit`, and when it went to a file (``-o``) the export
    in the access log (nhật ký truy cập: who wrote ``what`` of which ``scope`` in which
    format), so that no command writes a file the log does not show."""
    emit(report, format_, output)
    cli.exported(output, what, scope, format_)


@dataclass(frozen=True)
class Reply(OptionSet):
    """How a read command answers: ``--format`` and ``-o``, the same two in every read command
    (taken as one parameter, ``reply: Reply``). A format it does not speak is refused before
    the command reads anything."""

    format_: str = option(FORMAT)
    output: Path | None = option(OUTPUT)

    def checked(self) -> Reply:
        return replace(self, format_=check_format(self.format_))

    @property
    def as_data(self) -> bool:
        """Asked for data (JSON, CSV or a file) rather than the table: a command whose answer
        is a verdict then writes its findings as rows."""
        return self.format_ != "table" or self.output is not None

    def emit(self, report: Report) -> None:
        """:func:`emit` in the format and to the file asked for."""
        emit(report, self.format_, self.output)

    def answer(self, cli: CliState, report: Report, what: str, scope: str) -> None:
        """:func:`answer`: emitted, and a file export written to the access log."""
        answer(cli, report, self.format_, self.output, what, scope)


def _table(report: Report) -> Table:
    table = Table(title=report.title)
    for column in report.columns:
        table.add_column(column.title, justify=column.justify, overflow="fold")
    for row in report.rows:
        table.add_row(*(c.shown(row.get(c.key)) for c in report.columns))
    if report.total is not None:
        first = report.columns[0].key
        total = {first: TOTAL_LABEL, **report.total}
        table.add_section()
        table.add_row(*(c.shown(total.get(c.key)) for c in report.columns))
    return table
