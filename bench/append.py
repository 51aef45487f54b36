"""Append throughput: plain eventsourcing on SQLite vs socai's append path, in one run.

Both write one event per transaction, loading the aggregate before each write, which is how
case officers record steps. "plain" is the library with a minimal aggregate and no cipher;
"plain+AES" adds the same AES-GCM cipher and zlib that socai uses; "socai" is the full path
of a case write (``app.cases.receive`` / ``execute``): loading the case, the principal's access
check, every domain rule, sealing personal data, the cipher, and whatever the store adds (the
hash chain). Commands are parsed before (as the plain path gets its text ready-made). The
scenario's staff helper, which renews the officers' tokens as the simulated clock moves over
years (a login every few steps, not what a write costs), runs between the timed calls; its
time is printed apart.

    python bench/append.py [--cases 600]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench._stores import header, row
from domain.case.commands import Receive
from infra.keys import create_key_file
from infra.scenario import ScenarioConfig, ScenarioGenerator, SimulatedClock
from infra.scenario.staff import worker
from infra.services.socai import Socai
from infra.settings import Settings


class Note(Aggregate):
    @event("Started")
    def __init__(self, text: str) -> None:
        self.lines = [text]

    @event("Added")
    def add(self, text: str) -> None:
        self.lines.append(text)


class PlainApp(Application[object]):
    name = "plain"


def plain(events: int, per_aggregate: int, env: dict[str, str]) -> float:
    app = PlainApp(env=env)
    started = time.perf_counter()
    written = 0
    while written < events:
        note = Note(text="x" * 120)
        app.save(note)
        written += 1
        for _ in range(min(per_aggregate - 1, events - written)):
            loaded = app.repository.get(note.id)
            loaded.add(text="y" * 120)
            app.save(loaded)
            written += 1
    elapsed = time.perf_counter() - started
    app.close()
    return events / elapsed


def socai(planned: list, tmp: Path) -> tuple[float, float]:  # type: ignore[type-arg]
    """(events/s of the case writes alone, seconds spent by the staff helper between them)."""
    key = tmp / "socai.key"
    create_key_file(key)
    clock = SimulatedClock(planned[0].recorded_at)
    app = Socai(Settings.load(f"sqlite:///{tmp / 'socai.db'}", str(key)), clock=clock)
    for actor in {step.actor for step in planned}:  # registered before the clock starts
        worker(app, actor)
    writing = staff = 0.0
    for step in planned:
        clock.current = step.recorded_at
        started = time.perf_counter()
        principal = worker(app, step.actor)
        ready = time.perf_counter()
        if isinstance(step.command, Receive):
            app.cases.receive(step.command, principal, case_id=step.case_id)
        else:
            app.cases.execute(step.case_id, step.command, principal)
        writing += time.perf_counter() - ready
        staff += ready - started
    app.close()
    return len(planned) / writing, staff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=600)
    args = parser.parse_args()
    planned = list(ScenarioGenerator(ScenarioConfig(cases=args.cases, seed=1)).steps())
    events = len(planned)
    per_case = max(1, round(events / args.cases))
    from eventsourcing.cryptography import AESCipher

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base = {"PERSISTENCE_MODULE": "eventsourcing.sqlite"}
        rate_plain = plain(events, per_case, {**base, "SQLITE_DBNAME": str(tmp / "p.db")})
        rate_aes = plain(
            events,
            per_case,
            {
                **base,
                "SQLITE_DBNAME": str(tmp / "pa.db"),
                "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
                "CIPHER_KEY": AESCipher.create_key(32),
                "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
            },
        )
        rate_socai, staff_seconds = socai(planned, tmp)
    print(
        f"events written per path: {events}"
        f" ({args.cases} cases, ~{per_case} events each, 1 event/tx)"
    )
    print(f"plain eventsourcing, SQLite          : {rate_plain:9.0f} events/s")
    print(f"plain eventsourcing, SQLite+AES+zlib : {rate_aes:9.0f} events/s")
    print(f"socai append path (rules, AES, store): {rate_socai:9.0f} events/s")
    print(f"scenario staff helper, between writes: {staff_seconds:9.2f} s (not in the rate)")
    print(f"ratio socai / plain                  : {rate_socai / rate_plain:9.2f}")
    print(f"ratio socai / plain+AES              : {rate_socai / rate_aes:9.2f}")
    header()
    row(
        f"socai append path (rules, AES), {events:,} events, 1/tx",
        "sqlite",
        f"{rate_socai:,.0f} ev/s",
        f"plain eventsourcing with AES+zlib {rate_aes:,.0f} ev/s",
        rate_socai / rate_aes,
        "≥ 0.9",
    )


if __name__ == "__main__":
    main()
