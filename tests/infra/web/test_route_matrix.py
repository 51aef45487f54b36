"""Every route × every role × in scope / out of scope, through HTTP: the role matrix of the
command line (tests/infra/cli/test_access_matrix.py) holds in the web.

The expectations are written from the roles' description (docs/ACCESS.md), not read from the
policy table. An allowed request answers 200 and writes nothing but what it must (a personal
read writes its access-log entry); a refused one answers 403 saying ``not allowed`` and writes
exactly one event: the refusal, naming the user. No response carries the case's personal data
unless it is the personal-data page of a role entitled to it. Every route is in the matrix; a
new route in neither it nor :data:`NOT_IN_MATRIX` fails :func:`test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.routing import Mount, Route

from domain.access.log import AccessRecord
from domain.access.roles import Role
from infra.web.app import routes
from tests.infra.web.conftest import World, csrf_of

R = Role
ALL = frozenset(Role)
CASE_READERS = frozenset({R.CASE_OFFICER, R.SUPERVISOR, R.INSPECTOR, R.DATA_PROTECTION_OFFICER})
PERSON_READERS = frozenset({R.CASE_OFFICER, R.SUPERVISOR, R.DATA_PROTECTION_OFFICER})
ACCESS_LOG_READERS = frozenset({R.INSPECTOR, R.DATA_PROTECTION_OFFICER})
REPORT_READERS = frozenset({R.STATISTICIAN, R.SUPERVISOR, R.INSPECTOR, R.FINANCE_OFFICER})
FUNDING_READERS = frozenset({R.FINANCE_OFFICER, R.INSPECTOR})


@dataclass(frozen=True)
class Row:
    """A request (``{case}``, ``{unit}``, ``{position}`` filled in), who may make it, and
    whether a grant elsewhere is enough (``scoped=False``: the page shows only what the
    grant covers) or a national grant is needed (``national_only``)."""

    method: str
    path: str
    roles: frozenset[Role]
    scoped: bool = True
    national_only: bool = False
    data: tuple[tuple[str, str], ...] = ()
    writes: int = 0  # events an allowed request writes
    upload: bool = False  # sends the example rollup as the form's file


ROWS = (
    Row("GET", "/", ALL, scoped=False),
    Row("GET", "/cases?unit={unit}", CASE_READERS),
    Row("GET", "/cases?unit={unit}&stage=received&from=2016-01-01&to=2026-12-31&overdue=1",
        CASE_READERS),
    Row("GET", "/cases/{case}", CASE_READERS),
    Row("GET", "/cases/{case}?as_of=2019-12-31&known_at=2026-01-01T00:00", CASE_READERS),
    Row("GET", "/cases/{case}/proof/{position}", CASE_READERS),
    Row("GET", "/cases/{case}/proof/{position}/check", CASE_READERS),
    Row("GET", "/cases/{case}/access", ACCESS_LOG_READERS),
    Row("GET", "/cases/{case}/person", PERSON_READERS),
    Row("POST", "/cases/{case}/person", PERSON_READERS, data=(("purpose", "case_management"),),
        writes=1),
    Row("GET", "/audit", ALL, scoped=False),
    Row("POST", "/audit/verify", ALL, scoped=False),
    # money: a grant anywhere reads the money of its scope (a province's rows, or none)
    Row("GET", "/finance", FUNDING_READERS, scoped=False),
    Row("GET", "/finance?by=province,year&as_of=2020-12-31", FUNDING_READERS, scoped=False),
    Row("GET", "/finance/behind?by=programme&key=DA-2005-2010&measure=budget", FUNDING_READERS,
        scoped=False),
    Row("GET", "/finance/discrepancies", FUNDING_READERS, scoped=False),
    Row("GET", "/finance/reconcile.xlsx", FUNDING_READERS, scoped=False, writes=1),
    # reports of a unit (Đồng Tháp on the 2025 map)
    Row("GET", "/reports/rollup?unit=2025:82&period=2016-2020", REPORT_READERS),
    Row("GET", "/reports/rollup.xlsx?unit=2025:82&period=2016-2020", REPORT_READERS, writes=1),
    Row("GET", "/reports/kpi?unit=2025:82", REPORT_READERS),
    Row("GET", "/reports/kpi?unit=2025:82&list=verified", REPORT_READERS),
    # checking a file reads nothing of the store (as `socai quality check FILE`)
    Row("GET", "/reports/check", ALL, scoped=False),
    Row("POST", "/reports/check", ALL, scoped=False, data=(("unit", "old:870"),), upload=True),
)  # fmt: skip
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hong_ngu_2016_2020.csv"

#: Routes outside the matrix, and why.
NOT_IN_MATRIX = {
    "/login": "before any login (tests/infra/web/test_security.py)",
    "/logout": "ends the session (tests/infra/web/test_security.py)",
    "/lang/{code}": "sets the language cookie only (tests/infra/web/test_markup.py)",
    "/static": "the vendored files, the same for everyone",
}


def _expected(row: Row, role: Role, where: str) -> bool:
    if role not in row.roles:
        return False
    if where == "out":
        return not row.scoped and not row.national_only
    return True


def _position(world: World) -> str:
    if "position" not in world.extra:
        entries = [e for e in world.app.log.entries() if str(e.originator_id) == world.case]
        world.extra["position"] = str(entries[0].position)
    return world.extra["position"]


def _cases() -> list[tuple[Row, Role, str]]:
    return [
        (row, role, where)
        for row in ROWS
        for role in Role
        for where in ("in", "out")
        if not (where == "out" and role in (R.ADMINISTRATOR, R.STREAM_SERVICE))
    ]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("row", "role", "where"),
    _cases(),
    ids=[f"{r.method} {r.path.split('?')[0]} {role.value} {w}" for r, role, w in _cases()],
)
def test_each_route_is_allowed_exactly_to_its_roles_in_their_scope(
    world: World, row: Row, role: Role, where: str
) -> None:
    path = row.path.format(case=world.case, unit=world.case_unit, position=_position(world))
    client = world.client(role, where)
    head = world.app.log.head()
    if row.method == "POST":
        csrf = csrf_of(client.get("/").text)
        head = world.app.log.head()
        files = {"file": (EXAMPLE.name, EXAMPLE.read_bytes(), "text/csv")} if row.upload else None
        response = client.post(path, data={"csrf": csrf, **dict(row.data)}, files=files)
    else:
        response = client.get(path)
    written = [e for _, e in world.app.log.events(after=head)]
    if _expected(row, role, where):
        assert response.status_code == 200, response.text
        assert len(written) == row.writes, written
        if row.writes and row.method == "GET":
            assert isinstance(written[0], AccessRecord.DataExported), "a download is an export"
    else:
        assert response.status_code == 403, response.text
        assert "not allowed" in response.text
        assert len(written) == 1, written
        assert isinstance(written[0], AccessRecord.AccessRefused)
        assert written[0].username.casefold() == client_user(world, role, where).casefold()
    shows_personal = (
        row.path.endswith("/person") and row.method == "POST" and _expected(row, role, where)
    )
    for value in world.personal:
        assert (value in response.text) is shows_personal, (
            "personal data shown, or not to one entitled"
        )


def client_user(world: World, role: Role, where: str) -> str:
    return world.app.access.authenticate(world.tokens[(role, where)]).username


def test_every_route_is_in_the_matrix() -> None:
    covered = {row.path.split("?")[0].replace("{position}", "{position:int}") for row in ROWS}
    for route in routes():
        path = route.path
        if isinstance(route, Mount) or path in NOT_IN_MATRIX:
            continue
        assert isinstance(route, Route)
        assert path.replace("{case_id}", "{case}") in covered, f"{path} is not in the matrix"


@pytest.mark.integration
def test_without_a_login_every_route_asks_for_one_and_writes_nothing(world: World) -> None:
    client = world.client()
    for row in ROWS:
        path = row.path.format(case=world.case, unit=world.case_unit, position=_position(world))
        head = world.app.log.head()
        if row.method == "POST":
            csrf = csrf_of(client.get("/login").text)
            response = client.post(path, data={"csrf": csrf, **dict(row.data)})
        else:
            response = client.get(path)
        assert response.status_code == 303, (path, response.status_code)
        assert response.headers["location"].startswith("/login?next=")
        assert world.app.log.head() == head
