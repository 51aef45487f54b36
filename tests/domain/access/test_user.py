"""The User aggregate's rules: who grants what to whom, second factors, backoff, tokens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from domain.access.roles import Role
from domain.access.scope import Scope
from domain.access.user import BACKOFF_SECONDS, FREE_ATTEMPTS, MAX_BACKOFF_SECONDS, User, user_id
from domain.errors import InvalidInput, RuleViolation

AT = datetime(2026, 11, 23, 3, tzinfo=UTC)
PROVINCE = Scope.parse("82", date(2026, 11, 23))


def officer(totp: str | None = "JBSWY3DPEHPK3PXP") -> User:
    return User.register("BP-87-01", "border_guard", "$argon2id$x", totp, "ADMIN-01", AT)


def test_a_username_is_an_officer_id_unique_whatever_its_letter_case() -> None:
    assert user_id("BP-87-01") == user_id("bp-87-01") == officer().id
    for bad in ("   ", "", "a b", "x" * 65, "-lead", "ng\u200buyen"):
        with pytest.raises(InvalidInput):
            User.register(bad, "police", None, None, "ADMIN-01", AT)


def test_nobody_administers_themselves() -> None:
    user = officer()
    for attempt in (
        lambda: user.grant("G2", Role.SUPERVISOR, PROVINCE, "QĐ", "bp-87-01", AT),
        lambda: user.suspend("x", "BP-87-01", AT),
    ):
        with pytest.raises(RuleViolation) as refused:
            attempt()
        assert refused.value.code == "self_administration"
    assert not user.pending_events[1:]


def test_a_role_that_reads_personal_data_needs_a_second_factor() -> None:
    user = officer(totp=None)
    with pytest.raises(RuleViolation) as refused:
        user.grant("G2", Role.CASE_OFFICER, PROVINCE, "QĐ", "ADMIN-01", AT)
    assert refused.value.code == "second_factor_required"
    user.grant("G2", Role.STATISTICIAN, PROVINCE, "QĐ", "ADMIN-01", AT)
    assert [g.role for g in user.grants.values()] == [Role.STATISTICIAN]


def test_a_grant_names_its_basis_and_is_given_once() -> None:
    user = officer()
    with pytest.raises(InvalidInput):
        user.grant("G2", Role.CASE_OFFICER, PROVINCE, "  ", "ADMIN-01", AT)
    user.grant("G2", Role.CASE_OFFICER, PROVINCE, "QĐ-1", "ADMIN-01", AT)
    with pytest.raises(RuleViolation):
        user.grant("G3", Role.CASE_OFFICER, PROVINCE, "QĐ-2", "ADMIN-01", AT)
    user.revoke("G2", "moved", "ADMIN-01", AT)
    assert user.grants == {}
    with pytest.raises(RuleViolation):
        user.revoke("G2", "again", "ADMIN-01", AT)


def test_failed_logins_make_the_next_attempt_wait_doubling_up_to_an_hour() -> None:
    user = officer()
    waits = []
    at = AT
    for _ in range(FREE_ATTEMPTS + 10):
        user.login_failed("wrong_password", at)
        waits.append(user.wait_before_login(at).total_seconds())
    assert waits[: FREE_ATTEMPTS - 1] == [0] * (FREE_ATTEMPTS - 1)
    assert waits[FREE_ATTEMPTS - 1 : FREE_ATTEMPTS + 2] == [
        BACKOFF_SECONDS,
        2 * BACKOFF_SECONDS,
        4 * BACKOFF_SECONDS,
    ]
    assert waits[-1] == MAX_BACKOFF_SECONDS
    assert user.wait_before_login(at + timedelta(seconds=MAX_BACKOFF_SECONDS)) == timedelta(0)
    user.login_failed("too_many_attempts", at)  # waiting attempts are kept, not counted
    assert user.failures == FREE_ATTEMPTS + 10
    user.login_succeeded(True, 5, at)
    assert user.failures == 0 and user.last_totp_step == 5


def test_new_credentials_revoke_every_token() -> None:
    user = officer()
    user.issue_token("t1", "h1", AT + timedelta(hours=1), True, "login", "BP-87-01", AT)
    with pytest.raises(InvalidInput):
        user.issue_token("t2", "h2", AT, True, "login", "BP-87-01", AT)
    user.rotate("$argon2id$y", "JBSWY3DPEHPK3PXQ", "ADMIN-01", AT)
    assert user.tokens["t1"].revoked
    with pytest.raises(RuleViolation):
        user.revoke_token("t1", "BP-87-01", AT)


def test_a_holder_of_a_personal_data_role_cannot_drop_the_second_factor() -> None:
    user = officer()
    user.grant("G2", Role.CASE_OFFICER, PROVINCE, "QĐ-1", "ADMIN-01", AT)
    with pytest.raises(RuleViolation):
        user.rotate("$argon2id$y", None, "ADMIN-01", AT)
