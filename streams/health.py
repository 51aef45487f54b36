"""Health and lag over HTTP (điểm kiểm tra sức khỏe) for the stream workers.

A worker started with ``--health-port`` answers two read-only requests on 127.0.0.1 (unless
told another address), each with a JSON object:

- ``GET /health`` — ``200 {"status": "ok", ...}`` while the worker's database answers,
  ``503 {"status": "failing", "reason": ...}`` when it does not. Load balancers, systemd
  watchdogs and container orchestrators poll it.
- ``GET /lag`` — per topic and partition: the broker's end offset, the next offset the
  worker's projections will read (from their position rows, committed with the rows
  themselves) and the difference; plus the total. ``503`` with a reason when the broker or
  the database cannot be asked.

Nothing else is served (``404``; ``405`` for any method but GET and HEAD). The answers carry
only counts and offsets — never an event. Request logging is off: a health check every
second would flood the journal.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from projections.framework import Projection, position_of
from streams.topics import Stream

#: Where the endpoint listens unless told otherwise: this machine only.
DEFAULT_HEALTH_HOST = "127.0.0.1"
#: How long /lag waits for the broker (milliseconds).
LAG_BROKER_TIMEOUT_MS = 5_000
#: A partition with nothing more to read for this long has been read to its end (seconds).
QUIET_SECONDS = 0.6

Check = Callable[[], dict[str, Any]]


class Unhealthy(Exception):
    """A check failed; its message (no data, only what failed) is the JSON ``reason``."""


class HealthServer:
    """Serves ``/health`` and ``/lag`` from a daemon thread until :meth:`stop`."""

    def __init__(
        self, health: Check, lag: Check, host: str = DEFAULT_HEALTH_HOST, port: int = 0
    ) -> None:
        routes = {"/health": health, "/lag": lag}
        self.server = ThreadingHTTPServer((host, port), _handler(routes))
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="socai-health", daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    def start(self) -> HealthServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _handler(routes: dict[str, Check]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "socai-health"

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def _refuse(self) -> None:
            self._send(HTTPStatus.METHOD_NOT_ALLOWED, {"error": "only GET"}, True)

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

        def _answer(self, send_body: bool) -> None:
            check = routes.get(self.path.split("?", 1)[0])
            if check is None:
                self._send(HTTPStatus.NOT_FOUND, {"error": "not found", "paths": sorted(routes)})
                return
            try:
                self._send(HTTPStatus.OK, check(), send_body)
            except Unhealthy as failure:
                self._send(
                    HTTPStatus.SERVICE_UNAVAILABLE,
                    {"status": "failing", "reason": str(failure)},
                    send_body,
                )

        def _send(self, code: HTTPStatus, body: dict[str, Any], send_body: bool = True) -> None:
            data = json.dumps(body, sort_keys=True).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if send_body:
                self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent (see the module docstring)."""

    return Handler


class WorkerChecks:
    """The checks of one projection worker group: its database and its lag behind Kafka."""

    def __init__(
        self,
        bootstrap: str,
        engine: sa.Engine,
        projections: Sequence[Projection],
        streams: Sequence[Stream],
        group: str,
    ) -> None:
        self.bootstrap = bootstrap
        self.engine = engine
        self.projections = list(projections)
        self.streams = list(streams)
        self.group = group
        self.started = time.monotonic()

    def health(self) -> dict[str, Any]:
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except sa.exc.DBAPIError as error:
            raise Unhealthy(
                f"projection database unreachable ({type(error.orig).__name__})"
            ) from None
        return {
            "status": "ok",
            "group": self.group,
            "uptime_seconds": round(time.monotonic() - self.started, 1),
        }

    def next_offsets(self) -> dict[tuple[str, int], int]:
        """The next offset the projections read in each (topic, partition): the smallest of
        their positions (the slowest projection decides what is left to apply)."""
        partitions = [(s.topic, p) for s in self.streams for p in range(s.partitions)]
        try:
            with Session(self.engine) as session:
                if not sa.inspect(session.connection()).has_table("projection_positions"):
                    return dict.fromkeys(partitions, 0)
                return {
                    (topic, partition): min(
                        position_of(session, p.name, topic, partition) for p in self.projections
                    )
                    for topic, partition in partitions
                }
        except sa.exc.DBAPIError as error:
            raise Unhealthy(
                f"projection database unreachable ({type(error.orig).__name__})"
            ) from None

    def end_offsets(self) -> dict[tuple[str, int], int]:
        """The next offset the broker will write in each (topic, partition).

        The broker's answer (ListOffsets) is confirmed by reading on from just before it
        until the partition is quiet: on Apache Kafka that reads the one last record; the
        development broker (Tansu) under-reports its end offsets, and reading on repairs
        that (at the cost of reading what it did not count)."""
        from kafka import KafkaConsumer, TopicPartition
        from kafka.errors import KafkaError

        try:
            consumer = KafkaConsumer(
                bootstrap_servers=self.bootstrap,
                enable_auto_commit=False,
                request_timeout_ms=LAG_BROKER_TIMEOUT_MS + 1_000,
                bootstrap_timeout_ms=LAG_BROKER_TIMEOUT_MS,
                reconnect_backoff_max_ms=1_000,
                client_id=f"socai-health-{self.group}",
            )
        except KafkaError as error:
            raise Unhealthy(f"broker unreachable ({type(error).__name__})") from None
        try:
            wanted = [TopicPartition(s.topic, p) for s in self.streams for p in range(s.partitions)]
            reported = consumer.end_offsets(wanted, timeout_ms=LAG_BROKER_TIMEOUT_MS)
            ends = {tp: int(offset) for tp, offset in reported.items()}
            consumer.assign(wanted)
            for tp in wanted:
                consumer.seek(tp, max(ends.get(tp, 0) - 1, 0))
            deadline = time.monotonic() + LAG_BROKER_TIMEOUT_MS / 1000
            quiet_since = time.monotonic()
            while time.monotonic() < deadline and time.monotonic() - quiet_since < QUIET_SECONDS:
                batches = consumer.poll(timeout_ms=200)
                for tp, records in batches.items():
                    ends[tp] = max(ends.get(tp, 0), records[-1].offset + 1)
                if batches:
                    quiet_since = time.monotonic()
            return {(tp.topic, tp.partition): offset for tp, offset in ends.items()}
        except KafkaError as error:
            raise Unhealthy(f"broker did not answer ({type(error).__name__})") from None
        finally:
            consumer.close()

    def lag(self) -> dict[str, Any]:
        ends = self.end_offsets()
        nexts = self.next_offsets()
        topics: dict[str, dict[str, dict[str, int]]] = {}
        total = 0
        for (topic, partition), end in sorted(ends.items()):
            reached = nexts.get((topic, partition), 0)
            behind = max(0, end - reached)
            total += behind
            topics.setdefault(topic, {})[str(partition)] = {
                "end_offset": end,
                "next_offset": reached,
                "lag": behind,
            }
        return {"group": self.group, "total_lag": total, "topics": topics}
