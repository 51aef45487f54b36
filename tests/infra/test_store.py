"""The application on a real store — the same tests on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.utils import resolve_topic

from domain.case.commands import COMMANDS
from domain.errors import ConcurrentWriteConflict, NotFound, RuleViolation
from infra.scenario.staff import worker
from infra.services.socai import Socai
from tests.conftest import BORDER_GUARD, reception

pytestmark = pytest.mark.integration


def receive(app: Socai, **overrides: object):  # type: ignore[no-untyped-def]
    return app.cases.receive(
        COMMANDS["receive"].parse(reception(**overrides)), worker(app, BORDER_GUARD)
    )


def step(app: Socai, case_id, name: str, **fields: object) -> int:  # type: ignore[no-untyped-def]
    return app.cases.execute(case_id, COMMANDS[name].parse(fields), worker(app, BORDER_GUARD))


def victim(app: Socai):  # type: ignore[no-untyped-def]
    """A case received and verified a victim by the police on 2019-03-05; its id."""
    case_id = receive(app)
    step(app, case_id, "verify", occurred_on="2019-03-05", outcome="victim", deciding_body="police")
    return case_id


def test_steps_are_stored_and_replayed(
    store_app: Socai, make_app: Callable[..., Socai], store_url: str
) -> None:
    case_id = victim(store_app)
    step(
        store_app,
        case_id,
        "support",
        occurred_on="2019-03-06",
        support_type="loan",
        amount_vnd=20_000_000,
        provider_agency="social_policy_bank",
    )
    reopened = make_app(store_url)  # a second process's view of the same store
    case = reopened.cases.get(case_id)
    assert case.version == 3
    assert case.status.stage == "supported"
    assert case.status.total_amount_vnd("loan") == 20_000_000
    assert list(reopened.cases.ids()) == [case_id]


def test_stored_topics_are_the_explicit_stable_ones(store_app: Socai) -> None:
    case_id = receive(store_app)
    step(store_app, case_id, "request_verification", occurred_on="2019-03-03", body="police")
    every = [n.topic for n in store_app.log.entries()]
    topics = [t for t in every if t.startswith("socai.case:")]
    assert topics == ["socai.case:Received.v1", "socai.case:VerificationRequested.v1"]
    assert all(t == resolve_topic(t).TOPIC for t in every)  # the users' events' too


def test_refused_steps_write_nothing(store_app: Socai) -> None:
    case_id = receive(store_app)
    before = store_app.log.head()
    with pytest.raises(RuleViolation):
        step(store_app, case_id, "route", occurred_on="2019-03-05", destination="returned_home")
    with pytest.raises(NotFound):
        step(store_app, uuid4(), "reintegrate", occurred_on="2019-03-05")
    assert store_app.log.head() == before
    assert store_app.cases.get(case_id).version == 1


def test_two_writers_on_one_case_one_wins_the_other_gets_a_conflict(
    store_app: Socai, make_app: Callable[..., Socai], store_url: str
) -> None:
    other = make_app(store_url)
    case_id = receive(store_app)
    mine, theirs = store_app.cases.get(case_id), other.cases.get(case_id)
    now = datetime.now(UTC)
    mine.execute(
        COMMANDS["request_verification"].parse({"occurred_on": "2019-03-03", "body": "police"}),
        BORDER_GUARD,
        now,
    )
    theirs.execute(
        COMMANDS["request_verification"].parse(
            {"occurred_on": "2019-03-04", "body": "border_guard"}
        ),
        BORDER_GUARD,
        now,
    )
    store_app.cases.save(mine, expected_version=1)
    with pytest.raises(ConcurrentWriteConflict) as caught:
        other.cases.save(theirs, expected_version=1)
    assert str(case_id) in caught.value.message and "version 2" in caught.value.message
    stored = store_app.cases.events(case_id)
    assert [e.originator_version for e in stored] == [1, 2]
    assert stored[1].body == "police"  # type: ignore[attr-defined]
    stale = COMMANDS["reintegrate"].parse({"occurred_on": "2019-04-01"})
    with pytest.raises(ConcurrentWriteConflict):
        other.cases.execute(case_id, stale, worker(other, BORDER_GUARD), expected_version=1)


def test_racing_threads_lose_no_event(
    store_app: Socai, make_app: Callable[..., Socai], store_url: str
) -> None:
    """Writers in threads, each with its own application, retry on conflict: every step
    that reported success is stored exactly once."""
    case_id = victim(store_app)
    writers, per_writer = 4, 5
    apps = [make_app(store_url) for _ in range(writers)]
    officer = worker(store_app, BORDER_GUARD)  # registered before the race
    succeeded: list[str] = []
    conflicts = 0
    lock = threading.Lock()

    def write(n: int) -> None:
        nonlocal conflicts
        for k in range(per_writer):
            tag = f"QĐ-W{n}-{k}"  # each writer's step is told apart by its legal basis
            command = COMMANDS["protect"].parse(
                {
                    "occurred_on": "2019-03-06",
                    "protected": "relative",
                    "relationship": "mother",
                    "measure": "personal_safety",
                    "legal_basis": tag,
                }
            )
            while True:
                try:
                    apps[n].cases.execute(case_id, command, officer)
                except ConcurrentWriteConflict:
                    with lock:
                        conflicts += 1
                    continue
                with lock:
                    succeeded.append(tag)
                break

    with ThreadPoolExecutor(writers) as pool:  # one thread a writer; a writer's error fails
        list(pool.map(write, range(writers)))
    case = store_app.cases.get(case_id)
    measures = [s.legal_basis for s in case.steps.values() if s.kind == "ProtectionApplied"]
    assert sorted(measures) == sorted(succeeded)
    assert len(measures) == writers * per_writer


def test_history_as_known_at_a_past_record_time(
    make_app: Callable[..., Socai], store_url: str
) -> None:
    clock_time = [datetime(2019, 3, 2, 3, 0, tzinfo=UTC)]
    app = make_app(store_url, clock=lambda: clock_time[0])
    case_id = receive(app)
    clock_time[0] += timedelta(days=1)
    step(
        app,
        case_id,
        "demographics",
        occurred_on="2019-03-02",
        sex="female",
        ethnicity="kinh",
        birth_year=2003,
    )
    report_sent = clock_time[0] + timedelta(days=30)
    clock_time[0] += timedelta(days=300)
    step(
        app,
        case_id,
        "correct",
        occurred_on="2019-12-28",
        corrects_version=2,
        field="birth_year",
        old_value=2003,
        new_value=2002,
        reason="giấy khai sinh",
    )
    assert app.cases.as_known_at(case_id, report_sent).status.birth_year == 2003
    assert app.cases.get(case_id).status.birth_year == 2002
    with pytest.raises(NotFound):
        app.cases.as_known_at(case_id, datetime(2019, 1, 1, tzinfo=UTC))


def test_personal_data_is_encrypted_at_rest(app: Socai, sqlite_url: str) -> None:
    receive(
        app,
        person={
            "full_name": "Đặng Thị Bí Mật",
            "id_number": "087195551234",
            "address": "Ấp Thường Phước",
            "phone": "0912345678",
        },
    )
    raw = Path(sqlite_url.removeprefix("sqlite:///")).read_bytes()
    for secret in ("Bí Mật", "087195551234", "Thường Phước", "0912345678"):
        assert secret.encode() not in raw


def test_a_wrong_key_cannot_read_the_store(app: Socai, sqlite_url: str, tmp_path: Path) -> None:
    """Refused at the door (the store's key-check value), before a single event is read;
    tests/infra/test_key_check.py tries every way a wrong key arrives."""
    from infra.key_check import WrongKey
    from infra.keys import create_key_file
    from infra.settings import Settings

    case_id = receive(app)
    other_key = tmp_path / "other.key"
    create_key_file(other_key)
    with pytest.raises(WrongKey, match="wrong key"):
        Socai(Settings.load(sqlite_url, str(other_key)))
    assert date(2019, 3, 2) == app.cases.get(case_id).status.received_on
