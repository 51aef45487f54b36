"""Every rule of the Case aggregate: refused steps raise with a stable code, accepted ones
change the derived status. Pure domain, no store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from domain.case.aggregate import Case
from domain.case.commands import COMMANDS
from domain.case.values import Actor
from domain.errors import InvalidInput, RuleViolation
from domain.time import REFORM_DAY_2025
from tests.conftest import reception

OFFICER = Actor("BP-87-01", "border_guard")
SOCIAL = Actor("XH-87-01", "labour_social_affairs")
NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)


def new_case(**overrides: object) -> Case:
    return Case.receive(uuid4(), COMMANDS["receive"].parse(reception(**overrides)), OFFICER, NOW)


def do(case: Case, name: str, actor: Actor = OFFICER, at: datetime = NOW, **fields: object) -> None:
    case.execute(COMMANDS[name].parse(fields), actor, at)


def victim(received_on: date = date(2019, 3, 2), verified_on: date | None = None) -> Case:
    unit = "29956" if received_on < REFORM_DAY_2025 else "29955"
    case = new_case(occurred_on=received_on, unit_code=unit)
    do(
        case,
        "verify",
        occurred_on=verified_on or received_on,
        outcome="victim",
        deciding_body="police",
    )
    return case


def refused(code: str, case: Case, name: str, **fields: object) -> RuleViolation:
    version = case.version
    pending = len(case.pending_events)
    with pytest.raises(RuleViolation) as caught:
        do(case, name, **fields)
    assert caught.value.code == code, caught.value
    assert case.version == version and len(case.pending_events) == pending
    return caught.value


def support(
    case: Case,
    on: str,
    support_type: str,
    provider: str,
    *,
    code: str | None = None,
    **more: object,
) -> RuleViolation | None:
    """Give ``support_type`` by ``provider`` on ``on`` (hỗ trợ); with ``code``, expect that
    refusal and return it."""
    fields = {"occurred_on": on, "support_type": support_type, "provider_agency": provider}
    return step(case, "support", code, **fields, **more)


def correct(
    case: Case,
    version: int,
    field: str,
    old: object,
    new: object,
    on: str = "2020-01-10",
    reason: str = "x",
    code: str | None = None,
) -> RuleViolation | None:
    """Correct (đính chính) ``field`` of event ``version`` from ``old`` to ``new``; with
    ``code``, expect that refusal and return it."""
    fields = {"corrects_version": version, "field": field, "old_value": old, "new_value": new}
    return step(case, "correct", code, occurred_on=on, reason=reason, **fields)


def step(case: Case, name: str, code: str | None, **fields: object) -> RuleViolation | None:
    """Record step ``name``, or, with ``code``, expect that refusal and return it."""
    if code is not None:
        return refused(code, case, name, **fields)
    do(case, name, **fields)
    return None


# -- reception ---------------------------------------------------------------------------------


def test_reception_opens_a_case_on_the_map_in_force() -> None:
    case = new_case()
    assert case.status.stage == "received"
    assert case.status.received_on == date(2019, 3, 2)
    assert case.status.unit_map == "old"
    assert case.version == 1


def test_reception_after_july_2025_uses_the_2025_map() -> None:
    case = new_case(occurred_on=date(2025, 8, 1), unit_code="29955")  # Phường Hồng Ngự (2025)
    assert case.status.unit_map == "2025"


def test_reception_with_an_old_map_code_after_the_change_is_refused() -> None:
    with pytest.raises(InvalidInput, match="not a unit code on the 2025 map"):
        new_case(occurred_on=date(2025, 8, 1), unit_code="29956")


@pytest.mark.parametrize("code", ["99999", "870x", "1"])
def test_unknown_unit_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidInput):
        new_case(unit_code=code)


def test_reception_needs_its_record_number() -> None:
    with pytest.raises(InvalidInput, match="legal_basis: is required"):
        new_case(legal_basis=None)


def test_reception_in_the_future_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        new_case(occurred_on=date(2026, 11, 2))
    assert caught.value.code == "future_date"


def test_reception_before_2012_is_refused() -> None:
    with pytest.raises(RuleViolation) as caught:
        new_case(occurred_on=date(2010, 5, 1))
    assert caught.value.code == "too_early"


def test_a_second_reception_is_refused() -> None:
    case = new_case()
    with pytest.raises(RuleViolation) as caught:
        case.execute(COMMANDS["receive"].parse(reception()), OFFICER, NOW)
    assert caught.value.code == "already_received"


# -- dates ---------------------------------------------------------------------------------------


#: One step on a case just received (2 March 2019) that a rule refuses, and why
#: (refusal code, command, its fields).
REFUSED_ON_A_NEW_CASE = [
    pytest.param(
        "before_reception",
        "demographics",
        {"occurred_on": "2019-03-01", "sex": "female", "ethnicity": "kinh"},
        id="a step before the reception",
    ),
    pytest.param(
        "future_date",
        "request_verification",
        {"occurred_on": "2026-11-02", "body": "police"},
        id="a step dated after today",
    ),
    pytest.param(
        "birth_after_step",
        "demographics",
        {"occurred_on": "2019-03-02", "sex": "male", "ethnicity": "kinh", "birth_year": 2020},
        id="a birth year after the step",
    ),
    pytest.param(
        "missing_destination",
        "trafficking",
        {"occurred_on": "2019-03-02", "scope": "abroad"},
        id="abroad without a destination",
    ),
    pytest.param(
        "missing_destination",
        "trafficking",
        {"occurred_on": "2019-03-02", "scope": "abroad", "destination_country": "VN"},
        id="abroad to Viet Nam",
    ),
    pytest.param(
        "destination_for_domestic",
        "trafficking",
        {"occurred_on": "2019-03-02", "scope": "domestic", "destination_country": "CN"},
        id="domestic with a foreign destination",
    ),
    pytest.param(
        "routing_before_classification",
        "route",
        {"occurred_on": "2019-03-05", "destination": "returned_home"},
        id="routing before classification",
    ),
]


@pytest.mark.parametrize(("code", "name", "fields"), REFUSED_ON_A_NEW_CASE)
def test_a_step_a_rule_forbids_on_a_new_case_is_refused(
    code: str, name: str, fields: dict[str, object]
) -> None:
    refused(code, new_case(), name, **fields)


# -- demographics and trafficking form ----------------------------------------------------------


def test_demographics_with_unknown_country_are_refused() -> None:
    with pytest.raises(InvalidInput, match="ISO 3166"):
        do(
            new_case(),
            "demographics",
            occurred_on="2019-03-02",
            sex="female",
            ethnicity="kinh",
            nationality="XX",
        )


def test_foreigner_is_derived_from_nationality() -> None:
    case = new_case()
    do(
        case,
        "demographics",
        occurred_on="2019-03-02",
        sex="female",
        ethnicity="other",
        nationality="LA",
        birth_year=2004,
    )
    assert case.status.is_foreigner is True
    assert case.status.is_under(16, date(2019, 3, 2)) is True  # 14 before her birthday


# -- verification and routing -------------------------------------------------------------------


def test_verification_concluded_twice_is_refused_but_suspected_can_be_resolved() -> None:
    case = new_case()
    do(case, "verify", occurred_on="2019-03-04", outcome="suspected_victim", deciding_body="police")
    do(case, "verify", occurred_on="2019-03-10", outcome="victim", deciding_body="police")
    assert case.status.verification_outcome == "victim"
    refused(
        "already_verified",
        case,
        "verify",
        occurred_on="2019-03-11",
        outcome="not_victim",
        deciding_body="police",
    )


def test_reception_procedures_overrun_is_visible() -> None:
    on_time = victim(verified_on=date(2019, 3, 17))
    assert on_time.status.procedures_due_on == date(2019, 3, 17)
    assert on_time.status.procedures_overdue_days(date(2026, 1, 1)) == 0
    late = victim(verified_on=date(2019, 3, 27))
    assert late.status.procedures_overdue_days(date(2026, 1, 1)) == 10
    pending = new_case()
    assert pending.status.procedures_overdue_days(date(2019, 3, 20)) == 3


# -- protection ---------------------------------------------------------------------------------


def test_protection_of_a_relative_needs_the_relationship() -> None:
    refused(
        "missing_relationship",
        new_case(),
        "protect",
        occurred_on="2019-03-02",
        protected="relative",
        measure="confidentiality",
    )
    case = new_case()
    do(
        case,
        "protect",
        occurred_on="2019-03-02",
        protected="relative",
        relationship="mother",
        measure="confidentiality",
        relative={"full_name": "Trần Thị Mẹ"},
    )
    assert case.status.protections[0].protected == "relative"


def test_a_need_for_protection_is_on_file_until_a_measure_meets_it() -> None:
    case = new_case()
    refused(
        "missing_relationship",
        case,
        "request_protection",
        occurred_on="2019-03-02",
        protected="relative",
        source="relative_request",
    )
    with pytest.raises(InvalidInput):
        do(
            case,
            "request_protection",
            occurred_on="2019-03-02",
            protected="victim",
            source="because the neighbour said so",
        )  # a code, never free text
    do(
        case,
        "request_protection",
        occurred_on="2019-03-02",
        protected="victim",
        source="victim_request",
    )
    do(
        case,
        "request_protection",
        occurred_on="2019-03-03",
        protected="relative",
        relationship="Mother",
        source="relative_request",
    )
    assert case.status.persons_needing_protection() == {"victim", "relative:mother"}
    assert case.status.persons_protected() == frozenset()
    do(
        case,
        "protect",
        occurred_on="2019-03-04",
        protected="relative",
        relationship="mother",
        measure="personal_safety",
    )
    assert case.status.persons_protected() == {"relative:mother"}
    assert case.status.persons_needing_protection() == {"victim", "relative:mother"}
    do(
        case,
        "protect",
        occurred_on="2019-03-04",
        protected="relative",
        relationship="child",
        measure="escort",
    )  # a measure without a request: the need is implied
    assert case.status.persons_needing_protection() == {
        "victim",
        "relative:mother",
        "relative:child",
    }


# -- support ------------------------------------------------------------------------------------


def test_support_before_identification_is_refused_under_the_2011_law() -> None:
    error = support(
        new_case(), "2019-03-03", "medical_care", "labour_social_affairs", code="not_yet_identified"
    )
    assert "1 July 2025" in error.message


def test_support_during_identification_is_allowed_from_july_2025() -> None:
    case = new_case(occurred_on=date(2025, 7, 3), unit_code="29955")
    support(case, "2025-07-04", "essential_needs", "health_department", period_days=10)
    assert case.status.essential_needs_days_used == 10


def test_support_for_a_person_who_is_not_a_victim_is_refused() -> None:
    case = new_case()
    do(case, "verify", occurred_on="2019-03-04", outcome="not_victim", deciding_body="police")
    support(case, "2019-03-05", "legal_aid", "legal_aid_centre", code="not_a_victim")


@pytest.mark.parametrize("amount", ["-5", "1.5", "abc", "0", True, 2.5])
def test_bad_money_is_refused_before_anything_happens(amount: object) -> None:
    with pytest.raises(InvalidInput):
        support(victim(), "2019-03-05", "loan", "social_policy_bank", amount_vnd=amount)


def test_loans_and_allowances_need_their_amount() -> None:
    support(
        victim(), "2019-03-05", "hardship_allowance", "labour_social_affairs", code="missing_amount"
    )
    case = victim()
    support(case, "2019-03-05", "loan", "social_policy_bank", amount_vnd="30.000.000")
    assert case.status.total_amount_vnd("loan") == 30_000_000


def test_essential_needs_are_capped_at_60_days_under_the_2011_law() -> None:
    case = victim()
    support(case, "2019-03-05", "essential_needs", "labour_social_affairs", period_days=45)
    error = support(
        case,
        "2019-04-20",
        "essential_needs",
        "labour_social_affairs",
        code="essential_needs_limit",
        period_days=16,
    )
    assert "at most 15 more days" in error.hint
    support(case, "2019-04-20", "essential_needs", "labour_social_affairs", code="missing_period")
    support(
        case, "2019-04-20", "legal_aid", "legal_aid_centre", code="unexpected_period", period_days=3
    )


def needs(case: Case, on: str, days: int, code: str | None = None) -> RuleViolation | None:
    """Give essential-needs support from ``on`` for ``days`` days (or expect ``code``)."""
    return support(
        case, on, "essential_needs", "labour_social_affairs", code=code, period_days=days
    )


def test_a_case_spanning_june_2025_is_judged_by_the_rule_on_each_day() -> None:
    """The issue's case: received 30 June 2025, it got 60 + 60 days for the same days."""
    case = victim(received_on=date(2025, 5, 20))
    needs(case, "2025-05-21", 60)  # 21 May – 19 July: 41 days under each law... 60 in all
    needs(case, "2025-06-30", 1, "overlapping_period")
    needs(case, "2025-07-01", 60, "overlapping_period")
    needs(case, "2025-07-20", 60)  # 20 July – 17 September: 120 days in all, the 2025 cap
    assert case.status.essential_needs_days_used == 120
    assert case.status.essential_needs_limit_days == 120
    error = needs(case, "2025-09-18", 1, "essential_needs_limit")
    assert error is not None and "120 days" in error.message


