"""Whose data an event field holds (chủ thể dữ liệu): the victim, or the relative a
protection named; anything else is no one's, and a malformed ``--who`` is refused."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.case.subjects import VICTIM, key_id, parse_subject, relative_version, subject_of
from domain.errors import InvalidInput


def test_each_personal_field_belongs_to_one_person() -> None:
    assert subject_of("Received", 1, "person", {}) == VICTIM
    assert subject_of("ProtectionApplied", 7, "relative", {}) == "relative:7"
    for value in ("old_value", "new_value"):
        victim = {"field": "person.phone", "corrects_version": 1}
        relative = {"field": "relative.full_name", "corrects_version": 7}
        assert subject_of("CorrectionRecorded", 9, value, victim) == VICTIM
        assert subject_of("CorrectionRecorded", 9, value, relative) == "relative:7"


@pytest.mark.parametrize(
    ("kind", "field", "data"),
    [
        ("Received", "unit_code", {}),
        ("ProtectionApplied", "relationship", {}),
        ("CorrectionRecorded", "old_value", {"field": "occurred_on", "corrects_version": 1}),
        ("CorrectionRecorded", "reason", {"field": "person.phone", "corrects_version": 1}),
        ("SupportProvided", "person", {}),
    ],
)
def test_other_fields_are_no_ones(kind: str, field: str, data: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="holds no person's data"):
        subject_of(kind, 2, field, data)


def test_who_is_the_victim_or_a_relative_by_version() -> None:
    assert parse_subject(" victim ") == VICTIM
    assert parse_subject("relative:12") == "relative:12"
    assert relative_version("relative:12") == 12 and relative_version(VICTIM) is None
    for text in ("", "Victim", "relative", "relative:0", "relative:01", "relative:-1",
                 "relative:1;victim", "mother", "relative:1234567"):  # fmt: skip
        with pytest.raises(InvalidInput, match="names no person"):
            parse_subject(text)
    case = UUID("0ff90e7f-ad69-5236-909d-344b0d4b2067")
    assert key_id(case, "relative:3") == f"{case}/relative:3"
