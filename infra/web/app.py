"""The web application (ứng dụng web) of ``socai serve``: Starlette, Jinja2, vendored htmx.

Every page is a call of the same services the command line calls, made as the logged-in user
(:mod:`infra.web.context`); the web holds no rule of its own. Static files are served from the
package (no CDN, no other host): the pages work with no internet.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from infra.services.socai import Socai
from infra.settings import Settings
from infra.web.context import Web
from infra.web.pages import audit, auth, cases, finance, reports
from infra.web.render import STATIC
from infra.web.security import SecurityHeaders


def routes() -> list[BaseRoute]:
    return [
        *auth.ROUTES,
        *cases.ROUTES,
        *audit.ROUTES,
        *finance.ROUTES,
        *reports.ROUTES,
        Mount("/static", app=StaticFiles(directory=STATIC), name="static"),
    ]


def create_app(socai: Socai, settings: Settings, *, secure_cookies: bool = False) -> Starlette:
    """The application over ``socai`` (opened by the caller, closed by the caller)."""
    app = Starlette(routes=routes(), middleware=[Middleware(SecurityHeaders)])
    app.state.web = Web(socai, settings, secure_cookies)
    return app
