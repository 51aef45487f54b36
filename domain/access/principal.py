"""Who is acting (chủ thể thực hiện): a grant, and the authenticated principal.

A :class:`Principal` is what authentication hands to the services: the user, the grants they
hold, and whether they proved a second factor. It is not a credential: every service call
re-reads the user and the token it came from (:meth:`infra.services.access.AccessService.check`),
so a suspension, a revoked grant or a revoked token takes effect on the next call. The actor
written on every event is the principal's :meth:`Principal.actor`, never a free option.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from domain.access.roles import Role
from domain.access.scope import Scope
from domain.case.values import Actor


@dataclass(frozen=True, slots=True)
class Grant:
    """One role over one scope, on the basis of an assignment decision (quyết định phân công)."""

    grant_id: str
    role: Role
    scope: Scope
    legal_basis: str

    def describe(self) -> str:
        return f"{self.role.value} over {self.scope}"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated user: id, name (the officer id written on events), agency, grants, the
    token that proved them, and whether that proof included a second factor (TOTP)."""

    user_id: UUID
    username: str
    agency: str
    grants: tuple[Grant, ...]
    token_id: str
    second_factor: bool

    def actor(self) -> Actor:
        return Actor(self.username, self.agency)

    def roles(self) -> str:
        return ", ".join(g.describe() for g in self.grants) or "no role"