def test_a_period_crossing_1_july_2025_is_capped_by_the_old_law_before_and_the_new_after() -> None:
    case = victim(received_on=date(2025, 4, 1))
    needs(case, "2025-04-02", 60)  # 2 April – 31 May: the 2011 law's 60 days
    error = needs(case, "2025-06-01", 40, "essential_needs_limit")  # June is still 2011 law
    assert error is not None and "2025-06-01" in error.message
    assert "at most 0 more days" in error.hint
    needs(case, "2025-07-01", 60)  # the 2024 law's 120 days from 1 July
    assert case.status.essential_needs_days_used == 120


def test_a_back_dated_period_is_judged_on_its_own_days() -> None:
    """Recorded after a later period, a back-dated one may not overlap it either."""
    case = victim(received_on=date(2019, 3, 2))
    needs(case, "2019-04-01", 20)  # 1 – 20 April
    needs(case, "2019-03-20", 15, "overlapping_period")  # 20 March – 3 April
    needs(case, "2019-03-10", 10)  # 10 – 19 March: before, no overlap
    assert case.status.essential_needs_days_used == 30


def test_health_insurance_support_exists_only_from_july_2025_in_the_first_year() -> None:
    support(
        victim(), "2019-03-05", "health_insurance", "labour_social_affairs", code="not_in_force"
    )
    case = victim(received_on=date(2025, 7, 2))
    support(case, "2026-07-03", "health_insurance", "health_department", code="outside_window")
    support(case, "2026-07-02", "health_insurance", "health_department", amount_vnd=1_263_600)


