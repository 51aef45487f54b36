"""The scenario's staff (cán bộ): registered users with roles, logged in as people log in.

The demo and the tests act through real users: the first administrator (``socai users init``)
registers one user per role, grants each a role over a scope on an assignment decision, and
every one of them logs in with a password and, for a role that reads personal data, a one-time
code (TOTP). The principals they get are what the services require; nothing is declared.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from argon2 import PasswordHasher
from argon2 import profiles as argon2_profiles

from domain.access.policy import PERSONAL_DATA_ROLES
from domain.access.principal import Principal
from domain.access.roles import Role
from domain.access.scope import UnitRef
from domain.case.commands import Close, Correct, Receive
from domain.case.values import Actor
from domain.reference.units import NATIONAL_CODE, AdminMap, unit_directory
from domain.time import business_date
from infra.auth import totp
from infra.auth.passwords import Passwords
from infra.auth.tokens import parse_token
from infra.ledger.store import LedgerTables
from infra.services.access import MAX_TOKEN_DAYS, NewCredentials
from infra.services.socai import Socai
from infra.settings import Settings

#: Real argon2id with the library's cheapest parameters, for throw-away test stores only: the
#: same code path as production without spending 0.2 s of a shared core per user a test makes.
#: Never pass it to a store that holds real data.
TEST_PASSWORDS = Passwords(PasswordHasher.from_parameters(argon2_profiles.CHEAPEST))

#: The first administrator's name in the demo and the tests.
ADMIN = "QT-VN-01"

#: The agency of each role's user.
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

#: The assignment decision the demo's grants cite.
DEMO_BASIS = "QĐ-PC-01/2026"


class Staff:
    """The users of one store, registered by its first administrator."""

    def __init__(self, app: Socai, admin: NewCredentials | None = None) -> None:
        """Create the store's first administrator, or log in as ``admin`` (a store whose
        users were made elsewhere, e.g. by ``socai demo`` in another process)."""
        self.app = app
        if admin is None:
            admin = app.access.init(ADMIN, ROLE_AGENCY[Role.ADMINISTRATOR])
        self.credentials: dict[str, NewCredentials] = {admin.username: admin}
        self._granted: set[tuple[str, Role, str]] = set()
        self.admin = self.login(admin.username)

    def administrator(self) -> Principal:
        """The first administrator, logged in."""
        return self.admin

    def login(self, username: str) -> Principal:
        """Log in as a person does: password, and the authenticator's current code."""
        creds = self.credentials[username]
        if creds.password is None:
            assert creds.token is not None, "a service user has a token"
            return self.app.access.authenticate(str(creds.token))
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
        """A logged-in user holding ``role`` over ``scope`` (VN, or a unit code on the map in
        force); registered first when new, granted the role once."""
        name = username or f"{role.value.replace('_', '-')}-{scope}".upper()
        if name not in self.credentials:
            self.credentials[name] = self.app.access.register(
                self.administrator(),
                name,
                agency or ROLE_AGENCY[role],
                second_factor=role in PERSONAL_DATA_ROLES,
                service=role is Role.STREAM_SERVICE,
            )
        if (name, role, scope) not in self._granted:
            self.app.access.grant(self.administrator(), name, role, scope, DEMO_BASIS)
            self._granted.add((name, role, scope))
        return self.login(name)


#: How long before a token's expiry the scenario asks for a new one.
_RENEW_BEFORE = timedelta(days=1)


