"""Log in, log out, the language switch and the home page (đăng nhập, đăng xuất)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from infra.auth.tokens import NotAuthenticated
from infra.web import i18n
from infra.web.context import Ctx, Routes, page, web_of
from infra.web.security import safe_next
from infra.web.session import clear_session, set_session

ROUTES = Routes()


@ROUTES.get("/login")
@page(login=False)
def login_form(ctx: Ctx) -> Response:
    if ctx.principal is not None:
        return RedirectResponse(safe_next(ctx.arg("next")), status_code=303)
    return ctx.page("login.html", next=safe_next(ctx.arg("next")), username="", message="",
                    hint="")  # fmt: skip


@ROUTES.post("/login")
@page(login=False)
def login(ctx: Ctx) -> Response:
    """The service's login (password, TOTP, its backoff), behind a per-client limit; a fresh
    session token each time, in a new cookie."""
    target = safe_next(ctx.arg("next"))
    username = ctx.arg("username") or ""
    client = ctx.request.client.host if ctx.request.client else "unknown"
    wait = ctx.web.limiter.wait(client)
    if wait:
        return ctx.page(
            "login.html", 429, next=target, username=username,
            message=f"too many login attempts from this address; wait {wait} seconds",
            hint="each user's own failures also slow their next attempt",
        )  # fmt: skip
    try:
        _, token = ctx.socai.access.login(username, ctx.secret("password"), ctx.arg("totp"))
    except NotAuthenticated as refused:
        return ctx.page("login.html", 401, next=target, username=username,
                        message=refused.message, hint=refused.hint)  # fmt: skip
    response = RedirectResponse(target, status_code=303)
    set_session(response, str(token), ctx.web.secure_cookies)
    return response


@ROUTES.post("/logout")
@page()
def logout(ctx: Ctx) -> Response:
    """Revoke the session's token in the store, then forget the cookie."""
    ctx.socai.access.revoke_token(ctx.user, ctx.user.token_id)
    response = RedirectResponse("/login", status_code=303)
    clear_session(response, ctx.web.secure_cookies)
    return response


@ROUTES.get("/lang/{code}")
async def language(request: Request) -> Response:
    """Switch the language (a cookie; nothing is written to the store)."""
    chosen = request.path_params["code"]
    target = safe_next(request.query_params.get("next"))
    response = RedirectResponse(target, status_code=303)
    if chosen in i18n.LANGUAGES:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE, chosen, max_age=365 * 86400, path="/",
            secure=web_of(request).secure_cookies, httponly=True, samesite="strict",
        )  # fmt: skip
    return response


@ROUTES.get("/")
@page()
def home(ctx: Ctx) -> Response:
    return ctx.page("home.html")
