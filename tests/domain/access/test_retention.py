"""The retention rule: due exactly from N years after the closure, never while open, never
for a kind with no retention set; 29 February ends on 28 February; inputs checked."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from domain.access.retention import (
    MAX_YEARS,
    RETENTION_ID,
    HeldPerson,
    Retention,
    RetentionPolicy,
    due_for_erasure,
    kind_of,
    years_after,
)
from domain.errors import InvalidInput

AT = datetime(2026, 1, 5, tzinfo=UTC)
RULES = {
    "victim": Retention("victim", 5, "QĐ-45/2026", "BVDL", AT),
    "relative": Retention("relative", 2, "QĐ-46/2026", "BVDL", AT),
}


def test_due_from_the_anniversary_on_and_not_a_day_before() -> None:
    closed = date(2019, 6, 30)
    case = uuid4()
    people = [HeldPerson(case, "victim", closed), HeldPerson(case, "relative:3", closed)]
    boundary = {"victim": date(2024, 6, 30), "relative:3": date(2021, 6, 30)}
    for subject, day in boundary.items():
        before = due_for_erasure(people, RULES, day - timedelta(days=1))
        on = due_for_erasure(people, RULES, day)
        assert subject not in {d.subject for d in before}
        (found,) = [d for d in on if d.subject == subject]
        assert found.due_since == day and found.closed_on == closed
        assert found.basis == RULES[kind_of(subject)].basis


def test_an_open_case_or_a_kind_without_retention_is_never_due() -> None:
    case = uuid4()
    open_case = [HeldPerson(case, "victim", None), HeldPerson(case, "relative:2", None)]
    assert due_for_erasure(open_case, RULES, date(2200, 1, 1)) == []
    closed = [HeldPerson(case, "relative:2", date(2000, 1, 1))]
    assert due_for_erasure(closed, {"victim": RULES["victim"]}, date(2200, 1, 1)) == []


def test_a_period_from_29_february_ends_on_28_february() -> None:
    assert years_after(date(2020, 2, 29), 1) == date(2021, 2, 28)
    assert years_after(date(2020, 2, 29), 4) == date(2024, 2, 29)
    assert years_after(date(2019, 12, 31), 5) == date(2024, 12, 31)


def test_the_policy_keeps_the_latest_setting_per_kind_and_checks_its_input() -> None:
    policy = RetentionPolicy.new(AT)
    assert policy.id == RETENTION_ID
    policy.set("victim", 10, "QĐ-1/2026", "BVDL", AT)
    policy.set("relative", 3, "QĐ-1/2026", "BVDL", AT)
    policy.set("victim", 7, "QĐ-2/2026", "BVDL", AT + timedelta(days=1))
    assert (policy.rules["victim"].years, policy.rules["victim"].basis) == (7, "QĐ-2/2026")
    assert policy.rules["relative"].years == 3
    version = policy.version
    for kind, years in (("mother", 5), ("relative:2", 5), ("", 5), ("victim", 0),
                        ("victim", -1), ("victim", MAX_YEARS + 1), ("victim", True)):  # fmt: skip
        with pytest.raises(InvalidInput):
            policy.set(kind, years, "QĐ-3/2026", "BVDL", AT)
    assert policy.version == version