class ScenarioStaff(Staff):
    """The staff of a scenario written under a simulated clock (2016–2026).

    The scenario's officers are many (one per province and agency, chosen at random); each is
    registered the first time it acts, as a user enrolled by an API token (no password to hash
    for each of hundreds of officers), granted the role the step needs over the province of the
    unit on the map in force, and acts with that token. Tokens expire (a year at most), so they
    are renewed as simulated time passes; so is the administrator's.
    """

    def __init__(self, app: Socai, admin: NewCredentials | None = None) -> None:
        super().__init__(app, admin)
        self._admin_token = app.access.issue_token(self.admin, MAX_TOKEN_DAYS, "scenario")
        self._expiry: dict[str, datetime] = {
            self.admin.username: app.now() + timedelta(days=MAX_TOKEN_DAYS)
        }
        self._acting: dict[str, Principal] = {}
        self._granted: set[tuple[str, Role, str]] = set()
        self._readers: dict[str, Principal] = {}

    def reader(self, actor: Actor) -> Principal:
        """``actor``'s colleague who logs in with a password and a one-time code (a second
        factor), holding :data:`WORKER_ROLES` nationally: for reading or correcting personal
        data in tests. Its name is the officer id with ``-2FA``."""
        name = f"{actor.officer_id}-2FA"
        if name not in self._readers:
            self.credentials[name] = self.app.access.register(
                self.administrator(), name, actor.agency, second_factor=True
            )
            for role in WORKER_ROLES:
                self.app.access.grant(self.administrator(), name, role, NATIONAL_CODE, DEMO_BASIS)
            self._readers[name] = self.login(name)
        return self._readers[name]

    def administrator(self) -> Principal:
        name = self.admin.username
        if self.app.now() >= self._expiry[name] - _RENEW_BEFORE:
            login = self.login(name)
            self._admin_token = self.app.access.issue_token(login, MAX_TOKEN_DAYS, "scenario")
            self._expiry[name] = self.app.now() + timedelta(days=MAX_TOKEN_DAYS)
        return self.app.access.authenticate(str(self._admin_token))

    def acting(self, actor: Actor, role: Role, unit: UnitRef | None = None) -> Principal:
        """The principal of the scenario's officer ``actor``, holding ``role`` over the
        province of ``unit`` (national when None)."""
        name = actor.officer_id
        now = self.app.now()
        if name not in self.credentials:
            self.credentials[name] = self.app.access.register(
                self.administrator(),
                name,
                actor.agency,
                service=True,
                second_factor=True,  # enrolled, so any role may be granted later
            )
            token = self.credentials[name].token
            assert token is not None
            self._acting[name] = self.app.access.authenticate(str(token))
            self._expiry[name] = now + timedelta(days=MAX_TOKEN_DAYS)
        scope = _province_now(unit, now)
        if (name, role, scope) not in self._granted:
            self.app.access.grant(self.administrator(), name, role, scope, DEMO_BASIS)
            self._granted.add((name, role, scope))
        if now >= self._expiry[name] - _RENEW_BEFORE:
            token = self.app.access.issue_token(
                self.administrator(), MAX_TOKEN_DAYS, "scenario", name
            )
            self._acting[name] = self.app.access.authenticate(str(token))
            self._expiry[name] = now + timedelta(days=MAX_TOKEN_DAYS)
        return self._acting[name]


def _province_now(unit: UnitRef | None, now: datetime) -> str:
    """The code, on the map in force at ``now``, of the province holding ``unit``."""
    if unit is None or unit.code == NATIONAL_CODE:
        return NATIONAL_CODE
    found = unit.unit()
    if AdminMap.in_force_on(business_date(now)) is AdminMap.NEW:
        found = unit_directory().to_2025(found)
    assert found.province_code is not None
    return found.province_code


#: The scenario staff of each store this process wrote to, by the ledger's origin (a store's
#: own name, kept by its copies): a principal is not tied to one open application (every check
#: re-reads the user from the store), so a store reopened or copied in the same process keeps
#: its staff and their tokens.
_STAFF: dict[str, ScenarioStaff] = {}


def scenario_staff(app: Socai, admin: NewCredentials | None = None) -> ScenarioStaff:
    """The scenario staff of ``app``'s store: made (with its first administrator, or logged in
    as ``admin`` when the store's users were made elsewhere) on first use, then the same for
    every later call, in this or a later application on the same store."""
    key = LedgerTables(app.store.recorder).ensure_origin()
    staff = _STAFF.get(key)
    if staff is not None and staff.app is not app:
        if not app.access.has_users():  # a new store at the same URL
            staff = None
        else:
            staff.app = app
    if staff is None:
        staff = _STAFF[key] = ScenarioStaff(app, admin)
    return staff


def acting(app: Socai, actor: Actor, role: Role, unit: UnitRef | None = None) -> Principal:
    """Shorthand: the scenario's officer ``actor`` acting in ``role`` in ``unit``."""
    return scenario_staff(app).acting(actor, role, unit)


def case_role(command: object) -> Role:
    """The role a case step needs: closing and correcting are a supervisor's; the rest an
    officer's."""
    return Role.SUPERVISOR if isinstance(command, Close | Correct) else Role.CASE_OFFICER


def on_case(app: Socai, actor: Actor, command: object, case_id: UUID | None = None) -> Principal:
    """``actor`` acting on a case (or receiving one, when ``case_id`` is None)."""
    if case_id is None:
        assert isinstance(command, Receive)
        day = command.occurred_on
        unit = UnitRef(AdminMap.in_force_on(day).value, command.unit_code)
    else:
        unit = app.cases.unit_of(case_id)
    return acting(app, actor, case_role(command), unit)


