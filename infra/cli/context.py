"""What every command shares: the settings, the open application, the console, errors.

Commands never print tracebacks (which could carry personal data in their locals): a
:class:`SocaiError` becomes ``error: ...`` plus a hint on stderr and exit status 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console

from domain.errors import SocaiError
from infra.settings import Settings

if TYPE_CHECKING:
    from infra.services.socai import Socai

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

#: Exit status for a refused command or bad input (nothing written).
EXIT_REFUSED = 2


@dataclass
class CliState:
    store: str | None = None
    key_file: str | None = None
    _app: Socai | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        return Settings.load(self.store, self.key_file)

    def app(self) -> Socai:
        """The services on the configured store, opened once per command."""
        if self._app is None:
            from infra.services.socai import Socai

            self._app = Socai(self.settings())
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


def report_error(error: SocaiError) -> None:
    err_console.print(f"[bold red]error:[/] {error.message}", markup=True, soft_wrap=True)
    if error.hint:
        err_console.print(f"  [yellow]hint:[/] {error.hint}", markup=True, soft_wrap=True)


F = TypeVar("F", bound=Callable[..., Any])


def refusing(func: F) -> F:
    """Turn a SocaiError into a clear message and exit status 2 (nothing was written)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SocaiError as error:
            report_error(error)
            sys.exit(EXIT_REFUSED)

    return wrapper  # type: ignore[return-value]
