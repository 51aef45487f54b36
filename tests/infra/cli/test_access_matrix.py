"""Every command × every role × in scope / out of scope, through the command line.

The expectations below are written from the issue's description of the roles, not read from
the policy table (``domain.access.policy.RULES``), so that a wrong row there fails here. A
command a role may take works (exit 0, or 1 for findings); any other is refused with
``error: … not allowed``, exit 2, and writes exactly one event: the refusal, in the access log,
naming the user and the action.

Every command of the CLI is here, or in :data:`NEEDS_NO_USER` with the reason it needs no
login; a new command that is in neither fails :func:`test_every_command_is_in_the_matrix`.

The store is a small demo (``socai demo``: one user per role, Đồng Tháp's case officer and
supervisor, the others national) plus the same roles over Hà Nội (province 01), for whom every
command about a Đồng Tháp case or unit is out of scope. A command that changes something runs
on state made fresh for it (a case at the stage the step needs, a programme with the money the
transaction needs, a user to manage), made by a national worker before the run, so that an
allowed run succeeds and a refused one is refused for who runs it, not for what it is about.
"""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from domain.access.log import AccessRecord
from domain.access.roles import Role
from domain.access.scope import Scope
from domain.case.values import Actor
from infra.cli.main import app as cli
from infra.devservices.broker import Broker
from infra.scenario.staff import demo_admin, demo_users_path, scenario_staff, worker
from infra.services.socai import Socai
from infra.settings import Settings
from tests.cli_runner import CliRunnerOnce

runner = CliRunnerOnce()

R = Role
ALL_ROLES = frozenset(Role)
CASE_READERS = frozenset({R.CASE_OFFICER, R.SUPERVISOR, R.INSPECTOR, R.DATA_PROTECTION_OFFICER})
PERSON_READERS = frozenset({R.CASE_OFFICER, R.SUPERVISOR, R.DATA_PROTECTION_OFFICER})
REPORT_READERS = frozenset({R.STATISTICIAN, R.SUPERVISOR, R.INSPECTOR, R.FINANCE_OFFICER})
FUNDING_READERS = frozenset({R.FINANCE_OFFICER, R.INSPECTOR})
FINANCE = frozenset({R.FINANCE_OFFICER})
CASE_WRITERS = frozenset({R.CASE_OFFICER, R.SUPERVISOR})
BUILDERS = frozenset({R.STATISTICIAN, R.STREAM_SERVICE})
ACCESS_LOG_READERS = frozenset({R.INSPECTOR, R.DATA_PROTECTION_OFFICER})
ADMIN = frozenset({R.ADMINISTRATOR})

#: Commands that need no login, and why (docs/ACCESS.md says the same).
NEEDS_NO_USER = {
    "demo": "makes a new store and its users",
    "init": "operators: database access is their credential",
    "migrate": "operators: database access is their credential",
    "status": "operators: database access is their credential",
    "keys init": "operators: makes the store's key file",
    "users init": "creates the first administrator of a store that has no users",
    "login": "proves who you are (password and one-time code)",
    "serve": "starts the web server; every page asks for a login (tests/infra/web)",
    "units find": "the public map of administrative units",
    "audit keygen": "the ledger's signing key: hashes and encrypted bytes only",
    "audit verify": "inspectors verify without an account in the system they check",
    "audit checkpoint": "signs the ledger's head: hashes only, with the signing key",
    "audit init-log": "names the log: hashes only, with the signing key",
    "audit cosign": "a witness's cosignature: hashes only",
    "audit add-cosignature": "a witness's cosignature: hashes only",
    "audit prove": "an inclusion proof: hashes only",
    "audit consistency": "a consistency proof: hashes only",
    "audit export-checkpoints": "signed checkpoints: hashes only",
    "audit verify-proof": "checks a proof file offline",
    "streams topics": "the broker's topics; no store access",
    "streams tail": "public (PII-free) topics; no store access",
    "streams schemas": "the published schemas; no store access",
    "streams worker": "consumes the public topics into its own tables; no store access",
}


