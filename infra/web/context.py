"""One request of the web, as the pages see it: who asks (proven by the session), in which
language, with which form, and the services to ask (the same :class:`~infra.services.socai.Socai`
the command line uses).

:func:`page` wraps a page function: it authenticates the session, checks the CSRF token of a
POST before anything else, runs the page's service calls in a worker thread (one at a time:
the services share one store), and turns a refusal into a page that says what is wrong and how
to fix it (``error:`` + ``hint:``), with the status a browser understands (400, 403, 404);
nothing is written by a refused request except what the service itself logs (a refusal).
"""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, QueryParams, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from domain.access.policy import Action, roles_allowed
from domain.access.principal import Principal
from domain.errors import NotAllowed, NotFound, SocaiError
from infra.auth.tokens import NotAuthenticated
from infra.ledger.errors import LedgerError
from infra.services.socai import Socai
from infra.settings import Settings
from infra.web import i18n
from infra.web.render import render
from infra.web.security import Csrf, LoginLimiter
from infra.web.session import SESSION_COOKIE, pre_session, set_pre_session

#: Largest form or upload accepted (a rollup workbook is far smaller).
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


@dataclass
class Web:
    """What the server holds for its whole life."""

    socai: Socai
    settings: Settings
    secure_cookies: bool
    csrf: Csrf = field(default_factory=Csrf)
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    lock: threading.RLock = field(default_factory=threading.RLock)
    #: The last verification of the whole ledger run from the audit page.
    last_verify: dict[str, Any] | None = None
    #: The projections database, opened at the first read (:mod:`infra.web.tables`).
    engine: Any = None


@dataclass
class Ctx:
    """One request: the server, the principal (None before login), language, inputs."""

    request: Request
    web: Web
    principal: Principal | None
    lang: str
    query: QueryParams
    form: FormData | None
    csrf_token: str
    new_pre_session: str | None = None

    @property
    def socai(self) -> Socai:
        return self.web.socai

    @property
    def user(self) -> Principal:
        assert self.principal is not None, "a page that needs a login"
        return self.principal

    def arg(self, name: str) -> str | None:
        """A query or form value, stripped; empty is None."""
        raw = self.form.get(name) if self.form is not None else None
        if raw is None:
            raw = self.query.get(name)
        if raw is None or isinstance(raw, UploadFile):
            return None
        return raw.strip() or None

    def secret(self, name: str) -> str:
        """A posted value exactly as typed (a password: spaces are part of it)."""
        raw = self.form.get(name) if self.form is not None else None
        return raw if isinstance(raw, str) else ""

    def upload(self, name: str) -> UploadFile | None:
        raw = self.form.get(name) if self.form is not None else None
        return raw if isinstance(raw, UploadFile) else None

    def may(self, action: str) -> bool:
        """Whether the user holds a role that allows ``action`` somewhere (what the menu
        offers; every service call still checks the policy itself)."""
        roles = roles_allowed(Action(action))
        return self.principal is not None and any(g.role in roles for g in self.principal.grants)

    @property
    def here(self) -> str:
        """This page's path and query, URL-encoded (for the language switch's return)."""
        url = self.request.url
        return quote(url.path + (f"?{url.query}" if url.query else ""), safe="")

    def page(self, template: str, status: int = 200, **data: Any) -> HTMLResponse:
        html = render(template, self.lang, ctx=self, **data)
        return HTMLResponse(html, status_code=status)


Handler = Callable[[Ctx], Response]


def download(body: bytes, media_type: str, filename: str) -> Response:
    """A file to save (``filename``: ASCII letters, digits, ``-_.`` only)."""
    return Response(
        body,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def web_of(request: Request) -> Web:
    web = request.app.state.web
    assert isinstance(web, Web)
    return web


def _status(error: Exception) -> int:
    """403 for a refusal, 404 for something that is not there, 400 for everything else
    (bad input, a rule the request breaks, a ledger that cannot answer)."""
    if isinstance(error, NotAllowed):
        return 403
    if isinstance(error, NotFound):
        return 404
    return 400


def _principal(web: Web, request: Request) -> Principal | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return web.socai.access.authenticate(token)
    except SocaiError:
        return None


def login_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(here, safe="")


Endpoint = Callable[[Request], Awaitable[Response]]


class Routes(list[Route]):
    """A page module's routes (``ROUTES``), each declared above its endpoint, so that a
    page's address and method stand where the page is: ``@ROUTES.get("/cases")`` over
    ``@page()``."""

    def get(self, path: str) -> Callable[[Endpoint], Endpoint]:
        return self._route(path, "GET")

    def post(self, path: str) -> Callable[[Endpoint], Endpoint]:
        return self._route(path, "POST")

    def _route(self, path: str, method: str) -> Callable[[Endpoint], Endpoint]:
        def add(endpoint: Endpoint) -> Endpoint:
            self.append(Route(path, endpoint, methods=[method]))
            return endpoint

        return add


def page(*, login: bool = True) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Make ``handler`` an endpoint (see the module docstring)."""

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            web = web_of(request)
            lang = i18n.chosen_language(request.cookies.get(i18n.LANGUAGE_COOKIE))
            form = None
            if request.method == "POST":
                length = int(request.headers.get("content-length") or 0)
                if length > MAX_UPLOAD_BYTES:
                    return _refused(lang, 413, "the form or file is too large",
                                    f"at most {MAX_UPLOAD_BYTES // 1024 // 1024} MB")  # fmt: skip
                form = await request.form(max_part_size=MAX_UPLOAD_BYTES)
            return await run_in_threadpool(_run, handler, request, web, lang, form, login)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return wrap


def _run(
    handler: Handler, request: Request, web: Web, lang: str, form: FormData | None, login: bool
) -> Response:
    with web.lock:
        principal = _principal(web, request)
        if login and principal is None:
            return RedirectResponse(login_url(request), status_code=303)
        if principal is not None:
            bound, new_pre = f"session:{principal.token_id}", None
        else:
            pre, is_new = pre_session(request)
            bound, new_pre = f"pre:{pre}", (pre if is_new else None)
        if form is not None and not web.csrf.valid(bound, _text(form.get("csrf"))):
            return _refused(
                lang, 403, "the form's security token (CSRF) is missing or wrong; nothing was"
                " done", "reload the page and send the form again",
            )  # fmt: skip
        ctx = Ctx(request, web, principal, lang, request.query_params, form,
                  web.csrf.token(bound), new_pre)  # fmt: skip
        try:
            response = handler(ctx)
        except NotAuthenticated:
            return RedirectResponse(login_url(request), status_code=303)
        except (SocaiError, LedgerError) as error:
            response = ctx.page(
                "error.html", _status(error), message=error.message,
                hint=getattr(error, "hint", ""),
            )  # fmt: skip
        if new_pre is not None:
            set_pre_session(response, new_pre, web.secure_cookies)
        return response


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _refused(lang: str, status: int, message: str, hint: str) -> HTMLResponse:
    html = render("error.html", lang, ctx=None, message=message, hint=hint)
    return HTMLResponse(html, status_code=status)
