"""Record times as people write them (thời điểm ghi nhận): an ISO instant with its offset, a
date (the end of that day in Viet Nam), or — from a browser's ``datetime-local`` field — a
time without an offset, read as Viet Nam time only where the caller says so."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.errors import InvalidInput
from domain.time import VIETNAM_TZ, parse_instant


def test_an_instant_keeps_its_offset_and_a_date_is_the_end_of_that_day() -> None:
    assert parse_instant("2024-05-02T10:00:00Z") == datetime(2024, 5, 2, 10, tzinfo=UTC)
    assert parse_instant("2024-05-02") == datetime(
        2024, 5, 2, 23, 59, 59, 999999, tzinfo=VIETNAM_TZ
    )


def test_a_time_without_offset_is_refused_unless_it_is_local() -> None:
    with pytest.raises(InvalidInput, match="no timezone"):
        parse_instant("2024-05-02T10:00")
    assert parse_instant("2024-05-02T10:00", local=True) == datetime(
        2024, 5, 2, 10, tzinfo=VIETNAM_TZ
    )
    assert parse_instant("2024-05-02T10:00+00:00", local=True) == datetime(
        2024, 5, 2, 10, tzinfo=UTC
    )


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-01", "2024-05-02T25:00"])
def test_what_is_not_a_time_is_refused_with_a_hint(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_instant(text, "--known-at", local=True)
    assert refused.value.hint