@dataclass(frozen=True)
class Command:
    """A command line, the roles that may run it, and what it runs on.

    Placeholders in ``args``: ``{case}`` (a Đồng Tháp case; made fresh at the stage ``needs``
    names for a command that changes it), ``{programme}``, ``{proceedings}``, ``{activity}``,
    ``{user}``, ``{grant}``, ``{token_id}`` (made by ``needs``), ``{n}`` (unique per run),
    ``{tmp}`` (a folder). ``scoped=False``: a grant elsewhere is enough (a listing shows only
    what the grant covers); ``national_only``: only a national grant. ``as_new_user``: runs as a
    user made for the run, holding the role (the command ends the session or changes the
    password)."""

    name: str
    args: tuple[str, ...]
    roles: frozenset[Role]
    scoped: bool = True
    national_only: bool = False
    needs: str = ""
    as_new_user: bool = False
    env: tuple[tuple[str, str], ...] = ()
    logs_attempt: bool = False
    #: Roles the row does not apply to (a service user has no password: tested on its own).
    not_for: tuple[Role, ...] = ()


def c(name: str, line: str, roles: frozenset[Role], **kwargs: Any) -> Command:
    """A command written as its command line (``|`` is a space inside a word)."""
    return Command(name, tuple(line.split()), roles, **kwargs)