def test_shelter_admission_and_discharge() -> None:
    case = victim()
    refused("not_sheltered", case, "discharge_shelter", occurred_on="2019-03-04")
    do(case, "admit_shelter", occurred_on="2019-03-04", facility="Cơ sở trợ giúp xã hội")
    refused("already_sheltered", case, "admit_shelter", occurred_on="2019-03-05", facility="x")
    assert case.status.currently_sheltered
    do(case, "discharge_shelter", occurred_on="2019-04-04")
    assert case.status.shelter_stays[0].discharged_on == date(2019, 4, 4)
    assert "temporary_shelter" in case.status.support_types()


# -- reintegration and closure -------------------------------------------------------------------


def test_reintegration_once_and_only_for_victims() -> None:
    case = victim()
    do(case, "reintegrate", occurred_on="2019-06-01")
    refused("already_reintegrated", case, "reintegrate", occurred_on="2019-06-02")
    not_victim = new_case()
    do(not_victim, "verify", occurred_on="2019-03-04", outcome="not_victim", deciding_body="police")
    refused("not_a_victim", not_victim, "reintegrate", occurred_on="2019-06-01")


def test_nothing_but_corrections_after_closure() -> None:
    case = victim()
    do(case, "close", occurred_on="2019-09-01", reason="declined_support")
    refused("after_closure", case, "close", occurred_on="2019-09-02", reason="lost_contact")
    support(case, "2019-09-02", "legal_aid", "legal_aid_centre", code="after_closure")
    correct(
        case,
        3,
        "occurred_on",
        "2019-09-01",
        "2019-08-30",
        on="2019-10-01",
        reason="ngày trên quyết định",
    )
    assert case.status.closed_on == date(2019, 8, 30)


