"""The ``run`` fixture: ``socai finance`` in-process on a fresh SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from infra.cli import finance
from infra.cli.context import CliState
from infra.scenario.builders import FINANCE, open_app
from infra.scenario.staff import worker_token


def _cli(store: Path) -> typer.Typer:
    """The finance group under a root that opens the given store (as ``socai`` does)."""
    root = typer.Typer()

    @root.callback()
    def main(ctx: typer.Context) -> None:
        ctx.obj = CliState(store=f"sqlite:///{store}", key_file=f"{store}.key")
        ctx.call_on_close(ctx.obj.close)

    root.add_typer(finance.app, name="finance")
    return root


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with open_app(tmp_path) as app:  # creates the store's key file and its finance officer
        monkeypatch.setenv("SOCAI_TOKEN", worker_token(app, FINANCE))
    monkeypatch.delenv("SOCAI_PROJECTIONS_DB", raising=False)
    app = _cli(tmp_path / "socai.db")
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["finance", *args])
        output = result.stdout + (result.stderr if result.stderr_bytes is not None else "")
        assert result.exit_code == code, output
        return output

    return invoke
