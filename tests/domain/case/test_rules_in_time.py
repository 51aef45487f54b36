"""Each step is judged as the case stood on its own business date (issue "The rules in time").

The class of fault: a check that reads the case *as recorded now* instead of *as it stood on
the step's date*. Every rule that depends on an earlier step (identification before support,
the essential-needs days, closure before later steps, reopening) is tried with the steps
recorded in and out of date order, and with corrections that move a date.
"""

from __future__ import annotations

from datetime import date

from domain.case.aggregate import Case
from tests.domain.case.test_case_rules import (
    SOCIAL,
    do,
    needs,
    new_case,
    refused,
    support,
    victim,
)


def received(on: date = date(2019, 3, 2)) -> Case:
    return new_case(occurred_on=on)


def test_support_dated_before_a_verification_recorded_first_is_refused_under_the_2011_law() -> None:
    """The issue's case: the verification (dated 10 March) is recorded first, then a support
    dated 5 March — before the victim was identified — must be refused."""
    case = received()
    do(case, "verify", occurred_on="2019-03-10", outcome="victim", deciding_body="police")
    error = support(case, "2019-03-05", "legal_aid", "legal_aid_centre", code="not_yet_identified")
    assert error is not None and "2019-03-05" in error.message
    support(case, "2019-03-10", "legal_aid", "legal_aid_centre")


def test_a_back_dated_step_that_breaks_a_later_one_is_refused_naming_that_step() -> None:
    """A verification back-dated *after* a support would leave the support unidentified."""
    case = received()
    do(case, "verify", occurred_on="2019-03-04", outcome="victim", deciding_body="police")
    support(case, "2019-03-06", "legal_aid", "legal_aid_centre")
    # a closure dated before the support that is already on file
    error = refused("after_closure", case, "close", occurred_on="2019-03-05", reason="lost_contact")
    assert "step 3 (SupportProvided, dated 2019-03-06)" in error.message


def test_a_closure_dated_before_a_shelter_stay_is_refused() -> None:
    case = victim()
    do(case, "admit_shelter", SOCIAL, occurred_on="2019-03-05", facility="CSTGXH-87")
    refused("after_closure", case, "close", occurred_on="2019-03-04", reason="declined_support")
    do(case, "close", occurred_on="2019-03-06", reason="declined_support")


def test_closure_reasons_follow_the_verification_outcome() -> None:
    not_victim = received()
    do(not_victim, "verify", occurred_on="2019-03-04", outcome="not_victim", deciding_body="police")
    refused("closure_reason_mismatch", not_victim, "close", occurred_on="2019-03-05",
            reason="reintegrated")  # fmt: skip
    do(not_victim, "close", occurred_on="2019-03-05", reason="not_a_victim")

    identified = victim()
    refused("closure_reason_mismatch", identified, "close", occurred_on="2019-03-05",
            reason="not_a_victim")  # fmt: skip
    refused("not_reintegrated", identified, "close", occurred_on="2019-03-05",
            reason="reintegrated")  # fmt: skip
    do(identified, "reintegrate", occurred_on="2019-04-01")
    refused("not_reintegrated", identified, "close", occurred_on="2019-03-30",
            reason="reintegrated")  # fmt: skip
    do(identified, "close", occurred_on="2019-04-02", reason="reintegrated")


def test_a_wrong_closure_is_undone_by_reopening() -> None:
    case = victim()
    refused("not_closed", case, "reopen", occurred_on="2019-03-05", reason="x")
    do(case, "close", occurred_on="2019-04-01", reason="lost_contact")
    refused("after_closure", case, "reintegrate", occurred_on="2019-04-02")
    # on 31 March the case was not closed yet: judged on its own date, there is nothing to reopen
    refused("not_closed", case, "reopen", occurred_on="2019-03-31", reason="sai")
    do(case, "reopen", occurred_on="2019-04-05", reason="Đóng nhầm hồ sơ")
    assert not case.status.is_closed and case.status.reopened_on == date(2019, 4, 5)
    assert case.status.stage != "closed"
    do(case, "reintegrate", occurred_on="2019-04-06")
    # a step dated while the case was closed stays refused after reopening
    support(case, "2019-04-03", "legal_aid", "legal_aid_centre", code="after_closure")
    do(case, "close", occurred_on="2019-05-01", reason="reintegrated")


def test_a_field_recorded_empty_can_be_corrected() -> None:
    case = victim()
    do(case, "demographics", occurred_on="2019-03-03", sex="female", ethnicity="kinh")
    version = case.version
    assert case.steps[version].legal_basis is None
    refused("stale_old_value", case, "correct", occurred_on="2019-03-10",
            corrects_version=version, field="legal_basis", old_value="QĐ-1", new_value="QĐ-2",
            reason="bổ sung")  # fmt: skip
    do(case, "correct", occurred_on="2019-03-10", corrects_version=version, field="legal_basis",
       new_value="QĐ-12/2019", reason="bổ sung số quyết định")  # fmt: skip
    assert case.steps[version].legal_basis == "QĐ-12/2019"


def test_a_receptions_date_and_unit_move_across_1_july_2025_together() -> None:
    """The date alone is refused (the old-map unit is not on the map in force from 1 July);
    date and unit together are one correction, checked as a whole, recorded together."""
    case = new_case(occurred_on=date(2025, 6, 28), unit_code="29956")
    move_date = {"field": "occurred_on", "old_value": "2025-06-28", "new_value": "2025-07-02"}
    move_unit = {"field": "unit_code", "old_value": "29956", "new_value": "29955"}
    error = refused("invalid_input", case, "correct", occurred_on="2025-07-10",
                    corrects_version=1, reason="sai", **move_date)  # fmt: skip
    assert "step 1 (Received" in error.message and "2025 map" in error.message
    do(case, "correct", occurred_on="2025-07-10", corrects_version=1, reason="sai ngày",
       **move_date, more=[move_unit])  # fmt: skip
    assert case.version == 3  # two correction events, one write
    assert case.status.received_on == date(2025, 7, 2)
    assert (case.status.unit_map, case.status.unit_code) == ("2025", "29955")


def test_a_correction_names_each_field_once_and_only_fields_of_the_event() -> None:
    case = victim()
    same = {"field": "outcome", "old_value": "victim", "new_value": "suspected_victim"}
    refused("field_twice", case, "correct", occurred_on="2019-03-10", corrects_version=2,
            reason="x", **same, more=[same])  # fmt: skip
    refused("no_such_field", case, "correct", occurred_on="2019-03-10", corrects_version=2,
            reason="x", **same, more=[{"field": "sex", "new_value": "male"}])  # fmt: skip
    assert case.version == 2


def test_a_correction_that_moves_a_date_is_rejudged_in_date_order() -> None:
    case = received()
    do(case, "verify", occurred_on="2019-03-04", outcome="victim", deciding_body="police")
    support(case, "2019-03-06", "legal_aid", "legal_aid_centre")
    error = refused("not_yet_identified", case, "correct", occurred_on="2019-03-20",
                    corrects_version=2, field="occurred_on", old_value="2019-03-04",
                    new_value="2019-03-08", reason="ngày kết luận")  # fmt: skip
    assert "step 3" in error.message


def test_overlapping_essential_needs_recorded_out_of_order_are_refused() -> None:
    case = victim()
    needs(case, "2019-05-01", 30)
    needs(case, "2019-04-15", 20, "overlapping_period")  # 15 April – 4 May
    needs(case, "2019-04-01", 14)  # 1 – 14 April
    assert case.status.essential_needs_days_used == 44