STEP = "--on 2019-03-20 --basis QD-{n}"
P = "--programme {programme}"
COMMANDS = (
    # -- cases ------------------------------------------------------------------------------
    c("case receive", "case receive --unit 29956 --on 2019-03-02 --form rescued --record BB-{n}"
      " --belongings-checked --interview", frozenset({R.CASE_OFFICER})),
    c("case demographics", f"case demographics {{case}} {STEP} --sex female --age-band adult"
      " --ethnicity kinh", CASE_WRITERS, needs="received"),
    c("case trafficking", f"case trafficking {{case}} {STEP} --scope abroad --destination CN",
      CASE_WRITERS, needs="received"),
    c("case verify", f"case verify {{case}} {STEP} --outcome victim --by police", CASE_WRITERS,
      needs="received"),
    c("case route", f"case route {{case}} {STEP} --to social_protection_centre", CASE_WRITERS,
      needs="verified"),
    c("case request-protection", f"case request-protection {{case}} {STEP} --who victim"
      " --source victim_request", CASE_WRITERS, needs="verified"),
    c("case protect", f"case protect {{case}} {STEP} --who victim --measure confidentiality",
      CASE_WRITERS, needs="protection_requested"),
    c("case support", f"case support {{case}} {STEP} --type legal_aid", CASE_WRITERS,
      needs="verified"),
    c("case shelter", f"case shelter {{case}} admit {STEP} --facility TT-{{n}}", CASE_WRITERS,
      needs="verified"),
    c("case reintegrate", f"case reintegrate {{case}} {STEP}", CASE_WRITERS, needs="verified"),
    c("case close", f"case close {{case}} {STEP} --reason lost_contact", frozenset({R.SUPERVISOR}),
      needs="verified"),
    c("case reopen", "case reopen {case} --on 2019-05-01 --reason mở|lại", CASE_WRITERS,
      needs="closed"),
    c("case correct others' step", "case correct {case} --event 1 --field legal_basis --old"
      " BB-SETUP --new BB-SETUP-2 --reason typo", frozenset({R.SUPERVISOR}), needs="received"),
    c("case correct a personal field", "case correct {case} --event 1 --field person.full_name"
      " --old Nguyễn|Thị|Mẫu --new Nguyễn|Thị|Mẩu --reason typo", frozenset({R.SUPERVISOR}),
      needs="received", logs_attempt=True),
    c("case history", "case history {case}", CASE_READERS),
    c("case list", "case list --format json", CASE_READERS, scoped=False),
    c("case person", "case person {case} --purpose case_management --format json",
      PERSON_READERS),
    c("person erase", "person erase {case} --who victim --basis QĐ-{n}/2026 --reason"
      " subject_request", frozenset({R.DATA_PROTECTION_OFFICER}), needs="received"),
    c("person export", "person export {case} --who victim -o {tmp}/subject{n}.json",
      frozenset({R.DATA_PROTECTION_OFFICER})),
    c("person retention", "person retention --who victim --keep-years 10 --basis QĐ-{n}/2026",
      frozenset({R.DATA_PROTECTION_OFFICER}), national_only=True),
    c("person due-for-erasure", "person due-for-erasure --on 2100-01-01 --format json",
      frozenset({R.DATA_PROTECTION_OFFICER}), scoped=False),
    # -- reports and read models --------------------------------------------------------------
    c("projections case", "projections case {case}", CASE_READERS),
    c("projections cases", "projections cases --unit 2025:82", CASE_READERS),
    c("projections status", "projections status", REPORT_READERS, scoped=False),
    c("projections run", "projections run", BUILDERS, scoped=False),
    c("projections verify", "projections verify", BUILDERS, scoped=False),
    c("projections rebuild", "projections rebuild activity", BUILDERS, scoped=False),
    c("projections spending", "projections spending --unit 2025:82 --years 2016-2020",
      FUNDING_READERS),
    c("kpi", "kpi --unit 2025:82 --format json", REPORT_READERS),
    c("rollup", "rollup --unit old:870 --period 2016-2020 --format csv", REPORT_READERS),
    c("export htcds", "export htcds --period 2016-2020 -o {tmp}/htcds{n}.csv",
      frozenset({R.STATISTICIAN}), national_only=True),
    c("quality rollups", "quality rollups --unit 2025:82 --period 2016-2020", REPORT_READERS),
    c("quality check against events", "quality check examples/hong_ngu_2016_2020.csv --unit old:870"
      " --against-events", REPORT_READERS),
    c("proceedings list", "proceedings list --unit 2025:82 --format json", REPORT_READERS),
    c("streams relay", "streams relay --once --kafka {kafka}", frozenset({R.STREAM_SERVICE}),
      scoped=False, needs="broker"),
    # -- money --------------------------------------------------------------------------------
    c("finance programme", "finance programme --code DA-{n} --title Đề|án --starts 2019-01-01"
      " --ends 2019-12-31 --on 2019-01-02", FINANCE, national_only=True),
    c("finance pledge", f"finance pledge {P} --id NS-{{n}} --source VT2 --kind aid --donor JICA"
      " --amount 1.000.000 --on 2019-01-03", FINANCE, national_only=True, needs="programme"),
    c("finance line", f"finance line {P} --id DL-{{n}} --line TRUYEN-THONG --title Dòng"
      " --source VT --amount 1.000.000 --on 2019-01-03", FINANCE, national_only=True,
      needs="pledged"),
    c("finance allocate", f"finance allocate {P} --id PB-{{n}} --line TIEP-NHAN --source VT"
      " --map old --unit 87 --period 2019 --amount 1.000.000 --on 2019-01-04", FINANCE,
      needs="budgeted"),
    c("finance commit", f"finance commit {P} --id CK-{{n}} --allocation PB-1 --amount 100.000"
      " --activity directive --description Chi --on 2019-02-01", FINANCE, needs="allocated"),
    c("finance pay", f"finance pay {P} --id CHI-{{n}} --commitment CK-1 --on 2019-02-02",
      FINANCE, needs="committed"),
    c("finance void", f"finance void {P} --id HUY-{{n}} --commitment CK-1 --reason sai"
      " --on 2019-02-02", FINANCE, needs="committed"),
    c("finance reverse", f"finance reverse {P} --id DAO-{{n}} --reverses CHI-1 --reason sai"
      " --on 2019-02-03", FINANCE, needs="paid"),
    c("finance programmes", "finance programmes --format json", FUNDING_READERS, scoped=False),
    c("finance show", "finance show {programme}", FUNDING_READERS, national_only=True,
      needs="paid"),
    c("finance reconcile", "finance reconcile --by unit", FUNDING_READERS, scoped=False),
    c("finance behind", "finance behind --by programme --key {programme} --format json",
      FUNDING_READERS, scoped=False, needs="paid"),
    c("finance discrepancies", "finance discrepancies --format json", FUNDING_READERS,
      scoped=False),
    # -- programme activities and criminal cases ----------------------------------------------
    c("activity directive", "activity directive --unit 870 --on 2018-05-02 --documents 1",
      CASE_WRITERS),
    c("activity session", "activity session --unit 870 --on 2018-05-02 --participants 3",
      CASE_WRITERS),
    c("activity materials", "activity materials --unit 870 --on 2018-05-02 --posters 5",
      CASE_WRITERS),
    c("activity training", "activity training --unit 870 --on 2018-05-02 --trainees 4",
      CASE_WRITERS),
    c("activity withdraw", "activity withdraw {activity} --on 2018-05-03 --reason twice",
      CASE_WRITERS, needs="activity"),
    c("proceedings open", "proceedings open --on 2019-04-01 --decision KT-{n} --by police"
      " --unit 87 --victim {case} --defendants 1", CASE_WRITERS, needs="verified"),
    c("proceedings solve", "proceedings solve {proceedings} --on 2019-05-01 --decision KL-{n}"
      " --by police --defendants 1", CASE_WRITERS, needs="opened"),
    c("proceedings prosecute", "proceedings prosecute {proceedings} --on 2019-06-01"
      " --decision TT-{n} --by procuracy --defendants 1", CASE_WRITERS, needs="solved"),
    c("proceedings try", "proceedings try {proceedings} --on 2019-07-01 --decision XX-{n}"
      " --by court --defendants 1", CASE_WRITERS, needs="prosecuted"),
    c("proceedings suspend", "proceedings suspend {proceedings} --on 2019-05-01"
      " --decision DC-{n} --by police --reason accused_ill", CASE_WRITERS, needs="opened"),
    # -- the access log -----------------------------------------------------------------------
    c("access log", "access log --case {case}", ACCESS_LOG_READERS),
    c("access log of a user", "access log --user CASE-OFFICER-82", ACCESS_LOG_READERS,
      national_only=True),
    # -- users --------------------------------------------------------------------------------
    c("users register", "users register NEW-{n} --agency police --credentials-out {tmp}/c{n}",
      ADMIN, scoped=False),
    c("users grant", "users grant {user} --role statistician --scope 82 --basis QD-{n}", ADMIN,
      needs="user"),
    c("users revoke", "users revoke {user} {grant} --reason moved", ADMIN, needs="granted"),
    c("users suspend", "users suspend {user} --reason leave", ADMIN, needs="user"),
    c("users reinstate", "users reinstate {user} --reason back", ADMIN, needs="suspended"),
    c("users reset", "users reset {user} --credentials-out {tmp}/r{n}", ADMIN, needs="user"),
    c("users list", "users list", ADMIN, scoped=False),
    c("users show", "users show {user}", ADMIN, scoped=False, needs="user"),
    # -- one's own session and credentials: every user ----------------------------------------
    c("whoami", "whoami", ALL_ROLES, scoped=False),
    c("users token", "users token --out {tmp}/t{n} --days 1", ALL_ROLES, scoped=False),
    c("users revoke-token", "users revoke-token {token_id}", ALL_ROLES, scoped=False,
      as_new_user=True, needs="second_token"),
    c("logout", "logout", ALL_ROLES, scoped=False, as_new_user=True),
    c("users password", "users password", ALL_ROLES, scoped=False, as_new_user=True,
      env=(("SOCAI_NEW_PASSWORD", "a-new-long-passphrase-2026"),), not_for=(R.STREAM_SERVICE,)),
)  # fmt: skip

