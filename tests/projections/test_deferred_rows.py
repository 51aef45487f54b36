"""Case status rows derived once per catch-up (issue 18): a catch-up writes each case's steps
in its batch but its derived rows (status, supports, protections, shelter stays) only when the
case leaves the cache or the run settles; what is owed is listed in ``case_status_pending`` in
the batch's transaction.

The class of fault: derived rows behind their steps with nothing left to bring them up to
date — after a crash, an eviction, a rollback, or another process settling. So: at every
commit of a catch-up, every case whose rows are behind is listed; whatever stops or
interleaves a catch-up, the next settle gives the tables a live worker (settled after every
event) gives.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

import projections.case_status
from domain.time import REFORM_DAY_2025
from infra.scenario.builders import StepClock, open_app
from infra.scenario.histories import OLD_COMMUNES, random_history
from projections.case_status import (
    CaseStatusProjection,
    case_status,
    case_status_pending,
    case_step,
    unit_columns,
)
from projections.definitions import definition_digest
from projections.framework import InProcessRunner, content_digest, reset


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Forty cases with random histories (corrections, shelter stays, supports, closures)."""
    clock = StepClock()
    application = open_app(tmp_path_factory.mktemp("deferred"), clock)
    rng = random.Random(29)
    for i in range(40):
        day = date(2016, 1, 1) + (date(2025, 12, 31) - date(2016, 1, 1)) * i // 40
        unit = OLD_COMMUNES[i % 3] if day < REFORM_DAY_2025 else "29869"
        random_history(application, clock, rng, day, unit)
    yield application
    application.close()


@pytest.fixture(scope="module")
def live(app: Any) -> str:
    """The digest a live worker gives: every event its own batch, settled at once."""
    engine = create_engine("sqlite://")
    runner = InProcessRunner(app.log, engine, [CaseStatusProjection()], batch_size=1)
    while runner.run_once():
        pass
    return content_digest(engine, CaseStatusProjection())


def behind(engine: Engine) -> set[str]:
    """Cases whose derived rows are not those of their last stored step."""
    with Session(engine) as session:
        last_step = dict(
            session.execute(
                select(case_step.c.case_id, func.max(case_step.c.version)).group_by(
                    case_step.c.case_id
                )
            ).all()
        )
        written = dict(
            session.execute(select(case_status.c.case_id, case_status.c.last_version)).all()
        )
    return {case_id for case_id, last in last_step.items() if written.get(case_id) != last}


def pending(engine: Engine) -> set[str]:
    with Session(engine) as session:
        return set(session.execute(select(case_status_pending.c.case_id)).scalars())


