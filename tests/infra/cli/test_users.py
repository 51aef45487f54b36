"""``socai users``, ``login`` and ``access log`` as a person runs them (subprocesses)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pyotp
import pytest

from tests.infra.cli.support import run_socai

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]


def run(tmp: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("SOCAI_")},
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "200",
        "SOCAI_STORE": f"sqlite:///{tmp / 'store.db'}",
        "SOCAI_TOKEN_FILE": str(tmp / "token"),
        **env,
    }
    return run_socai(*args, env=full_env, cwd=tmp)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def login(tmp: Path, name: str) -> subprocess.CompletedProcess[str]:
    creds = json.loads((tmp / f"{name}.credentials.json").read_text())
    code = pyotp.TOTP(creds["totp_secret"]).now() if creds["totp_secret"] else ""
    args = ["login", name] + (["--totp", code] if code else [])
    return run(tmp, *args, SOCAI_PASSWORD=creds["password"])


def test_first_administrator_login_register_grant_and_refusals(tmp_path: Path) -> None:
    assert run(tmp_path, "keys", "init").returncode == 0
    made = run(tmp_path, "users", "init", "ADMIN-01", "--agency", "labour_social_affairs")
    assert made.returncode == 0, made.stderr
    credentials = tmp_path / "ADMIN-01.credentials.json"
    assert mode(credentials) == 0o600 and "mode 0600" in made.stdout
    password = json.loads(credentials.read_text())["password"]
    assert password not in made.stdout + made.stderr
    again = run(tmp_path, "users", "init", "ADMIN-02", "--agency", "police")
    assert again.returncode == 2 and "already has users" in again.stderr

    not_yet = run(tmp_path, "users", "list")
    assert not_yet.returncode == 2 and "not logged in" in not_yet.stderr
    wrong = run(tmp_path, "login", "ADMIN-01", "--totp", "123456", SOCAI_PASSWORD="x" * 12)
    assert wrong.returncode == 2 and "unknown user or wrong password" in wrong.stderr
    assert login(tmp_path, "ADMIN-01").returncode == 0
    token_file = tmp_path / "token"
    assert mode(token_file) == 0o600
    assert "ADMIN-01" in run(tmp_path, "whoami").stdout

    for args in (
        ["users", "register", "TK-01", "--agency", "labour_social_affairs", "--no-totp"],
        ["users", "grant", "TK-01", "--role", "statistician", "--scope", "82", "--basis", "QĐ-1"],
    ):
        done = run(tmp_path, *args)
        assert done.returncode == 0, done.stderr
    assert "TK-01" in run(tmp_path, "users", "list").stdout

    admin_token = token_file.read_text()
    assert login(tmp_path, "TK-01").returncode == 0
    refused = run(tmp_path, "users", "list")
    assert refused.returncode == 2
    assert "not allowed for TK-01" in refused.stderr and "administrator" in refused.stderr

    token_file.chmod(0o644)
    loose = run(tmp_path, "whoami")
    assert loose.returncode == 2 and "chmod 600" in loose.stderr

    log = run(tmp_path, "access", "log", "--user", "TK-01", SOCAI_TOKEN=admin_token.strip())
    assert log.returncode == 2 and "access_log.read" in log.stderr  # administrators: no logs
    assert run(tmp_path, "logout", SOCAI_TOKEN_FILE=str(tmp_path / "none")).returncode == 0
