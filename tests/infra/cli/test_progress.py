"""Progress of long work: on stderr at a terminal, nothing in piped output (issue 17).

Each long phase — the demo's recording and projections, a query ``--known-at``, a rebuild, a
ledger verification, a reconciliation, a quality check — reports through
:func:`infra.cli.progress.progress`. The tests swap stderr's console for one that is (or is
not) a terminal and read what it was sent.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest
from rich.console import Console
from typer.testing import CliRunner

from domain.access.roles import Role
from infra.cli import context
from infra.cli.main import app
from infra.cli.progress import progress
from infra.ledger.checkpoints import public_key_path
from infra.ledger_settings import signing_key_path
from infra.scenario.staff import demo_users_path
from infra.settings import Settings

runner = CliRunner()

Terminal = Callable[[bool], io.StringIO]


@pytest.fixture
def stderr_is(monkeypatch: pytest.MonkeyPatch) -> Terminal:
    """Make stderr's console a terminal (or not); returns what it receives."""

    def swap(terminal: bool) -> io.StringIO:
        received = io.StringIO()
        console = Console(file=received, force_terminal=terminal, width=120, markup=False)
        monkeypatch.setattr(context, "err_console", console)
        return received

    return swap


def test_a_phase_shows_its_progress_at_a_terminal(stderr_is: Terminal) -> None:
    received = stderr_is(True)
    with progress("counting", 3) as advance:
        for _ in range(3):
            advance(1)
    assert "counting" in received.getvalue()


def test_nothing_is_printed_when_stderr_is_not_a_terminal(stderr_is: Terminal) -> None:
    received = stderr_is(False)
    with progress("counting", 3) as advance:
        advance(3)
    with progress("unknown length") as advance:
        advance(1)
    assert received.getvalue() == ""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[Role, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('progress') / 'p.db'}"
    made = runner.invoke(app, ["--store", url, "demo", "--cases", "4", "--seed", "1"])
    assert made.exit_code == 0, made.stderr
    users = json.loads(demo_users_path(Settings.load(url)).read_text(encoding="utf-8"))
    return url, {Role(u["role"]): str(u["token"]) for u in users if u["scope"] == "VN"}


@pytest.mark.parametrize(
    ("role", "args", "label"),
    [
        (Role.STATISTICIAN, ("projections", "rebuild"), "rebuilding"),
        (Role.STATISTICIAN, ("kpi", "--known-at", "2020-01-01"), "as known at"),
        (Role.FINANCE_OFFICER, ("finance", "reconcile", "--known-at", "2020-01-01"), "known at"),
        (Role.STATISTICIAN, ("projections", "verify"), "to compare"),
        (Role.STATISTICIAN, ("quality", "rollups", "--unit", "old:87"), "checking the rules"),
    ],
)
def test_long_phases_report_progress_on_stderr_and_nothing_on_stdout(
    store: tuple[str, dict[Role, str]],
    stderr_is: Terminal,
    role: Role,
    args: tuple[str, ...],
    label: str,
) -> None:
    url, tokens = store
    received = stderr_is(True)
    result = runner.invoke(app, ["--store", url, *args], env={"SOCAI_TOKEN": tokens[role]})
    assert result.exit_code in (0, 1), result.stderr
    assert label in received.getvalue()
    assert label not in result.stdout


def test_a_ledger_verification_shows_its_progress(
    store: tuple[str, dict[Role, str]], stderr_is: Terminal
) -> None:
    url, _tokens = store
    received = stderr_is(True)
    key = public_key_path(signing_key_path(Settings.load(url)))
    result = runner.invoke(app, ["--store", url, "audit", "verify", "--public-key", str(key)])
    assert result.exit_code == 0, result.stderr
    assert "verifying the ledger" in received.getvalue()
    assert "verifying the ledger" not in result.stdout


def test_the_demo_shows_its_recording_at_a_terminal(
    stderr_is: Terminal, tmp_path_factory: pytest.TempPathFactory
) -> None:
    received = stderr_is(True)
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'd.db'}"
    made = runner.invoke(app, ["--store", url, "demo", "--cases", "2", "--seed", "1"])
    assert made.exit_code == 0, made.stderr
    assert "recording 2 cases" in received.getvalue()
    assert "building the projections" in received.getvalue()
    assert "recording 2 cases" not in made.stdout
