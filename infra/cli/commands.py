"""How a function becomes a ``socai`` command: refusals handled, option sets expanded.

Every command refuses the same way (:func:`infra.cli.context.refusing`: ``error:`` + ``hint:``,
exit 2, nothing written), so :func:`command` registers a function with that handling and no
command can forget it.

Some options always travel together (bộ tùy chọn): a read command's ``--format`` and ``-o``, a
report's ``--unit`` with the old ``--map``, its ``--period`` with the old ``--years``. Each such
set is one frozen dataclass (:class:`infra.cli.options.OptionSet`) whose fields are the one
declaration of each option in :mod:`infra.cli.options` (:func:`infra.cli.options.option`); a
command takes the set as one parameter typed by its class (``reply: Reply``). For typer the
set's options stand in that parameter's place, under the parameter names they always had (so
``--help``, the flags and the conformance test see the very declarations), and the command
receives the typed object built from their values.

Invariant: an option belongs to one parameter of the command; a set whose field names another
parameter already has is refused when the command is declared, not when it runs.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import typer

from infra.cli.context import refusing
from infra.cli.options import OptionSet

F = TypeVar("F", bound=Callable[..., Any])


def with_parameters(func: F, parameters: list[inspect.Parameter]) -> F:
    """``func`` as typer will read it: with ``parameters`` as its signature (typer reads a
    command's options through ``inspect.signature`` and its annotations)."""
    func.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]  # read by typer through inspect.signature
    func.__annotations__ = {p.name: p.annotation for p in parameters}
    return func


def _expanded(func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` with each :class:`OptionSet` parameter replaced, for typer, by the set's
    options; called, it rebuilds the set from their values."""
    signature = inspect.signature(func, eval_str=True)
    sets: dict[str, type[OptionSet]] = {}
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        kind = parameter.annotation
        if not (isinstance(kind, type) and issubclass(kind, OptionSet)):
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
            continue
        sets[parameter.name] = kind
        hints = typing.get_type_hints(kind)
        parameters += [
            inspect.Parameter(
                f.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=f.metadata["option"],
                annotation=hints[f.name],
            )
            for f in dataclasses.fields(kind)
        ]
    if not sets:
        return func
    names = [p.name for p in parameters]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise TypeError(f"{func.__name__}: options {duplicated} are declared twice")

    @wraps(func)
    def command(**values: Any) -> Any:
        for name, kind in sets.items():
            fields = {f.name: values.pop(f.name) for f in dataclasses.fields(kind)}
            values[name] = kind(**fields).checked()
        return func(**values)

    return with_parameters(command, parameters)


def cli_command(func: F) -> F:
    """``func`` as every command runs: option sets expanded, refusals reported (exit 2).
    For the commands :mod:`infra.cli.main` registers at the top level."""
    return refusing(_expanded(func))  # type: ignore[return-value]


def command(app: typer.Typer, name: str | None = None) -> Callable[[F], F]:
    """Register the decorated function on ``app`` as command ``name`` (default: its own
    name), as :func:`cli_command` prepares it."""

    def register(func: F) -> F:
        app.command(name)(cli_command(func))
        return func

    return register
