"""Progress of long work (tiến độ): one bar on stderr, shown only to a person at a terminal.

Every phase that can take more than a second (building the demo, projections as known at a
past time, a rebuild, a quality check, a ledger verification, a reconciliation) reports
through :func:`progress`. The bar goes to stderr and only when stderr is a terminal: piped
or redirected output, and what a script reads on stdout, never hold a progress line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy import Engine

from infra.cli import context
from projections import asof
from projections.eventlog import EventLog
from projections.framework import InProcessRunner, Projection

#: Called with how much more work is done (events applied, steps recorded, rows checked).
Advance = Callable[[int], None]


def _nothing(_done: int) -> None:
    """The advance of a progress nobody watches."""


@contextmanager
def progress(label: str, total: int | None = None) -> Iterator[Advance]:
    """A progress bar for one phase (``total`` units, or unknown: a spinner and a count).

    Yields the function that advances it. Nothing is printed unless stderr is a terminal;
    the bar disappears when the phase ends (``transient``), leaving the command's output.
    """
    console = context.err_console
    if not console.is_terminal:
        yield _nothing
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if total is not None else TextColumn("{task.completed}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.advance(task, done)


def run_with_progress(runner: InProcessRunner, total: int, label: str) -> int:
    """Bring ``runner``'s projections up to date, showing how many of ``total`` notifications
    are applied; returns how many it covered."""
    with progress(label, max(total, 0)) as advance:
        return runner.run(progress=advance)


def known_at_engine(
    log: EventLog, instant: datetime, projections: list[Projection] | None = None
) -> Engine:
    """Projections as known at ``instant`` (theo dữ liệu đã ghi nhận đến T), built with a
    progress bar: a query ``--known-at`` replays the log up to T."""
    with progress(f"as known at {instant.isoformat()}", log.head()) as advance:
        return asof.known_at(log, instant, projections, advance)
