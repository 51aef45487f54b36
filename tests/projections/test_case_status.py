"""Case status from events: equals the aggregate's own fold, holds no personal data,
reflects corrections, and a rebuild or a killed-and-resumed runner gives identical tables."""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from domain.time import REFORM_DAY_2025
from infra.scenario.builders import StepClock, open_app
from infra.scenario.histories import OLD_COMMUNES, random_history, received_in_866, run
from infra.scenario.staff import worker
from projections.case_status import (
    CaseStatusProjection,
    case_status,
    case_step,
    read_status,
    refold,
)
from projections.framework import InProcessRunner, content_digest, reset


def _scenario(tmp_path: Path, cases: int, seed: int = 7):
    clock = StepClock()
    app = open_app(tmp_path, clock)
    rng = random.Random(seed)
    ids = []
    for i in range(cases):
        day = date(2016, 1, 1) + (date(2025, 12, 31) - date(2016, 1, 1)) * i // cases
        unit = OLD_COMMUNES[i % 3] if day < REFORM_DAY_2025 else "29869"
        ids.append(random_history(app, clock, rng, day, unit))
    return app, clock, ids


def test_status_equals_the_aggregate_and_has_no_personal_data(tmp_path: Path) -> None:
    app, _clock, ids = _scenario(tmp_path, cases=25)
    engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
    runner = InProcessRunner(app.log, engine, [CaseStatusProjection()], batch_size=37)
    assert runner.run() == app.log.head()
    assert runner.lag() == {"case_status": 0}
    with Session(engine) as session:
        for cid in ids:
            assert refold(session, str(cid)) == app.cases.get(cid).status
            row = read_status(session, str(cid))
            assert row is not None
            assert row["stage"] == app.cases.get(cid).status.stage
    with engine.connect() as connection:
        dump = "\n".join(
            repr(tuple(r))
            for table in ("case_step", "case_status", "case_support", "case_protection")
            for r in connection.execute(text(f"SELECT * FROM {table}"))
        )
    for secret in ("Nguyễn Văn Test", "0900000000", "Trần Thị Test", "full_name"):
        assert secret not in dump


def test_correction_changes_the_status(tmp_path: Path) -> None:
    clock = StepClock()
    app = open_app(tmp_path, clock)
    cid = received_in_866(app, clock, date(2018, 3, 5), "BB-1", "female", 2003)
    engine = create_engine("sqlite://")
    runner = InProcessRunner(app.log, engine, [CaseStatusProjection()])
    runner.run()
    with Session(engine) as session:
        assert read_status(session, str(cid))["birth_year"] == 2003
    run(
        app,
        clock,
        cid,
        "correct",
        occurred_on=date(2019, 1, 2),
        corrects_version=2,
        field="birth_year",
        old_value=2003,
        new_value=2001,
        reason="giấy khai sinh",
    )
    run(
        app,
        clock,
        cid,
        "correct",
        occurred_on=date(2019, 1, 3),
        corrects_version=1,
        field="occurred_on",
        old_value="2018-03-05",
        new_value="2018-02-01",
        reason="biên bản",
    )
    runner.run()
    with Session(engine) as session:
        row = read_status(session, str(cid))
        assert row["birth_year"] == 2001
        assert row["received_on"] == date(2018, 2, 1)
        assert row["corrections"] == 2
        assert refold(session, str(cid)) == app.cases.get(cid).status
        # the free-text reasons stay in the encrypted store, never in a projection table
        steps = (
            session.execute(
                select(case_step.c.data).where(case_step.c.kind == "CorrectionRecorded")
            )
            .scalars()
            .all()
        )
        assert [sorted(json.loads(d)) for d in steps] == [["corrects_version", "field"]] * 2
        dump = "\n".join(
            str(r) for t in (case_step, case_status) for r in session.execute(select(t))
        )
        assert "giấy khai sinh" not in dump and "biên bản" not in dump
    assert [e.reason for e in app.cases.events(cid)[-2:]] == ["giấy khai sinh", "biên bản"]


def test_rebuild_and_kill_resume_give_identical_tables(tmp_path: Path) -> None:
    app, _clock, _ids = _scenario(tmp_path, cases=40, seed=11)
    projection = CaseStatusProjection()
    live = create_engine(f"sqlite:///{tmp_path / 'live.db'}")
    runner = InProcessRunner(app.log, live, [projection], batch_size=1)
    runner.run()
    expected = content_digest(live, projection)

    reset(live, projection)
    assert content_digest(live, projection) != expected
    InProcessRunner(app.log, live, [projection], batch_size=500).run()
    assert content_digest(live, projection) == expected

    # "Kill" the runner at random points: a new runner (new process state) resumes from the
    # recorded position each time, with a batch size that changes between restarts.
    resumed = create_engine(f"sqlite:///{tmp_path / 'resumed.db'}")
    rng = random.Random(3)
    while True:
        restarted = InProcessRunner(app.log, resumed, [projection], batch_size=rng.randint(1, 60))
        for _ in range(rng.randint(1, 4)):
            if not restarted.run_once():
                break
        else:
            continue
        break
    assert content_digest(resumed, projection) == expected
    with Session(resumed) as session:
        assert session.execute(select(case_status.c.case_id)).all()


def test_a_reopening_reason_never_reaches_the_projection(tmp_path) -> None:
    """The reason of a reopening is free text (it may name a person): like a correction's,
    it stays in the encrypted store; the projection keeps only that the case was reopened."""
    from sqlalchemy import create_engine, select

    from domain.case.commands import Close, Reopen
    from infra.scenario.builders import OFFICER, case_with_support, open_app
    from projections.case_status import CaseStatusProjection, case_step
    from projections.framework import InProcessRunner

    secret = "Bà Nguyễn Thị Mẫu gọi điện"
    with open_app(tmp_path) as app:
        case_id, _ = case_with_support(app)
        app.cases.execute(
            case_id,
            Close(occurred_on=date(2020, 4, 1), reason="lost_contact"),
            worker(app, OFFICER),
        )
        app.cases.execute(
            case_id, Reopen(occurred_on=date(2020, 4, 2), reason=secret), worker(app, OFFICER)
        )
        engine = create_engine(f"sqlite:///{tmp_path / 'p.db'}")
        InProcessRunner(app.log, engine, [CaseStatusProjection()]).run()
    with engine.connect() as connection:
        rows = list(connection.execute(select(case_step)))
    assert any(r.kind == "Reopened" for r in rows)
    assert not any(secret in str(tuple(r)) for r in rows)


_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
    | st.dates(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(data=st.dictionaries(st.text(), _json_values, max_size=8))
def test_step_json_is_what_json_dumps_writes(data: dict) -> None:
    """The step data's JSON, from an encoder built once, is byte for byte what
    ``json.dumps(data, sort_keys=True, default=…)`` writes (the ``case_step.data`` column
    and so the content digest depend on it): any keys (Vietnamese, escapes), values, dates."""
    from projections.case_status import _json_default, _step_json

    assert _step_json(data) == json.dumps(data, sort_keys=True, default=_json_default)
