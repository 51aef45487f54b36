"""Entry point of the ``socai`` command line.

Each command group lives in its own module and is registered in :data:`GROUPS`; global
options (``--store``, ``--key-file``) are read once here.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import typer

from infra.cli.context import EXIT_REFUSED, REFUSALS, CliState, report_error
from infra.cli.extras import as_missing_extra
from infra.version import distribution_version

app = typer.Typer(
    name="socai",
    help="Sổ cái: event-sourced case and funding ledger for the anti-trafficking programme.",
    no_args_is_help=True,
    add_completion=True,  # socai --install-completion (bash, zsh, fish, PowerShell)
    pretty_exceptions_enable=False,  # never render locals (they may hold personal data)
    rich_markup_mode="rich",
)

#: (module, group name, help). A group's module exposes a ``typer.Typer`` named ``app``.
GROUPS: list[tuple[str, str, str]] = [
    ("infra.cli.users", "users", "Users, roles over units, credentials (người dùng)."),
    ("infra.cli.access", "access", "The access log: who read whose data, refusals, exports."),
    ("infra.cli.audit", "audit", "Prove the ledger intact: verify, checkpoints, proofs."),
    ("infra.cli.case", "case", "Record and read the steps of a case (hồ sơ)."),
    ("infra.cli.person", "person", "A data subject's rights: export, retention, erasure."),
    ("infra.cli.export", "export", "De-identified, k-anonymous records for publication."),
    ("infra.cli.finance", "finance", "Budgets, allocations, payments, reconciliation."),
    ("infra.cli.keys", "keys", "The encryption key of the store."),
    ("infra.cli.units", "units", "Administrative units on the old and the 2025 map."),
    ("infra.cli.quality", "quality", "Check rollups, name every wrong cell (chất lượng số liệu)."),
    ("infra.cli.projections", "projections", "Read models: rebuild, status, case status."),
    ("infra.cli.activity", "activity", "Record programme activities (directives, sessions...)."),
    ("infra.cli.proceedings", "proceedings", "Criminal cases of trafficking (vụ án): stages."),
    ("infra.cli.streams", "streams", "Publish events to Kafka, read topics, run stream workers."),
]

#: Single commands: (module, function name, command name).
COMMANDS: list[tuple[str, str, str]] = [
    ("infra.cli.demo", "demo", "demo"),
    ("infra.cli.users", "login", "login"),
    ("infra.cli.users", "logout", "logout"),
    ("infra.cli.users", "whoami", "whoami"),
    ("infra.cli.store", "init", "init"),
    ("infra.cli.store", "migrate", "migrate"),
    ("infra.cli.projections", "kpi", "kpi"),
    ("infra.cli.projections", "rollup", "rollup"),
    ("infra.cli.status", "status", "status"),
    ("infra.cli.serve", "serve", "serve"),
]


def _print_version(value: bool) -> None:
    if value:
        print(f"socai {distribution_version()}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    store: str = typer.Option(
        None,
        "--store",
        envvar="SOCAI_STORE",
        help="sqlite:///PATH (default sqlite:///./socai.db) or postgresql://USER:PW@HOST:PORT/DB",
    ),
    key_file: str = typer.Option(
        None, "--key-file", envvar="SOCAI_KEY_FILE", help="File with the store's AES key."
    ),
    token_file: str = typer.Option(
        None,
        "--token-file",
        envvar="SOCAI_TOKEN_FILE",
        help="Where `socai login` keeps your token (default ~/.socai/token);"
        " SOCAI_TOKEN, when set, is used instead.",
    ),
    version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=_print_version,
        help="Print socai's version and exit.",
    ),
) -> None:
    ctx.obj = CliState(store=store, key_file=key_file, token_file=token_file)
    ctx.call_on_close(ctx.obj.close)


for _module, _name, _help in GROUPS:
    app.add_typer(importlib.import_module(_module).app, name=_name, help=_help)
for _module, _func, _name in COMMANDS:
    app.command(_name)(getattr(importlib.import_module(_module), _func))


def run() -> None:
    logging.basicConfig(
        level=os.environ.get("SOCAI_LOG_LEVEL", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        app()
    except REFUSALS as error:
        report_error(error)
        sys.exit(EXIT_REFUSED)
    except ModuleNotFoundError as error:  # a command module reached a missing extra
        missing = as_missing_extra(error)
        if missing is None:
            raise
        report_error(missing)
        sys.exit(EXIT_REFUSED)


if __name__ == "__main__":
    run()
