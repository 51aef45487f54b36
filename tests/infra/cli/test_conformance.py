"""One grammar for every command (issue 17): walk the whole ``socai`` command tree.

- Every command is classified: a read command (answers with data) or not (records, runs,
  checks with a verdict, writes files...), so a new command cannot slip past unclassified.
- The shared concepts — unit, period, cut-off, business date, record time, format, output
  file, workbook — are declared once (:mod:`infra.cli.options`) and every command that takes
  one uses that very object: same flags, same help, same parser.
- Every read command offers ``--format table|json|csv`` and ``-o FILE``, and its JSON is
  structured data (fields as fields, no Python reprs, no serialised structures in strings)
  equal, cell for cell, to its table and its CSV; ``-o FILE.csv`` writes the same CSV behind a
  byte-order mark.

The read commands run in-process against one small demo store (``socai demo --cases 8``),
each as a user whose role may run it (the demo's users file holds their tokens).
"""

from __future__ import annotations

import csv
import inspect
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.main import get_command
from typer.models import OptionInfo

from domain.access.log import AccessRecord
from domain.access.roles import Role
from domain.money import format_vnd
from infra.cli import options
from infra.cli.main import app
from infra.cli.output import UTF8_BOM, cell
from infra.ledger.checkpoints import public_key_path
from infra.ledger_settings import signing_key_path
from infra.scenario.staff import demo_users_path
from infra.services.socai import Socai
from infra.settings import Settings
from tests.cli_runner import CliRunnerOnce

runner = CliRunnerOnce()

#: Each shared concept's one declaration.
DECLARATIONS: tuple[OptionInfo, ...] = (
    options.UNIT,
    options.STEP_UNIT,
    options.MAP,
    options.PERIOD,
    options.YEARS,
    options.UNTIL,
    options.AS_OF,
    options.KNOWN_AT,
    options.FORMAT,
    options.OUTPUT,
    options.XLSX,
    options.PUBLIC,
    options.ON,
    options.BASIS,
    options.FROM_JSON,
)
#: The declarations that may carry each flag: ``--unit`` of a report, or of a recorded step.
SHARED: dict[str, list[OptionInfo]] = {}
for _declaration in DECLARATIONS:
    for _flag in _declaration.param_decls:
        SHARED.setdefault(_flag, []).append(_declaration)


def _is_one_of(value: object, declarations: list[OptionInfo]) -> bool:
    return any(value is d for d in declarations)


#: Read commands: the role that runs it here and its arguments (``{case}``: a Đồng Tháp case,
#: ``{programme}``: a programme's code). Each answers with at least one row.
READ: dict[str, tuple[Role | None, tuple[str, ...]]] = {
    "access log": (Role.DATA_PROTECTION_OFFICER, ("--user", "CASE-OFFICER-82")),
    "case history": (Role.CASE_OFFICER, ("{case}",)),
    "case list": (Role.CASE_OFFICER, ()),
    "case person": (Role.CASE_OFFICER, ("{case}", "--purpose", "case_management")),
    "finance programmes": (Role.FINANCE_OFFICER, ()),
    "finance show": (Role.FINANCE_OFFICER, ("{programme}",)),
    "finance reconcile": (Role.FINANCE_OFFICER, ("--by", "programme,source")),
    "finance behind": (Role.FINANCE_OFFICER, ("--by", "programme", "--key", "{programme}")),
    "finance discrepancies": (Role.FINANCE_OFFICER, ()),
    "units find": (None, ("Hong Ngu",)),
    "projections status": (Role.STATISTICIAN, ()),
    "projections case": (Role.SUPERVISOR, ("{case}",)),
    "projections cases": (Role.CASE_OFFICER, ("--unit", "2025:82")),
    "projections spending": (Role.FINANCE_OFFICER, ("--unit", "VN", "--period", "2016/2026")),
    "proceedings list": (Role.STATISTICIAN, ("--unit", "VN")),
    "kpi": (Role.STATISTICIAN, ("--unit", "2025:82")),
    "rollup": (Role.STATISTICIAN, ("--unit", "old:870", "--period", "2016/2020")),
    "users list": (Role.ADMINISTRATOR, ()),
    "person due-for-erasure": (Role.DATA_PROTECTION_OFFICER, ("--on", "2100-01-01")),
    "users show": (Role.ADMINISTRATOR, ("CASE-OFFICER-82",)),
    "whoami": (Role.CASE_OFFICER, ()),
}

