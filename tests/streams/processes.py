"""Relay and worker processes for the end-to-end tests, started the way operators start
them (``socai ... streams relay|worker``) and killed with SIGKILL at will."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from infra.devservices.broker import die_with_parent
from projections.framework import InProcessRunner, content_digest
from projections.registry import all_projections

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Seconds a process gets to stop on SIGTERM before SIGKILL.
STOP_GRACE_SECONDS = 10.0


class Service:
    """One ``socai`` process; its output goes to ``<log_dir>/<name>.<n>.log``."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.args = args
        self.env = env
        self.log_dir = log_dir
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> Service:
        assert self.process is None or self.process.poll() is not None
        self.starts += 1
        log = (self.log_dir / f"{self.name}.{self.starts}.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "infra.cli.main", *self.args],
            cwd=REPO_ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent,
        )
        log.close()
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill9(self) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if not self.alive:
            return
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_GRACE_SECONDS)
        except subprocess.TimeoutExpired:  # faust shutdown can hang: SIGKILL is safe
            self.kill9()

    def output(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.log_dir.glob(f"{self.name}.*.log"))
        )


def service_env(bootstrap: str, projections_db: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "SOCAI_KAFKA": bootstrap,
        "SOCAI_PROJECTIONS_DB": f"sqlite:///{projections_db}",
    }


def consumed_events(projections_db: Path) -> int:
    """Events the workers have applied (0 before their tables exist)."""
    if not projections_db.exists():
        return 0
    engine = sa.create_engine(f"sqlite:///{projections_db}")
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("stream_consumed_events"):
                return 0
            return int(
                connection.execute(
                    sa.text("SELECT count(*) FROM stream_consumed_events")
                ).scalar_one()
            )
    finally:
        engine.dispose()


def wait_until(
    condition,
    timeout_seconds: float,
    what: str,
    poll_seconds: float = 0.3,
    detail: Callable[[], str] = lambda: "",
) -> None:
    """Poll ``condition`` until it holds; on timeout fail with ``detail()`` (the state seen)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll_seconds)
    raise AssertionError(f"timed out after {timeout_seconds:.0f} s waiting for {what}\n{detail()}")


def tails(services: list[Service], lines: int = 15) -> str:
    """The last lines each service printed, for a failure message."""
    return "\n".join(
        f"--- {s.name} ---\n" + "\n".join(s.output().splitlines()[-lines:]) for s in services
    )


def digests(engine: sa.Engine) -> dict[str, str]:
    return {p.name: content_digest(engine, p) for p in all_projections()}


def in_process_digests(app, database: Path) -> dict[str, str]:
    """The projections as the in-process runner builds them from the store."""
    engine = sa.create_engine(f"sqlite:///{database}")
    InProcessRunner(app.log, engine, all_projections()).run()
    return digests(engine)
