"""Fixtures of the streams tests: a real Kafka-protocol broker (Tansu) on 127.0.0.1 and a
demo store built by the synthetic scenario.

``kafka_bootstrap`` is one broker for the whole session; ``fresh_kafka`` starts a dedicated
broker for a test that needs empty topics (Tansu starts in well under a second). Both are
skipped only when ``SOCAI_SKIP_KAFKA=1``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest

from domain.case.values import Actor
from infra.devservices.broker import Broker
from infra.keys import create_key_file
from infra.scenario import ScenarioConfig, run_scenario
from infra.scenario.staff import worker, worker_token
from infra.services.socai import Socai
from infra.settings import Settings
from streams.topics import ensure_topics

#: Size of the demo scenario the streams tests run on (cases); ~12 events per case.
DEMO_CASES = 30
DEMO_SEED = 2016


def _skip_kafka() -> None:
    if os.environ.get("SOCAI_SKIP_KAFKA") == "1":
        pytest.skip("SOCAI_SKIP_KAFKA=1")


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers of a Tansu broker started for this test session (topics created)."""
    _skip_kafka()
    with Broker() as broker:
        ensure_topics(broker.bootstrap)
        yield broker.bootstrap


@pytest.fixture
def fresh_kafka() -> Iterator[str]:
    """A broker of this test's own, with empty topics."""
    _skip_kafka()
    with Broker() as broker:
        ensure_topics(broker.bootstrap)
        yield broker.bootstrap


@dataclass(frozen=True)
class StoreFiles:
    db: Path
    key: Path
    #: An API token of the store's relay user (stream_service), for ``socai streams relay``.
    token: str = ""

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"

    def settings(self) -> Settings:
        return Settings.load(self.url, str(self.key))

    def open(self) -> Socai:
        return Socai(self.settings())

    def copy_to(self, folder: Path) -> StoreFiles:
        folder.mkdir(parents=True, exist_ok=True)
        copy = StoreFiles(folder / self.db.name, folder / self.key.name, self.token)
        shutil.copyfile(self.db, copy.db)
        shutil.copyfile(self.key, copy.key)
        return copy


#: The relay's service user in the tests.
RELAY = Actor("RELAY-TEST", "labour_social_affairs")


@pytest.fixture(scope="session")
def demo_store_template(tmp_path_factory: pytest.TempPathFactory) -> StoreFiles:
    folder = tmp_path_factory.mktemp("demo-store")
    files = StoreFiles(folder / "demo.db", folder / "demo.db.key")
    create_key_file(files.key)
    app = files.open()
    try:
        run_scenario(app, ScenarioConfig(cases=DEMO_CASES, seed=DEMO_SEED))
        _record_funding(app)
        _record_activities(app)
        _record_proceedings_and_a_reopening(app)
        token = worker_token(app, RELAY)
    finally:
        app.close()
    return replace(files, token=token)


def _record_proceedings_and_a_reopening(app: Socai) -> None:
    """The scenario's criminal cases, one of them suspended, and one closed case reopened, so
    that every kind of public event appears in the template."""
    from datetime import timedelta

    from domain.case.commands import Reopen
    from domain.case.values import Actor
    from domain.proceedings.commands import Open, Suspend
    from domain.reference.codes import Agency
    from infra.scenario import seed_proceedings

    statuses = [app.cases.get(case_id).status for case_id in app.cases.ids()]
    assert seed_proceedings(app, statuses, DEMO_SEED) > 0
    victim = next(s for s in statuses if s.is_identified_victim and s.verified_on)
    assert victim.verified_on is not None
    opened_on = victim.verified_on + timedelta(days=5)
    officer = Actor("CA-TEST-1", "police")
    proceedings_id = app.proceedings.open(
        Open(opened_on, "QĐKT-T1", Agency.POLICE, "87", (victim.case_id,), 1), worker(app, officer)
    )
    app.proceedings.advance(
        proceedings_id,
        Suspend(opened_on + timedelta(days=30), "QĐĐC-T1", Agency.POLICE, 0, "accused_ill"),
        worker(app, officer),
    )
    closed = next(s for s in statuses if s.closed_on)
    assert closed.closed_on is not None
    reopen = Reopen(occurred_on=closed.closed_on + timedelta(days=1), reason="mở lại")
    app.cases.execute(closed.case_id, reopen, worker(app, officer))


def _record_funding(app: Socai) -> None:
    """The demo's programmes, with the cases' supports paid and one corrected after payment
    (so the funding projection sees every kind of funding event and case corrections)."""
    from infra.scenario import seed_funding

    with_money = [
        case_id
        for case_id in app.cases.ids()
        if any(s.amount_vnd for s in app.cases.get(case_id).status.supports)
    ]
    seeded = seed_funding(app, with_money)
    assert seeded.supports_paid > 0 and seeded.discrepancy is not None


def _record_activities(app: Socai) -> None:
    """A few programme activities (and one withdrawal) after the cases."""
    from domain.activity.commands import (
        DistributeMaterials,
        HoldCommunicationSession,
        IssueDirective,
        Withdraw,
    )
    from domain.case.values import Actor

    actor = Actor("CB-777", "labour_social_affairs")
    recorded = [
        app.activities.record(
            IssueDirective.parse({"occurred_on": "2024-03-01", "unit_code": "87", "documents": 2}),
            worker(app, actor),
        ),
        app.activities.record(
            HoldCommunicationSession.parse(
                {"occurred_on": "2024-04-02", "unit_code": "87", "sessions": 3, "participants": 240}
            ),
            worker(app, actor),
        ),
        app.activities.record(
            DistributeMaterials.parse(
                {"occurred_on": "2025-09-10", "unit_code": "82", "posters": 40, "leaflets": 1500}
            ),
            worker(app, actor),
        ),
    ]
    app.activities.withdraw(
        recorded[0],
        Withdraw(occurred_on=date(2024, 3, 5), reason="recorded twice"),
        worker(app, actor),
    )


@pytest.fixture
def demo_store(demo_store_template: StoreFiles, tmp_path: Path) -> StoreFiles:
    """A private copy of the demo store (the relay writes its position into it)."""
    return demo_store_template.copy_to(tmp_path / "store")
