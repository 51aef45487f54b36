"""``socai demo``: build the realistic synthetic scenario in a fresh store and show it."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from domain.case.steps import CaseStatus
from domain.errors import SocaiError
from domain.reference.units import NATIONAL_CODE, AdminMap
from domain.time import REFORM_DAY_2025
from infra.audit_store import ledger_tables
from infra.auth.files import write_secret_file
from infra.cli.case import history_report
from infra.cli.commands import cli_command
from infra.cli.context import CliState, console, say, state
from infra.cli.extras import require
from infra.cli.output import emit
from infra.cli.progress import progress, run_with_progress
from infra.keys import create_key_file
from infra.ledger.checkpoints import create_signing_key, load_signing_key, make_checkpoint
from infra.ledger_settings import signing_key_path
from infra.projection_db import projections_engine, runner_for
from infra.scenario import (
    HONG_NGU_DISTRICT_OLD,
    ScenarioConfig,
    run_scenario,
    seed_activities,
    seed_funding,
    seed_proceedings,
)
from infra.scenario.staff import demo_users, demo_users_path
from projections.kpi import compute_kpis
from projections.rollup import compute_rollup
from projections.rollup_export import to_text

if TYPE_CHECKING:
    from infra.services.socai import Socai
    from infra.settings import Settings

MAX_DEMO_CASES = 100_000


#: What to try after the demo, one command per line (copying one line runs one command).
NEXT_COMMANDS = (
    # act as the demo's national inspector (reads every case, report and account; writes
    # nothing); USERS is the users file the demo wrote
    "export SOCAI_TOKEN=$(python3 -c \"import json; print(next(u['token'] for u in"
    " json.load(open('USERS')) if u['role'] == 'inspector'))\")",
    "socai whoami",
    "socai case list",
    "socai case history CASE_ID --as-of 2019-12-31",
    "socai finance reconcile --by programme,line,source",
    "socai finance discrepancies",
    "socai rollup --unit old:870 --period 2016-2020",
    "socai kpi --unit 2025:VN",
    "socai proceedings list --unit VN",
    "socai access log --user CASE-OFFICER-82",
    "socai audit verify --public-key STORE.signing.pub.pem",
    "socai quality check examples/hong_ngu_2016_2020.csv --unit old:870 --against-events",
)


@cli_command
def demo(
    ctx: typer.Context,
    cases: int = typer.Option(40, "--cases", min=1, max=MAX_DEMO_CASES, help="How many cases."),
    seed: int = typer.Option(2016, "--seed", help="Same seed, same scenario."),
    reset: bool = typer.Option(
        False, "--reset", help="Delete an existing SQLite demo store first."
    ),
) -> None:
    """Build a deterministic demo scenario (2016–2026, both maps, both laws) and show it."""
    require("faker", "socai demo")  # before any key or store is created
    cli = state(ctx)
    settings = cli.settings()
    path = settings.store.sqlite_path
    if reset:
        if path is None:
            raise SocaiError(
                "--reset only deletes SQLite demo stores", hint="use an empty PostgreSQL database"
            )
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
    if not settings.key_file.exists() and not settings.cipher_key:
        create_key_file(settings.key_file)
        say(
            ("warning:", "yellow"),
            f" created a demo encryption key at {settings.key_file}."
            " Real stores need a key kept and backed up outside the repository.",
            err=True,
        )
    app = cli.app()
    if app.log.head() > 0:
        raise SocaiError(
            f"the store {settings.store.display} already holds {app.log.head()} events",
            hint="the demo needs a fresh store: pass --reset (SQLite) or another --store",
        )
    console.print(f"Building {cases} cases (seed {seed}) in {settings.store.display} ...")
    with progress(f"recording {cases} cases", None) as advance:
        generator = run_scenario(app, ScenarioConfig(cases=cases, seed=seed), advance)
    statuses = [app.cases.get(cid).status for cid in app.cases.ids()]
    today = date.today()
    _summary(statuses, app.log.head(), today)
    spanning = next(
        (
            s
            for s in statuses
            if s.received_on
            and s.received_on < REFORM_DAY_2025
            and any(x.occurred_on >= REFORM_DAY_2025 for x in s.supports)
        ),
        None,
    )
    money = seed_funding(
        app, [s.case_id for s in statuses if any(x.amount_vnd for x in s.supports)]
    )
    console.print(
        f"Funding: programmes {', '.join(money.programmes)}; {money.recorded} transactions;"
        f" {money.supports_paid} case supports paid"
        + (
            f"; deliberate discrepancy: case {money.discrepancy[0]} support event"
            f" v{money.discrepancy[1]} corrected after payment"
            if money.discrepancy
            else ""
        )
    )
    activities = seed_activities(app, seed)
    console.print(f"Activities: {activities} recorded (directives, sessions, materials, courses)")
    criminal = seed_proceedings(app, statuses, seed)
    console.print(f"Criminal cases (vụ án): {criminal} opened, with their later stages")
    users_file = _write_demo_users(app, settings)
    _projections_and_ledger(cli, app, today)
    corrected = next((s for s in statuses if s.corrections), None)
    shown: list[CaseStatus] = []
    for candidate in (spanning, corrected, *statuses):
        if candidate is not None and candidate not in shown:
            shown.append(candidate)
    for status in shown[:2]:
        console.rule(f"history of case {status.case_id}")
        emit(history_report(app, app.cases.as_it_stood(status.case_id)))
    assert len(generator.personal_data) >= cases
    say(
        ("Users:", "bold"),
        f" one per role, with passwords, one-time-code secrets and 30-day API tokens, in"
        f" {users_file} (mode 0600). Log in as one"
        " (`socai login CASE-OFFICER-82 --totp CODE`), or for a script:"
        " export SOCAI_TOKEN=<its token>.",
    )
    console.print("\nNext (one command per line):")
    for command in NEXT_COMMANDS:
        console.print(f"  {command.replace('USERS', str(users_file))}", soft_wrap=True)
    _print_web(settings, users_file)  # last, after a blank line: how to open the web


def _print_web(settings: Settings, users_file: Path) -> None:
    """How to open the web pages on this demo store, and whom to log in as."""
    password = (
        "python3 -c \"import json; print(next(u['password'] for u in"
        f" json.load(open('{users_file}')) if u['username'] == 'INSPECTOR-VN'))\""
    )
    code = (
        ".venv/bin/python -c \"import json, pyotp; print(pyotp.TOTP(next(u['totp_secret'] for u in"
        f" json.load(open('{users_file}')) if u['username'] == 'CASE-OFFICER-82')).now())\""
    )
    say(("\nWeb:", "bold"), " the same services in a browser (Vietnamese; English by the switch):")
    for line in (
        f"  socai --store {settings.store.display} serve",
        "  then open http://127.0.0.1:8765/ and log in as INSPECTOR-VN (no one-time code);",
        f"  its password: {password}",
        "  a role that reads personal data also needs a one-time code, e.g. CASE-OFFICER-82:",
        f"  {code}",
    ):
        console.print(line, soft_wrap=True)


def _write_demo_users(app: Socai, settings: Settings) -> Path:
    """Register one user per role and write their credentials (mode 0600)."""
    path = demo_users_path(settings)
    write_secret_file(path, json.dumps(demo_users(app), ensure_ascii=False, indent=2) + "\n")
    return path


def _projections_and_ledger(cli: CliState, app: Socai, today: date) -> None:
    """Build the read models in-process, show the KPIs and the Hồng Ngự rollup, and sign a
    checkpoint of the ledger (creating a demo signing key with a warning)."""
    settings = cli.settings()
    engine = projections_engine(settings)
    run_with_progress(runner_for(app.log, engine), app.log.head(), "building the projections")
    table = Table(title=f"Programme KPIs, national (VN), on {today}")
    for column in ("indicator", "chỉ tiêu", "value", "target", "met"):
        table.add_column(column)
    for k in compute_kpis(engine, AdminMap.OLD, NATIONAL_CODE, today):
        target = f"{float(k.target) * 100:.0f}%" if k.denominator is not None else str(k.target)
        table.add_row(k.key, k.label_vi, k.display(), target, "yes" if k.met else "NO")
    console.print(table)
    form = compute_rollup(engine, AdminMap.OLD, HONG_NGU_DISTRICT_OLD, range(2016, 2021))
    console.print(to_text(form), markup=False, highlight=False, soft_wrap=True)
    key_path = signing_key_path(settings)
    if not key_path.exists():
        create_signing_key(key_path)
        say(
            ("warning:", "yellow"),
            f" created a demo checkpoint signing key at {key_path}."
            " Real ledgers keep it off the database host.",
            err=True,
        )
    with ledger_tables(settings) as tables:
        made = make_checkpoint(tables, load_signing_key(key_path))
    console.print(
        f"Ledger: checkpoint of {made.tree_size} events signed (root {made.root_hash[:16]}…,"
        f" key {made.key_id[:16]}…); `socai audit verify` recomputes it from the raw rows."
    )


def _summary(statuses: list[CaseStatus], events: int, today: date) -> None:
    table = Table(title=f"{len(statuses)} cases, {events} events")
    table.add_column("measure")
    table.add_column("count", justify="right")
    rows = [
        (
            "received 2016 – 30 Jun 2025 (old law, old map)",
            sum(s.received_on is not None and s.received_on < REFORM_DAY_2025 for s in statuses),
        ),
        (
            "received from 1 Jul 2025 (Law 53/2024, 2025 map)",
            sum(s.received_on is not None and s.received_on >= REFORM_DAY_2025 for s in statuses),
        ),
        *(
            (f"reception form: {k}", v)
            for k, v in sorted(Counter(s.reception_form for s in statuses).items())
        ),
        *(
            (f"outcome: {k}", v)
            for k, v in sorted(
                Counter(s.verification_outcome or "pending" for s in statuses).items()
            )
        ),
        *((f"stage: {k}", v) for k, v in sorted(Counter(s.stage for s in statuses).items())),
        (
            "procedures finished after the 15-day limit",
            sum(s.procedures_overdue_days(today) > 0 for s in statuses),
        ),
        ("cases with corrections", sum(s.corrections > 0 for s in statuses)),
        (
            "cases supported across 30 Jun 2025",
            sum(
                bool(s.supports)
                and min(x.occurred_on for x in s.supports)
                < REFORM_DAY_2025
                <= max(x.occurred_on for x in s.supports)
                for s in statuses
            ),
        ),
    ]
    for label, value in rows:
        table.add_row(label, str(value))
    console.print(table)
