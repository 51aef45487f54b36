"""Business time and record time.

Two clocks matter to an inspector (thanh tra): *business time* — the calendar date in Viet Nam
on which a thing happened (``occurred_on``, a :class:`datetime.date`) — and *record time* —
the instant the system learned it (the event's ``timestamp``, a timezone-aware UTC
:class:`datetime.datetime`). A reception in 2018 may be recorded in 2019; both are kept.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

VIETNAM_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

#: 1 July 2025, the day of the reforms (ngày cải cách): Law 53/2024/QH15 on Prevention and
#: Combat of Human Trafficking with Decree 162/2025/NĐ-CP replaces the 2011 law, and the
#: two-level local government (no districts; 34 provinces) replaces the old map of units. The
#: legal regimes (domain/case/rules.py) and the maps (domain/reference/units.py) both change on
#: this day; everything else that needs the date reads it from here.
REFORM_DAY_2025 = date(2025, 7, 1)


def require_aware(instant: datetime, what: str = "time") -> datetime:
    """Refuse naive datetimes: every instant in socai is timezone-aware."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got a naive datetime")
    return instant


def utc_now() -> datetime:
    return datetime.now(UTC)


def business_date(instant: datetime) -> date:
    """The calendar date in Viet Nam at ``instant`` (what 'today' means for a rule)."""
    return require_aware(instant).astimezone(VIETNAM_TZ).date()


def parse_date(text: str, what: str = "date") -> date:
    """Parse an ISO date (YYYY-MM-DD), with an error that says what was expected."""
    from domain.errors import InvalidInput

    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise InvalidInput(
            what, f"{text!r} is not a date", hint="write dates as YYYY-MM-DD, e.g. 2024-05-02"
        ) from None


def parse_instant(text: str, what: str = "time", *, local: bool = False) -> datetime:
    """Parse an ISO instant; a date alone means the end of that day in Viet Nam. A time
    without an offset is refused, or with ``local`` read as Viet Nam time (what a browser's
    ``datetime-local`` field sends)."""
    from domain.errors import InvalidInput

    raw = text.strip()
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            return datetime(day.year, day.month, day.day, 23, 59, 59, 999999, tzinfo=VIETNAM_TZ)
        instant = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            what,
            f"{text!r} is not a time",
            hint="write 2024-05-02T10:00:00+07:00, or a date for the end of that day",
        ) from None
    if instant.tzinfo is None:
        if local:
            return instant.replace(tzinfo=VIETNAM_TZ)
        raise InvalidInput(what, f"{text!r} has no timezone", hint="add +07:00 or Z")
    return instant
