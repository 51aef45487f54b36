"""The access service (dịch vụ truy cập): users, authentication, the policy check, the log.

Every other service asks :meth:`AccessService.check` before it does anything for a
:class:`~domain.access.principal.Principal`. The check re-reads the user and the token the
principal came from, so a suspension, a revoked grant or a revoked or expired token stops the
very next call; it then looks the action up in :data:`domain.access.policy.RULES`. A refusal is
written to the access log (:class:`~domain.access.log.AccessRecord.AccessRefused`) and raised
as :class:`~domain.errors.NotAllowed` naming the role that would be needed; nothing else is
written.

Authentication: :meth:`login` checks the password (argon2id) and, for a user with a second
factor, the TOTP code; failures are recorded on the user and slow the next attempt down
(:meth:`domain.access.user.User.wait_before_login`). A successful login issues a token (12
hours); :meth:`issue_token` gives a longer-lived one for scripts; :meth:`authenticate` turns a
token back into a principal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from domain.access.log import ACCESS_TOPICS, AccessEvent, AccessRecord
from domain.access.policy import SECOND_FACTOR_ACTIONS, Action, needed, permits, roles_allowed
from domain.access.principal import Grant, Principal
from domain.access.roles import Purpose, Role
from domain.access.scope import Scope, UnitRef
from domain.access.user import User, check_username, user_id
from domain.errors import InvalidInput, NotAllowed, NotFound, RuleViolation, SocaiError
from domain.time import business_date
from infra.application import EventStore
from infra.auth import totp
from infra.auth.passwords import Passwords, generate_password
from infra.auth.tokens import NotAuthenticated, Token, matches, new_token, parse_token
from infra.services.eventlog import StoreEventLog

#: How long a login lasts.
SESSION_HOURS = 12
#: Longest life of a script's API token.
MAX_TOKEN_DAYS = 365
#: Who registers the first administrator (there is no one yet to name).
BOOTSTRAP = "socai-users-init"


@dataclass(frozen=True, slots=True)
class NewCredentials:
    """A new user's first credentials, shown once: the password (None for a service user),
    the TOTP secret (None without a second factor) and, for a service user, an API token."""

    username: str
    password: str | None
    totp_secret: str | None
    token: Token | None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "username": self.username,
            "password": self.password,
            "totp_secret": self.totp_secret,
            "totp_uri": (
                totp.provisioning_uri(self.totp_secret, self.username) if self.totp_secret else None
            ),
            "token": str(self.token) if self.token else None,
        }


class AccessService:
    """Users (người dùng), their credentials and roles, the policy check and the access log."""

    def __init__(
        self, store: EventStore, log: StoreEventLog, passwords: Passwords | None = None
    ) -> None:
        self.store = store
        self.log = log
        self.passwords = passwords or Passwords()

    # -- the directory ----------------------------------------------------------------------

    def user(self, username: str, *, to_change: bool = True) -> User:
        """The user ``username``. Only a user ``to_change`` is a private copy; a user read to
        check a principal (on every request) is the store's cached one, not to be changed."""
        try:
            user: object = self.store.repository.get(
                user_id(check_username(username)), deepcopy_from_cache=to_change
            )
        except AggregateNotFoundError:
            raise NotFound(
                f"no user {username}", hint="`socai users list` shows the registered users"
            ) from None
        if not isinstance(user, User):
            raise NotFound(f"{username} is not a user")
        return user

    def usernames(self) -> Iterator[str]:
        for _, event in self.log.events(topics=(User.Registered.TOPIC,)):
            if isinstance(event, User.Registered):
                yield event.username

    def listed(self, principal: Principal, username: str | None = None) -> list[User]:
        """Users as an administrator sees them (one, or all in order of registration)."""
        self.check(principal, Action.USERS_REGISTER, subject=username)
        names = [username] if username else list(self.usernames())
        return [self.user(name) for name in names]

    def has_users(self) -> bool:
        return bool(self.log.read(0, 1, (User.Registered.TOPIC,)))

    def init(self, username: str, agency: str, password: str | None = None) -> NewCredentials:
        """The first administrator (national), in a store with no users yet."""
        if self.has_users():
            raise RuleViolation(
                "users_exist",
                "this store already has users; the first administrator was created before",
                hint="an administrator registers further users: socai users register",
            )
        credentials = self._new_user(username, agency, BOOTSTRAP, password, second_factor=True)
        user = self.user(username)
        national = Scope.parse("VN", business_date(self.store.now()))
        user.grant(
            user.next_grant_id(), Role.ADMINISTRATOR, national, "socai users init",
            BOOTSTRAP, self.store.now(),
        )  # fmt: skip
        self._save(user)
        return credentials

    def register(
        self,
        principal: Principal,
        username: str,
        agency: str,
        *,
        second_factor: bool | None = None,
        service: bool = False,
        password: str | None = None,
        legal_basis: str | None = None,
    ) -> NewCredentials:
        """Register a user (no role yet). A service user has no password and no second
        factor; it gets an API token for :data:`MAX_TOKEN_DAYS` days instead."""
        self.check(principal, Action.USERS_REGISTER, subject=username)
        if service:
            return self._new_service_user(
                principal, username, agency, legal_basis, bool(second_factor)
            )
        return self._new_user(
            username, agency, principal.username, password, second_factor is not False,
            legal_basis,
        )  # fmt: skip

    def _new_user(
        self,
        username: str,
        agency: str,
        by: str,
        password: str | None,
        second_factor: bool,
        legal_basis: str | None = None,
    ) -> NewCredentials:
        password = password or generate_password()
        secret = totp.new_secret() if second_factor else None
        user = User.register(
            username, agency, self.passwords.hash(password), secret, by, self.store.now(),
            legal_basis,
        )  # fmt: skip
        self._save_new(user)
        return NewCredentials(user.username, password, secret, None)

    def _new_service_user(
        self,
        principal: Principal,
        username: str,
        agency: str,
        legal_basis: str | None,
        second_factor: bool = False,
    ) -> NewCredentials:
        """A user with API tokens only (a service, or staff enrolled by token): no password;
        an enrolled TOTP secret lets it hold a role that reads personal data, but its tokens
        carry no second factor, so it can write but never read that data."""
        now = self.store.now()
        secret = totp.new_secret() if second_factor else None
        user = User.register(username, agency, None, secret, principal.username, now, legal_basis)
        token = new_token(user.username)
        user.issue_token(
            token.token_id, token.hash, now + timedelta(days=MAX_TOKEN_DAYS), False,
            "service", principal.username, now,
        )  # fmt: skip
        self._save_new(user)
        return NewCredentials(user.username, None, secret, token)

    def grant(
        self, principal: Principal, username: str, role: Role, scope: str, legal_basis: str
    ) -> Grant:
        """Grant ``role`` over ``scope`` (VN, a province or a commune on the map in force)."""
        parsed = Scope.parse(scope, business_date(self.store.now()))
        self.check(principal, Action.USERS_MANAGE, UnitRef(parsed.map, parsed.code), username)
        user = self.user(username)
        grant_id = user.next_grant_id()
        user.grant(grant_id, role, parsed, legal_basis, principal.username, self.store.now())
        self._save(user)
        return user.grants[grant_id]

    def revoke(self, principal: Principal, username: str, grant_id: str, reason: str) -> None:
        user = self.user(username)
        grant = user.grants.get(grant_id)
        target = None if grant is None else UnitRef(grant.scope.map, grant.scope.code)
        self.check(principal, Action.USERS_MANAGE, target, username)
        user.revoke(grant_id, reason, principal.username, self.store.now())
        self._save(user)

    def suspend(self, principal: Principal, username: str, reason: str) -> None:
        user = self._managed(principal, username)
        user.suspend(reason, principal.username, self.store.now())
        self._save(user)

    def reinstate(self, principal: Principal, username: str, reason: str) -> None:
        user = self._managed(principal, username)
        user.reinstate(reason, principal.username, self.store.now())
        self._save(user)

    def reset(self, principal: Principal, username: str, second_factor: bool) -> NewCredentials:
        """New credentials for another user (a forgotten password, a lost phone): every token
        of theirs is revoked."""
        user = self._managed(principal, username)
        if user.password_hash is None:
            raise RuleViolation(
                "service_user", f"{username} is a service user: it has only API tokens",
                hint=f"issue it a new one: socai users token --user {username}",
            )  # fmt: skip
        password = generate_password()
        secret = totp.new_secret() if second_factor else None
        user.rotate(self.passwords.hash(password), secret, principal.username, self.store.now())
        self._save(user)
        return NewCredentials(user.username, password, secret, None)

    def password_user(self, principal: Principal) -> User:
        """The user behind ``principal``, who must have a password: a service user has none
        (it works with tokens an administrator issues), which is said before any is asked."""
        user = self._principal_user(principal)
        if user.password_hash is None:
            raise RuleViolation(
                "no_password",
                f"{user.username} is a service user: it has no password",
                hint=f"an administrator issues its tokens: socai users token --user"
                f" {user.username} --out FILE",
            )
        return user

    def change_password(self, principal: Principal, current: str, new: str) -> None:
        """A user changes their own password (the current one is asked again); every token
        of theirs, this login's too, is revoked."""
        user = self.password_user(principal)
        if not self.passwords.verify(user.password_hash, current):
            raise NotAuthenticated("the current password is wrong", hint="try again")
        user.rotate(
            self.passwords.hash(new), user.totp_secret, principal.username, self.store.now()
        )
        self._save(user)

    def _managed(self, principal: Principal, username: str) -> User:
        """The user an administrator acts on: their scope must cover every grant the user
        holds (a user with no grant: any administrator)."""
        user = self.user(username)
        targets = [UnitRef(g.scope.map, g.scope.code) for g in user.grants.values()]
        if not targets:
            self.check(principal, Action.USERS_REGISTER, subject=username)
        for target in targets:
            self.check(principal, Action.USERS_MANAGE, target, username)
        return user

    # -- authentication ---------------------------------------------------------------------

    def login(
        self,
        username: str,
        password: str,
        totp_code: str | None = None,
        hours: int = SESSION_HOURS,
    ) -> tuple[Principal, Token]:
        """Check a password (and TOTP code) and issue a session token."""
        refused = NotAuthenticated(
            "unknown user or wrong password",
            hint="check the username and password; after three failures each attempt waits",
        )
        try:
            user = self.user(username)
        except (NotFound, InvalidInput):
            self.passwords.verify(None, password)  # the same time as a wrong password
            raise refused from None
        now = self.store.now()
        wait = user.wait_before_login(now)
        if wait:
            user.login_failed("too_many_attempts", now)
            self._save(user)
            raise NotAuthenticated(
                f"too many failed logins for {user.username}; wait {int(wait.total_seconds()) + 1}"
                " seconds",
                hint="each further failure doubles the wait; an administrator can reset the"
                " credentials",
            )
        if not self.passwords.verify(user.password_hash, password):
            self._failed(user, "wrong_password")
            raise refused
        if user.suspended:
            self._failed(user, "suspended")
            raise NotAuthenticated(
                f"user {user.username} is suspended", hint="ask an administrator"
            )
        step = None
        if user.needs_second_factor():
            if user.totp_secret is None:
                self._failed(user, "no_second_factor")
                raise NotAuthenticated(
                    f"user {user.username} holds a role that reads personal data but has no"
                    " second factor",
                    hint=f"an administrator enrols one: socai users reset {user.username}",
                )
            if not totp_code:
                self._failed(user, "missing_totp")
                raise NotAuthenticated(
                    "this user needs a one-time code (TOTP)",
                    hint="pass --totp CODE from the authenticator app",
                )
            step = totp.matching_step(user.totp_secret, totp_code, now, user.last_totp_step)
            if step is None:
                self._failed(user, "wrong_totp")
                raise NotAuthenticated(
                    "wrong or already used one-time code",
                    hint="wait for the next code in the authenticator app",
                )
        user.login_succeeded(step is not None, step, now)
        token = new_token(user.username)
        user.issue_token(
            token.token_id, token.hash, now + timedelta(hours=hours), step is not None,
            "login", user.username, now,
        )  # fmt: skip
        self._save(user)
        return self._principal(user, token.token_id), token

    def _failed(self, user: User, reason: str) -> None:
        user.login_failed(reason, self.store.now())
        self._save(user)

    def authenticate(self, token_text: str) -> Principal:
        """The principal a token stands for, or :class:`NotAuthenticated`."""
        token = parse_token(token_text)
        try:
            user = self.user(token.username, to_change=False)
        except (NotFound, InvalidInput):
            raise _invalid_token() from None
        info = user.tokens.get(token.token_id)
        if info is None or not matches(token.secret, info.token_hash):
            raise _invalid_token()
        principal = self._principal(user, token.token_id)
        self._require_valid(user, principal)
        return principal

    def issue_token(
        self, principal: Principal, days: int, label: str, username: str | None = None
    ) -> Token:
        """An API token for a script: for oneself, or (an administrator) for a service user.
        It carries the second factor of the login that asked for it."""
        if not 1 <= days <= MAX_TOKEN_DAYS:
            raise InvalidInput("--days", f"a token lives 1–{MAX_TOKEN_DAYS} days")
        if username is None or username.casefold() == principal.username.casefold():
            user = self._principal_user(principal)
            second_factor = principal.second_factor
        else:
            user = self._managed(principal, username)
            if user.password_hash is not None:
                raise NotAllowed(
                    f"an administrator issues tokens only to service users; {username} logs in",
                    hint=f"{username} runs `socai users token` after logging in",
                )
            second_factor = False
        now = self.store.now()
        token = new_token(user.username)
        user.issue_token(
            token.token_id, token.hash, now + timedelta(days=days), second_factor, label,
            principal.username, now,
        )  # fmt: skip
        self._save(user)
        return token

    def revoke_token(
        self, principal: Principal, token_id: str, username: str | None = None
    ) -> None:
        if username is None or username.casefold() == principal.username.casefold():
            user = self._principal_user(principal)
        else:
            user = self._managed(principal, username)
        user.revoke_token(token_id, principal.username, self.store.now())
        self._save(user)

    def _principal(self, user: User, token_id: str) -> Principal:
        info = user.tokens[token_id]
        return Principal(
            user.id, user.username, user.agency, tuple(user.grants.values()), token_id,
            info.second_factor,
        )  # fmt: skip

    def _principal_user(self, principal: Principal) -> User:
        user = self.user(principal.username, to_change=False)
        self._require_valid(user, principal)
        return user

    def _require_valid(self, user: User, principal: Principal) -> None:
        info = user.tokens.get(principal.token_id)
        if user.id != principal.user_id or info is None:
            raise _invalid_token()
        if info.revoked:
            raise NotAuthenticated(
                "this token was revoked (or the credentials changed)",
                hint="log in again: socai login",
            )
        if info.expires_at <= self.store.now():
            raise NotAuthenticated("this token has expired", hint="log in again: socai login")
        if user.suspended:
            raise NotAuthenticated(
                f"user {user.username} is suspended", hint="ask an administrator"
            )

    # -- the policy -------------------------------------------------------------------------

    def check(
        self,
        principal: Principal,
        action: Action,
        target: UnitRef | None = None,
        subject: str | UUID | None = None,
        own: bool = False,
        anywhere: bool = False,
    ) -> Principal:
        """Allow ``action`` on ``target`` (a unit; None: no one unit) or refuse it: the
        refusal is logged and raised as :class:`NotAllowed`. ``subject`` names what the action
        is about in the log (a case id, a username); ``anywhere`` allows a role holding the
        action over any scope (a list then shows only what is in scope). Returns the principal
        as it stands now."""
        current = self._current(principal)
        self._decide(current, action, target, subject, own, anywhere)
        return current

    def check_each(
        self,
        principal: Principal,
        action: Action,
        targets: Iterable[UnitRef | None],
        subject: str | UUID | None = None,
    ) -> Principal:
        """:meth:`check` of ``action`` on every one of ``targets`` (a batch that moves money
        in several units), reading the user from the store once: the same token checks
        (each reads the clock, as one check per target does), decisions, refusals and log
        records as one check per target, in the targets' order."""
        user = self._principal_user(principal)
        current = self._principal(user, principal.token_id)
        for index, target in enumerate(targets):
            if index:
                self._require_valid(user, principal)
            self._decide(current, action, target, subject, own=False, anywhere=False)
        return current

    def _current(self, principal: Principal) -> Principal:
        """The principal as its user stands now (its token still valid)."""
        return self._principal(self._principal_user(principal), principal.token_id)

    def _decide(
        self,
        current: Principal,
        action: Action,
        target: UnitRef | None,
        subject: str | UUID | None,
        own: bool,
        anywhere: bool,
    ) -> None:
        grant = (
            next((g for g in current.grants if g.role in roles_allowed(action)), None)
            if anywhere
            else permits(current.grants, action, target, own)
        )
        if grant is None:
            self._refuse(current, action, target, subject, needed(action, target))
        if action in SECOND_FACTOR_ACTIONS and not current.second_factor:
            self._refuse(
                current, action, target, subject,
                "a login with a one-time code (TOTP); log in again with --totp",
            )  # fmt: skip

    def _refuse(
        self,
        principal: Principal,
        action: Action,
        target: UnitRef | None,
        subject: str | UUID | None,
        need: str,
    ) -> NoReturn:
        about = str(subject) if subject is not None else str(target or "VN")
        now = self.store.now()
        self.store.save(
            AccessRecord.refused(uuid4(), principal.username, action.value, about, need, now)
        )
        on = f" on {subject}" if subject is not None else (f" in {target}" if target else "")
        raise NotAllowed(
            f"{action.value}{on} is not allowed for {principal.username}"
            f" ({principal.roles()}); it needs {need}",
            hint="ask an administrator for the role, or a colleague who holds it"
            " (this refusal is in the access log)",
        )

    # -- the access log ---------------------------------------------------------------------

    def record_personal_read(
        self, principal: Principal, case_id: UUID, fields: list[str], purpose: Purpose
    ) -> None:
        self.store.save(
            AccessRecord.personal_data_read(
                uuid4(), principal.username, case_id, fields, purpose.value, self.store.now()
            )
        )

    def record_correction_attempt(
        self, principal: Principal, case_id: UUID, field: str, outcome: str
    ) -> None:
        self.store.save(
            AccessRecord.correction_attempted(
                uuid4(), principal.username, case_id, [field], outcome, self.store.now()
            )
        )

    def record_export(self, principal: Principal, what: str, scope: str, fmt: str) -> None:
        self.store.save(
            AccessRecord.exported(uuid4(), principal.username, what, scope, fmt, self.store.now())
        )

    def entries(
        self, case_id: UUID | None = None, username: str | None = None
    ) -> Iterator[tuple[int, AccessEvent]]:
        """(log position, entry) of the access log, oldest first, for one case or user."""
        wanted = username.casefold() if username else None
        for position, event in self.log.events(topics=ACCESS_TOPICS):
            if not isinstance(event, AccessEvent):
                continue
            if wanted is not None and event.username.casefold() != wanted:
                continue
            if case_id is not None and getattr(event, "case_id", None) != case_id:
                continue
            yield position, event

    # -- saving -----------------------------------------------------------------------------

    def _save(self, user: User) -> None:
        self.store.save_or_refuse(user, f"user {user.username}")

    def _save_new(self, user: User) -> None:
        if user.id in self.store.repository:
            raise RuleViolation(
                "user_exists",
                f"user {user.username} is registered already (names ignore letter case)",
                hint="choose another username, or `socai users show NAME`",
            )
        self._save(user)


def _invalid_token() -> SocaiError:
    return NotAuthenticated(
        "the token is not valid for this store", hint="log in again: socai login"
    )