# -- corrections ---------------------------------------------------------------------------------


def demographics_case() -> Case:
    case = victim()
    do(
        case,
        "demographics",
        occurred_on="2019-03-02",
        sex="female",
        ethnicity="kinh",
        birth_year=2003,
    )
    return case


def test_a_correction_replaces_one_field_and_keeps_the_original() -> None:
    case = demographics_case()
    correct(case, 3, "birth_year", 2003, "2004", reason="giấy khai sinh")
    assert case.status.birth_year == 2004
    assert case.status.corrections == 1
    correction = case.pending_events[-1]
    assert (correction.old_value, correction.new_value) == (2003, 2004)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        (
            {"corrects_version": 9, "field": "birth_year", "old_value": 2003, "new_value": 2004},
            "no_such_event",
        ),
        (
            {"corrects_version": 3, "field": "colour", "old_value": 1, "new_value": 2},
            "no_such_field",
        ),
        (
            {"corrects_version": 3, "field": "officer_id", "old_value": "a", "new_value": "b"},
            "no_such_field",
        ),
        (
            {"corrects_version": 3, "field": "birth_year", "old_value": 2001, "new_value": 2004},
            "stale_old_value",
        ),
        (
            {"corrects_version": 3, "field": "birth_year", "old_value": 2003, "new_value": 2003},
            "no_change",
        ),
        (
            {
                "corrects_version": 1,
                "field": "occurred_on",
                "old_value": "2019-03-02",
                "new_value": "2019-03-09",
            },
            "before_reception",
        ),
    ],
)
def test_impossible_corrections_are_refused(fields: dict[str, object], code: str) -> None:
    refused(code, demographics_case(), "correct", occurred_on="2020-01-10", reason="x", **fields)


def test_a_correction_of_a_correction_is_refused() -> None:
    case = demographics_case()
    correct(case, 3, "birth_year", 2003, 2004, reason="giấy khai sinh")
    correct(
        case, 4, "reason", "giấy khai sinh", "x", on="2020-01-11", code="correcting_a_correction"
    )


def test_a_correction_value_is_checked_like_the_original_field() -> None:
    with pytest.raises(InvalidInput):
        correct(demographics_case(), 3, "nationality", "VN", "Atlantis")


def test_a_corrected_personal_field_is_never_shown() -> None:
    from domain.case.history import case_history_rows

    case = victim()
    correct(case, 1, "person.full_name", "Lê Thị Mẫu", "Lê Thị Mẫn", reason="CCCD")
    rendered = repr(case_history_rows(case.steps.values())) + repr(case.pending_events)
    assert "Mẫu" not in rendered and "Mẫn" not in rendered
    assert case.steps[1].data["person"].full_name == "Lê Thị Mẫn"
