"""Replaying one case: time grows with its events linearly (4× the events, about 4× the time).

A case is rebuilt from its events every time it is loaded (``repository.get``) and by every
"as known at" query. This bench builds one case of N events (a reception, a verification, then
protection requests — steps the rules accept without limit) and times:

- ``aggregate``: applying the N decoded events to a fresh ``Case`` (the domain's fold alone);
- ``store``: ``repository.get`` from an encrypted SQLite store with the cache off (read,
  decrypt, decode and fold).

It prints each time, per-event cost, and the ratio between the sizes; a linear fold gives a
ratio near the ratio of sizes (4 for 1,000 → 4,000), a quadratic one near its square (16).

    python bench/replay.py [--sizes 1000 4000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.application import Repository

from domain.case.aggregate import Case
from domain.case.commands import ConcludeVerification, Receive, RequestProtection
from domain.case.values import Actor
from infra.keys import create_key_file
from infra.scenario.staff import worker
from infra.services.socai import Socai
from infra.settings import Settings

ACTOR = Actor("BP-87-01", "border_guard")
RECEIVED_ON = date(2024, 5, 1)


def build(app: Socai, events: int) -> Case:
    """One case of ``events`` events, saved in ``app``'s store."""
    assert events >= 3
    case_id = app.cases.receive(
        Receive(
            occurred_on=RECEIVED_ON,
            reception_form="rescued",
            unit_code="29956",
            legal_basis="BB-87-2024-001",
        ),
        worker(app, ACTOR),
        case_id=uuid4(),
    )
    app.cases.execute(
        case_id,
        ConcludeVerification(occurred_on=RECEIVED_ON, outcome="victim", deciding_body="police"),
        worker(app, ACTOR),
    )
    case = app.cases.get(case_id)
    for n in range(events - 2):
        day = RECEIVED_ON + timedelta(days=n % 200)
        command = RequestProtection(occurred_on=day, protected="victim", source="victim_request")
        case.execute(command, ACTOR, datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=n))
        if len(case.pending_events) >= 500:
            app.store.save(case)
    app.store.save(case)
    return app.cases.get(case_id)


def best_of(repeat: int, run: object) -> float:
    assert callable(run)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs=2, default=[1_000, 4_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    small, large = args.sizes
    results: dict[str, dict[int, float]] = {"aggregate": {}, "store": {}}
    with tempfile.TemporaryDirectory() as folder:
        key = Path(folder) / "bench.key"
        create_key_file(key)
        settings = Settings.load(f"sqlite:///{Path(folder) / 'replay.db'}", str(key))
        app = Socai(settings)
        uncached = Repository(event_store=app.store.events)  # reads the store every time
        for size in (small, large):
            case = build(app, size)
            assert case.version == size, (case.version, size)
            stored = list(app.store.events.get(case.id))
            assert len(stored) == size

            def fold(events: list[object] = stored) -> None:
                aggregate = None
                for event in events:
                    aggregate = event.mutate(aggregate)  # type: ignore[attr-defined]
                assert aggregate is not None

            def load(case_id: object = case.id) -> None:
                uncached.get(case_id)  # type: ignore[arg-type]

            results["aggregate"][size] = best_of(args.repeat, fold)
            results["store"][size] = best_of(args.repeat, load)
        app.close()
    print(f"replay of one case, {small:,} vs {large:,} events (best of {args.repeat})")
    for name, times in results.items():
        ratio = times[large] / times[small]
        print(
            f"  {name:<9} {small:>6,}: {times[small] * 1e3:8.1f} ms"
            f" ({times[small] / small * 1e6:5.1f} µs/event)"
            f"   {large:>6,}: {times[large] * 1e3:8.1f} ms"
            f" ({times[large] / large * 1e6:5.1f} µs/event)"
            f"   ratio {ratio:5.2f} (linear: {large / small:.0f},"
            f" quadratic: {(large / small) ** 2:.0f})"
        )


if __name__ == "__main__":
    main()
