"""What every command shares: the settings, the open application, the console, errors.

Commands never print tracebacks (which could carry personal data in their locals): a
:class:`SocaiError` (or the ledger's :class:`LedgerError`) becomes ``error: ...`` plus a hint
on stderr and exit status 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from domain.errors import SocaiError
from infra.cli.extras import as_missing_extra
from infra.ledger.errors import LedgerError
from infra.settings import Settings

if TYPE_CHECKING:
    from domain.access.policy import Action
    from domain.access.principal import Principal
    from domain.access.scope import UnitRef
    from domain.reference.units import AdminMap
    from infra.cli.unit_option import ReportUnit
    from infra.services.socai import Socai

#: Where ``socai login`` keeps the token when neither --token-file nor SOCAI_TOKEN_FILE says.
DEFAULT_TOKEN_FILE = Path.home() / ".socai" / "token"

#: Nothing printed is ever parsed as Rich markup: stored and echoed text (an officer id
#: ``[/]``, a programme title ``[dự thảo]``) is shown exactly as written. Styling goes through
#: :func:`say`, which styles only the literal labels it is given.
#: Printed to a pipe or a file, nothing is cut or wrapped to 80 columns (``socai case list |
#: cat`` shows whole ids): the width is then unbounded, and tables are as wide as their cells.
UNBOUNDED_WIDTH_CHARS = 100_000
console = Console(
    highlight=False, markup=False, width=None if sys.stdout.isatty() else UNBOUNDED_WIDTH_CHARS
)
err_console = Console(
    stderr=True,
    highlight=False,
    markup=False,
    width=None if sys.stderr.isatty() else UNBOUNDED_WIDTH_CHARS,
)

Part = str | tuple[str, str]


def say(*parts: Part, err: bool = False) -> None:
    """Print one line literally; a ``(text, style)`` part is styled (e.g. ``("error:",
    "bold red")``), a plain string is printed as it is."""
    (err_console if err else console).print(Text.assemble(*parts), soft_wrap=True)


def language() -> str:
    """The language of labels: Vietnamese beside codes by default, codes alone with
    ``SOCAI_LANG=en``. Anything else is refused rather than guessed."""
    chosen = os.environ.get("SOCAI_LANG", "vi").strip().lower() or "vi"
    if chosen not in ("vi", "en"):
        raise SocaiError(f"SOCAI_LANG={chosen!r} is not a language socai speaks", hint="vi or en")
    return chosen


#: Exit statuses, the same for every command (README, "Exit codes"): 0 done and nothing
#: found; 1 the command ran and found something to act on (a wrong cell, a discrepancy, a
#: ledger that does not verify); 2 refused or bad usage, nothing written. ``audit verify``
#: adds 3 (unsigned tail) and 4 (not witnessed).
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_REFUSED = 2
#: Refusals reported as ``error:`` + ``hint:`` (the ledger's own, since it imports nothing of
#: the domain, and the domain's).
REFUSALS = (SocaiError, LedgerError)


@dataclass
class CliState:
    store: str | None = None
    key_file: str | None = None
    token_file: str | None = None
    _app: Socai | None = field(default=None, repr=False)
    _principal: Principal | None = field(default=None, repr=False)

    def settings(self) -> Settings:
        return Settings.load(self.store, self.key_file)

    def app(self) -> Socai:
        """The services on the configured store, opened once per command."""
        if self._app is None:
            from infra.services.socai import Socai

            self._app = Socai(self.settings())
        return self._app

    def allowed(
        self, action: Action, target: UnitRef | None = None, subject: str | None = None
    ) -> Principal:
        """The logged-in user, allowed ``action`` on ``target`` by the one policy (the same
        check every service call makes), or refused (``error: … not allowed``, exit 2, the
        refusal in the access log)."""
        return self.app().access.check(self.principal(), action, target, subject)

    def allowed_unit(
        self, action: Action, where: ReportUnit, national_map: AdminMap, subject: str
    ) -> tuple[AdminMap, str]:
        """The map and code of the unit a report names (``--unit``, or the old ``--map`` with a
        code; the nation on ``national_map`` by default), the logged-in user allowed ``action``
        over it (đơn vị trong phạm vi được giao), or refused as :meth:`allowed` refuses."""
        from domain.access.scope import UnitRef

        chosen_map, code = where.chosen(national_map)
        self.allowed(action, UnitRef(chosen_map.value, code), subject)
        return chosen_map, code

    def allowed_somewhere(self, action: Action, subject: str) -> Principal:
        """The logged-in user, holding a role that allows ``action`` over some scope (a
        listing then shows only what lies in it)."""
        return self.app().access.check(self.principal(), action, subject=subject, anywhere=True)

    def exported(self, output: Path | None, what: str, scope: str, fmt: str) -> None:
        """Record a file export in the access log (who, what, which scope, which format)."""
        if output is not None:
            self.app().access.record_export(self.principal(), what, scope, fmt)

    def token_path(self) -> Path:
        return Path(self.token_file) if self.token_file else DEFAULT_TOKEN_FILE

    def principal(self) -> Principal:
        """Who runs this command, proven by a token: ``SOCAI_TOKEN`` (scripts), else the
        token file ``socai login`` wrote. Checked against the store on every service call."""
        if self._principal is None:
            from infra.auth.files import read_secret_file
            from infra.auth.tokens import NotAuthenticated

            token = os.environ.get("SOCAI_TOKEN")
            if not token:
                path = self.token_path()
                if not path.exists():
                    raise NotAuthenticated(
                        f"not logged in: no token in SOCAI_TOKEN and no token file {path}",
                        hint="log in first: socai login USERNAME --totp CODE",
                    )
                token = read_secret_file(path)
            self._principal = self.app().access.authenticate(token)
        return self._principal

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
            self._app = None


def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_root().obj
    assert isinstance(obj, CliState)
    return obj


def report_error(error: SocaiError | LedgerError) -> None:
    say(("error:", "bold red"), f" {error.message}", err=True)
    if error.hint:
        say("  ", ("hint:", "yellow"), f" {error.hint}", err=True)


def file_error(error: OSError) -> SocaiError:
    """A file the command reads or writes cannot be used: say which, why, and what to do."""
    where = f" {error.filename}" if error.filename else ""
    reason = error.strerror or type(error).__name__
    return SocaiError(
        f"cannot use the file{where}: {reason}",
        hint="check that the path names a file (not a folder), that its folder exists, and"
        " that you may read or write it",
    )


F = TypeVar("F", bound=Callable[..., Any])


def refusing(func: F) -> F:
    """Turn a refusal into a clear message and exit status 2 (nothing was written)."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except REFUSALS as error:
            report_error(error)
            sys.exit(EXIT_REFUSED)
        except ModuleNotFoundError as error:  # an optional part (extra) is not installed
            missing = as_missing_extra(error)
            if missing is None:
                raise
            report_error(missing)
            sys.exit(EXIT_REFUSED)
        except OSError as error:  # a file or folder the command was pointed at
            report_error(file_error(error))
            sys.exit(EXIT_REFUSED)

    return wrapper  # type: ignore[return-value]
