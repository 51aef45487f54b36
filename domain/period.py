"""Kỳ: a span of business days, written one way everywhere.

Provinces report by year, by half-year and "số liệu tính đến ngày 31/7"; allocations are made
for a year, a half-year, a month or a programme's years. One syntax serves all of them — the
rollup, the KPIs, an allocation, a reconciliation:

- ``2024`` a year; ``2024-H1``/``2024-H2`` a half; ``2024-Q3`` a quarter; ``2024-03`` a month;
- ``2016/2020`` or ``2016-2020`` whole years;
- ``2024-01-01/2024-06-30`` any days, first and last included.

A period's :attr:`~Period.label` parses back to the same period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date

from domain.errors import InvalidInput

PERIOD_HINT = (
    "write a year (2024), a half (2024-H1), a quarter (2024-Q3), a month (2024-03), years"
    " (2016/2020 or 2016-2020) or days (2024-01-01/2024-06-30)"
)


@dataclass(frozen=True, slots=True)
class Period:
    """Kỳ: the days it covers, first and last included."""

    starts_on: date
    ends_on: date

    def __post_init__(self) -> None:
        if self.ends_on < self.starts_on:
            raise InvalidInput("period", "ends before it starts", hint=PERIOD_HINT)

    @classmethod
    def parse(cls, value: object, field: str = "period") -> Period:
        text = str(value).strip().upper()
        try:
            period = cls._parse(text)
        except ValueError:
            period = None
        if period is None:
            raise InvalidInput(field, f"{value!r} is not a period", hint=PERIOD_HINT)
        return period

    @classmethod
    def _parse(cls, text: str) -> Period | None:
        if re.fullmatch(r"\d{4}", text, re.ASCII):
            return cls.years(int(text), int(text))
        if m := re.fullmatch(r"(\d{4})-H([12])", text, re.ASCII):
            return cls.months(int(m[1]), 6 * int(m[2]) - 5, 6)
        if m := re.fullmatch(r"(\d{4})-Q([1-4])", text, re.ASCII):
            return cls.months(int(m[1]), 3 * int(m[2]) - 2, 3)
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text, re.ASCII):
            return cls.months(int(m[1]), int(m[2]), 1)
        if m := re.fullmatch(r"(\d{4})[/-](\d{4})", text, re.ASCII):
            return cls.years(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})", text, re.ASCII):
            return cls(date.fromisoformat(m[1]), date.fromisoformat(m[2]))
        return None

    @classmethod
    def years(cls, first: int, last: int) -> Period:
        return cls(date(first, 1, 1), date(last, 12, 31))

    @classmethod
    def months(cls, year: int, first_month: int, count: int) -> Period:
        """``count`` months from ``first_month`` of ``year``."""
        last_month = first_month + count - 1
        after = date(year + last_month // 12, last_month % 12 + 1, 1)
        return cls(date(year, first_month, 1), date.fromordinal(after.toordinal() - 1))

    @property
    def label(self) -> str:
        s, e = self.starts_on, self.ends_on
        whole_months = s.day == 1 and Period.months(e.year, e.month, 1).ends_on == e
        if whole_months and s.year == e.year:
            span = (s.month, e.month)
            if span == (1, 12):
                return str(s.year)
            if span in ((1, 6), (7, 12)):
                return f"{s.year}-H{1 if s.month == 1 else 2}"
            if s.month % 3 == 1 and e.month == s.month + 2:
                return f"{s.year}-Q{s.month // 3 + 1}"
            if s.month == e.month:
                return f"{s.year}-{s.month:02d}"
        if (s.month, s.day, e.month, e.day) == (1, 1, 12, 31):
            return f"{s.year}/{e.year}"
        return f"{s.isoformat()}/{e.isoformat()}"

    @property
    def year_numbers(self) -> tuple[int, ...]:
        """The calendar years the period touches (the rollup form's year columns)."""
        return tuple(range(self.starts_on.year, self.ends_on.year + 1))

    def contains(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def until(self, day: date | None) -> Period:
        """The period cut off at ``day`` (số liệu tính đến ngày …), if that is earlier."""
        if day is None or day >= self.ends_on:
            return self
        if day < self.starts_on:
            raise InvalidInput(
                "--until",
                f"{day.isoformat()} is before the period starts ({self.starts_on.isoformat()})",
                hint="give a cut-off date inside the period",
            )
        return replace(self, ends_on=day)