@pytest.mark.parametrize("cache_cases", [3, 20_000])
def test_every_commit_of_a_catch_up_lists_each_case_whose_rows_are_behind(
    app: Any, live: str, cache_cases: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a cache of 3 cases, cases leave it (and are written) in every batch."""
    monkeypatch.setattr(projections.case_status, "STEP_CACHE_CASES", cache_cases)
    engine = create_engine("sqlite://")
    runner = InProcessRunner(app.log, engine, [CaseStatusProjection()], batch_size=17)
    lagging = 0
    while runner.run_once(settled=False):
        stale = behind(engine)
        assert stale <= pending(engine)
        lagging = max(lagging, len(stale))
    assert lagging > 0, "the catch-up deferred nothing: the test proves nothing"
    runner.settle()
    assert behind(engine) == set() and pending(engine) == set()
    assert content_digest(engine, CaseStatusProjection()) == live


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_catch_up_killed_before_it_settled_is_settled_by_the_next_run(
    app: Any, live: str, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each "process" (a new projection, empty cache) applies a few batches unsettled and
    dies; the next one resumes, and whoever settles writes every leftover."""
    monkeypatch.setattr(projections.case_status, "STEP_CACHE_CASES", 5)
    rng = random.Random(seed)
    engine = create_engine("sqlite://")
    while True:
        runner = InProcessRunner(
            app.log, engine, [CaseStatusProjection()], batch_size=rng.randint(1, 80)
        )
        if not all(runner.run_once(settled=False) for _ in range(rng.randint(1, 3))):
            break
    assert pending(engine), "nothing was owed when the last process died"
    last = InProcessRunner(app.log, engine, [CaseStatusProjection()])
    assert last.run() == 0  # caught up already: it only settles what the others owed
    assert pending(engine) == set() and behind(engine) == set()
    assert content_digest(engine, CaseStatusProjection()) == live


def test_a_live_batch_settles_what_a_killed_catch_up_owed(app: Any, live: str) -> None:
    engine = create_engine("sqlite://")
    InProcessRunner(app.log, engine, [CaseStatusProjection()], batch_size=50).run_once(
        settled=False
    )
    owed = pending(engine)
    assert owed
    worker = InProcessRunner(app.log, engine, [CaseStatusProjection()], batch_size=1)
    assert worker.run_once() == 1  # one event, settled: the table's leftovers too
    assert pending(engine) == set() and behind(engine) == set()
    while worker.run_once():
        pass
    assert content_digest(engine, CaseStatusProjection()) == live


def test_another_process_settling_the_owed_cases_of_a_catch_up(
    app: Any, live: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A catch-up's cached cases are written by another process's settle meanwhile: the
    catch-up goes on and rewrites them (no duplicate row, nothing lost)."""
    monkeypatch.setattr(projections.case_status, "STEP_CACHE_CASES", 10)
    engine = create_engine("sqlite://")
    catching_up = InProcessRunner(app.log, engine, [CaseStatusProjection()], batch_size=40)
    other = InProcessRunner(app.log, engine, [CaseStatusProjection()], batch_size=40)
    settled_by_other = 0
    while catching_up.run_once(settled=False):
        settled_by_other += len(pending(engine))
        other.settle()
        assert behind(engine) == set()
    assert settled_by_other
    catching_up.settle()
    assert content_digest(engine, CaseStatusProjection()) == live


@pytest.mark.parametrize("batch_size", [25, 40, 90])
def test_cases_another_process_settled_and_this_one_touches_again(
    app: Any, live: str, batch_size: int
) -> None:
    """A catch-up takes the cases it received itself as having no derived rows (it deletes
    none before writing theirs); another process's settle writes their rows meanwhile, and
    the catch-up then applies more of their events (listing them as owed again): when it
    writes them it must replace those rows, not add a second set."""
    engine = create_engine("sqlite://")
    catching_up = InProcessRunner(app.log, engine, [CaseStatusProjection()], batch_size=batch_size)
    other = InProcessRunner(app.log, engine, [CaseStatusProjection()], batch_size=batch_size)
    assert catching_up.run_once(settled=False)
    first = pending(engine)
    other.settle()
    assert pending(engine) == set()
    again: set[str] = set()
    while catching_up.run_once(settled=False):
        again |= pending(engine) & first
    assert again, "no case settled by the other process was touched again"
    catching_up.settle()
    assert pending(engine) == set() and behind(engine) == set()
    assert content_digest(engine, CaseStatusProjection()) == live


def test_the_working_table_is_in_the_definition_not_in_the_content(app: Any, live: str) -> None:
    """Its schema is part of what a stored definition digest vouches for (a change rebuilds
    the projection); its rows are not content (verify and digests ignore it), and a reset
    empties it with the rest."""

    class Widened(CaseStatusProjection):
        working_metadata = projections.case_status.MetaData()

    projections.case_status.Table(
        "case_status_pending",
        Widened.working_metadata,
        projections.case_status.Column("case_id", projections.case_status.String(64)),
    )
    assert definition_digest(Widened()) != definition_digest(CaseStatusProjection())
    assert "case_status_pending" not in {
        t.name for t in CaseStatusProjection.metadata.sorted_tables
    }
    engine = create_engine("sqlite://")
    projection = CaseStatusProjection()
    InProcessRunner(app.log, engine, [projection], batch_size=100).run_once(settled=False)
    assert pending(engine)
    reset(engine, projection)
    assert pending(engine) == set()
    InProcessRunner(app.log, engine, [CaseStatusProjection()]).run()
    assert content_digest(engine, projection) == live


def test_public_steps_are_what_screening_every_field_gives(app: Any) -> None:
    """The per-class plan of a public step (values in one call, only document codes and
    relationships screened) gives the step and row that screening every field one by one
    gave, for every event of every kind in the scenario."""
    from dataclasses import replace
    from types import MappingProxyType

    from domain.case.aggregate import step_of
    from domain.case.shareable import shareable_document_code, shareable_value
    from projections.case_status import _public_fields, _step_row, public_step

    kinds = set()
    for case_id in app.cases.ids():
        for event in app.cases.events(case_id):
            reference = replace(  # the case's own step, its legal basis and fields screened
                step_of(event),
                legal_basis=shareable_document_code(event.legal_basis),
                data=MappingProxyType(
                    {n: shareable_value(n, getattr(event, n)) for n in _public_fields(type(event))}
                ),
            )
            step = public_step(event)
            assert step == reference
            assert _step_row(str(case_id), step) == _step_row(str(case_id), reference)
            kinds.add(step.kind)
    assert len(kinds) >= 10, kinds


def test_derived_rows_are_the_reference_mappings_column_by_column(app: Any) -> None:
    """The derived rows are built as tuples in a fixed column order (a rebuild writes one
    set per case); a value in the wrong place would still insert. Every case of the random
    histories (corrections, shelter stays, supports, closures, both maps) gives exactly the
    mappings built column by column by name, and every table column is filled."""
    from projections.case_status import _DERIVED, refold, status_rows

    engine = create_engine("sqlite://")
    InProcessRunner(app.log, engine, [CaseStatusProjection()]).run()
    with Session(engine) as session:
        case_ids = list(session.execute(select(case_status.c.case_id)).scalars())
        assert len(case_ids) == 40
        for case_id in case_ids:
            status = refold(session, case_id)
            rows = status_rows(case_id, status)
            assert rows == reference_rows(case_id, status)
            for table in _DERIVED:
                for row in rows[table.name]:
                    assert set(row) == {c.name for c in table.columns}


def reference_rows(case_id: str, status: Any) -> dict[str, list[dict[str, Any]]]:
    """The derived rows as the third and fourth rounds built them, one mapping per row and
    column by name: the reference the tuples are checked against."""
    limit = status.essential_needs_limit_days
    used = status.essential_needs_days_used
    completed = status.procedures_completed_on
    last_routed = status.routings[-1][1] if status.routings else None
    row = {
        "case_id": case_id,
        "stage": status.stage,
        "unit_map": status.unit_map,
        "unit_code": status.unit_code,
        **unit_columns(status.unit_map, status.unit_code),
        "receiving_agency": status.receiving_agency,
        "reception_form": status.reception_form,
        "received_on": status.received_on,
        "received_year": status.received_on.year if status.received_on else None,
        "sex": status.sex,
        "birth_year": status.birth_year,
        "age_band": status.age_band,
        "ethnicity": status.ethnicity,
        "nationality": status.nationality,
        "scope": status.scope,
        "destination_country": status.destination_country,
        "verification_requested_on": status.verification_requested_on,
        "verification_outcome": status.verification_outcome,
        "verified_on": status.verified_on,
        "deciding_body": status.deciding_body,
        "procedures_due_on": status.procedures_due_on,
        "procedures_overdue_days": (
            status.procedures_overdue_days(completed) if completed is not None else None
        ),
        "essential_needs_days": used,
        "essential_needs_limit_days": limit,
        "essential_needs_overrun_days": max(0, used - limit) if limit is not None else 0,
        "supports": len(status.supports),
        "support_types": ",".join(sorted(status.support_types())),
        "first_support_on": min((s.occurred_on for s in status.supports), default=None),
        "victim_protected": any(p.protected == "victim" for p in status.protections),
        "relatives_protected": sum(1 for p in status.protections if p.protected == "relative"),
        "routings": len(status.routings),
        "last_routed_to": last_routed,
        "shelter_stays": len(status.shelter_stays),
        "currently_sheltered": status.currently_sheltered,
        "reintegrated_on": status.reintegrated_on,
        "closed_on": status.closed_on,
        "closure_reason": status.closure_reason,
        "corrections": status.corrections,
        "last_version": status.last_version,
        "last_recorded_at": (
            status.last_recorded_at.isoformat() if status.last_recorded_at else None
        ),
    }
    return {
        "case_status": [row],
        "case_support": [
            {
                "case_id": case_id,
                "version": s.version,
                "occurred_on": s.occurred_on,
                "support_type": s.support_type,
                "amount_vnd": s.amount_vnd,
                "period_days": s.period_days,
                "provider_agency": s.provider_agency,
            }
            for s in status.supports
        ],
        "case_protection": [
            {
                "case_id": case_id,
                "version": p.version,
                "occurred_on": p.occurred_on,
                "protected": p.protected,
                "relationship": p.relationship,
                "measure": p.measure,
            }
            for p in status.protections
        ],
        "case_shelter": [
            {
                "case_id": case_id,
                "seq": i,
                "admitted_on": s.admitted_on,
                "discharged_on": s.discharged_on,
                "facility": s.facility,
            }
            for i, s in enumerate(status.shelter_stays, start=1)
        ],
    }