def in_unit(app: Socai, actor: Actor, occurred_on: date, unit_code: str) -> Principal:
    """``actor`` as an officer of the unit (activities, criminal cases)."""
    unit = UnitRef(AdminMap.in_force_on(occurred_on).value, unit_code)
    return acting(app, actor, Role.CASE_OFFICER, unit)


def finance(app: Socai, actor: Actor) -> Principal:
    """``actor`` as a national finance officer (the demo's programmes are national)."""
    return acting(app, actor, Role.FINANCE_OFFICER)


#: The roles of :func:`worker`: every role that records, reads or publishes; none that
#: manages users or reads the access log.
WORKER_ROLES = (
    Role.CASE_OFFICER,
    Role.SUPERVISOR,
    Role.FINANCE_OFFICER,
    Role.STATISTICIAN,
    Role.INSPECTOR,
    Role.STREAM_SERVICE,
)


def worker(app: Socai, actor: Actor) -> Principal:
    """``actor`` holding every role that records or reads (:data:`WORKER_ROLES`), nationally:
    the tests' and benches' one user who may record and report anything anywhere, for tests
    that are not about access (reading personal data still needs a login with a second
    factor: :meth:`Staff.user`; the access tests use one role at a time)."""
    for role in WORKER_ROLES[1:]:
        acting(app, actor, role)
    return acting(app, actor, WORKER_ROLES[0])


def person_reader(app: Socai, actor: Actor) -> Principal:
    """Shorthand: :meth:`ScenarioStaff.reader` of ``app``'s store."""
    return scenario_staff(app).reader(actor)


def worker_token(
    app: Socai, actor: Actor, admin: NewCredentials | None = None, days: int = MAX_TOKEN_DAYS
) -> str:
    """An API token for :func:`worker` ``actor`` (what ``SOCAI_TOKEN`` holds for a script);
    ``admin`` logs in to a store whose users were made in another process."""
    staff = scenario_staff(app, admin)
    worker(app, actor)
    return str(app.access.issue_token(staff.administrator(), days, "script", actor.officer_id))


#: The demo's role users: (role, scope on the 2025 map). A case officer and a supervisor of
#: Đồng Tháp (province 82, which holds old district 870 Hồng Ngự), the others national.
DEMO_ROLES: tuple[tuple[Role, str], ...] = (
    (Role.CASE_OFFICER, "82"),
    (Role.SUPERVISOR, "82"),
    (Role.INSPECTOR, "VN"),
    (Role.FINANCE_OFFICER, "VN"),
    (Role.STATISTICIAN, "VN"),
    (Role.DATA_PROTECTION_OFFICER, "VN"),
    (Role.STREAM_SERVICE, "VN"),
)

#: Days the demo's API tokens live.
DEMO_TOKEN_DAYS = 30


def demo_users(app: Socai) -> list[dict[str, str | None]]:
    """Register one user per role (the first administrator too), each logged in once; return
    their credentials and an API token each (``SOCAI_TOKEN``), for the demo's users file."""
    staff = scenario_staff(app)
    made: list[dict[str, str | None]] = []
    admin = staff.administrator()
    admin_token = app.access.issue_token(admin, DEMO_TOKEN_DAYS, "demo")
    made.append(_described(staff.credentials[ADMIN], Role.ADMINISTRATOR, "VN", str(admin_token)))
    for role, scope in DEMO_ROLES:
        principal = staff.user(role, scope)
        token = app.access.issue_token(principal, DEMO_TOKEN_DAYS, "demo")
        made.append(_described(staff.credentials[principal.username], role, scope, str(token)))
    return made


def _described(
    credentials: NewCredentials, role: Role, scope: str, token: str
) -> dict[str, str | None]:
    return {
        "username": credentials.username,
        "role": role.value,
        "scope": scope,
        "password": credentials.password,
        "totp_secret": credentials.totp_secret,
        "token": token,
    }


def demo_users_path(settings: Settings) -> Path:
    """Where the demo writes its users' credentials: beside a SQLite store, else in the
    working directory."""
    path = settings.store.sqlite_path
    return path.with_name(path.name + ".users.json") if path else Path("socai-demo.users.json")


def demo_admin(settings: Settings) -> NewCredentials:
    """The first administrator, from the demo's users file, as the API token it holds there
    (a second password login within the same 30-second step would reuse its one-time code,
    which is refused)."""
    users = json.loads(demo_users_path(settings).read_text(encoding="utf-8"))
    admin = next(u for u in users if u["role"] == Role.ADMINISTRATOR.value)
    return NewCredentials(admin["username"], None, None, parse_token(admin["token"]))
