"""``socai serve`` as an operator runs it: a real process on 127.0.0.1, pages in Vietnamese,
the security headers on, and no access log (a request's path, with its case id or search,
appears nowhere in the server's output)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from domain.access.roles import Role
from infra.web.session import SESSION_COOKIE
from tests.infra.web.conftest import World

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_socai_serve_listens_locally_and_logs_no_request(world: World, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SOCAI_TOKEN", None)
    out = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "infra.cli.main", "--store", world.url, "serve",
         "--port", str(port)],
        stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                login = httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "socai serve did not start"
                time.sleep(0.2)
        assert login.status_code == 200
        assert 'lang="vi"' in login.text and "Đăng nhập" in login.text
        assert login.headers["x-frame-options"] == "DENY"
        assert "server" not in login.headers, "the server does not name itself"
        cookies = {SESSION_COOKIE: world.tokens[(Role.INSPECTOR, "in")]}
        page = httpx.get(f"{base}/cases/{world.case}", cookies=cookies, timeout=30)
        assert page.status_code == 200
    finally:
        process.terminate()
        process.wait(10)
        out.close()
    log = (tmp_path / "server.log").read_text()
    assert f"127.0.0.1:{port}" in log, "it says where it listens"
    assert world.case not in log and "GET /" not in log, log
