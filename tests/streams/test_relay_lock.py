"""One relay per store: the lock a relay holds, on SQLite (a lock file) and PostgreSQL (a
session advisory lock) — a second relay refuses to start, however the first one ended."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from infra.scenario import ScenarioConfig, run_scenario
from infra.scenario.staff import worker_token
from infra.settings import Settings
from infra.streaming import store_engine
from streams import relay_lock
from streams.relay import DEFAULT_RELAY_NAME
from streams.relay_lock import RelayAlreadyRunning, RelayLock, lock_key
from tests.infra.cli.support import run_socai
from tests.streams.conftest import RELAY
from tests.streams.processes import REPO_ROOT, Service, service_env, wait_until

HOLD_SCRIPT = """
import sys, time
import sqlalchemy as sa
from streams.relay_lock import RelayLock
lock = RelayLock(sa.create_engine(sys.argv[1]), "kafka").acquire()
print("held", flush=True)
time.sleep(600)
"""


def _engine(url: str) -> sa.Engine:
    return store_engine(Settings.load(url, "unused.key"))


def test_the_key_is_stable_and_differs_by_relay_name():
    assert lock_key("kafka") == lock_key("kafka")
    assert lock_key("kafka") != lock_key("kafka-eu")
    assert -(2**63) <= lock_key("kafka") < 2**63


def test_a_second_lock_is_refused_until_the_first_is_released(store_url):
    first = RelayLock(_engine(store_url), DEFAULT_RELAY_NAME).acquire()
    second = RelayLock(_engine(store_url), DEFAULT_RELAY_NAME)
    with pytest.raises(RelayAlreadyRunning) as refused:
        second.acquire()
    assert "another relay already runs on this store" in refused.value.message
    assert f"{os.getpid()}" in refused.value.message  # names the holder (host:pid)
    assert refused.value.hint
    assert second.holder() is not None and str(os.getpid()) in second.holder()
    # another relay name is another lock (a second cluster may have its own relay)
    RelayLock(_engine(store_url), "kafka-dr").acquire().release()
    first.release()
    assert second.holder() is None
    second.acquire()
    assert not second.lost()
    second.release()


def test_a_killed_holder_leaves_no_stale_lock(store_url):
    engine_url = _engine(store_url).url.render_as_string(hide_password=False)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_SCRIPT, engine_url],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == b"held"
        with pytest.raises(RelayAlreadyRunning):
            RelayLock(_engine(store_url), DEFAULT_RELAY_NAME).acquire()
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    # PostgreSQL ends the dead client's session (and its lock) once the socket closes
    lock = RelayLock(_engine(store_url), DEFAULT_RELAY_NAME)
    deadline = time.monotonic() + 20
    while True:
        try:
            lock.acquire()
            break
        except RelayAlreadyRunning:
            assert time.monotonic() < deadline, "the dead holder's lock was never released"
            time.sleep(0.2)
    lock.release()


@pytest.mark.postgres
def test_a_relay_whose_session_dies_knows_it_lost_the_lock(pg_url, monkeypatch):
    monkeypatch.setattr(relay_lock, "LOCK_CHECK_SECONDS", 0.0)
    lock = RelayLock(_engine(pg_url), DEFAULT_RELAY_NAME).acquire()
    assert not lock.lost()
    with _engine(pg_url).connect() as admin:
        admin.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name LIKE 'socai-relay@%' AND datname = current_database()"
            )
        )
    assert lock.lost()
    other = RelayLock(_engine(pg_url), DEFAULT_RELAY_NAME).acquire()  # free again
    other.release()
    lock.release()  # a dead session: releasing is quiet


@pytest.mark.postgres
@pytest.mark.kafka
@pytest.mark.integration
def test_two_relays_on_one_postgresql_store(pg_url, make_app, fresh_kafka, tmp_path):
    """The issue's check: the second relay refuses to start (error + hint, exit 2) while the
    first holds the lock; after the first is killed, a relay starts and catches up."""
    app = make_app(pg_url)
    run_scenario(app, ScenarioConfig(cases=3, seed=7))
    token = worker_token(app, RELAY)
    head = app.log.head()
    key_file = str(tmp_path / "test.key")
    env = {**service_env(fresh_kafka, tmp_path / "workers.db"), "SOCAI_TOKEN": token}
    logs = tmp_path / "logs"
    logs.mkdir()
    args = ["--store", pg_url, "--key-file", key_file, "streams", "relay"]
    first = Service("relay-1", [*args, "--follow"], env, logs).start()
    try:
        engine = _engine(pg_url)
        wait_until(
            lambda: RelayLock(engine, DEFAULT_RELAY_NAME).holder() is not None,
            60,
            "the first relay to take the lock",
        )
        second = run_socai(*args, "--once", env=env, cwd=REPO_ROOT)
        assert second.returncode == 2, second.stderr
        assert "error: another relay already runs on this store" in second.stderr
        assert "hint:" in second.stderr
        assert "socai-relay@" in second.stderr  # who holds it
        assert "Traceback" not in second.stderr
        assert first.alive
        first.kill9()
        third = run_socai(*args, "--once", env=env, cwd=REPO_ROOT)
        assert third.returncode == 0, third.stderr
        assert f"position {head} of {head} (lag 0)" in third.stderr
    finally:
        first.stop()
