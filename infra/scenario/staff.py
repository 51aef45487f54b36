"""The scenario's staff (cán bộ): registered users with roles, logged in as people log in.

The demo and the tests act through real users: the first administrator (``socai users init``)
registers one user per role, grants each a role over a scope on an assignment decision, and
every one of them logs in with a password and, for a role that reads personal data, a one-time
code (TOTP). The principals they get are what the services require; nothing is declared.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2 import profiles as argon2_profiles

from domain.access.policy import PERSONAL_DATA_ROLES
from domain.access.principal import Principal
from domain.access.roles import Role
from infra.auth import totp
from infra.auth.passwords import Passwords
from infra.services.access import NewCredentials
from infra.services.socai import Socai

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

    def __init__(self, app: Socai, admin: str = ADMIN) -> None:
        self.app = app
        self.credentials: dict[str, NewCredentials] = {
            admin: app.access.init(admin, ROLE_AGENCY[Role.ADMINISTRATOR])
        }
        self.admin = self.login(admin)

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
        force); registered first when new."""
        name = username or f"{role.value.replace('_', '-')}-{scope}".upper()
        if name not in self.credentials:
            self.credentials[name] = self.app.access.register(
                self.admin,
                name,
                agency or ROLE_AGENCY[role],
                second_factor=role in PERSONAL_DATA_ROLES,
                service=role is Role.STREAM_SERVICE,
            )
        self.app.access.grant(self.admin, name, role, scope, DEMO_BASIS)
        return self.login(name)
