"""The web's test world: a small demo store (``socai demo``: one user per role, Đồng Tháp's
case officer and supervisor, the others national) plus the same roles over Hà Nội (province
01), for whom the Đồng Tháp case and unit are out of scope — the world of the CLI's role
matrix (tests/infra/cli/test_access_matrix.py), reached through HTTP.

A session is a socai token in the session cookie, as the login form sets it; most tests
use the API tokens the demo issued (each made by a login with the one-time code where the
role needs it), the login tests log in through the form.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from domain.access.roles import Purpose, Role
from domain.access.scope import Scope
from infra.cli.main import app as cli
from infra.scenario.staff import TEST_PASSWORDS, demo_admin, demo_users_path, scenario_staff
from infra.services.cases import PERSONAL_PARTS
from infra.services.socai import Socai
from infra.settings import Settings
from infra.web.app import create_app
from infra.web.session import SESSION_COOKIE
from tests.cli_runner import CliRunnerOnce

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Where the browser tests saved their screenshots (one per main page)."""
    folder = getattr(terminalreporter.config, "socai_web_screenshots", None)
    if folder is not None:
        terminalreporter.write_line(f"web screenshots (one per main page): {folder}")


#: Hà Nội: where the out-of-scope users' grants are.
ELSEWHERE = "01"
DONG_THAP = Scope("2025", "82")


@dataclass(repr=False)  # its repr would print tokens and personal data
class World:
    url: str
    settings: Settings
    app: Socai
    case: str  # a Đồng Tháp case, not closed
    case_unit: str  # MAP:CODE of its unit
    users: list[dict[str, str]]
    tokens: dict[tuple[Role, str], str]  # (role, "in" | "out") → session token
    #: The case's personal values (what no unentitled page may carry; never printed).
    personal: list[str] = field(repr=False)
    folder: Path = field(repr=False)
    extra: dict[str, str] = field(default_factory=dict)

    def client(self, role: Role | None = None, where: str = "in") -> TestClient:
        client = TestClient(create_app(self.app, self.settings), follow_redirects=False)
        if role is not None:
            client.cookies.set(SESSION_COOKIE, self.tokens[(role, where)])
        return client

    def user(self, role: Role) -> dict[str, str]:
        return next(u for u in self.users if u["role"] == role.value)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{folder / 'w.db'}"
    made = CliRunnerOnce().invoke(cli, ["--store", url, "demo", "--cases", "8", "--seed", "5"])
    assert made.exit_code == 0, made.output
    settings = Settings.load(url)
    users = json.loads(demo_users_path(settings).read_text(encoding="utf-8"))
    tokens = {(Role(u["role"]), "in"): str(u["token"]) for u in users}
    app = Socai(settings, passwords=TEST_PASSWORDS)
    staff = scenario_staff(app, demo_admin(settings))
    case = next(
        c
        for c in app.cases.ids()
        if DONG_THAP.covers(app.cases.unit_of(c)) and app.cases.get(c).status.stage != "closed"
    )
    unit = app.cases.unit_of(case)
    for role in Role:
        if role in (Role.ADMINISTRATOR, Role.STREAM_SERVICE):
            continue  # national by nature
        principal = staff.user(role, ELSEWHERE, f"{role.value.upper()}-HN")
        tokens[(role, "out")] = str(app.access.issue_token(principal, 1, "web tests"))
    dpo = app.access.authenticate(tokens[(Role.DATA_PROTECTION_OFFICER, "in")])
    found = app.cases.personal_data(dpo, case, Purpose.SUBJECT_REQUEST, PERSONAL_PARTS)
    personal = [v for v in found.values() if len(v) >= 5]
    assert personal, "the demo case has personal data to look for"
    yield World(url, settings, app, str(case), f"{unit.map}:{unit.code}", users, tokens,
                personal, folder)  # fmt: skip
    app.close()


class _Tables(HTMLParser):
    """Cell texts of the ``<table id=…>`` of a page, row by row (header rows included)."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.rows: list[list[str]] = []
        self._inside = 0
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self._inside += 1
        elif self._inside and tag == "tr":
            self.rows.append([])
        elif self._inside and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._inside:
            self._inside -= 1
        elif self._inside and tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The rows of the page's table ``table_id`` as cell texts (the header row first)."""
    parser = _Tables(table_id)
    parser.feed(html)
    return parser.rows


def cli_json(world: World, role: Role, *args: str, where: str = "in") -> Any:
    """What the command line answers, as the same user (``--format json``)."""
    result = CliRunnerOnce().invoke(
        cli, ["--store", world.url, *args, "--format", "json"],
        env={"SOCAI_TOKEN": world.tokens[(role, where)]},
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)
