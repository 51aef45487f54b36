"""Shared pieces of the funding tests: a real application on a throw-away SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

from argon2 import PasswordHasher
from argon2 import profiles as argon2_profiles

from domain.access.policy import PERSONAL_DATA_ROLES
from domain.access.principal import Principal
from domain.access.roles import Role
from domain.case.commands import ConcludeVerification, ProvideSupport, Receive, RequestVerification
from domain.case.values import Actor, PersonalData
from domain.funding.commands import Allocate, BudgetLine, Establish, Pledge
from infra.auth import totp
from infra.auth.passwords import Passwords
from infra.keys import create_key_file
from infra.services.socai import Socai
from infra.settings import Settings

#: A fixed record time for the tests (business date 2026-11-23 in Viet Nam).
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
FINANCE = Actor("TC-0001", "labour_social_affairs")
OFFICER = Actor("BP-0042", "border_guard")


@contextmanager
def open_app(directory: Path) -> Iterator[Socai]:
    store = directory / "socai.db"
    key_file = directory / "socai.db.key"
    if not key_file.exists():
        create_key_file(key_file)
    app = Socai(Settings.load(f"sqlite:///{store}", str(key_file)), clock=lambda: NOW)
    try:
        yield app
    finally:
        app.close()


def small_programme(
    app: Socai,
    code: str = "P-TEST",
    budget: int = 10_000_000,
    allocation: int = 6_000_000,
) -> None:
    """A programme with one source, one line and one allocation ``A1`` for 2020 (Hồng Ngự
    district, old map 870)."""
    app.funding.establish(
        Establish(code, "Test programme", date(2016, 1, 1), date(2030, 12, 31), date(2016, 1, 1)),
        FINANCE,
    )
    app.funding.record(
        code,
        Pledge("T-pledge", date(2016, 1, 1), source="NSDP", source_kind="local", amount_vnd=budget),
        FINANCE,
    )
    app.funding.record(
        code,
        BudgetLine(
            "T-line",
            date(2016, 1, 2),
            line="L1",
            line_title="Hỗ trợ nạn nhân",
            source="NSDP",
            amount_vnd=budget,
        ),
        FINANCE,
    )
    app.funding.record(
        code,
        Allocate(
            "A1",
            date(2016, 1, 3),
            line="L1",
            source="NSDP",
            unit_map="old",
            unit_code="870",
            period="2016/2030",
            amount_vnd=allocation,
        ),
        FINANCE,
    )


def case_with_support(
    app: Socai,
    amount_vnd: int | None = 2_000_000,
    support_type: str = "hardship_allowance",
) -> tuple:
    """A case received in 2020 with one support (by default an initial hardship allowance,
    trợ cấp khó khăn ban đầu); returns (case id, the support event's version)."""
    case_id = app.cases.receive(
        Receive.parse(
            {
                "occurred_on": "2020-03-02",
                "reception_form": "rescued",
                "unit_code": "870",
                "legal_basis": "BB-01/2020",
                "belongings_checked": True,
                "interview_held": True,
                "person": PersonalData(full_name="Test Person"),
            }
        ),
        OFFICER,
    )
    app.cases.execute(case_id, RequestVerification(date(2020, 3, 2), "police"), OFFICER)
    app.cases.execute(case_id, ConcludeVerification(date(2020, 3, 4), "victim", "police"), OFFICER)
    version = app.cases.execute(
        case_id,
        ProvideSupport(
            occurred_on=date(2020, 3, 5),
            support_type=support_type,
            provider_agency="labour_social_affairs",
            amount_vnd=amount_vnd,
        ),
        OFFICER,
    )
    return case_id, version


# -- people: real users, real credentials, real logins ----------------------------------------

#: Real argon2id with the library's cheapest parameters: the same code path as production,
#: without spending 0.2 s of a shared core on every user a test registers.
CHEAP_PASSWORDS = Passwords(PasswordHasher.from_parameters(argon2_profiles.CHEAPEST))

#: The agency each role's test user belongs to.
ROLE_AGENCY = {
    Role.CASE_OFFICER: "border_guard",
    Role.SUPERVISOR: "border_guard",
    Role.INSPECTOR: "procuracy",
    Role.FINANCE_OFFICER: "labour_social_affairs",
    Role.STATISTICIAN: "labour_social_affairs",
    Role.DATA_PROTECTION_OFFICER: "police",
    Role.ADMINISTRATOR: "labour_social_affairs",
    Role.STREAM_SERVICE: "labour_social_affairs",
}


class People:
    """Users of one test store, registered by its first administrator and logged in with
    their password and one-time code, exactly as a person would."""

    def __init__(self, app: Socai, admin: str = "ADMIN-01") -> None:
        self.app = app
        self.credentials = {admin: app.access.init(admin, "labour_social_affairs")}
        self.admin = self.login(admin)

    def login(self, username: str) -> Principal:
        creds = self.credentials[username]
        assert creds.password is not None
        code = totp.code_at(creds.totp_secret, self.app.now()) if creds.totp_secret else None
        principal, _ = self.app.access.login(username, creds.password, code)
        return principal

    def user(
        self,
        role: Role,
        scope: str = "VN",
        username: str | None = None,
        agency: str | None = None,
    ) -> Principal:
        """A logged-in user holding ``role`` over ``scope`` (on the map in force)."""
        name = username or f"{role.value.replace('_', '-')}-{scope}".upper()
        self.credentials[name] = self.app.access.register(
            self.admin,
            name,
            agency or ROLE_AGENCY[role],
            second_factor=role in PERSONAL_DATA_ROLES,
            password=None,
        )
        self.app.access.grant(self.admin, name, role, scope, "QĐ-PC-01/2026")
        return self.login(name)


def people(app: Socai) -> People:
    return People(app)
