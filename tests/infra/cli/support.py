"""Shared by the CLI tests: an API token for scripts, as ``SOCAI_TOKEN`` carries it."""

from __future__ import annotations

from functools import cache

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
