"""A ``CliRunner`` that builds the click command of the socai app once per test session.

``typer.testing.CliRunner.invoke`` rebuilds the whole click command tree from the Typer app on
every call (signature and type-hint introspection of every command: about 0.25 s on the 2-core
machine, three quarters of a refused command's run). The tree does not change between calls,
so it is built once and reused; the run itself is the same.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from unittest import mock

import typer
from typer.main import get_command
from typer.testing import CliRunner, Result


@cache
def _built(app: typer.Typer) -> Any:
    return get_command(app)


class CliRunnerOnce(CliRunner):
    def invoke(self, app: typer.Typer, *args: Any, **kwargs: Any) -> Result:  # type: ignore[override]
        with mock.patch("typer.testing._get_command", _built):
            return super().invoke(app, *args, **kwargs)