#: The roles every command is tried with; ADMINISTRATOR and STREAM_SERVICE are national.
ROLES = tuple(Role)
#: Hà Nội on the 2025 map: covers no Đồng Tháp unit.
ELSEWHERE = "01"
#: Where the demo's user of each role works ("in"); Đồng Tháp is 82 on the 2025 map.
HOME = {R.CASE_OFFICER: "82", R.SUPERVISOR: "82"}
PERSON_JSON = {"person": {"full_name": "Nguyễn Thị Mẫu", "id_number": "087190009999"}}


@dataclass
class World:
    """The matrix's store, its users' tokens, and a national worker who makes fresh state."""

    url: str
    case: str
    folder: Path
    tokens: dict[tuple[Role, str], str]  # (role, "in" | "out") -> token
    setup_token: str
    admin_token: str
    app: Socai
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _broker: Broker | None = None
    _shared: dict[str, dict[str, str]] = field(default_factory=dict)

    def broker(self) -> str:
        """A Kafka-protocol broker for the relay's run (started on first use)."""
        if os.environ.get("SOCAI_SKIP_KAFKA") == "1":
            pytest.skip("SOCAI_SKIP_KAFKA=1")
        if self._broker is None:
            self._broker = Broker().start()
        return self._broker.bootstrap

    def run(self, token: str, *args: str, env: dict[str, str] | None = None) -> str:
        result = runner.invoke(
            cli, ["--store", self.url, *args], env={"SOCAI_TOKEN": token, **(env or {})}
        )
        assert result.exit_code == 0, (args, result.output)
        return result.output

    def setup(self, *args: str) -> str:
        return self.run(self.setup_token, *args)

    def shared(self, needs: str) -> dict[str, str]:
        """State made once for every refused run of the rows that need it."""
        if needs not in self._shared:
            self._shared[needs] = _prepare(self, needs, next(self.counter))
        return self._shared[needs]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    folder = tmp_path_factory.mktemp("matrix")
    url = f"sqlite:///{folder / 'm.db'}"
    made = runner.invoke(cli, ["--store", url, "demo", "--cases", "8", "--seed", "5"])
    assert made.exit_code == 0, made.output
    settings = Settings.load(url)
    users = json.loads(demo_users_path(settings).read_text(encoding="utf-8"))
    tokens = {(Role(u["role"]), "in"): str(u["token"]) for u in users}
    app = Socai(settings)
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
        tokens[(role, "out")] = str(app.access.issue_token(principal, 1, "matrix"))
    setup = worker(app, Actor("MATRIX-SETUP", "labour_social_affairs"))
    setup_token = str(app.access.issue_token(setup, 1, "matrix setup"))
    world = World(url, case, folder, tokens, setup_token, tokens[(R.ADMINISTRATOR, "in")], app)
    yield world
    app.close()
    if world._broker is not None:
        world._broker.stop()


