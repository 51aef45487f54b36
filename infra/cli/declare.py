"""Commands declared as data: a name, the options that fill a command's fields, a service call.

A recording command is the same three things every time: which command it builds, which
option fills which field, and which service records it. :func:`declare` turns such a
declaration into a typer command, so a command module lists *what* each command takes
(``Opt("sex", typer.Option(None, "--sex", ...))``) instead of copying every flag into a dict
by hand. The function it registers receives the parsed values keyed by field name.

Invariant: the option's parameter name *is* the field name, so a flag can never be copied into
the wrong field, and the help text, the parsing and the recording are declared once.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import typer
from typer.models import ParameterInfo

from infra.cli.commands import with_parameters
from infra.cli.context import refusing

#: What a declared command does with its values, keyed by field name.
Run = Callable[[typer.Context, dict[str, Any]], None]


@dataclass(frozen=True)
class Opt:
    """One command-line option or argument and the field of the command it fills."""

    field: str
    info: ParameterInfo
    type_: Any = str


def declare(app: typer.Typer, name: str, doc: str, opts: Sequence[Opt], run: Run) -> None:
    """Register ``name`` on ``app``: its parameters are ``opts``, in order; calling it hands
    ``run`` the values by field name. Refusals exit 2 with ``error:`` and ``hint:``."""
    names = [opt.field for opt in opts]
    assert len(set(names)) == len(names), f"{name}: a field is declared twice"
    parameters = [
        inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
    ] + [
        inspect.Parameter(
            opt.field, inspect.Parameter.KEYWORD_ONLY, default=opt.info, annotation=opt.type_
        )
        for opt in opts
    ]

    def command(ctx: typer.Context, **values: Any) -> None:
        run(ctx, values)

    with_parameters(command, parameters)
    command.__doc__ = doc
    command.__name__ = command.__qualname__ = name.replace("-", "_")
    app.command(name)(refusing(command))


def option(field: str, *flags: str, help: str | None = None, type_: Any = str) -> Opt:
    """An optional flag (default: not given) that fills ``field``."""
    return Opt(field, typer.Option(None, *flags, help=help), type_)
