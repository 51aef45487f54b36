"""Shared by the CLI tests: an API token for scripts, as ``SOCAI_TOKEN`` carries it, and
``socai`` run as a person runs it (a subprocess)."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

from domain.case.values import Actor
from infra.scenario.staff import demo_admin, demo_users_path, worker_token
from infra.services.socai import Socai
from infra.settings import Settings

#: The officer the CLI tests act as (every recording and reading role, nationally).
SCRIPT_OFFICER = Actor("BP-87-01", "border_guard")


def script_token(store_url: str, key_file: str | None = None) -> str:
    """A token for :data:`SCRIPT_OFFICER` on the store: registered by the store's first
    administrator (the demo's, from its users file, when ``socai demo`` made the store); one
    per store and key, however the key file is named."""
    return _token(store_url, str(Settings.load(store_url, key_file).key_file.resolve()))


@cache
def _token(store_url: str, key_file: str) -> str:
    settings = Settings.load(store_url, key_file)
    admin = demo_admin(settings) if demo_users_path(settings).exists() else None
    app = Socai(settings)
    try:
        return worker_token(app, SCRIPT_OFFICER, admin)
    finally:
        app.close()


def run_socai(
    *args: str, env: dict[str, str], cwd: Path, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``socai ARGS`` in a child process (``python -m infra.cli.main``) with exactly ``env``,
    its output captured as text; a run longer than ``timeout`` seconds fails the test."""
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=timeout,
    )