# -- fresh state, made by the national worker -----------------------------------------------

CASE_LADDER = {
    "verified": ("received", "case verify {case} --on 2019-03-03 --outcome victim --by police"),
    "protection_requested": (
        "verified",
        "case request-protection {case} --on 2019-03-04 --who victim --source victim_request",
    ),
    "closed": ("verified", "case close {case} --on 2019-04-01 --reason lost_contact"),
}
FUNDS_LADDER = {
    "pledged": ("programme", "finance pledge {P} --id NS-1 --source VT --kind aid --donor JICA"
                " --amount 900.000.000 --on 2019-01-03"),
    "budgeted": ("pledged", "finance line {P} --id DL-1 --line TIEP-NHAN --title Tiếp|nhận"
                 " --source VT --amount 500.000.000 --on 2019-01-03"),
    "allocated": ("budgeted", "finance allocate {P} --id PB-1 --line TIEP-NHAN --source VT"
                  " --map old --unit 87 --period 2019 --amount 300.000.000 --on 2019-01-04"),
    "committed": ("allocated", "finance commit {P} --id CK-1 --allocation PB-1"
                  " --amount 1.000.000 --activity directive --description Chi --on 2019-02-01"),
    "paid": ("committed", "finance pay {P} --id CHI-1 --commitment CK-1 --on 2019-02-02"),
}  # fmt: skip
PROCEEDINGS_LADDER = {
    "solved": ("opened", "proceedings solve {proceedings} --on 2019-05-01 --decision KL"
               " --by police --defendants 1"),
    "prosecuted": ("solved", "proceedings prosecute {proceedings} --on 2019-06-01"
                   " --decision TT --by procuracy --defendants 1"),
}  # fmt: skip


def _words(line: str, values: dict[str, str]) -> list[str]:
    """A ladder's command line with its placeholders filled (``|`` joins words)."""
    return [w.replace("|", " ").format(**values) for w in line.split()]


def _climb(world: World, ladder: dict[str, tuple[str, str]], stage: str, values: dict) -> None:
    if stage not in ladder:
        return
    before, line = ladder[stage]
    _climb(world, ladder, before, values)
    world.setup(*_words(line, values))


def _fresh_case(world: World, stage: str) -> str:
    person = world.folder / "person.json"
    person.write_text(json.dumps(PERSON_JSON, ensure_ascii=False), encoding="utf-8")
    received = world.setup(
        "case", "receive", "--unit", "29956", "--on", "2019-03-02", "--form", "rescued",
        "--record", "BB-SETUP", "--from-json", str(person),
    )  # fmt: skip
    case = received.split()[-1]
    _climb(world, CASE_LADDER, stage, {"case": case})
    return case


