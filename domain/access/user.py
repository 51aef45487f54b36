"""The ``User`` aggregate (người dùng): one registered person or service, every change an event.

A user is registered (đăng ký) by an administrator, granted roles over scopes on the basis of an
assignment decision, may have a grant revoked, be suspended and reinstated, have credentials
rotated, hold API tokens, and log in. Each of these is an event in the same store and hash chain
as the cases, so the question "who could do what, when, and on whose decision" is answered by
the ledger itself.

Credentials are stored only as what verifies them: an argon2id hash of the password, the SHA-256
of each API token (tokens are 256 random bits, so a fast hash is enough), and the TOTP shared
secret (which must be readable to check a code; like every event it is encrypted at rest).
Hashing and code checking happen in ``infra.auth``; this aggregate keeps the rules:

- a username is an officer id (mã cán bộ), unique regardless of letter case (the aggregate id
  is derived from it);
- a role that reads personal data is granted only to a user enrolled with a second factor;
- nobody grants a role to themselves, or changes their own grants or suspension;
- consecutive failed logins make the next attempt wait (:data:`FREE_ATTEMPTS`, then a backoff
  doubling from :data:`BACKOFF_SECONDS` up to :data:`MAX_BACKOFF_SECONDS`); attempts made while
  waiting are refused without checking the password, and recorded;
- a TOTP code is accepted once: a code for a time step at or before the last one used is a
  replay (RFC 6238 §5.2).

Topics are explicit and stable: ``socai.access:<Name>.v1``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.access.policy import PERSONAL_DATA_ROLES
from domain.access.principal import Grant
from domain.access.roles import Role
from domain.access.scope import Scope
from domain.aggregate import SocaiAggregate
from domain.case.values import OFFICER_ID
from domain.errors import InvalidInput, RuleViolation
from domain.reference.codes import Agency
from domain.text import clean_text

#: Failed logins in a row that cost nothing; after these each attempt waits.
FREE_ATTEMPTS = 3
#: The first wait after :data:`FREE_ATTEMPTS` failures; it doubles with every further failure.
BACKOFF_SECONDS = 30
#: The longest wait between attempts (one hour).
MAX_BACKOFF_SECONDS = 3600
#: Longest free text kept on a user event (a reason, a legal basis, a token label).
NOTE_MAX_CHARS = 200

_NAMESPACE = uuid5(NAMESPACE_URL, "https://socai.example/users")


@functools.lru_cache(maxsize=4096)
def user_id(username: str) -> UUID:
    """The user's aggregate id: the same for any spelling of the name's letter case (a pure
    function of the name, remembered: every access check asks it)."""
    return uuid5(_NAMESPACE, username.strip().casefold())


def check_username(username: object) -> str:
    text = str(username).strip()
    if not OFFICER_ID.fullmatch(text):
        raise InvalidInput(
            "username",
            "a username is an officer id: 1–64 letters, digits, '.', '_' or '-' (e.g. BP-87-01),"
            " starting with a letter or digit",
            hint="use the officer id (mã cán bộ) the user signs with",
        )
    return text


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What an API token is checked against (never the token itself)."""

    token_hash: str
    expires_at: datetime
    second_factor: bool
    label: str
    revoked: bool = False


class UserEvent(Aggregate.Event):
    """Base of user events (not stored itself). ``by`` is the acting user's name."""

    TOPIC: ClassVar[str]
    by: str

    def apply(self, aggregate: User) -> None:
        aggregate.on(self)


