"""Days of essential-needs support used (ngày hỗ trợ nhu cầu thiết yếu): the count the status
and the projections report is the number of distinct calendar days the grants cover —
overlapping, touching, nested, out-of-order, zero-day and other kinds of grant included."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

from hypothesis import given
from hypothesis import strategies as st

from domain.case.steps import CaseStatus, SupportRecord

grants = st.lists(
    st.builds(
        SupportRecord,
        version=st.integers(1, 200),
        occurred_on=st.dates(date(2020, 1, 1), date(2020, 3, 1)),
        support_type=st.sampled_from(["essential_needs", "essential_needs", "medical"]),
        amount_vnd=st.none(),
        period_days=st.one_of(st.none(), st.integers(-2, 130)),
        provider_agency=st.just("labour_social_affairs"),
    ),
    max_size=8,
)


@given(grants)
def test_days_used_is_the_number_of_distinct_days_covered(supports: list[SupportRecord]) -> None:
    status = CaseStatus(case_id=uuid4(), supports=tuple(supports))
    assert status.essential_needs_days_used == len(status.essential_needs_days())