#: Commands whose answer is a verdict or a document rather than a table: ``--format json|csv``
#: and ``-o`` write it as data (findings as rows, the verdict and its figures beside them),
#: the table format is the verdict for people; the exit status is the same in every format.
#: Role and arguments as in :data:`READ`.
VERDICT: dict[str, tuple[Role | None, tuple[str, ...]]] = {
    "audit verify": (None, ("--public-key", "{public_key}")),
    "projections verify": (Role.STATISTICIAN, ()),
    "quality check": (None, ("{rollup_file}", "--unit", "old:870")),
    "quality rollups": (Role.STATISTICIAN, ("--unit", "2025:82", "--period", "2016/2020")),
    "status": (None, ()),
}

#: A real district report with its real errors (findings for ``quality check``).
ROLLUP_FILE = Path(__file__).parents[3] / "examples" / "hong_ngu_2016_2020.csv"

#: Every other command, and why it is not a read command with a table.
NOT_READ: dict[str, str] = {
    **{
        f"case {name}": "records a step"
        for name in (
            "receive",
            "demographics",
            "trafficking",
            "verify",
            "route",
            "request-protection",
            "protect",
            "support",
            "shelter",
            "reintegrate",
            "close",
            "reopen",
            "correct",
        )
    },
    **{
        f"finance {name}": "records money"
        for name in ("programme", "pledge", "line", "allocate", "commit", "pay", "void", "reverse")
    },
    **{
        f"activity {name}": "records an activity"
        for name in ("directive", "session", "materials", "training", "withdraw")
    },
    **{
        f"proceedings {name}": "records a stage of a criminal case"
        for name in ("open", "solve", "prosecute", "try", "suspend")
    },
    **{
        f"users {name}": "manages users and credentials"
        for name in (
            "init",
            "register",
            "grant",
            "revoke",
            "suspend",
            "reinstate",
            "reset",
            "password",
            "token",
            "revoke-token",
        )
    },
    "person erase": "erases a person's data (records the erasure)",
    "person export": "writes the data subject's file (JSON or XLSX by its extension)",
    "person retention": "records a retention decision",
    "export htcds": "writes de-identified records for publication (CSV) and its report",
    "login": "writes the token file",
    "logout": "revokes the token",
    "demo": "builds a store",
    "serve": "runs the web server until interrupted (docs/WEB.md)",
    "init": "creates a store",
    "migrate": "migrates a store",
    "keys init": "creates a key",
    "audit keygen": "creates a key",
    "audit checkpoint": "signs a checkpoint",
    "audit init-log": "creates the log's identity",
    "audit cosign": "writes a cosigned note",
    "audit add-cosignature": "stores a cosignature",
    "audit prove": "writes a proof document (JSON by nature)",
    "audit consistency": "writes a proof document (JSON by nature)",
    "audit export-checkpoints": "writes files",
    "audit verify-proof": "a verdict",
    "projections rebuild": "rebuilds tables",
    "projections run": "applies events",
    "streams topics": "creates topics",
    "streams relay": "publishes events",
    "streams tail": "a stream of JSON lines",
    "streams schemas": "writes the published schemas",
    "streams worker": "runs a worker",
}


