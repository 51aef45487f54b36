"""An unreachable PostgreSQL store is a clear error within seconds, not a 30-second traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from infra.application import POSTGRES_CONNECT_TIMEOUT_SECONDS, StoreUnreachable, store_env
from infra.audit_store import ledger_tables
from infra.keys import create_key_file
from infra.services.socai import Socai
from infra.settings import Settings
from tests.infra.cli.test_cli import socai

pytestmark = pytest.mark.integration


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again on leaving: nobody listens there


@pytest.fixture
def unreachable(tmp_path: Path) -> Settings:
    key = tmp_path / "k.key"
    create_key_file(key)
    return Settings.load(f"postgresql://socai:pw@127.0.0.1:{_closed_port()}/socai", str(key))


def test_the_wait_for_a_connection_is_bounded(unreachable: Settings) -> None:
    env = store_env(unreachable, "k")
    assert env["POSTGRES_CONNECT_TIMEOUT"] == str(POSTGRES_CONNECT_TIMEOUT_SECONDS)
    assert POSTGRES_CONNECT_TIMEOUT_SECONDS <= 10


def test_opening_the_application_says_what_is_wrong(unreachable: Settings) -> None:
    with pytest.raises(StoreUnreachable, match="cannot open the store") as refused:
        Socai(unreachable)
    assert ":***@" in refused.value.message and "pw" not in refused.value.message
    assert "host, port" in refused.value.hint


def test_opening_the_ledger_for_audit_says_the_same(unreachable: Settings) -> None:
    with pytest.raises(StoreUnreachable), ledger_tables(unreachable):
        pass


def test_the_cli_prints_error_and_hint_and_exits_2(tmp_path: Path) -> None:
    store = f"postgresql://socai:pw@127.0.0.1:{_closed_port()}/socai"
    key = tmp_path / "k.key"
    create_key_file(key)
    result = socai(store, "--key-file", str(key), "case", "list")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: cannot open the store")
    assert "Traceback" not in result.stderr and "hint:" in result.stderr