class User(SocaiAggregate, created_topic="socai.access:UserCreated"):
    """A registered user (người dùng) of socai."""

    TOPIC = "socai.access:User"

    class Registered(UserEvent, Aggregate.Created):
        """The user's creating event (đăng ký), its first and only one of its kind."""

        TOPIC = "socai.access:UserRegistered.v1"
        username: str
        agency: str
        password_hash: str | None
        totp_secret: str | None
        legal_basis: str | None

    class RoleGranted(UserEvent):
        TOPIC = "socai.access:RoleGranted.v1"
        grant_id: str
        role: str
        scope_map: str
        scope_code: str
        legal_basis: str

    class RoleRevoked(UserEvent):
        TOPIC = "socai.access:RoleRevoked.v1"
        grant_id: str
        reason: str

    class Suspended(UserEvent):
        TOPIC = "socai.access:UserSuspended.v1"
        reason: str

    class Reinstated(UserEvent):
        TOPIC = "socai.access:UserReinstated.v1"
        reason: str

    class CredentialsRotated(UserEvent):
        TOPIC = "socai.access:CredentialsRotated.v1"
        password_hash: str | None
        totp_secret: str | None

    class TokenIssued(UserEvent):
        TOPIC = "socai.access:TokenIssued.v1"
        token_id: str
        token_hash: str
        expires_at: datetime
        second_factor: bool
        label: str

    class TokenRevoked(UserEvent):
        TOPIC = "socai.access:TokenRevoked.v1"
        token_id: str

    class LoginSucceeded(UserEvent):
        TOPIC = "socai.access:LoginSucceeded.v1"
        second_factor: bool
        totp_step: int | None

    class LoginFailed(UserEvent):
        TOPIC = "socai.access:LoginFailed.v1"
        reason: str

    def __init__(
        self,
        username: str,
        agency: str,
        password_hash: str | None,
        totp_secret: str | None,
        legal_basis: str | None,
        by: str,
    ) -> None:
        self.username = username
        self.agency = agency
        self.password_hash = password_hash
        self.totp_secret = totp_secret
        self.registered_by = by
        self.grants: dict[str, Grant] = {}
        self.suspended = False
        self.tokens: dict[str, TokenInfo] = {}
        self.failures = 0
        self.last_failure_at: datetime | None = None
        self.last_totp_step = -1

    # -- applying events ------------------------------------------------------------------

    def on(self, event: UserEvent) -> None:
        _EFFECTS[type(event)](self, event)

    def _granted(self, e: Any) -> None:
        scope = Scope(e.scope_map, e.scope_code)
        self.grants[e.grant_id] = Grant(e.grant_id, _role(e.role), scope, e.legal_basis)

    def _revoked(self, e: Any) -> None:
        self.grants.pop(e.grant_id, None)

    def _suspended(self, e: Any) -> None:
        self.suspended = True

    def _reinstated(self, e: Any) -> None:
        self.suspended = False
        self.failures = 0

    def _rotated(self, e: Any) -> None:
        self.password_hash = e.password_hash
        self.totp_secret = e.totp_secret
        self.failures = 0
        self.last_totp_step = -1
        # New credentials end every session and token made with the old ones.
        self.tokens = {k: _revoke(t) for k, t in self.tokens.items()}

    def _token_issued(self, e: Any) -> None:
        self.tokens[e.token_id] = TokenInfo(e.token_hash, e.expires_at, e.second_factor, e.label)

    def _token_revoked(self, e: Any) -> None:
        if e.token_id in self.tokens:
            self.tokens[e.token_id] = _revoke(self.tokens[e.token_id])

    def _login_succeeded(self, e: Any) -> None:
        self.failures = 0
        if e.totp_step is not None:
            self.last_totp_step = e.totp_step

    def _login_failed(self, e: Any) -> None:
        if e.reason != "too_many_attempts":
            self.failures += 1
            self.last_failure_at = e.timestamp

    # -- commands -------------------------------------------------------------------------

    @classmethod
    def register(
        cls,
        username: str,
        agency: str,
        password_hash: str | None,
        totp_secret: str | None,
        by: str,
        at: datetime,
        legal_basis: str | None = None,
    ) -> User:
        name = check_username(username)
        return cls._create(
            cls.Registered,
            id=user_id(name),
            timestamp=at,
            username=name,
            agency=Agency.parse(agency, "agency").value,
            password_hash=password_hash,
            totp_secret=totp_secret,
            legal_basis=_note(legal_basis, "legal_basis") if legal_basis else None,
            by=by,
        )

    def grant(
        self, grant_id: str, role: Role, scope: Scope, legal_basis: str, by: str, at: datetime
    ) -> None:
        self._not_self(by, "grant a role to")
        if role in PERSONAL_DATA_ROLES and self.totp_secret is None:
            raise RuleViolation(
                "second_factor_required",
                f"{role.value} reads personal data; user {self.username} has no second factor",
                hint=f"enrol one first: socai users reset {self.username} --totp",
            )
        if any(g.role is role and g.scope == scope for g in self.grants.values()):
            raise RuleViolation(
                "already_granted", f"{self.username} already holds {role.value} over {scope}"
            )
        self.trigger_event(
            self.RoleGranted,
            timestamp=at,
            grant_id=grant_id,
            role=role.value,
            scope_map=scope.map,
            scope_code=scope.code,
            legal_basis=_note(legal_basis, "--basis"),
            by=by,
        )

    def revoke(self, grant_id: str, reason: str, by: str, at: datetime) -> None:
        self._not_self(by, "revoke a role of")
        if grant_id not in self.grants:
            raise RuleViolation(
                "no_such_grant",
                f"user {self.username} holds no grant {grant_id!r}",
                hint=f"`socai users show {self.username}` lists the grants and their ids",
            )
        self.trigger_event(
            self.RoleRevoked,
            timestamp=at,
            grant_id=grant_id,
            reason=_note(reason, "--reason"),
            by=by,
        )

    def suspend(self, reason: str, by: str, at: datetime) -> None:
        self._not_self(by, "suspend")
        if self.suspended:
            raise RuleViolation("already_suspended", f"user {self.username} is suspended already")
        self.trigger_event(self.Suspended, timestamp=at, reason=_note(reason, "--reason"), by=by)

    def reinstate(self, reason: str, by: str, at: datetime) -> None:
        self._not_self(by, "reinstate")
        if not self.suspended:
            raise RuleViolation("not_suspended", f"user {self.username} is not suspended")
        self.trigger_event(self.Reinstated, timestamp=at, reason=_note(reason, "--reason"), by=by)

    def rotate(
        self, password_hash: str | None, totp_secret: str | None, by: str, at: datetime
    ) -> None:
        if totp_secret is None and any(g.role in PERSONAL_DATA_ROLES for g in self.grants.values()):
            raise RuleViolation(
                "second_factor_required",
                f"user {self.username} holds a role that reads personal data and must keep"
                " a second factor",
                hint="rotate with a new TOTP secret (--totp)",
            )
        self.trigger_event(
            self.CredentialsRotated,
            timestamp=at,
            password_hash=password_hash,
            totp_secret=totp_secret,
            by=by,
        )

    def issue_token(
        self,
        token_id: str,
        token_hash: str,
        expires_at: datetime,
        second_factor: bool,
        label: str,
        by: str,
        at: datetime,
    ) -> None:
        if expires_at <= at:
            raise InvalidInput("--days", "a token must expire after it is issued")
        self.trigger_event(
            self.TokenIssued,
            timestamp=at,
            token_id=token_id,
            token_hash=token_hash,
            expires_at=expires_at,
            second_factor=second_factor,
            label=_note(label, "--label"),
            by=by,
        )

    def revoke_token(self, token_id: str, by: str, at: datetime) -> None:
        token = self.tokens.get(token_id)
        if token is None or token.revoked:
            raise RuleViolation(
                "no_such_token",
                f"user {self.username} has no live token {token_id!r}",
                hint=f"`socai users show {self.username}` lists the tokens",
            )
        self.trigger_event(self.TokenRevoked, timestamp=at, token_id=token_id, by=by)

    def login_succeeded(self, second_factor: bool, totp_step: int | None, at: datetime) -> None:
        self.trigger_event(
            self.LoginSucceeded,
            timestamp=at,
            second_factor=second_factor,
            totp_step=totp_step,
            by=self.username,
        )

    def login_failed(self, reason: str, at: datetime) -> None:
        self.trigger_event(self.LoginFailed, timestamp=at, reason=reason, by=self.username)

    # -- questions --------------------------------------------------------------------------

    def wait_before_login(self, now: datetime) -> timedelta:
        """How long the next login attempt must wait (zero: it may be tried now)."""
        if self.failures < FREE_ATTEMPTS or self.last_failure_at is None:
            return timedelta(0)
        backoff = min(BACKOFF_SECONDS * 2 ** (self.failures - FREE_ATTEMPTS), MAX_BACKOFF_SECONDS)
        return max(timedelta(0), self.last_failure_at + timedelta(seconds=backoff) - now)

    def needs_second_factor(self) -> bool:
        return self.totp_secret is not None or any(
            g.role in PERSONAL_DATA_ROLES for g in self.grants.values()
        )

    def next_grant_id(self) -> str:
        return f"G{self.version + 1}"

    def _not_self(self, by: str, what: str) -> None:
        if by.casefold() == self.username.casefold():
            raise RuleViolation(
                "self_administration",
                f"nobody may {what} themselves ({self.username})",
                hint="another administrator must do it",
            )


def _role(value: str) -> Role:
    role = Role.parse(value, "role")
    assert isinstance(role, Role)
    return role


def _revoke(token: TokenInfo) -> TokenInfo:
    return TokenInfo(token.token_hash, token.expires_at, token.second_factor, token.label, True)


def _note(text: str, field: str) -> str:
    return clean_text(text, field, NOTE_MAX_CHARS)


_EFFECTS: dict[type[UserEvent], Any] = {
    User.Registered: lambda user, event: None,
    User.RoleGranted: User._granted,
    User.RoleRevoked: User._revoked,
    User.Suspended: User._suspended,
    User.Reinstated: User._reinstated,
    User.CredentialsRotated: User._rotated,
    User.TokenIssued: User._token_issued,
    User.TokenRevoked: User._token_revoked,
    User.LoginSucceeded: User._login_succeeded,
    User.LoginFailed: User._login_failed,
}

#: Every user event's stored topic.
USER_TOPICS: tuple[str, ...] = tuple(cls.TOPIC for cls in _EFFECTS)
assert all(topic.startswith("socai.access:") for topic in USER_TOPICS), "none of them is public"