def _fresh_programme(world: World, stage: str, n: int) -> str:
    code = f"DA-M{n}"
    world.setup(
        "finance", "programme", "--code", code, "--title", "Đề án", "--starts", "2019-01-01",
        "--ends", "2019-12-31", "--on", "2019-01-02",
    )  # fmt: skip
    values = {"P": f"--programme {code}"}
    _climb(world, {k: (b, line.replace("{P}", values["P"])) for k, (b, line) in
                   FUNDS_LADDER.items()}, stage, {})  # fmt: skip
    return code


def _fresh_proceedings(world: World, stage: str) -> str:
    case = _fresh_case(world, "verified")
    opened = world.setup(
        "proceedings", "open", "--on", "2019-04-01", "--decision", "KT", "--by", "police",
        "--unit", "87", "--victim", case, "--defendants", "1",
    )  # fmt: skip
    proceedings = opened.split()[-1]
    _climb(world, PROCEEDINGS_LADDER, stage, {"proceedings": proceedings})
    return proceedings


def _fresh_user(world: World, stage: str, n: int) -> dict[str, str]:
    user = f"MANAGED-{n}"
    folder = world.folder
    world.run(world.admin_token, "users", "register", user, "--agency", "police",
              "--credentials-out", str(folder / f"m{n}"))  # fmt: skip
    values = {"user": user}
    if stage == "granted":
        out = world.run(world.admin_token, "users", "grant", user, "--role", "statistician",
                        "--scope", "82", "--basis", "QD-M")  # fmt: skip
        given = re.search(r"\bG\d+\b", out)
        assert given is not None, out
        values["grant"] = given.group(0)
    if stage == "suspended":
        world.run(world.admin_token, "users", "suspend", user, "--reason", "leave")
    return values


def _prepare(world: World, needs: str, n: int) -> dict[str, str]:
    """The placeholders of a run: fresh state as ``needs`` says, made by the worker."""
    if not needs:
        return {}
    if needs in ("received", *CASE_LADDER):
        return {"case": _fresh_case(world, needs)}
    if needs in ("programme", *FUNDS_LADDER):
        return {"programme": _fresh_programme(world, needs, n)}
    if needs in ("opened", *PROCEEDINGS_LADDER):
        return {"proceedings": _fresh_proceedings(world, needs)}
    if needs in ("user", "granted", "suspended"):
        return _fresh_user(world, needs, n)
    if needs == "second_token":
        return {}  # made for the run's own user (``as_new_user``)
    if needs == "broker":
        return {"kafka": world.broker()}
    if needs == "activity":
        out = world.setup("activity", "directive", "--unit", "870", "--on", "2018-05-02")
        return {"activity": out.split()[-1]}
    raise AssertionError(f"no way to make {needs!r}")


def _new_user_token(world: World, role: Role, where: str, n: int) -> tuple[str, dict[str, str]]:
    """A user made for this run, holding ``role`` where the matrix says; its token, and the
    environment its password needs."""
    scope = ELSEWHERE if where == "out" else HOME.get(role, "VN")
    staff = scenario_staff(world.app)
    principal = staff.user(role, scope, f"OWN-{n}")
    token = str(world.app.access.issue_token(principal, 1, "matrix"))
    password = staff.credentials[principal.username].password
    return token, ({"SOCAI_PASSWORD": password} if password else {})


