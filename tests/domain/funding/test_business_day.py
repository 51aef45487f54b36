"""The ledger's "today" (:func:`domain.funding.aggregate._today`) remembers the last business
day it computed; for any record times, in any order and in any time zone, it must say what
:func:`domain.time.business_date` says, and a money command dated after that day is refused
even just after midnight in Viet Nam."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import RuleViolation
from domain.funding.aggregate import Programme, _today
from domain.funding.commands import Establish, Pledge
from domain.time import VIETNAM_TZ, business_date

pytestmark = pytest.mark.property

#: Around Viet Nam's midnight of 1 June 2020 (17:00 UTC the day before), in several zones.
MIDNIGHT = datetime(2020, 6, 1, tzinfo=VIETNAM_TZ)
zones = st.sampled_from(
    [UTC, VIETNAM_TZ, timezone(timedelta(hours=-11)), timezone(timedelta(hours=14))]
)
instants = st.builds(
    lambda seconds, zone: (MIDNIGHT + timedelta(seconds=seconds)).astimezone(zone),
    st.integers(min_value=-3 * 86_400, max_value=3 * 86_400),
    zones,
)


@given(st.lists(instants, min_size=1, max_size=40))
def test_today_is_the_business_date_of_every_record_time(times: list[datetime]) -> None:
    for instant in times:
        assert _today(instant) == business_date(instant)


def test_a_naive_record_time_is_refused_after_a_remembered_day() -> None:
    _today(MIDNIGHT)
    with pytest.raises(ValueError, match="timezone-aware"):
        _today(datetime(2020, 6, 1, 0, 0, 1))


@pytest.mark.parametrize("seconds", [-1, 0, 1, 86_399, 86_400])
def test_money_dated_after_the_business_day_is_refused(seconds: int) -> None:
    recorded_at = MIDNIGHT + timedelta(seconds=seconds)
    _today(recorded_at - timedelta(days=1))  # a day remembered before
    programme = Programme.establish(
        Establish("P", "Programme", date(2016, 1, 1), date(2030, 12, 31), date(2016, 1, 1)),
        "TC-1",
        "labour_social_affairs",
        recorded_at,
    )
    today = business_date(recorded_at)
    tomorrow = Pledge(
        "S-2", today + timedelta(days=1), source="S", source_kind="local", amount_vnd=1
    )
    with pytest.raises(RuleViolation, match="after today"):
        programme.record(tomorrow, "TC-1", "labour_social_affairs", recorded_at)
    same_day = Pledge("S-1", today, source="S", source_kind="local", amount_vnd=1)
    assert programme.record(same_day, "TC-1", "labour_social_affairs", recorded_at)
