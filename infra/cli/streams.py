"""``socai streams``: publish the log to Kafka, read topics, publish schemas, run workers.

Needs ``SOCAI_KAFKA`` (bootstrap servers; ``scripts/broker.sh`` starts a development broker)
except for ``schemas``.
"""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

import typer

from domain.access.policy import Action
from infra.cli.commands import command
from infra.cli.context import console, err_console, state
from streams.pipeline import ENCODING_WORKERS, MAX_ENCODING_WORKERS

app = typer.Typer(no_args_is_help=True)

#: The signals that ask a long-running command (relay, tail) to stop cleanly.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

KAFKA_OPTION = typer.Option(
    None, "--kafka", envvar="SOCAI_KAFKA", help="Kafka bootstrap servers host:port[,host:port]."
)


@contextmanager
def _stop_requested() -> Iterator[list[bool]]:
    """While the block runs, SIGTERM and SIGINT set the flag (the command stops after the
    batch in hand); after it, the handlers in place before are put back, so nothing that
    runs later in this process (another command, a forked verify worker) inherits a handler
    that only sets a flag nobody reads."""
    stopping = [False]

    def handler(signum: int, frame: Any) -> None:
        stopping[0] = True

    previous = {number: signal.signal(number, handler) for number in STOP_SIGNALS}
    try:
        yield stopping
    finally:
        for number, before in previous.items():
            signal.signal(number, signal.SIG_DFL if before is None else before)


@command(app, "topics")
def topics(
    kafka: str = KAFKA_OPTION,
    replication: int = typer.Option(
        None,
        "--replication",
        help="Replication factor of new topics (else SOCAI_TOPIC_REPLICATION, else 1).",
    ),
    min_insync: int = typer.Option(
        None,
        "--min-insync",
        help="min.insync.replicas of new topics (else SOCAI_TOPIC_MIN_INSYNC, else the broker's).",
    ),
    retention: str = typer.Option(
        None,
        "--retention",
        help="Retention of new topics: 30d, 12h, 90m or forever (else SOCAI_TOPIC_RETENTION).",
    ),
) -> None:
    """Create the public topics with their partition counts (idempotent); show each topic's
    replicas and flag one created with fewer than asked for."""
    from infra.streaming import kafka_bootstrap, topic_settings
    from streams.topics import ALL_STREAMS, ensure_topics, replicas

    settings = topic_settings(replication, min_insync, retention)
    bootstrap = kafka_bootstrap(kafka)
    created = ensure_topics(bootstrap, settings)
    found = replicas(bootstrap)
    for stream in ALL_STREAMS:
        mark = "created" if stream.topic in created else "exists"
        copies = found.get(stream.topic, 0)
        short = (
            f"  (fewer than the {settings.replication_factor} asked for: created earlier)"
            if copies < settings.replication_factor
            else ""
        )
        console.print(
            f"{stream.topic:32} {stream.partitions} partitions  {copies} replicas  {mark}{short}",
            soft_wrap=True,
        )


@command(app, "relay")
def relay(
    ctx: typer.Context,
    kafka: str = KAFKA_OPTION,
    follow: bool = typer.Option(
        False, "--follow", help="Keep publishing new events until stopped (Ctrl-C / SIGTERM)."
    ),
    once: bool = typer.Option(
        False, "--once", help="Publish what is there now, then exit (the default)."
    ),
    batch: int = typer.Option(
        1_000, "--batch", min=1, max=100_000, help="Stored events per batch."
    ),
    encoding_workers: int = typer.Option(
        ENCODING_WORKERS,
        "--encoding-workers",
        min=1,
        max=MAX_ENCODING_WORKERS,
        help="Processes that encode batches ahead of the sends (more only where cores are spare).",
    ),
    reset: bool = typer.Option(
        False,
        "--reset",
        help="Forget the tracked position and"
        " republish everything (consumers deduplicate by event id).",
    ),
) -> None:
    """Publish stored events (and signed audit checkpoints) after the tracked positions as
    public CloudEvents (at-least-once)."""
    from infra.services.eventlog import opened_event_log
    from infra.streaming import LedgerCheckpointLog, kafka_bootstrap, store_engine, topic_settings
    from streams.positions import PositionStore
    from streams.relay import DEFAULT_RELAY_NAME, Relay
    from streams.relay_lock import RelayAlreadyRunning, RelayLock
    from streams.topics import ensure_topics

    if follow and once:
        raise typer.BadParameter("--follow and --once exclude each other")
    bootstrap = kafka_bootstrap(kafka)
    cli = state(ctx)
    # a service user of the stream_service role (the public topics carry no personal data);
    # refused before anything is locked, reset or published
    cli.allowed(Action.EVENTS_PUBLISH, subject="relay")
    engine = store_engine(cli.settings())
    # one relay per store: refused here, before anything is reset or published
    lock = RelayLock(engine, DEFAULT_RELAY_NAME).acquire()
    ctx.call_on_close(lock.release)
    positions = PositionStore(engine)
    if reset:
        positions.reset(DEFAULT_RELAY_NAME)
        positions.reset(f"{DEFAULT_RELAY_NAME}-checkpoints")
    ensure_topics(bootstrap, topic_settings())
    app = cli.app()
    identity = app.store.identity  # stored with the data: public event ids derive from it
    identity.require_environment_agrees(cli.settings().store.display)
    relayer = Relay(
        app.log,
        positions,
        bootstrap,
        identity.store_id,
        batch_events=batch,
        report=lambda line: err_console.print(line),
        checkpoints=LedgerCheckpointLog(app.store),
        open_log=partial(opened_event_log, app.settings),
        encoding_workers=encoding_workers,
    )
    with _stop_requested() as stopping:
        try:
            relayer.run(follow=follow, should_stop=lambda: stopping[0] or lock.lost())
        finally:
            relayer.close()
    if lock.lost():
        raise RelayAlreadyRunning(
            "the relay lost its lock on the store (the PostgreSQL session ended); it stopped",
            hint="start it again once the database is back: it resumes from its position",
        )