# -- the matrix ---------------------------------------------------------------------------


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
    and role not in command.not_for
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
    n = next(world.counter)
    values = {"case": world.case, "n": str(n), "tmp": str(world.folder)}
    allowed = _expected(command, role, where)
    # an allowed run changes what it runs on: it gets its own; a refused one changes nothing
    # (asserted below), so the refused runs of a row share one
    values.update(_prepare(world, command.needs, n) if allowed else world.shared(command.needs))
    token, env = world.tokens[(role, where)], dict(command.env)
    if command.as_new_user:
        token, password_env = _new_user_token(world, role, where, n)
        env.update(password_env)
        if command.needs == "second_token":
            principal = world.app.access.authenticate(token)
            values["token_id"] = world.app.access.issue_token(principal, 1, "second").token_id
    args = [a.replace("|", " ").format(**values) for a in command.args]
    before = world.app.log.head()
    result = runner.invoke(cli, ["--store", world.url, *args], env={"SOCAI_TOKEN": token, **env})
    output = result.output
    if allowed:
        assert result.exit_code in (0, 1), (command.name, role, where, output)
        assert "not allowed" not in output
        return
    assert result.exit_code == 2, (command.name, role, where, output)
    assert "not allowed" in output and "hint:" in output, output
    written = [event for _, event in world.app.log.events(after=before)]
    # a refusal writes its own record and nothing else (and a personal-field correction also
    # its attempt: every attempt is in the access log, refused or not)
    kinds = [type(event) for event in written]
    if command.logs_attempt:
        assert kinds == [AccessRecord.AccessRefused, AccessRecord.PersonalCorrectionAttempted]
    else:
        assert kinds == [AccessRecord.AccessRefused]
    refusal = written[0]
    assert isinstance(refusal, AccessRecord.AccessRefused)
    assert refusal.username == token.split(".")[1]  # socai1.USER.id.secret
    assert refusal.action in output


def _command_names(group: object, prefix: tuple[str, ...] = ()) -> Iterator[str]:
    subcommands: dict[str, object] | None = getattr(group, "commands", None)
    if not subcommands:
        yield " ".join(prefix)
        return
    for name, sub in subcommands.items():
        yield from _command_names(sub, (*prefix, name))


def test_every_command_is_in_the_matrix_or_needs_no_user() -> None:
    """A new command is placed here: in the matrix, or with the reason it needs no login."""
    every = set(_command_names(get_command(cli)))
    in_matrix = {" ".join(c.args[:2]) if c.args[0] in _GROUPS else c.args[0] for c in COMMANDS}
    assert every - set(NEEDS_NO_USER) - in_matrix == set(), "commands in neither"
    assert set(NEEDS_NO_USER) <= every, "an exemption names no command"
    assert not set(NEEDS_NO_USER) & in_matrix


_GROUPS = {"case", "person", "export", "finance", "projections", "quality", "proceedings",
           "activity", "access", "users", "audit", "streams", "keys", "units"}  # fmt: skip


#: ``logout`` without a login has nothing to end: it says "not logged in" and exits 0.
NEED_A_LOGIN = [c for c in COMMANDS if c.name != "logout"]


@pytest.mark.integration
@pytest.mark.parametrize("command", NEED_A_LOGIN, ids=[c.name for c in NEED_A_LOGIN])
def test_without_a_login_every_command_is_refused_and_nothing_written(
    world: World, command: Command, tmp_path: Path
) -> None:
    values = {"case": world.case, "n": "0", "tmp": str(tmp_path), "programme": "DA-NONE",
              "proceedings": world.case, "activity": world.case, "user": "CASE-OFFICER-82",
              "grant": "G1", "token_id": "T1", "kafka": "127.0.0.1:9"}  # fmt: skip
    args = [a.replace("|", " ").format(**values) for a in command.args]
    before = world.app.log.head()
    result = runner.invoke(
        cli,
        ["--store", world.url, "--token-file", str(tmp_path / "none"), *args],
        env={"SOCAI_TOKEN": ""},
    )
    assert result.exit_code == 2, (command.name, result.output)
    assert "not logged in" in result.output and "hint:" in result.output, result.output
    assert world.app.log.head() == before


@pytest.mark.integration
def test_a_service_user_is_told_it_has_no_password_before_any_is_asked(world: World) -> None:
    token, _ = _new_user_token(world, R.STREAM_SERVICE, "in", next(world.counter))
    before = world.app.log.head()
    result = runner.invoke(cli, ["--store", world.url, "users", "password"],
                           env={"SOCAI_TOKEN": token})  # fmt: skip
    assert result.exit_code == 2, result.output
    assert "is a service user: it has no password" in result.output
    assert "hint: an administrator issues its tokens" in result.output
    assert "password:" not in result.output.lower().split("error")[0]  # nothing was asked
    assert world.app.log.head() == before
