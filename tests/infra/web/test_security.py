"""The web's security, tested as an attacker and a careless operator would try it: forged
forms (CSRF), planted and stale sessions, open redirects, markup and script in every input a
page echoes, headers on every kind of response, login flooding, and assets from elsewhere."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from domain.access.policy import PERSONAL_DATA_ROLES
from domain.access.roles import Role
from domain.time import utc_now
from infra.auth import totp
from infra.scenario.staff import TEST_PASSWORDS
from infra.services.socai import Socai
from infra.web.app import create_app
from infra.web.render import STATIC
from infra.web.security import HEADERS, LoginLimiter, safe_next
from infra.web.session import SESSION_COOKIE
from tests.infra.web.conftest import TestClient, World, csrf_of

pytestmark = pytest.mark.integration


def _new_user(world: World, role: Role, name: str) -> dict[str, str]:
    """A user made for one test (so that its one-time code is not yet used)."""
    admin = world.app.access.authenticate(world.tokens[(Role.ADMINISTRATOR, "in")])
    creds = world.app.access.register(
        admin, name, "procuracy", second_factor=role in PERSONAL_DATA_ROLES
    )
    world.app.access.grant(admin, name, role, "VN", "QĐ-WEB-TEST")
    return {"username": name, "password": str(creds.password), "secret": creds.totp_secret or ""}


def _login(client: TestClient, world: World, user: dict[str, str], next_: str = "/") -> object:
    csrf = csrf_of(client.get("/login").text)
    code = totp.code_at(user["secret"], world.app.now()) if user["secret"] else ""
    return client.post(
        "/login",
        data={
            "csrf": csrf,
            "username": user["username"],
            "password": user["password"],
            "totp": code,
            "next": next_,
        },
    )


# -- CSRF ------------------------------------------------------------------------------------

FORMS = (
    ("/cases/{case}/person", {"purpose": "case_management"}),
    ("/audit/verify", {}),
    ("/logout", {}),
)


@pytest.mark.parametrize(("path", "data"), FORMS)
@pytest.mark.parametrize("token", ["missing", "wrong", "another session's", "pre-session's"])
def test_a_form_without_its_csrf_token_is_refused_and_nothing_written(
    world: World, path: str, data: dict[str, str], token: str
) -> None:
    client = world.client(Role.DATA_PROTECTION_OFFICER)
    own = csrf_of(client.get("/").text)
    other = csrf_of(world.client(Role.SUPERVISOR).get("/").text)
    pre = csrf_of(world.client().get("/login").text)
    given = {
        "missing": None,
        "wrong": own[:-1] + ("0" if own[-1] != "0" else "1"),
        "another session's": other,
        "pre-session's": pre,
    }[token]
    head = world.app.log.head()
    form = {**data, **({"csrf": given} if given is not None else {})}
    response = client.post(path.format(case=world.case), data=form)
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert world.app.log.head() == head, "nothing written"
    for value in world.personal:
        assert value not in response.text
    assert client.get("/").status_code == 200, "the session was not ended"


def test_the_login_form_needs_its_csrf_token(world: World) -> None:
    user = world.user(Role.INSPECTOR)
    client = world.client()
    head = world.app.log.head()
    response = client.post(
        "/login", data={"username": user["username"], "password": user["password"]}
    )
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies
    assert world.app.log.head() == head, "no login attempt was made"


# -- sessions --------------------------------------------------------------------------------


def test_login_issues_a_fresh_session_and_never_adopts_a_planted_one(world: World) -> None:
    user = _new_user(world, Role.CASE_OFFICER, "WEB-FIXATION")
    planted = world.tokens[(Role.INSPECTOR, "in")]  # an attacker's own valid session
    client = world.client()
    client.cookies.set(SESSION_COOKIE, "planted-by-an-attacker")
    response = _login(client, world, user)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    issued = response.cookies[SESSION_COOKIE]
    assert issued not in ("planted-by-an-attacker", planted)
    assert world.app.access.authenticate(issued).username == "WEB-FIXATION"
    again = world.client()
    assert _login(again, world, {**user, "secret": ""}).status_code == 401, "code reused"


def test_logout_revokes_the_session_in_the_store(world: World) -> None:
    user = _new_user(world, Role.INSPECTOR, "WEB-LOGOUT")
    client = world.client()
    token = _login(client, world, user).cookies[SESSION_COOKIE]
    client.cookies.set(SESSION_COOKIE, token)
    csrf = csrf_of(client.get("/").text)
    response = client.post("/logout", data={"csrf": csrf})
    assert response.status_code == 303
    stolen = world.client()
    stolen.cookies.set(SESSION_COOKIE, token)
    assert stolen.get("/cases").status_code == 303, "a copy of the cookie is useless now"


def test_an_expired_session_is_sent_to_the_login(world: World) -> None:
    now = [utc_now()]
    app = Socai(world.settings, clock=lambda: now[0], passwords=TEST_PASSWORDS)
    try:
        client = TestClient(create_app(app, world.settings), follow_redirects=False)
        principal = app.access.authenticate(world.tokens[(Role.INSPECTOR, "in")])
        session = app.access.issue_token(principal, 1, "expiry test")
        client.cookies.set(SESSION_COOKIE, str(session))
        assert client.get("/cases").status_code == 200
        now[0] += timedelta(days=1, seconds=1)
        response = client.get("/cases")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
    finally:
        app.close()


def test_a_session_cookie_is_secure_when_served_over_https(world: World) -> None:
    user = _new_user(world, Role.STATISTICIAN, "WEB-SECURE")
    client = TestClient(
        create_app(world.app, world.settings, secure_cookies=True),
        base_url="https://testserver",
        follow_redirects=False,
    )
    response = _login(client, world, user)
    assert "Secure" in response.headers["set-cookie"]


# -- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:x=1",
        "\\\\evil.example",
        "http:/evil.example",
        "/ok\r\nX: y",
        "",
    ],
)
def test_after_login_only_local_paths(target: str) -> None:
    assert safe_next(target) == "/"
    assert safe_next("/cases/abc?as_of=2019-01-01") == "/cases/abc?as_of=2019-01-01"


def test_login_and_language_switch_redirect_locally(world: World) -> None:
    user = _new_user(world, Role.FINANCE_OFFICER, "WEB-REDIRECT")
    client = world.client()
    response = _login(client, world, user, "//evil.example/phish")
    assert response.headers["location"] == "/"
    switched = world.client().get("/lang/en", params={"next": "https://evil.example/"})
    assert switched.headers["location"] == "/"
    kept = world.client().get("/lang/en", params={"next": "/cases?stage=closed"})
    assert kept.headers["location"] == "/cases?stage=closed"


# -- reflected input -------------------------------------------------------------------------

SCRIPT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.mark.parametrize(
    "path",
    [
        "/cases?id={s}",
        "/cases?unit={s}",
        "/cases?stage={s}",
        "/cases?from={s}",
        "/cases/{s}",
        "/cases/{case}?as_of={s}",
        "/cases/{case}?known_at={s}",
        "/cases/{s}/access",
        "/cases/{s}/person",
        "/login?next={s}",
    ],
)
def test_markup_and_script_in_any_input_are_shown_as_text(world: World, path: str) -> None:
    client = world.client(Role.INSPECTOR)
    response = client.get(path.format(s=SCRIPT, case=world.case))
    parser = _Assets()
    parser.feed(response.text)
    assert parser.inline_scripts == 0
    assert parser.inline_styles == 0, "no event handler attribute came through"
    assert "img" not in parser.tags
    assert response.status_code in (200, 303, 400, 403, 404)


# -- headers and assets ----------------------------------------------------------------------


def test_every_kind_of_response_carries_the_security_headers(world: World) -> None:
    client = world.client(Role.INSPECTOR)
    responses = [
        client.get("/"),
        client.get("/cases/not-a-case"),
        client.get("/static/htmx.min.js"),
        client.get("/static/nothing-here.js"),
        world.client().get("/login"),
        client.post("/audit/verify", data={}),
    ]
    for response in responses:
        for name, value in HEADERS.items():
            assert response.headers.get(name) == value, (response.url, name)
        assert "http" not in HEADERS["content-security-policy"]
    assert "'unsafe-inline'" not in HEADERS["content-security-policy"]


class _Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.tags: list[str] = []
        self.inline_scripts = 0
        self.inline_styles = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.append(tag)
        for name in ("src", "href", "action", "hx-get", "hx-post", "data", "poster"):
            if found.get(name):
                self.urls.append(str(found[name]))
        if tag == "script" and not found.get("src"):
            self.inline_scripts += 1
        if tag == "style" or "style" in found or any(n.startswith("on") for n in found):
            self.inline_styles += 1


def pages_of_every_role(world: World) -> list[str]:
    paths = [
        "/",
        "/cases",
        f"/cases/{world.case}",
        f"/cases/{world.case}/access",
        f"/cases/{world.case}/person",
        "/audit",
    ]
    found = [world.client().get("/login").text]
    for role in Role:
        client = world.client(role)
        found += [client.get(p).text for p in paths]
    return found


def test_no_page_asks_for_anything_from_another_host(world: World) -> None:
    for html in pages_of_every_role(world):
        parser = _Assets()
        parser.feed(html)
        for url in parser.urls:
            assert url.startswith(("/", "#")) and not url.startswith("//"), url
        assert parser.inline_scripts == 0, "no inline script (the CSP forbids it)"
        assert parser.inline_styles == 0, "no inline style or event handler attribute"


def test_the_vendored_htmx_is_the_recorded_release() -> None:
    readme = (STATIC / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256((STATIC / "htmx.min.js").read_bytes()).hexdigest()
    assert digest in readme
    assert re.search(r"htmx\.org.*2\.0\.\d+", readme)


# -- login flooding --------------------------------------------------------------------------


def test_one_client_is_slowed_down_after_many_logins(world: World) -> None:
    limiter = LoginLimiter(attempts=3, window=60)
    assert [limiter.wait("a", now=t) for t in (0, 1, 2)] == [0, 0, 0]
    assert limiter.wait("a", now=3) == 58
    assert limiter.wait("b", now=3) == 0, "another client is not slowed"
    assert limiter.wait("a", now=61) == 0, "the window moves on"
    client = world.client()
    csrf = csrf_of(client.get("/login").text)
    codes = [
        client.post(
            "/login", data={"csrf": csrf, "username": f"NOBODY-{n}", "password": "wrong"}
        ).status_code
        for n in range(11)
    ]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, object]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.forms.append({"method": (found.get("method") or "get").lower(), "csrf": False})
        elif tag == "input" and found.get("name") == "csrf" and self.forms:
            self.forms[-1]["csrf"] = bool(found.get("value"))


def test_every_post_form_on_every_page_carries_its_csrf_token(world: World) -> None:
    posting = 0
    for html in pages_of_every_role(world):
        parser = _Forms()
        parser.feed(html)
        for form in parser.forms:
            if form["method"] == "post":
                posting += 1
                assert form["csrf"], "a POST form without its CSRF token"
    assert posting > 10


def test_an_upload_that_is_too_large_or_not_a_rollup_is_refused(world: World) -> None:
    client = world.client(Role.STATISTICIAN)
    csrf = csrf_of(client.get("/reports/check").text)
    head = world.app.log.head()
    large = client.post(
        "/reports/check",
        data={"csrf": csrf},
        files={"file": ("big.csv", b"x" * (6 * 1024 * 1024), "text/csv")},
    )
    assert large.status_code == 413
    other = client.post(
        "/reports/check",
        data={"csrf": csrf},
        files={"file": ("notes.txt", b"row_id\n", "text/plain")},
    )
    assert other.status_code == 400 and "hint:" in other.text
    empty = client.post("/reports/check", data={"csrf": csrf})
    assert empty.status_code == 400 and "no file" in empty.text
    assert world.app.log.head() == head
