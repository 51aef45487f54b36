"""The options commands share, declared once: one flag, one help, one parser for each concept.

Every command that takes a unit, a period, a cut-off, a record time or an output format uses
the object defined here (``tests/infra/cli/test_conformance.py`` checks that no command
declares its own): ``--unit MAP:CODE`` (or a code on one map, or a name with or without its
accents), ``--period`` in the one period syntax of :mod:`domain.period`, ``--format
table|json|csv`` and ``-o FILE``.

A recorded step's actor (người thực hiện) is the logged-in user (``socai login``; the token
proves who it is), never an option. A step names its business date (ngày nghiệp vụ: ``--on``,
default today in Viet Nam) and optionally its legal basis (căn cứ pháp lý: ``--basis``); case
and activity commands also read their fields from ``--from-json``. The store and key (``--store``,
``--key-file``) are global options of ``socai`` itself (:mod:`infra.cli.main`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import typer
from typer.models import OptionInfo

from domain.errors import InvalidInput
from domain.period import Period
from domain.time import parse_date
from projections.rollup import reporting_period

ON = typer.Option(None, "--on", help="Business date YYYY-MM-DD (default: today in Viet Nam).")
BASIS = typer.Option(
    None, "--basis", help="Legal basis: decision, record or voucher number (số quyết định)."
)


def required_basis(basis: str | None, what: str) -> str:
    """``--basis`` where a step is void without its decision (a grant, an erasure): given and
    not blank, or a refusal that says which decision is missing."""
    if basis is None or not basis.strip():
        raise InvalidInput("--basis", f"{what} needs its decision", hint="--basis QĐ-12/2026")
    return basis


FROM_JSON = typer.Option(None, "--from-json", help="JSON file with the fields by name.")

#: The one ``--format`` of read commands (:mod:`infra.cli.output`): a table for people, JSON
#: with fields as fields for scripts, CSV for Excel. ``text`` is read as ``table``.
FORMAT = typer.Option("table", "--format", "-f", help="table | json | csv")
#: Where a read command writes its answer instead of the terminal (CSV with a byte-order mark).
OUTPUT = typer.Option(None, "--output", "-o", help="Write to FILE instead of the terminal.")
#: A workbook for Excel (bảng tính), beside the answer, where the report has one.
XLSX = typer.Option(None, "--xlsx", help="Also write an XLSX workbook to FILE.")
#: Số liệu công bố: counts of 1–4 people hidden (:mod:`projections.small_counts`).
PUBLIC = typer.Option(
    False, "--public", help="For publication: counts of 1-4 people shown as <5 (and x)."
)

#: Đơn vị hành chính: one spelling everywhere, resolved by
#: :meth:`domain.reference.units.UnitDirectory.resolve`.
UNIT = typer.Option(
    None,
    "--unit",
    help="MAP:CODE (old:870, 2025:82), a code on one map, a name (accents optional), or VN"
    " (the nation, the default).",
)
#: Where a recorded step happened: the same spellings, read on the map in force on the step's
#: business date (:func:`infra.cli.unit_option.unit_on`).
STEP_UNIT = typer.Option(
    None,
    "--unit",
    help="Where: MAP:CODE, or a code or a name (accents optional) on the map in force that day.",
)
#: The old spelling ``--map old --unit 870``, still read (hidden; ``--unit old:870`` is the one
#: documented).
MAP = typer.Option(None, "--map", hidden=True, help="Old spelling: --unit MAP:CODE.")

#: The one period syntax of every report (domain.period): a year, a half, a quarter, a month,
#: years or days.
PERIOD = typer.Option(
    None, "--period", help="2024, 2024-H1, 2024-Q3, 2024-03, 2016/2020 or 2024-01-01/2024-06-30"
)
#: The old spelling ``--years 2016-2020`` (hidden).
YEARS = typer.Option(None, "--years", hidden=True, help="Old spelling of --period.")
#: Số liệu tính đến ngày …: facts dated after it are not counted.
UNTIL = typer.Option(None, "--until", help="Cut-off date YYYY-MM-DD: count facts up to it.")
#: Ngày nghiệp vụ: only what had happened by a business date.
AS_OF = typer.Option(None, "--as-of", help="Business date YYYY-MM-DD: only what happened by then.")
#: Thời điểm ghi nhận: what the store knew at a past record time.
KNOWN_AT = typer.Option(
    None,
    "--known-at",
    help="As known at this record time (ISO instant, or a date = end of that day in Viet Nam).",
)


def option(declaration: OptionInfo) -> Any:
    """A field of an :class:`OptionSet` read from the option ``declaration``: in code it
    defaults to the option's own default, on the command line it is that option."""
    return field(default=declaration.default, metadata={"option": declaration})


@dataclass(frozen=True)
class OptionSet:
    """Options that travel together, taken by a command as one typed parameter
    (:mod:`infra.cli.commands` puts the options in its place for typer). A subclass is a
    frozen dataclass whose fields are :func:`option` of the declarations above; :meth:`checked`
    may refuse a bad value before the command runs."""

    def checked(self) -> OptionSet:
        """The set as the command receives it (a subclass checks and normalises here)."""
        return self


@dataclass(frozen=True)
class ReportPeriod(OptionSet):
    """The period a report covers (kỳ báo cáo): ``--period``, or the old ``--years``."""

    period: str | None = option(PERIOD)
    years: str | None = option(YEARS)

    @property
    def given(self) -> str | None:
        """The period as written, under whichever spelling it was given."""
        return self.period or self.years

    def window(self, until: str | None = None) -> Period:
        """The period, given exactly once, cut off ``--until`` (facts up to that day)."""
        if (self.period is None) == (self.years is None):
            raise InvalidInput(
                "--period",
                "give the period once",
                hint="e.g. --period 2016-2020 or --period 2024-H1",
            )
        cut_off: date | None = parse_date(until, "--until") if until else None
        flag = "--period" if self.period else "--years"
        return reporting_period(str(self.given), cut_off, flag)