@command(app, "tail")
def tail(
    topic: str = typer.Argument(..., help="e.g. socai.case-events.v1"),
    kafka: str = KAFKA_OPTION,
    from_beginning: bool = typer.Option(
        True,
        "--from-beginning/--new-only",
        help="Start at the oldest record or only show new ones.",
    ),
    max_events: int = typer.Option(0, "--max", min=0, help="Stop after this many (0: no limit)."),
    idle_seconds: float = typer.Option(
        0.0,
        "--idle-exit",
        min=0.0,
        help="Exit after this many seconds without a record (0: wait forever).",
    ),
) -> None:
    """Print the events of a public topic for people: offset, type, subject, time, data."""
    from kafka import KafkaConsumer, TopicPartition

    from infra.streaming import kafka_bootstrap
    from streams.contracts.model import read_message

    consumer = KafkaConsumer(
        bootstrap_servers=kafka_bootstrap(kafka), enable_auto_commit=False, client_id="socai-tail"
    )
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            err_console.print(f"error: no topic {topic!r} on the cluster")
            raise typer.Exit(2)
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        if from_beginning:
            consumer.seek_to_beginning(*assigned)
        else:
            consumer.seek_to_end(*assigned)
        shown, last_seen = 0, time.monotonic()
        with _stop_requested() as stopping:
            while not stopping[0]:
                batches = consumer.poll(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        event = read_message(record.value)
                        data = json.dumps(event.get("data"), ensure_ascii=False, sort_keys=True)
                        console.print(
                            f"{record.partition}:{record.offset} {event['type']}"
                            f" subject={event.get('subject')} time={event.get('time')}"
                            f" id={event['id']} {data}",
                            markup=False,
                            soft_wrap=True,
                        )
                        shown += 1
                        if max_events and shown >= max_events:
                            return
                if batches:
                    last_seen = time.monotonic()
                elif idle_seconds and time.monotonic() - last_seen > idle_seconds:
                    return
    finally:
        consumer.close()
        sys.stdout.flush()


@command(app, "schemas")
def schemas(
    write: bool = typer.Option(
        False,
        "--write",
        help="Publish the schemas of changed contracts (refused if a change breaks consumers).",
    ),
    markdown: bool = typer.Option(
        False,
        "--markdown",
        help="Print the catalogue of public types as the Markdown table of docs/streams.md.",
    ),
) -> None:
    """Check (default) or publish the JSON Schemas of the public event types."""
    from streams.contracts import CONTRACTS
    from streams.contracts.catalogue import contracts_table
    from streams.contracts.compat import check_published, write_schemas
    from streams.schemas import SCHEMA_DIR

    if markdown:
        sys.stdout.write(contracts_table(CONTRACTS))
        return
    if write:
        for path in write_schemas(CONTRACTS, SCHEMA_DIR):
            console.print(f"wrote {path}")
        return
    problems = check_published(CONTRACTS, SCHEMA_DIR)
    for problem in problems:
        err_console.print(problem, markup=False)
    if problems:
        raise typer.Exit(1)
    for contract in CONTRACTS:
        console.print(f"{contract.public_type:45} {contract.stream.topic}  ok")


@command(app, "worker")
def worker(
    ctx: typer.Context,
    kafka: str = KAFKA_OPTION,
    group: str = typer.Option(
        "socai-projections",
        "--group",
        help="Consumer group; workers in one group share partitions.",
    ),
    batch: int = typer.Option(
        500, "--batch", min=1, max=100_000, help="Records applied per SQL transaction (at most)."
    ),
    loglevel: str = typer.Option("warning", "--log-level", help="faust log level."),
    health_port: int = typer.Option(
        None,
        "--health-port",
        min=0,
        max=65535,
        help="Serve GET /health and /lag (JSON) on this port (0: any free port; default: off).",
    ),
    health_host: str = typer.Option(
        "127.0.0.1", "--health-host", help="Address of the health endpoint (this machine only)."
    ),
) -> None:
    """Run a faust worker that builds the projections from the public topics.

    Start several (same --group) to share the partitions. Tables go where `socai
    projections` puts them (SOCAI_PROJECTIONS_DB, else beside the store).
    """
    import logging

    from sqlalchemy import create_engine

    from infra.projection_db import projections_url
    from infra.streaming import kafka_bootstrap, topic_settings
    from projections.registry import all_projections
    from streams.topics import ensure_topics
    from streams.worker import ProjectionSink, create_app, immediate_sqlite, run_worker

    bootstrap = kafka_bootstrap(kafka)
    ensure_topics(bootstrap, topic_settings())
    url = projections_url(state(ctx).settings())
    logging.getLogger("socai.streams.worker").setLevel(logging.INFO)

    def sink() -> ProjectionSink:
        engine = immediate_sqlite(create_engine(url))
        return ProjectionSink(engine, all_projections(), consumer=group)

    if health_port is not None:
        from streams.health import HealthServer, WorkerChecks
        from streams.worker import WORKER_STREAMS

        checks = WorkerChecks(
            bootstrap, create_engine(url), all_projections(), WORKER_STREAMS, group
        )
        server = HealthServer(checks.health, checks.lag, health_host, health_port).start()
        host, port = server.address
        err_console.print(f"worker: health on http://{host}:{port}/health and /lag")
    run_worker(create_app(bootstrap, sink, group=group, batch_records=batch), loglevel=loglevel)
