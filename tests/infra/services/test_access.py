"""Authentication and the policy check on a real store: who gets in, who is refused, what is
recorded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from domain.access.log import ACCESS_TOPICS, AccessRecord
from domain.access.policy import Action
from domain.access.roles import Role
from domain.access.scope import UnitRef
from domain.access.user import FREE_ATTEMPTS, USER_TOPICS, User
from domain.errors import NotAllowed, RuleViolation
from infra.auth import totp
from infra.auth.tokens import NotAuthenticated
from infra.keys import create_key_file
from infra.scenario.staff import TEST_PASSWORDS, Staff
from infra.services.socai import Socai
from infra.settings import Settings

pytestmark = pytest.mark.integration

START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
HONG_NGU_OLD = UnitRef("old", "870")


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(tmp_path: Path, clock: Clock) -> Callable[[], Socai]:
    create_key_file(tmp_path / "k")
    socai = Socai(
        Settings.load(f"sqlite:///{tmp_path / 's.db'}", str(tmp_path / "k")),
        clock=clock,
        passwords=TEST_PASSWORDS,
    )
    yield socai
    socai.close()


@pytest.fixture
def team(app: Socai) -> Staff:
    return Staff(app)


def head(app: Socai) -> int:
    return app.log.head()


def test_the_first_administrator_is_created_once(app: Socai, team: Staff) -> None:
    assert [g.role for g in team.admin.grants] == [Role.ADMINISTRATOR]
    with pytest.raises(RuleViolation):
        app.access.init("ADMIN-02", "police")


def test_a_login_needs_the_password_and_for_personal_data_roles_a_fresh_code(
    app: Socai, team: Staff, clock: Clock
) -> None:
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    assert officer.second_factor
    creds = team.credentials["BP-87-01"]
    assert creds.password and creds.totp_secret
    clock.advance(minutes=5)
    code = totp.code_at(creds.totp_secret, app.now())
    with pytest.raises(NotAuthenticated, match="one-time code"):
        app.access.login("BP-87-01", creds.password)
    with pytest.raises(NotAuthenticated, match="wrong or already used"):
        app.access.login("BP-87-01", creds.password, "000000" if code != "000000" else "111111")
    _principal, token = app.access.login("bp-87-01", creds.password, code)
    assert app.access.authenticate(str(token)).username == "BP-87-01"
    with pytest.raises(NotAuthenticated, match="already used"):
        app.access.login("BP-87-01", creds.password, code)  # a replayed code
    failures = [e.reason for _, e in app.log.events(topics=(User.LoginFailed.TOPIC,))]
    assert failures == ["missing_totp", "wrong_totp", "wrong_totp"]


def test_unknown_users_and_wrong_passwords_get_the_same_answer(app: Socai, team: Staff) -> None:
    team.user(Role.STATISTICIAN, "VN", "TK-01")
    answers = []
    for name, password in (("TK-01", "wrong password!"), ("NOBODY-9", "wrong password!")):
        with pytest.raises(NotAuthenticated) as refused:
            app.access.login(name, password)
        answers.append(refused.value.message)
    assert answers[0] == answers[1] == "unknown user or wrong password"


def test_brute_force_is_slowed_down_and_every_attempt_is_recorded(
    app: Socai, team: Staff, clock: Clock
) -> None:
    team.user(Role.STATISTICIAN, "VN", "TK-01")
    right = team.credentials["TK-01"].password
    assert right
    for _ in range(FREE_ATTEMPTS):
        with pytest.raises(NotAuthenticated, match="wrong password"):
            app.access.login("TK-01", "not the password")
    with pytest.raises(NotAuthenticated, match="too many failed logins"):
        app.access.login("TK-01", right)  # even the right password waits
    clock.advance(seconds=31)
    with pytest.raises(NotAuthenticated, match="wrong password"):
        app.access.login("TK-01", "not the password")
    clock.advance(seconds=31)
    with pytest.raises(NotAuthenticated, match="too many failed logins"):
        app.access.login("TK-01", right)  # the wait doubled
    clock.advance(seconds=31)
    app.access.login("TK-01", right)
    reasons = [e.reason for _, e in app.log.events(topics=(User.LoginFailed.TOPIC,))]
    assert reasons == ["wrong_password"] * 3 + ["too_many_attempts", "wrong_password"] + [
        "too_many_attempts"
    ]


def test_suspended_revoked_and_expired_are_refused_on_the_next_call(
    app: Socai, team: Staff, clock: Clock
) -> None:
    stat = team.user(Role.STATISTICIAN, "VN", "TK-01")
    assert app.access.check(stat, Action.REPORT_READ)
    app.access.suspend(team.admin, "TK-01", "inquiry")
    with pytest.raises(NotAuthenticated, match="suspended"):
        app.access.check(stat, Action.REPORT_READ)
    with pytest.raises(NotAuthenticated):
        team.login("TK-01")
    app.access.reinstate(team.admin, "TK-01", "cleared")
    app.access.check(stat, Action.REPORT_READ)
    (grant,) = stat.grants
    app.access.revoke(team.admin, "TK-01", grant.grant_id, "moved")
    with pytest.raises(NotAllowed, match="statistician"):
        app.access.check(stat, Action.REPORT_READ)
    app.access.grant(team.admin, "TK-01", Role.STATISTICIAN, "VN", "QĐ-2")
    app.access.check(stat, Action.REPORT_READ)
    app.access.revoke_token(stat, stat.token_id)
    with pytest.raises(NotAuthenticated, match="revoked"):
        app.access.check(stat, Action.REPORT_READ)
    fresh = team.login("TK-01")
    clock.advance(hours=12, seconds=1)
    with pytest.raises(NotAuthenticated, match="expired"):
        app.access.check(fresh, Action.REPORT_READ)


def test_tokens_must_match_exactly(app: Socai, team: Staff) -> None:
    stat = team.user(Role.STATISTICIAN, "VN", "TK-01")
    token = str(app.access.issue_token(stat, 30, "nightly report"))
    assert app.access.authenticate(token).username == "TK-01"
    prefix, name, token_id, secret = token.split(".")
    for forged in (
        f"{prefix}.{name}.{token_id}.{secret[:-1]}{'B' if secret.endswith('A') else 'A'}",
        f"{prefix}.ADMIN-01.{token_id}.{secret}",
        f"{prefix}.{name}.0000000000000000.{secret}",
        f"{name}.{token_id}.{secret}",
        "",
    ):
        with pytest.raises(NotAuthenticated):
            app.access.authenticate(forged)


def test_new_credentials_end_every_session(app: Socai, team: Staff) -> None:
    stat = team.user(Role.STATISTICIAN, "VN", "TK-01")
    script = app.access.issue_token(stat, 30, "script")
    creds = app.access.reset(team.admin, "TK-01", second_factor=False)
    with pytest.raises(NotAuthenticated, match="revoked"):
        app.access.check(stat, Action.REPORT_READ)
    with pytest.raises(NotAuthenticated, match="revoked"):
        app.access.authenticate(str(script))
    assert creds.password and app.access.login("TK-01", creds.password)


def test_a_refusal_writes_only_its_log_entry(app: Socai, team: Staff) -> None:
    stat = team.user(Role.STATISTICIAN, "82", "TK-82")
    before = head(app)
    with pytest.raises(NotAllowed) as refused:
        app.access.check(stat, Action.REPORT_READ, UnitRef("2025", "01"), "rollup")
    assert "statistician with a scope covering 2025:01" in refused.value.message
    assert head(app) == before + 1
    ((_, entry),) = app.log.events(after=before)
    assert isinstance(entry, AccessRecord.AccessRefused)
    assert (entry.username, entry.action, entry.target) == ("TK-82", "report.read", "rollup")


def test_an_administrator_manages_only_within_their_scope(app: Socai, team: Staff) -> None:
    team.user(Role.ADMINISTRATOR, "82", "QT-82")
    province_admin = team.login("QT-82")
    team.credentials["TK-01"] = app.access.register(province_admin, "TK-01", "police")
    app.access.grant(province_admin, "TK-01", Role.STATISTICIAN, "82", "QĐ-3")
    for scope in ("VN", "01"):
        with pytest.raises(NotAllowed, match="administrator with"):
            app.access.grant(province_admin, "TK-01", Role.INSPECTOR, scope, "QĐ-4")
    stat = team.user(Role.STATISTICIAN, "VN", "TK-VN")
    with pytest.raises(NotAllowed):
        app.access.suspend(province_admin, stat.username, "no")
    with pytest.raises(NotAllowed, match="administrator"):
        app.access.register(stat, "X-1", "police")


def test_service_users_have_tokens_only(app: Socai, team: Staff) -> None:
    relay = app.access.register(team.admin, "RELAY-01", "labour_social_affairs", service=True)
    assert relay.password is None and relay.totp_secret is None and relay.token
    app.access.grant(team.admin, "RELAY-01", Role.STREAM_SERVICE, "VN", "QĐ-5")
    principal = app.access.authenticate(str(relay.token))
    app.access.check(principal, Action.EVENTS_PUBLISH)
    with pytest.raises(NotAllowed):
        app.access.check(principal, Action.CASE_READ, HONG_NGU_OLD)
    with pytest.raises(NotAuthenticated):
        app.access.login("RELAY-01", "anything at all")
    with pytest.raises(RuleViolation):
        app.access.grant(team.admin, "RELAY-01", Role.CASE_OFFICER, "82", "QĐ-6")
    human = team.user(Role.STATISTICIAN, "VN", "TK-01")
    with pytest.raises(NotAllowed):
        app.access.issue_token(team.admin, 30, "take over", human.username)


def test_reading_personal_data_needs_a_login_with_a_second_factor(app: Socai, team: Staff) -> None:
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    app.access.check(officer, Action.PERSON_READ, HONG_NGU_OLD)
    team.credentials["BP-87-01"] = app.access.reset(team.admin, "BP-87-01", second_factor=True)
    script = app.access.issue_token(team.login("BP-87-01"), 30, "script")
    assert app.access.authenticate(str(script)).second_factor  # inherits the login's factor


def test_users_grants_and_access_entries_are_events_of_the_one_log(app: Socai, team: Staff) -> None:
    team.user(Role.INSPECTOR, "VN", "TT-01")
    topics = {entry.topic for entry in app.log.entries()}
    assert topics <= set(USER_TOPICS) | set(ACCESS_TOPICS)
    assert User.RoleGranted.TOPIC in topics and User.TokenIssued.TOPIC in topics


def test_checking_many_targets_decides_as_one_check_each(app: Socai, team: Staff) -> None:
    """A batch is checked with the user read once: every target in scope is allowed, the
    first one out of scope is refused (logged once, nothing else written), and a token that
    is no longer valid is refused before any target is looked at."""
    team.user(Role.FINANCE_OFFICER, "82", "TC-82")
    officer = team.login("TC-82")
    inside, national, outside = UnitRef("2025", "82"), None, UnitRef("2025", "01")
    assert app.access.check_each(officer, Action.FUNDING_RECORD, [inside], "P") == (
        app.access.check(officer, Action.FUNDING_RECORD, inside, "P")
    )
    for targets in ([inside, outside], [outside, inside], [inside, national]):
        refused_one = next(t for t in targets if t != inside)
        with pytest.raises(NotAllowed) as single:
            app.access.check(officer, Action.FUNDING_RECORD, refused_one, "P")
        before = head(app)
        with pytest.raises(NotAllowed) as batch:
            app.access.check_each(officer, Action.FUNDING_RECORD, targets, "P")
        assert batch.value.message == single.value.message
        assert head(app) == before + 1, "one refusal, one log entry"
        ((_, entry),) = app.log.events(after=before)
        assert isinstance(entry, AccessRecord.AccessRefused)
    app.access.revoke_token(officer, officer.token_id)
    before = head(app)
    with pytest.raises(NotAuthenticated):
        app.access.check_each(officer, Action.FUNDING_RECORD, [inside], "P")
    assert head(app) == before