def leaves(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    """Every runnable command under ``command`` with its path (``"finance reconcile"``)."""
    subcommands = getattr(command, "commands", None)
    if subcommands is not None:
        for name, sub in subcommands.items():
            yield from leaves(sub, (*path, name))
    else:
        yield " ".join(path), command


def _declared(command: Any) -> dict[str, Any]:
    """Each parameter's default as the command's function declares it (the very object)."""
    return {n: p.default for n, p in inspect.signature(command.callback).parameters.items()}


def drift(command: Any) -> list[str]:
    """How ``command`` departs from the shared grammar: an option that spells a shared
    concept's flag without being its one declaration (another help, another parser, another
    default), or the declaration under a parameter that hides some of its flags."""
    declared = _declared(command)
    found = []
    for param in command.params:
        if param.param_type_name != "option":
            continue
        used = declared.get(param.name or "")
        for flag in (*param.opts, *param.secondary_opts):
            shared = SHARED.get(flag)
            if shared is not None and not _is_one_of(used, shared):
                found.append(f"{flag} is declared here, not as infra.cli.options")
        if _is_one_of(used, list(DECLARATIONS)):
            assert isinstance(used, OptionInfo)
            if set(param.opts) != set(used.param_decls or ()):
                found.append(f"{param.opts} differs from {used.param_decls}")
    return found


COMMANDS = dict(leaves(get_command(app)))


def test_every_command_is_classified_once() -> None:
    classes = (set(READ), set(VERDICT), set(NOT_READ))
    assert sum(len(c) for c in classes) == len(set().union(*classes)), "each command once"
    assert sorted(set(COMMANDS) - set().union(*classes)) == []
    assert sorted(set().union(*classes) - set(COMMANDS)) == []


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_shared_options_are_the_one_declaration(name: str) -> None:
    assert drift(COMMANDS[name]) == []


def test_the_shared_options_have_one_help_and_one_parser_wherever_used() -> None:
    """Each declaration becomes the same option in every command: flags, help, type, default."""
    seen: dict[int, tuple[object, ...]] = {}
    for name, command in COMMANDS.items():
        declared = _declared(command)
        for param in command.params:
            used = declared.get(param.name or "")
            if _is_one_of(used, list(DECLARATIONS)):
                shape = (
                    tuple(param.opts),
                    param.help,
                    type(getattr(param, "type_descriptor", None)),
                    param.default,
                    param.hidden,
                )
                assert seen.setdefault(id(used), shape) == shape, (name, param.opts)
    flags = {flag for shape in seen.values() for flag in shape[0]}  # type: ignore[attr-defined]
    assert {"--unit", "--period", "--format", "-o", "--known-at", "--as-of"} <= flags


def test_a_command_that_declares_its_own_unit_or_format_is_named() -> None:
    """The check itself: a command that spells a shared flag its own way is caught."""
    drifting = typer.Typer()

    @drifting.command()
    def report(
        unit: str = typer.Option("VN", "--unit", help="Unit code."),
        fmt: str = typer.Option("text", "--format", help="text | json"),
        period: str = options.PERIOD,
        short: str = typer.Option(None, "-o", help="File."),
    ) -> None:
        """A command that drifts."""

    command = get_command(drifting)
    found = drift(command)
    assert [f.split()[0] for f in found] == ["--unit", "--format", "-o"]


@pytest.mark.parametrize("name", sorted({**READ, **VERDICT}))
def test_every_read_command_offers_the_format_and_the_output_file(name: str) -> None:
    declared = _declared(COMMANDS[name])
    assert options.FORMAT in declared.values()
    assert options.OUTPUT in declared.values()


# -- round trip on a demo store ------------------------------------------------------------


@dataclass
class Demo:
    url: str
    tokens: dict[Role, str]
    values: dict[str, str]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    url = f"sqlite:///{tmp_path_factory.mktemp('grammar') / 'g.db'}"
    made = runner.invoke(app, ["--store", url, "demo", "--cases", "8", "--seed", "1"])
    assert made.exit_code == 0, made.output
    users = json.loads(demo_users_path(Settings.load(url)).read_text(encoding="utf-8"))
    tokens: dict[Role, str] = {}
    for user in users:
        role = Role(user["role"])
        if role not in tokens or user["scope"] in ("82", "2025:82"):
            tokens[role] = str(user["token"])
    found = Demo(url, tokens, {})
    cases = _json(found, Role.CASE_OFFICER, "projections", "cases", "--unit", "2025:82")
    found.values["case"] = str(cases["rows"][0]["case_id"])
    # a read of personal data: the access log then has an entry
    _run(
        found,
        Role.CASE_OFFICER,
        "case",
        "person",
        found.values["case"],
        "--purpose",
        "case_management",
    )
    # a retention, so that the demo's closed cases are due for erasure in 2100
    retention = (
        "person",
        "retention",
        "--who",
        "victim",
        "--keep-years",
        "5",
        "--basis",
        "QĐ-1/2026",
    )
    _run(found, Role.DATA_PROTECTION_OFFICER, *retention)
    programmes = _json(found, Role.FINANCE_OFFICER, "finance", "programmes")
    found.values["programme"] = str(programmes["rows"][0]["code"])
    found.values["public_key"] = str(public_key_path(signing_key_path(Settings.load(url))))
    found.values["rollup_file"] = str(ROLLUP_FILE)
    return found


def _run(demo: Demo, role: Role | None, *args: str) -> str:
    env = {"SOCAI_TOKEN": demo.tokens[role]} if role is not None else {}
    result = runner.invoke(app, ["--store", demo.url, *args], env=env)
    assert result.exit_code in (0, 1), (args, result.stderr)
    return result.stdout


def _json(demo: Demo, role: Role | None, *args: str) -> dict[str, Any]:
    data = json.loads(_run(demo, role, *args, "--format", "json"))
    assert isinstance(data, dict)
    return data


#: A string that is a structure written out (``{'a': 1}``, ``['x']``, ``('a', 1)``) or a
#: Python repr of nothing or a truth value.
SERIALISED = re.compile(r"^\s*[\[{]|^\(.*, .*\)$|^(None|True|False)$")


def _serialised(value: object) -> bool:
    return isinstance(value, str) and SERIALISED.match(value) is not None


def _csv_is(text: str, rows: list[dict[str, Any]]) -> None:
    """The CSV ``text`` holds ``rows`` as their JSON gives them: a header (their keys, when
    there are rows), then each row's cells in that order. Failures name columns, never
    values (``case person`` shows personal data)."""
    table = list(csv.reader(io.StringIO(text)))
    assert table and table[0], "no header"
    if rows:
        assert table[0] == list(rows[0])
    assert len(table) == len(rows) + 1
    differ = {
        k
        for line, row in zip(table[1:], rows, strict=True)
        for shown, (k, v) in zip(line, row.items(), strict=True)
        if shown != cell(v)
    }
    assert differ == set()


def _table_rows(text: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a table printed to a pipe (one line per row, nothing cut)."""
    lines = text.splitlines()
    header = [c.strip() for c in next(x for x in lines if x.startswith("┃")).strip("┃").split("┃")]
    body = [[c.strip() for c in x.strip("│").split("│")] for x in lines if x.startswith("│")]
    return header, body


def _shown(value: Any) -> set[str]:
    """How a JSON value may appear in a table cell (money columns show đồng the Vietnamese way)."""
    shown = {cell(value)}
    if isinstance(value, int) and not isinstance(value, bool):
        shown.add(format_vnd(value))
    return shown


@pytest.mark.parametrize("name", sorted(READ))
def test_a_read_commands_json_csv_and_table_hold_the_same_data(
    name: str, demo: Demo, tmp_path: Path
) -> None:
    role, template = READ[name]
    args = (*name.split(), *(a.format(**demo.values) for a in template))
    data = _json(demo, role, *args)
    rows = data["events" if name == "case history" else "rows"]
    assert rows, f"{name} answered no rows: pick arguments that give some"
    keys = list(rows[0])
    assert all(list(row) == keys for row in rows)
    # failures name columns, never values (``case person`` shows personal data)
    serialised = {k for row in rows for k, v in row.items() if _serialised(v)}
    assert serialised == set()
    written = _run(demo, role, *args, "--format", "csv")
    _csv_is(written, rows)
    header, body = _table_rows(_run(demo, role, *args, "--format", "table"))
    assert len(header) == len(keys)
    if "total" in data:  # the totals line, last
        total = body.pop()
        differ = {
            k
            for text, (k, v) in zip(
                total[-len(data["total"]) :], data["total"].items(), strict=True
            )
            if text not in _shown(v)
        }
        assert differ == set()
    assert len(body) == len(rows)
    differ = {
        k
        for shown, row in zip(body, rows, strict=True)
        for text, (k, v) in zip(shown, row.items(), strict=True)
        if text not in _shown(v)
    }
    assert differ == set()
    target = tmp_path / "out.csv"
    before = _head(demo.url)
    _run(demo, role, *args, "--format", "csv", "-o", str(target))
    same = target.read_text(encoding="utf-8") == UTF8_BOM + written
    assert same, "-o FILE writes the CSV behind a byte-order mark"
    if role is not None:  # a file of the store's data: its writing is in the access log
        kinds = [type(e) for e in _events_after(demo.url, before)]
        # one export record, last (``case person`` logs its read of personal data first)
        assert kinds[-1:] == [AccessRecord.DataExported], name
        assert kinds.count(AccessRecord.DataExported) == 1, name


def _head(url: str) -> int:
    store = Socai(Settings.load(url))
    try:
        return store.log.head()
    finally:
        store.close()


def _events_after(url: str, position: int) -> list[object]:
    store = Socai(Settings.load(url))
    try:
        return [event for _, event in store.log.events(after=position)]
    finally:
        store.close()


def test_a_read_commands_table_in_a_pipe_prints_whole_ids(demo: Demo) -> None:
    """``socai case list | cat``: ids whole, nothing cut with "…"."""
    listed = _run(demo, Role.CASE_OFFICER, "case", "list")
    assert "…" not in listed
    ids = re.findall(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", listed)
    assert demo.values["case"] in ids


def test_a_read_command_that_lists_findings_exits_1(demo: Demo) -> None:
    """The exit-code table: 1 when the command found something to act on, 0 when not."""
    args = ["--store", demo.url, "finance", "discrepancies", "--format", "json"]
    result = runner.invoke(app, args, env={"SOCAI_TOKEN": demo.tokens[Role.FINANCE_OFFICER]})
    found = json.loads(result.stdout)["rows"]
    assert result.exit_code == (1 if found else 0)
    assert found, "the demo records one deliberate discrepancy"


def test_the_files_of_a_check_of_the_stores_figures_are_in_the_access_log(
    demo: Demo, tmp_path: Path
) -> None:
    """``quality rollups`` and ``quality check --against-events`` write results (and Data
    Docs) holding figures computed from the store: each file is an export record."""
    for args in (
        ("quality", "rollups", "--unit", "2025:82", "--json", str(tmp_path / "r.json")),
        ("quality", "check", "examples/hong_ngu_2016_2020.csv", "--unit", "old:870",
         "--against-events", "--json", str(tmp_path / "c.json")),
    ):  # fmt: skip
        before = _head(demo.url)
        _run(demo, Role.STATISTICIAN, *args)
        kinds = [type(e) for e in _events_after(demo.url, before)]
        assert kinds == [AccessRecord.DataExported], args


@pytest.mark.parametrize("name", sorted(VERDICT))
def test_a_verdicts_json_csv_and_file_hold_the_same_findings_and_exit_status(
    name: str, demo: Demo, tmp_path: Path
) -> None:
    """A verdict as data: JSON with its figures beside the findings, CSV with one line per
    finding (``status``: per fact), ``-o`` the same bytes behind a byte-order mark, and the
    exit status the table format gives, whatever the format."""
    role, template = VERDICT[name]
    args = ["--store", demo.url, *name.split(), *(a.format(**demo.values) for a in template)]
    env = {"SOCAI_TOKEN": demo.tokens[role]} if role is not None else {}
    as_table = runner.invoke(app, args, env=env)
    as_json = runner.invoke(app, [*args, "--format", "json"], env=env)
    as_csv = runner.invoke(app, [*args, "--format", "csv"], env=env)
    assert as_table.exit_code in (0, 1, 3, 4), as_table.stderr
    assert as_json.exit_code == as_csv.exit_code == as_table.exit_code, as_json.stderr
    data = json.loads(as_json.stdout)
    assert isinstance(data, dict) and data
    if name == "status":
        rows = list(csv.reader(io.StringIO(as_csv.stdout)))
        assert rows[0] == ["key", "value"]
        assert ["store.head", str(data["store"]["head"])] in rows
    else:
        key = "findings" if "findings" in data else "rows"
        listed = data[key]
        if name == "audit verify":
            assert data["exit_status"] == as_table.exit_code
            assert data["events"] > 0
        if name.startswith("quality"):
            assert data["errors"] == sum(f["severity"] == "error" for f in listed)
        if name == "quality check":
            assert listed, "the Hồng Ngự report has real errors"
        _csv_is(as_csv.stdout, listed)
    target = tmp_path / "verdict.csv"
    before = _head(demo.url)
    written = runner.invoke(app, [*args, "--format", "csv", "-o", str(target)], env=env)
    assert written.exit_code == as_table.exit_code
    assert target.read_text(encoding="utf-8") == UTF8_BOM + as_csv.stdout
    if role is not None:  # a file of the store's figures: its writing is in the access log
        kinds = [type(e) for e in _events_after(demo.url, before)]
        assert kinds.count(AccessRecord.DataExported) == 1, name
