"""Every command × every role × in scope / out of scope, through the command line.

The expectations below are written from the issue's description of the roles, not read from
the policy table (``domain.access.policy.RULES``), so that a wrong row there fails here. A
command a role may take works; any other is refused with ``error: … not allowed``, exit 2,
and writes exactly one event: the refusal, in the access log, naming the user and the action.

The store is a small demo (``socai demo``: one user per role, Đồng Tháp's case officer and
supervisor, the others national) plus the same roles over Hà Nội (province 01), for whom every
command about a Đồng Tháp case or unit is out of scope.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner

from domain.access.log import AccessRecord
from domain.access.roles import Role
from domain.access.scope import Scope
from infra.cli.main import app as cli
from infra.scenario.staff import demo_admin, demo_users_path, scenario_staff
from infra.services.socai import Socai
from infra.settings import Settings

runner = CliRunner()

R = Role
CASE_READERS = {R.CASE_OFFICER, R.SUPERVISOR, R.INSPECTOR, R.DATA_PROTECTION_OFFICER}
PERSON_READERS = {R.CASE_OFFICER, R.SUPERVISOR, R.DATA_PROTECTION_OFFICER}
REPORT_READERS = {R.STATISTICIAN, R.SUPERVISOR, R.INSPECTOR, R.FINANCE_OFFICER}
FUNDING_READERS = {R.FINANCE_OFFICER, R.INSPECTOR}
CASE_WRITERS = {R.CASE_OFFICER, R.SUPERVISOR}
ACCESS_LOG_READERS = {R.INSPECTOR, R.DATA_PROTECTION_OFFICER}


@dataclass(frozen=True)
class Command:
    """A command line (``{case}`` is a Đồng Tháp case), the roles that may run it, and
    whether a grant elsewhere is enough (``scoped=False``: the nation's figures need a national
    grant; a listing shows only what the grant covers)."""

    name: str
    args: tuple[str, ...]
    roles: frozenset[Role]
    scoped: bool = True
    national_only: bool = False


COMMANDS = (
    Command("case history", ("case", "history", "{case}"), frozenset(CASE_READERS)),
    Command(
        "case person",
        ("case", "person", "{case}", "--purpose", "case_management", "--format", "json"),
        frozenset(PERSON_READERS),
    ),
    Command(
        "case demographics",
        (
            "case",
            "demographics",
            "{case}",
            "--sex",
            "female",
            "--age-band",
            "adult",
            "--ethnicity",
            "kinh",
        ),
        frozenset(CASE_WRITERS),
    ),
    Command(
        "projections cases", ("projections", "cases", "--unit", "2025:82"), frozenset(CASE_READERS)
    ),
    Command("kpi", ("kpi", "--unit", "2025:82", "--format", "json"), frozenset(REPORT_READERS)),
    Command(
        "rollup",
        ("rollup", "--unit", "old:870", "--period", "2016-2020", "--format", "csv"),
        frozenset(REPORT_READERS),
    ),
    Command(
        "proceedings list",
        ("proceedings", "list", "--unit", "2025:82", "--format", "json"),
        frozenset(REPORT_READERS),
    ),
    Command(
        "spending",
        ("projections", "spending", "--unit", "2025:82", "--years", "2016-2020"),
        frozenset(FUNDING_READERS),
    ),
    Command(
        "finance programmes",
        ("finance", "programmes", "--format", "json"),
        frozenset(FUNDING_READERS),
        national_only=True,
    ),
    Command(
        "activity session",
        ("activity", "session", "--unit", "870", "--on", "2018-05-02", "--participants", "3"),
        frozenset(CASE_WRITERS),
    ),
    Command(
        "access log",
        ("access", "log", "--case", "{case}"),
        frozenset(ACCESS_LOG_READERS),
    ),
    Command(
        "case receive",
        (
            "case",
            "receive",
            "--unit",
            "29956",
            "--on",
            "2019-03-02",
            "--form",
            "rescued",
            "--record",
            "BB-1",
            "--belongings-checked",
            "--interview",
        ),
        frozenset({R.CASE_OFFICER}),
    ),
    Command(
        "quality rollups",
        ("quality", "rollups", "--unit", "2025:82", "--period", "2016-2020"),
        frozenset(REPORT_READERS),
    ),
    Command(
        "access log of a user",
        ("access", "log", "--user", "CASE-OFFICER-82"),
        frozenset(ACCESS_LOG_READERS),
        national_only=True,
    ),
    Command(
        "users register",
        ("users", "register", "NEW-{role}-{where}", "--agency", "police", "--no-totp"),
        frozenset({R.ADMINISTRATOR}),
        scoped=False,
    ),
    Command(
        "case close",  # last: the case is closed by the one supervisor allowed to
        ("case", "close", "{case}", "--reason", "lost_contact"),
        frozenset({R.SUPERVISOR}),
    ),
    Command(
        "projections run",
        ("projections", "run"),
        frozenset({R.STATISTICIAN, R.STREAM_SERVICE}),
        scoped=False,
    ),
)

#: The roles every command is tried with; ADMINISTRATOR manages users only.
ROLES = tuple(Role)
#: Hà Nội on the 2025 map: covers no Đồng Tháp unit.
ELSEWHERE = "01"


@dataclass
class World:
    url: str
    case: str
    tokens: dict[tuple[Role, str], str]  # (role, "in" | "out") -> token


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    url = f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'm.db'}"
    made = runner.invoke(cli, ["--store", url, "demo", "--cases", "8", "--seed", "5"])
    assert made.exit_code == 0, made.output
    settings = Settings.load(url)
    users = json.loads(demo_users_path(settings).read_text(encoding="utf-8"))
    tokens = {(Role(u["role"]), "in"): str(u["token"]) for u in users}
    app = Socai(settings)
    try:
        staff = scenario_staff(app, demo_admin(settings))
        dong_thap = Scope("2025", "82")
        case = next(
            str(c)
            for c in app.cases.ids()
            if dong_thap.covers(app.cases.unit_of(c)) and app.cases.get(c).status.stage != "closed"
        )
        for role in ROLES:
            if role in (R.ADMINISTRATOR, R.STREAM_SERVICE):
                continue  # national by nature
            principal = staff.user(role, ELSEWHERE, f"{role.value.upper()}-HN")
            token = app.access.issue_token(principal, 1, "matrix")
            tokens[(role, "out")] = str(token)
    finally:
        app.close()
    return World(url, case, tokens)


def _head(url: str) -> int:
    app = Socai(Settings.load(url))
    try:
        return app.log.head()
    finally:
        app.close()


def _last_event(url: str) -> object:
    app = Socai(Settings.load(url))
    try:
        (_, event) = list(app.log.events(after=app.log.head() - 1))[-1]
        return event
    finally:
        app.close()


def _expected(command: Command, role: Role, where: str) -> bool:
    if role not in command.roles:
        return False
    if where == "in":
        return True
    return not command.scoped and not command.national_only


CASES = [
    (command, role, where)
    for command in COMMANDS
    for role in ROLES
    for where in ("in", "out")
    if not (where == "out" and role in (R.ADMINISTRATOR, R.STREAM_SERVICE))
]


@pytest.mark.integration
@pytest.mark.parametrize(
    ("command", "role", "where"),
    CASES,
    ids=[f"{c.name}-{r.value}-{w}" for c, r, w in CASES],
)
def test_each_command_is_allowed_exactly_to_its_roles_in_their_scope(
    world: World, command: Command, role: Role, where: str
) -> None:
    args = [
        a.replace("{case}", world.case).replace("{role}", role.name).replace("{where}", where)
        for a in command.args
    ]
    before = _head(world.url)
    result = runner.invoke(
        cli, ["--store", world.url, *args], env={"SOCAI_TOKEN": world.tokens[(role, where)]}
    )
    output = result.output
    if _expected(command, role, where):
        assert result.exit_code in (0, 1), (command.name, role, where, output)
        assert "not allowed" not in output
        return
    assert result.exit_code == 2, (command.name, role, where, output)
    assert "not allowed" in output and "hint:" in output, output
    assert _head(world.url) == before + 1, "a refusal writes its own record and nothing else"
    refusal = _last_event(world.url)
    assert isinstance(refusal, AccessRecord.AccessRefused)
    assert refusal.username == world.tokens[(role, where)].split(".")[1]  # socai1.USER.id.secret
    assert refusal.action in output
