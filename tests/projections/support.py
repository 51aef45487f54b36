"""Small hand-written and random case histories for the projection tests.

Every step goes through the real application (rules checked, events encrypted and stored),
with a test clock so record times are deterministic and later than business dates.
"""

from __future__ import annotations

import contextlib
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from domain.case.commands import COMMANDS
from domain.case.values import Actor
from domain.errors import RuleViolation
from infra.keys import create_key_file
from infra.services.socai import Socai
from infra.settings import Settings

POLICE = Actor("CB-001", "police")
LABOUR = Actor("CB-002", "labour_social_affairs")

#: Old-map communes of Đồng Tháp (87): two in district 866, one in 871; a 2025-map commune.
OLD_COMMUNES = ("29869", "29872", "30001")
NEW_COMMUNE = "29869"


@dataclass
class StepClock:
    now: datetime = field(default_factory=lambda: datetime(2016, 1, 10, 3, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def at(self, day: date) -> None:
        """Move the clock to two days after ``day`` (never backwards)."""
        target = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC) + timedelta(days=2)
        self.now = max(self.now, target)


def open_app(tmp_path: Path, clock: StepClock | None = None) -> Socai:
    store = tmp_path / "store.db"
    settings = Settings.load(f"sqlite:///{store}", str(tmp_path / "store.key"))
    if not settings.key_file.exists():
        create_key_file(settings.key_file)
    return Socai(settings, clock=clock or StepClock())


def run(
    app: Socai,
    clock: StepClock,
    case_id: UUID | None,
    name: str,
    actor: Actor = POLICE,
    **data: object,
) -> UUID:
    """Execute one command (``name`` as in ``domain.case.commands.COMMANDS``)."""
    day = data["occurred_on"]
    assert isinstance(day, date)
    clock.at(day)
    command = COMMANDS[name].parse(data)
    if name == "receive":
        return app.cases.receive(command, actor)  # type: ignore[arg-type]
    assert case_id is not None
    app.cases.execute(case_id, command, actor)
    return case_id


def random_history(
    app: Socai, clock: StepClock, rng: random.Random, received_on: date, unit_code: str
) -> UUID:
    """One plausible case: reception, demographics, form, verification, then a random tail
    of routing, protection, supports, shelter, corrections, reintegration and closure.
    Steps the rules refuse (e.g. a support beyond the limit) are simply skipped."""
    day = received_on
    cid = run(
        app,
        clock,
        None,
        "receive",
        occurred_on=day,
        unit_code=unit_code,
        reception_form=rng.choice(["self_returned", "rescued", "bilateral_handover"]),
        legal_basis=f"BB-{rng.randrange(10**6)}",
        belongings_checked=True,
        person={"full_name": "Nguyễn Văn Test", "phone": "0900000000"},
    )
    run(
        app,
        clock,
        cid,
        "demographics",
        occurred_on=day,
        sex=rng.choice(["male", "female"]),
        birth_year=rng.randint(day.year - 40, day.year - 8),
        ethnicity=rng.choice(["kinh", "kinh", "other"]),
        nationality=rng.choice(["VN"] * 9 + ["KH"]),
    )
    abroad = rng.random() < 0.7
    run(
        app,
        clock,
        cid,
        "trafficking",
        occurred_on=day,
        scope="abroad" if abroad else "domestic",
        destination_country=rng.choice(["CN", "LA", "KH", "TH", "MY", "GB", "RU", "JP"])
        if abroad
        else None,
    )
    day += timedelta(days=rng.randint(0, 3))
    run(app, clock, cid, "request_verification", occurred_on=day, body="police")
    day += timedelta(days=rng.randint(1, 25))
    outcome = rng.choice(["victim", "victim", "victim", "not_victim", "suspected_victim"])
    run(app, clock, cid, "verify", occurred_on=day, outcome=outcome, deciding_body="police")
    steps = [
        "protect",
        "protect_relative",
        "support",
        "support",
        "support",
        "shelter",
        "correct",
        "route",
    ]
    for _ in range(rng.randint(0, 8)):
        day += timedelta(days=rng.randint(0, 120))
        if day >= date(2026, 11, 1):
            break
        with contextlib.suppress(RuleViolation):
            _random_step(app, clock, cid, rng, rng.choice(steps), day)
    if rng.random() < 0.4:
        day += timedelta(days=rng.randint(1, 60))
        if day < date(2026, 11, 1):
            try:
                run(app, clock, cid, "reintegrate", LABOUR, occurred_on=day)
                run(app, clock, cid, "close", LABOUR, occurred_on=day, reason="reintegrated")
            except RuleViolation:
                pass
    return cid


def _random_step(
    app: Socai, clock: StepClock, cid: UUID, rng: random.Random, kind: str, day: date
) -> None:
    case = app.cases.get(cid)
    if kind == "protect":
        run(
            app,
            clock,
            cid,
            "protect",
            occurred_on=day,
            protected="victim",
            measure="personal_safety",
        )
    elif kind == "protect_relative":
        run(
            app,
            clock,
            cid,
            "protect",
            occurred_on=day,
            protected="relative",
            relationship=rng.choice(["mother", "child"]),
            measure="escort",
            relative={"full_name": "Trần Thị Test"},
        )
    elif kind == "support":
        support_type = rng.choice(
            [
                "essential_needs",
                "medical_care",
                "legal_aid",
                "schooling",
                "vocational_training",
                "loan",
                "hardship_allowance",
                "psychological_counselling",
                "job_finding",
            ]
        )
        amount = (
            rng.randrange(1, 50) * 1_000_000 + rng.randrange(1000) * 1_000
            if support_type in ("loan", "hardship_allowance")
            else None
        )
        period = rng.randint(5, 30) if support_type == "essential_needs" else None
        run(
            app,
            clock,
            cid,
            "support",
            LABOUR,
            occurred_on=day,
            support_type=support_type,
            provider_agency="labour_social_affairs",
            amount_vnd=amount,
            period_days=period,
        )
    elif kind == "shelter":
        if case.status.currently_sheltered:
            run(app, clock, cid, "discharge_shelter", LABOUR, occurred_on=day)
        else:
            run(app, clock, cid, "admit_shelter", LABOUR, occurred_on=day, facility="TT-1")
    elif kind == "route":
        run(app, clock, cid, "route", occurred_on=day, destination="returned_home")
    elif kind == "correct":
        status = case.status
        if status.birth_year is not None:
            version = next(v for v, s in case.steps.items() if s.kind == "DemographicsRecorded")
            run(
                app,
                clock,
                cid,
                "correct",
                occurred_on=day,
                corrects_version=version,
                field="birth_year",
                old_value=status.birth_year,
                new_value=status.birth_year + rng.choice([-3, 2]),
                reason="giấy khai sinh",
            )
