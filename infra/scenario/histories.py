"""Random but plausible case histories (hồ sơ ngẫu nhiên) for the projection tests.

Each step is a command named as in ``domain.case.commands.COMMANDS`` and goes through the
real application with a :class:`~infra.scenario.builders.StepClock`, moved to two days after
the step's business date, so record times are later than business dates and increase. The
rules may refuse a random step (a support beyond the day's limit, a discharge before an
admission); such a step is skipped, as an officer whose entry was refused would skip it.
"""

from __future__ import annotations

import contextlib
import random
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain.case.aggregate import Case
from domain.case.commands import COMMANDS, Receive
from domain.case.values import Actor
from domain.errors import RuleViolation
from domain.reference.codes import SupportType
from infra.scenario.builders import StepClock
from infra.scenario.staff import on_case
from infra.services.socai import Socai

POLICE = Actor("CB-001", "police")
LABOUR = Actor("CB-002", "labour_social_affairs")
#: Old-map communes of Đồng Tháp (87): two in district 866, one in 871; a 2025-map commune.
OLD_COMMUNES = ("29869", "29872", "30001")
NEW_COMMUNE = "29869"
#: A step of a random history falls up to this many days after the previous one.
RANDOM_STEP_GAP_DAYS = 120
#: Random histories stop before the scenario's last days.
RANDOM_HISTORY_END = date(2026, 11, 1)
#: The kinds of a random history's tail, supports three times as likely as the rest.
TAIL_STEPS = ("protect", "protect_relative", *["support"] * 3, "shelter", "correct", "route")
#: Supports a random history draws from (in this order: the draws depend on it).
RANDOM_SUPPORTS: tuple[SupportType, ...] = (
    SupportType.ESSENTIAL_NEEDS,
    SupportType.MEDICAL_CARE,
    SupportType.LEGAL_AID,
    SupportType.SCHOOLING,
    SupportType.VOCATIONAL_TRAINING,
    SupportType.LOAN,
    SupportType.HARDSHIP_ALLOWANCE,
    SupportType.PSYCHOLOGICAL_COUNSELLING,
    SupportType.JOB_FINDING,
)


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
    if isinstance(command, Receive):
        return app.cases.receive(command, on_case(app, actor, command))
    assert case_id is not None
    app.cases.execute(case_id, command, on_case(app, actor, command, case_id))
    return case_id


def received_in_866(
    app: Socai, clock: StepClock, on: date, legal_basis: str, sex: str, birth_year: int
) -> UUID:
    """A Kinh person of ``sex`` born in ``birth_year``, rescued and received on ``on`` in
    commune 29869 (district 866), the demographics recorded the same day: two events."""
    cid = run(
        app, clock, None, "receive", occurred_on=on, unit_code="29869", reception_form="rescued",
        legal_basis=legal_basis,
    )  # fmt: skip
    run(
        app, clock, cid, "demographics", occurred_on=on, sex=sex, ethnicity="kinh",
        birth_year=birth_year,
    )  # fmt: skip
    return cid


def random_history(
    app: Socai, clock: StepClock, rng: random.Random, received_on: date, unit_code: str
) -> UUID:
    """One plausible case: reception, demographics, form, verification, then a random tail
    of routing, protection, supports, shelter, corrections, reintegration and closure."""
    day = received_on
    cid = _random_reception(app, clock, rng, day, unit_code)
    day += timedelta(days=rng.randint(0, 3))
    run(app, clock, cid, "request_verification", occurred_on=day, body="police")
    day += timedelta(days=rng.randint(1, 25))
    outcome = rng.choice(["victim", "victim", "victim", "not_victim", "suspected_victim"])
    run(app, clock, cid, "verify", occurred_on=day, outcome=outcome, deciding_body="police")
    for _ in range(rng.randint(0, 8)):
        day += timedelta(days=rng.randint(0, RANDOM_STEP_GAP_DAYS))
        if day >= RANDOM_HISTORY_END:
            break
        with contextlib.suppress(RuleViolation):
            _random_step(app, clock, cid, rng, rng.choice(TAIL_STEPS), day)
    if rng.random() < 0.4:
        day += timedelta(days=rng.randint(1, 60))
        if day < RANDOM_HISTORY_END:
            with contextlib.suppress(RuleViolation):
                run(app, clock, cid, "reintegrate", LABOUR, occurred_on=day)
                run(app, clock, cid, "close", LABOUR, occurred_on=day, reason="reintegrated")
    return cid


def _random_reception(
    app: Socai, clock: StepClock, rng: random.Random, day: date, unit_code: str
) -> UUID:
    """Reception, demographics and the form of trafficking, all on the day of reception."""
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
    destinations = ["CN", "LA", "KH", "TH", "MY", "GB", "RU", "JP"]
    run(
        app,
        clock,
        cid,
        "trafficking",
        occurred_on=day,
        scope="abroad" if abroad else "domestic",
        destination_country=rng.choice(destinations) if abroad else None,
    )
    return cid


def _random_step(
    app: Socai, clock: StepClock, cid: UUID, rng: random.Random, kind: str, day: date
) -> None:
    case = app.cases.get(cid)
    if kind in ("protect", "protect_relative"):
        run(app, clock, cid, "protect", occurred_on=day, **_protection(kind, rng))
    elif kind == "support":
        _random_support(app, clock, cid, rng, day)
    elif kind == "shelter":
        if case.status.currently_sheltered:
            run(app, clock, cid, "discharge_shelter", LABOUR, occurred_on=day)
        else:
            run(app, clock, cid, "admit_shelter", LABOUR, occurred_on=day, facility="TT-1")
    elif kind == "route":
        run(app, clock, cid, "route", occurred_on=day, destination="returned_home")
    elif kind == "correct":
        _random_correction(app, clock, case, rng, day)


def _protection(kind: str, rng: random.Random) -> dict[str, Any]:
    """Bảo vệ: the victim's personal safety, or (``protect_relative``) a relative, mother or
    child, escorted; the relative's name is fictitious."""
    if kind == "protect":
        return {"protected": "victim", "measure": "personal_safety"}
    return {
        "protected": "relative",
        "relationship": rng.choice(["mother", "child"]),
        "measure": "escort",
        "relative": {"full_name": "Trần Thị Test"},
    }


def _random_support(app: Socai, clock: StepClock, cid: UUID, rng: random.Random, day: date) -> None:
    """A random support; loans and allowances with an amount, essential needs with days."""
    support_type = rng.choice(RANDOM_SUPPORTS)
    amount = (
        rng.randrange(1, 50) * 1_000_000 + rng.randrange(1000) * 1_000
        if support_type.requires_amount
        else None
    )
    period = rng.randint(5, 30) if support_type is SupportType.ESSENTIAL_NEEDS else None
    run(
        app,
        clock,
        cid,
        "support",
        LABOUR,
        occurred_on=day,
        support_type=support_type.value,
        provider_agency="labour_social_affairs",
        amount_vnd=amount,
        period_days=period,
    )


def _random_correction(
    app: Socai, clock: StepClock, case: Case, rng: random.Random, day: date
) -> None:
    """The birth year corrected by a few years (from a birth certificate), if one is known."""
    status = case.status
    if status.birth_year is None:
        return
    version = next(v for v, s in case.steps.items() if s.kind == "DemographicsRecorded")
    run(
        app,
        clock,
        case.id,
        "correct",
        occurred_on=day,
        corrects_version=version,
        field="birth_year",
        old_value=status.birth_year,
        new_value=status.birth_year + rng.choice([-3, 2]),
        reason="giấy khai sinh",
    )
