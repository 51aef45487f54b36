"""The policy table and scopes: what each role may do, and where."""

from __future__ import annotations

from datetime import date

import pytest

from domain.access.policy import PERSONAL_DATA_ROLES, RULES, Action, Reach, permits, rules_for
from domain.access.principal import Grant
from domain.access.roles import Role
from domain.access.scope import Scope, UnitRef
from domain.errors import InvalidInput

TODAY = date(2026, 11, 23)
HONG_NGU_OLD = UnitRef("old", "870")  # district, old map: Đồng Tháp (82) on the 2025 map
THUONG_PHUOC_1_OLD = UnitRef("old", "29956")  # old commune, now in new commune 29971
HA_NOI = UnitRef("2025", "01")

WRITES = {
    Action.CASE_RECEIVE,
    Action.CASE_RECORD,
    Action.CASE_CLOSE,
    Action.CASE_CORRECT_OWN,
    Action.CASE_CORRECT_OTHERS,
    Action.FUNDING_RECORD,
    Action.ACTIVITY_RECORD,
    Action.USERS_REGISTER,
    Action.USERS_MANAGE,
    Action.PERSON_ERASE,
    Action.PERSON_RETENTION,
}
CASE_DATA = {
    Action.CASE_RECEIVE,
    Action.CASE_RECORD,
    Action.CASE_CLOSE,
    Action.CASE_CORRECT_OWN,
    Action.CASE_CORRECT_OTHERS,
    Action.CASE_READ,
    Action.PERSON_READ,
    Action.PERSON_ERASE,
    Action.PERSON_EXPORT,
    Action.PERSON_DUE,
}


def grant(role: Role, scope: str) -> Grant:
    return Grant("G1", role, Scope.parse(scope, TODAY), "QĐ-1")


def actions_of(role: Role) -> set[Action]:
    return {action for action, r, _ in RULES if r is role}


def test_every_action_is_allowed_to_someone_and_every_role_can_do_something() -> None:
    assert {action for action, _, _ in RULES} == set(Action)
    assert {role for _, role, _ in RULES} == set(Role)


def test_no_row_is_written_twice() -> None:
    pairs = [(action, role) for action, role, _ in RULES]
    assert len(pairs) == len(set(pairs))


def test_the_roles_keep_to_their_work() -> None:
    assert actions_of(Role.INSPECTOR).isdisjoint(WRITES), "an inspector writes nothing"
    assert actions_of(Role.ADMINISTRATOR).isdisjoint(CASE_DATA), "an administrator: no case data"
    for role in (Role.FINANCE_OFFICER, Role.STATISTICIAN, Role.STREAM_SERVICE):
        assert actions_of(role).isdisjoint(CASE_DATA), f"{role}: no personal data"
    assert rules_for(Action.CASE_CLOSE) == [(Role.SUPERVISOR, Reach.UNIT)]
    assert {
        Role.CASE_OFFICER,
        Role.SUPERVISOR,
        Role.DATA_PROTECTION_OFFICER,
    } == PERSONAL_DATA_ROLES


def test_a_province_scope_today_covers_its_old_districts_and_communes() -> None:
    dong_thap = grant(Role.CASE_OFFICER, "82")
    for target in (HONG_NGU_OLD, THUONG_PHUOC_1_OLD, UnitRef("2025", "29971")):
        assert permits([dong_thap], Action.CASE_RECORD, target) is dong_thap
    assert permits([dong_thap], Action.CASE_RECORD, HA_NOI) is None
    assert permits([dong_thap], Action.CASE_RECORD, UnitRef.national()) is None
    assert permits([dong_thap], Action.CASE_RECORD, None) is None


def test_a_commune_scope_covers_that_commune_only() -> None:
    commune = grant(Role.CASE_OFFICER, "29971")
    assert permits([commune], Action.CASE_RECORD, THUONG_PHUOC_1_OLD) is commune
    assert permits([commune], Action.CASE_RECORD, UnitRef("2025", "29978")) is None
    assert permits([commune], Action.CASE_RECORD, UnitRef("2025", "82")) is None
    assert permits([commune], Action.CASE_RECORD, HONG_NGU_OLD) is None


def test_national_covers_everything_and_any_needs_only_the_role() -> None:
    national = grant(Role.STATISTICIAN, "VN")
    assert permits([national], Action.REPORT_READ, None) is national
    assert permits([national], Action.REPORT_READ, HA_NOI) is national
    province = grant(Role.STATISTICIAN, "01")
    assert permits([province], Action.PROJECTIONS_RUN, None) is province
    assert permits([province], Action.REPORT_READ, None) is None


def test_own_steps_only_for_an_officer_and_any_steps_for_a_supervisor() -> None:
    officer = grant(Role.CASE_OFFICER, "82")
    assert permits([officer], Action.CASE_CORRECT_OWN, HONG_NGU_OLD, own=True) is officer
    assert permits([officer], Action.CASE_CORRECT_OWN, HONG_NGU_OLD, own=False) is None
    assert permits([officer], Action.CASE_CORRECT_OTHERS, HONG_NGU_OLD) is None
    supervisor = grant(Role.SUPERVISOR, "82")
    assert permits([supervisor], Action.CASE_CORRECT_OTHERS, HONG_NGU_OLD) is supervisor


def test_a_role_in_the_wrong_place_does_not_lend_its_rights_to_another_role() -> None:
    grants = [grant(Role.CASE_OFFICER, "01"), grant(Role.INSPECTOR, "82")]
    assert permits(grants, Action.CASE_RECORD, HONG_NGU_OLD) is None
    assert permits(grants, Action.CASE_READ, HONG_NGU_OLD) is grants[1]


@pytest.mark.parametrize("text", ["870", "nowhere", "", "99999"])
def test_a_scope_is_the_nation_a_province_or_a_commune_on_the_map_in_force(text: str) -> None:
    with pytest.raises(InvalidInput):
        Scope.parse(text, TODAY)


def test_before_the_reform_a_scope_is_named_on_the_old_map() -> None:
    old = Scope.parse("87", date(2020, 1, 1))
    assert old == Scope("old", "87")
    assert old.covers(UnitRef("2025", "29971"))
    assert not old.covers(HA_NOI)


@pytest.mark.parametrize("text", ["82", "2025:82", "Đồng Tháp", "dong thap", " 2025:82 "])
def test_a_scope_is_written_as_any_unit_is(text: str) -> None:
    """The one spelling of a unit: MAP:CODE, a bare code on the map in force, or a name with
    or without its accents, all the same scope."""
    assert Scope.parse(text, TODAY) == Scope("2025", "82")


def test_a_name_is_read_on_the_map_in_force() -> None:
    """``Hồng Ngự`` was a district (old:870) and is now a ward (phường, 2025:29955): a scope
    named so is the ward, the only unit of that name on the map in force."""
    assert Scope.parse("hong ngu", TODAY) == Scope("2025", "29955")


@pytest.mark.parametrize("text", ["2025:VN", "vn", "VN"])
def test_the_nation_is_one_scope_however_written(text: str) -> None:
    assert Scope.parse(text, TODAY).is_national


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("old:87", "is on the old map"),  # a unit of the other map
        ("old:870", "is on the old map"),
        ("2025:870", "not"),  # a code the map does not have
        ("xx:82", "map"),  # no such map
    ],
)
def test_a_scope_off_the_map_in_force_is_refused_naming_why(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        Scope.parse(text, TODAY)
    assert refused.value.hint
    assert fragment in str(refused.value) or fragment in refused.value.hint
