"""A byte-exact dump of what the scenario wing records, to prove a refactor changes nothing.

A scenario is recorded into a fresh SQLite store; the dump lists every stored event as
``position, topic, originator id, version, decrypted state (JSON, keys sorted)`` and the
ledger's leaf hash at that position, then (optionally) the bulk-loaded events and the planned
steps of a larger plan. Its SHA-256 is the scenario's fingerprint: same code, same digest.

Three sources of chance in the store are fixed for the dump, and only for it: the AES-GCM
nonce (``AESCipher.random_bytes``), the chain's record time (``infra.ledger.chain.
record_time``) and the ids of activities (``uuid4`` in the activity service). They are
replaced by counters, so that the ciphertext, and so the leaf hashes, repeat run after run;
the scenario's own choices are already seeded. The store's clock is a stepping test clock.

The dump holds the scenario's fictitious personal data: write it to a private file, print
only its digest.

    PYTHONPATH=. python -m tests.infra.scenario.dump [--cases 200] [--seed 2016] [--out FILE]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import itertools
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import astuple, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock
from uuid import UUID

from eventsourcing.cryptography import AESCipher

import infra.ledger.chain
import infra.services.activities
from domain.access.log import ACCESS_TOPIC_PREFIX
from infra.ledger.store import LedgerTables
from infra.scenario import (
    ScenarioConfig,
    ScenarioGenerator,
    bulk_load,
    run_scenario,
    seed_activities,
    seed_funding,
)
from infra.services.socai import Socai
from infra.settings import Settings, StoreURL

#: The fixed cipher key of every dump store (base64 of 32 bytes).
DUMP_KEY = base64.b64encode(hashlib.sha256(b"socai scenario dump").digest()).decode()
#: Record time of the first write after the scenario (the demo's money and activities).
CLOCK_START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


@dataclass
class SteppingClock:
    """A test clock one second later at every reading."""

    now: datetime = CLOCK_START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def _counter_bytes(label: bytes) -> Callable[[int], bytes]:
    counter = itertools.count()

    def draw(size: int) -> bytes:
        return hashlib.sha256(label + str(next(counter)).encode()).digest()[:size]

    return draw


@contextmanager
def fixed_chance() -> Iterator[None]:
    """Nonces, chain record times and activity ids from counters (see module doc)."""
    nonce = _counter_bytes(b"nonce")
    ids = _counter_bytes(b"activity")
    ticks = itertools.count()
    base = datetime(2030, 1, 1, tzinfo=UTC)

    def record_time() -> str:
        return (base + timedelta(microseconds=next(ticks))).isoformat(timespec="microseconds")

    def activity_id() -> UUID:
        return UUID(bytes=ids(16), version=4)

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(AESCipher, "random_bytes", staticmethod(nonce)))
        stack.enter_context(mock.patch.object(infra.ledger.chain, "record_time", record_time))
        stack.enter_context(mock.patch.object(infra.services.activities, "uuid4", activity_id))
        yield


@contextmanager
def dump_store(directory: Path) -> Iterator[Socai]:
    """A fresh store in ``directory`` with the fixed key and a stepping clock."""
    key_file = directory / "dump.db.key"
    key_file.write_text(DUMP_KEY + "\n")
    key_file.chmod(0o600)
    settings = Settings(StoreURL.parse(f"sqlite:///{directory / 'dump.db'}"), key_file, None)
    app = Socai(settings, clock=SteppingClock())
    try:
        yield app
    finally:
        app.close()


def stored_lines(app: Socai) -> list[str]:
    """Every stored event, decrypted, with its ledger leaf hash, in log order (the users' and
    access-log events counted, not listed: their password salts, one-time-code secrets and
    token ids are random by design; their positions still shift the others')."""
    recorder, mapper = app.store.recorder, app.store.mapper
    head = app.log.head()
    leaves = LedgerTables(recorder).leaf_hashes(0, head)
    assert mapper.cipher is not None and mapper.compressor is not None
    lines: list[str] = []
    access = 0
    for n in recorder.select_notifications(start=1, limit=head + 1):
        if n.topic.startswith(ACCESS_TOPIC_PREFIX):
            access += 1
            continue
        plain = mapper.compressor.decompress(mapper.cipher.decrypt(n.state))
        state = json.dumps(json.loads(plain), sort_keys=True, ensure_ascii=False)
        leaf = leaves[n.id - 1].hex()
        fields = (n.id, n.topic, n.originator_id, n.originator_version, state, leaf)
        lines.append("\t".join(str(f) for f in fields))
    assert len(lines) + access == head
    return [f"# access events {access}", *lines]


def demo_lines(directory: Path, cases: int, seed: int, money: bool = True) -> list[str]:
    """The demo's scenario (cases, then money and activities as ``socai demo`` records them)."""
    with fixed_chance(), dump_store(directory) as app:
        generator = run_scenario(app, ScenarioConfig(cases=cases, seed=seed))
        lines = [f"# demo cases={cases} seed={seed} persons={len(generator.personal_data)}"]
        if money:
            statuses = [app.cases.get(cid).status for cid in app.cases.ids()]
            with_money = [s.case_id for s in statuses if any(x.amount_vnd for x in s.supports)]
            demo = seed_funding(app, with_money)
            lines.append(f"# funding {demo}")
            lines.append(f"# activities {seed_activities(app, seed)}")
        return lines + stored_lines(app)


def bulk_lines(directory: Path, cases: int, seed: int, batch_events: int) -> list[str]:
    """A bulk load (the benchmarks' path) of a scenario."""
    with fixed_chance(), dump_store(directory) as app:
        steps = ScenarioGenerator(ScenarioConfig(cases=cases, seed=seed)).steps()
        written = bulk_load(app, steps, batch_events=batch_events)
        return [f"# bulk cases={cases} seed={seed} written={written}", *stored_lines(app)]


def plan_lines(cases: int, seed: int) -> list[str]:
    """The planned steps of a scenario, without a store."""
    generator = ScenarioGenerator(ScenarioConfig(cases=cases, seed=seed))
    lines = [f"# plan cases={cases} seed={seed}"]
    lines += [repr(step) for step in generator.steps()]
    lines += [f"# person {astuple(person)}" for person in generator.personal_data]
    return lines


def full_dump(cases: int, seed: int) -> list[str]:
    """The proof of a refactor: the demo at ``cases``/``seed``, a second seed without and
    with money, a bulk load, and ten times as many planned cases."""
    lines: list[str] = []
    for run in range(4):
        with tempfile.TemporaryDirectory() as tmp:
            if run == 0:
                lines += demo_lines(Path(tmp), cases, seed)
            elif run == 1:
                lines += demo_lines(Path(tmp), cases // 2 + 1, seed + 1)
            elif run == 2:
                lines += demo_lines(Path(tmp), cases // 4 + 1, seed + 2, money=False)
            else:
                lines += bulk_lines(Path(tmp), cases, seed + 3, batch_events=97)
    return lines + plan_lines(cases * 10, seed + 4)


def small_dump(directory: Path) -> list[str]:
    """A small scenario of every kind, quick enough for the test that pins its digest."""
    (directory / "demo").mkdir()
    (directory / "bulk").mkdir()
    lines = demo_lines(directory / "demo", cases=12, seed=2016)
    lines += bulk_lines(directory / "bulk", cases=10, seed=5, batch_events=7)
    return lines + plan_lines(cases=60, seed=3)


def digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--out", type=Path, help="write the dump here (holds fictitious PII)")
    args = parser.parse_args()
    lines = full_dump(args.cases, args.seed)
    if args.out:
        args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} lines, sha256 {digest(lines)}")


if __name__ == "__main__":
    main()
