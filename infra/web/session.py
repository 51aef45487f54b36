"""The web session (phiên đăng nhập): the server-issued socai session token in a cookie.

Logging in through the form is :meth:`AccessService.login` (password, and the one-time code
for a role that reads personal data); the token it issues is the session, kept in an
``HttpOnly``, ``SameSite=Strict`` cookie (``Secure`` when served over https). Every request
turns it back into a principal with :meth:`AccessService.authenticate`, which re-reads the
user: an expired, revoked or suspended session ends at the next click. Each login issues a
fresh token (a session id planted before login is never adopted: there is nothing to adopt,
the cookie is replaced), and logging out revokes the token in the store.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import Response

from infra.services.access import SESSION_HOURS

SESSION_COOKIE = "socai_session"
#: A random value before login, to which the login form's CSRF token is bound.
PRE_SESSION_COOKIE = "socai_pre"


def set_session(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, max_age=SESSION_HOURS * 3600, path="/",
        secure=secure, httponly=True, samesite="strict",
    )  # fmt: skip
    response.delete_cookie(PRE_SESSION_COOKIE, path="/")


def clear_session(response: Response, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True,
                           samesite="strict")  # fmt: skip


def pre_session(request: Request) -> tuple[str, bool]:
    """The pre-session value of this browser, and whether it must be set (it is new)."""
    value = request.cookies.get(PRE_SESSION_COOKIE)
    if value and 20 <= len(value) <= 64 and value.isascii():
        return value, False
    return secrets.token_urlsafe(24), True


def set_pre_session(response: Response, value: str, secure: bool) -> None:
    response.set_cookie(
        PRE_SESSION_COOKIE, value, max_age=3600, path="/", secure=secure, httponly=True,
        samesite="strict",
    )  # fmt: skip
