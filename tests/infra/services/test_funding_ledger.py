"""The funding ledger's rules, one at a time, on a real SQLite store."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from domain.errors import ConcurrentWriteConflict, InvalidInput, NotFound, RuleViolation
from domain.funding import commands as money
from domain.period import Period
from infra.scenario.builders import (
    FINANCE,
    NOW,
    OFFICER,
    case_with_support,
    l1_allocation,
    open_app,
    small_programme,
    typing_error_correction,
)
from infra.scenario.funding_2005 import works_allocation
from infra.scenario.staff import person_reader, worker
from projections.framework import (
    NOTIFICATION_LOG_SOURCE,
    InProcessRunner,
    Position,
    apply_batch,
    content_digest,
)
from projections.funding import (
    CASE_TOPICS,
    FundingProjector,
    InMemoryLegs,
    SupportLedger,
    discrepancies,
    legs_behind,
    reconcile,
    totals,
)
from projections.funding_sql import FundingProjection, FundingQueries

pytestmark = pytest.mark.integration

D = date(2020, 3, 6)


@pytest.fixture
def app(tmp_path: Path):
    with open_app(tmp_path) as application:
        small_programme(application)
        yield application


def record(app, command, programme: str = "P-TEST"):
    """Record ``command`` in ``programme`` as the finance officer (cán bộ tài chính)."""
    return app.funding.record(programme, command, worker(app, FINANCE))


def activity(tid: str, amount: int, allocation: str = "A1", cls: type = money.Commit, on: date = D):
    return cls(
        tid,
        on,
        allocation=allocation,
        amount_vnd=amount,
        activity="directive",
        description="Chỉ đạo, giám sát",
    )


def for_support(tid: str, case, support_version, amount: int, cls: type = money.Commit):
    """Spending from ``A1`` that pays a case's support event (chi hỗ trợ nạn nhân)."""
    return cls(
        tid,
        D,
        allocation="A1",
        amount_vnd=amount,
        case_id=case,
        support_version=support_version,
    )


def test_the_2005_programme_lines_and_an_overdraft_that_says_what_is_available(tmp_path):
    code = "DA-2005-2010"
    with open_app(tmp_path) as app:
        app.funding.establish(
            money.Establish(
                code, "Đề án 2005–2010", date(2005, 1, 1), date(2010, 12, 31), date(2005, 6, 1)
            ),
            worker(app, FINANCE),
        )
        pledge = money.Pledge(
            "NS-1",
            date(2005, 6, 1),
            source="NSTW",
            source_kind="central",
            amount_vnd="77.300.000.000",
        )
        record(app, pledge, code)
        for tid, line, amount in (
            ("DL-1", "HOA-NHAP", 29_900_000_000),
            ("DL-2", "DIEM-TIEP-NHAN", 6_000_000_000),
        ):
            budget = money.BudgetLine(
                tid, date(2005, 6, 2), line=line, line_title=line, source="NSTW", amount_vnd=amount
            )
            record(app, budget, code)
        allocate_on = date(2005, 7, 1)
        record(app, works_allocation("PB-QN", allocate_on, "22", 10**9, "2005/2010"), code)
        with pytest.raises(RuleViolation) as refused:
            record(app, works_allocation("PB-LS", allocate_on, "20", 55 * 10**8, "2005/2010"), code)
        assert refused.value.code == "overdrawn"
        assert "5.000.000.000 đ available" in refused.value.message
        assert "needs 5.500.000.000 đ" in refused.value.message
        programme = app.funding.programme("DA-2005-2010")
        unassigned = programme.ledger.accounts["unassigned:NSTW"]
        assert unassigned.credits_posted - unassigned.debits_posted == 41_400_000_000


def test_same_id_same_content_is_a_no_op_and_other_content_a_conflict(app) -> None:
    first = record(app, activity("C-1", 100_000))
    position = app.log.head()
    again = record(app, activity("C-1", 100_000))
    assert first.recorded
    assert not again.recorded
    assert app.log.head() == position
    with pytest.raises(RuleViolation) as refused:
        record(app, activity("C-1", 200_000))
    assert refused.value.code == "transaction_conflict"
    assert app.log.head() == position


@pytest.mark.parametrize("amount", [0, -5, 1.5, "1,5 triệu", True, 10**16])
def test_amounts_are_positive_whole_dong(amount) -> None:
    with pytest.raises(InvalidInput):
        money.Commit(
            "X", D, allocation="A1", amount_vnd=amount, activity="directive", description="x"
        )


def test_aid_names_its_donor_and_budgets_do_not() -> None:
    with pytest.raises(InvalidInput, match="donor"):
        money.Pledge("X", D, source="AID", source_kind="aid", amount_vnd=1)
    with pytest.raises(InvalidInput, match="donor"):
        money.Pledge("X", D, source="NS", source_kind="central", amount_vnd=1, donor="IOM")


def test_periods_parse_and_print() -> None:
    assert Period.parse("2016").label == "2016"
    assert Period.parse("2016-h2") == Period(date(2016, 7, 1), date(2016, 12, 31))
    assert Period.parse("2016-02").ends_on == date(2016, 2, 29)
    assert Period.parse("2006/2010").label == "2006/2010"
    with pytest.raises(InvalidInput):
        Period.parse("2016-13")


def test_commit_pay_void_and_reverse(app) -> None:
    record(app, activity("C-1", 1_000_000))
    record(app, activity("C-2", 2_000_000))
    record(app, money.Pay("P-1", D, commitment="C-1"))
    record(app, money.Void("V-2", D, commitment="C-2", reason="hủy"))
    for command, code in (
        (money.Pay("P-2", D, commitment="C-2"), "commitment_closed"),
        (money.Void("V-1", D, commitment="C-1", reason="x"), "commitment_closed"),
        (money.Reverse("R-C", D, reverses="C-1", reason="x"), "not_reversible"),
        (money.Pay("P-0", date(2020, 3, 1), commitment="C-1"), "commitment_closed"),
    ):
        with pytest.raises(RuleViolation) as refused:
            record(app, command)
        assert refused.value.code == code
    record(app, money.Reverse("R-1", D, reverses="P-1", reason="chi nhầm"))
    with pytest.raises(RuleViolation, match="already reversed"):
        record(app, money.Reverse("R-2", D, reverses="P-1", reason="x"))
    allocation = app.funding.programme("P-TEST").ledger.accounts["allocation:A1"]
    assert allocation.credits_posted - allocation.debits_posted == 6_000_000
    assert allocation.debits_pending == 0


def test_an_allocation_cannot_be_reversed_once_spent(app) -> None:
    record(app, activity("PAY", 5_000_000, cls=money.Pay))
    with pytest.raises(RuleViolation) as refused:
        record(app, money.Reverse("R", D, reverses="A1", reason="x"))
    assert "1.000.000 đ available" in refused.value.message


def test_spending_is_dated_within_the_allocation_period(tmp_path) -> None:
    with open_app(tmp_path) as app:
        small_programme(app)
        record(app, l1_allocation("A-2019", date(2019, 1, 2), "2019", 3_000_000))
        with pytest.raises(RuleViolation, match="outside"):
            record(app, activity("C", 1, allocation="A-2019"))


def test_future_dates_are_refused(app) -> None:
    with pytest.raises(RuleViolation, match="after today"):
        record(app, activity("C", 1, on=date(2027, 1, 1)))


def test_paying_a_case_support_checks_the_case(app) -> None:
    case_id, version = case_with_support(app, 2_000_000)
    no_money_case, no_money_version = case_with_support(app, None, "medical_care")

    def pay(tid: str, case, support_version, amount: int):
        return record(app, for_support(tid, case, support_version, amount))

    position = app.log.head()
    with pytest.raises(NotFound):
        pay("X1", "5f1182ea-775c-4f8c-995b-8551b94217ea", 1, 2_000_000)
    for tid, case, v, amount, code in (
        ("X2", case_id, 1, 2_000_000, "no_such_support"),
        ("X3", case_id, version, 1_999_999, "support_amount_disagrees"),
        ("X4", no_money_case, no_money_version, 1, "support_without_amount"),
    ):
        with pytest.raises(RuleViolation) as refused:
            pay(tid, case, v, amount)
        assert refused.value.code == code
    assert app.log.head() == position
    pay("C-OK", case_id, version, 2_000_000)
    with pytest.raises(RuleViolation) as refused:
        pay("C-TWICE", case_id, version, 2_000_000)
    assert refused.value.code == "support_already_paid"
    # The support is corrected after the commitment: paying it now is refused.
    app.cases.execute(
        case_id,
        typing_error_correction(version, "amount_vnd", 2_000_000, 2_500_000),
        worker(app, OFFICER),
    )
    with pytest.raises(RuleViolation) as refused:
        record(app, money.Pay("P-OK", D, commitment="C-OK"))
    assert refused.value.code == "support_amount_disagrees"


def test_concurrent_writers_never_overdraw(make_app, store_url) -> None:
    """Two applications on one store (SQLite file, then PostgreSQL) race to spend one
    allocation of 6,000,000 đ in 200,000 đ commitments: exactly 30 succeed, whatever the
    interleaving."""
    first = make_app(store_url, clock=lambda: NOW)
    small_programme(first)
    finance = worker(first, FINANCE)  # registered before the race
    outcomes: list[str] = []
    apps = [make_app(store_url, clock=lambda: NOW) for _ in range(2)]

    def spend(writer: int) -> None:
        for n in range(24):
            try:
                apps[writer].funding.record("P-TEST", activity(f"W{writer}-{n}", 200_000), finance)
                outcomes.append("ok")
            except RuleViolation as refusal:
                outcomes.append(f"refused {refusal.code}")
            except ConcurrentWriteConflict:
                outcomes.append("conflict")

    threads = [threading.Thread(target=spend, args=(writer,)) for writer in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    programme = make_app(store_url, clock=lambda: NOW).funding.programme("P-TEST")
    programme.ledger.assert_invariants()
    assert set(outcomes) <= {"ok", "refused overdrawn", "conflict"}
    allocation = programme.ledger.accounts["allocation:A1"]
    assert allocation.debits_pending == 200_000 * outcomes.count("ok")
    assert allocation.debits_pending <= 6_000_000
    if "conflict" not in outcomes:
        assert outcomes.count("ok") == 30


def _legs_in_memory(app) -> InMemoryLegs:
    legs = InMemoryLegs()
    projector = FundingProjector(legs)
    for _, event in app.funding.events():
        legs.add(projector.apply(event))
    return legs


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def projection_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Projection tables in a SQLite file, then in PostgreSQL (the distributed setting)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'projections.db'}"
    return request.getfixturevalue("pg_url").replace("postgresql://", "postgresql+psycopg://", 1)


def test_sql_reconciliation_equals_the_pure_one_and_resumes(app, projection_url) -> None:
    from sqlalchemy import create_engine

    case_id, version = case_with_support(app, 2_000_000)
    record(app, for_support("C-case", case_id, version, 2_000_000))
    record(app, activity("C-1", 1_000_000))
    engine = create_engine(projection_url)
    runner = InProcessRunner(app.log, engine, [FundingProjection()])
    assert runner.run() > 0
    assert runner.positions() == {"funding": app.log.head()}
    before = content_digest(engine, FundingProjection())
    # Redelivery of an applied batch (a Kafka consumer after a rebalance) changes nothing.
    replayed = [event for _, event in app.funding.events(topics=FundingProjection.topics)]
    with Session(engine) as session, session.begin():
        assert not apply_batch(
            session,
            FundingProjection(),
            replayed,
            Position(NOTIFICATION_LOG_SOURCE, 0, app.log.head()),
        )
    assert content_digest(engine, FundingProjection()) == before
    record(app, money.Pay("P-case", D, commitment="C-case"))
    record(app, money.Void("V-1", D, commitment="C-1", reason="hủy"))
    # A fresh runner (a restart) resumes from projection_positions: only the new events.
    restarted = InProcessRunner(app.log, engine, [FundingProjection()])
    assert restarted.run() == 2
    assert restarted.run() == 0
    assert restarted.positions() == {"funding": app.log.head()}
    queries = FundingQueries(engine)
    legs = _legs_in_memory(app)
    for by in (("programme",), ("line", "source"), ("unit", "half"), ("allocation", "kind")):
        assert sorted(queries.reconcile(by), key=str) == sorted(reconcile(legs.legs, by), key=str)
    assert list(queries.legs()) == legs.legs
    behind = list(legs_behind(legs.legs, ("unit",), ("old:870",), "disbursed"))
    assert [(leg.transaction_id, leg.case_id) for leg in behind] == [("P-case", case_id)]
    assert totals(reconcile(legs.legs, ("unit",))).disbursed == 2_000_000
    assert discrepancies(legs.legs, queries.supports()) == []


def test_projection_follows_corrections_of_support_fields_only(app, tmp_path) -> None:
    """A correction changes the support table only when it corrects a support event's type or
    amount; a correction of another event (even of personal data) leaves no trace in it."""
    from sqlalchemy import create_engine, select

    from projections.funding_sql import supports_table

    case_id, version = case_with_support(app, 2_000_000)

    def correct(corrects: int, field: str, old, new) -> None:
        app.cases.execute(
            case_id,
            typing_error_correction(corrects, field, old, new),
            person_reader(app, OFFICER),  # a personal field too: a login with a second factor
        )

    correct(version, "support_type", "hardship_allowance", "medical_care")
    correct(version, "provider_agency", "labour_social_affairs", "health_department")
    correct(1, "unit_code", "870", "871")
    correct(1, "person.full_name", "Test Person", "Other Person")
    engine = create_engine(f"sqlite:///{tmp_path / 'corrections.db'}")
    InProcessRunner(app.log, engine, [FundingProjection()]).run()
    with engine.connect() as connection:
        rows = [tuple(r) for r in connection.execute(select(supports_table))]
    assert rows == [(str(case_id), version, "medical_care", 2_000_000)]
    supports = SupportLedger()
    for _, event in app.funding.events(topics=CASE_TOPICS):
        supports.apply(event)
    assert supports.types == {(case_id, version): "medical_care"}
    assert FundingQueries(engine).supports().types == supports.types
    with engine.connect() as connection:
        dump = repr(
            [
                tuple(r)
                for t in FundingProjection().metadata.sorted_tables
                for r in connection.execute(select(t))
            ]
        )
    assert "Person" not in dump


def test_discrepancy_report(app) -> None:
    paid_case, paid_version = case_with_support(app, 2_000_000)
    unpaid_case, _unpaid_version = case_with_support(app, 1_500_000)
    record(app, for_support("P-case", paid_case, paid_version, 2_000_000, money.Pay))
    app.cases.execute(
        paid_case,
        typing_error_correction(paid_version, "amount_vnd", 2_000_000, 2_500_000),
        worker(app, OFFICER),
    )
    supports = SupportLedger()
    for _, event in app.funding.events(topics=CASE_TOPICS):
        supports.apply(event)
    found = discrepancies(_legs_in_memory(app).legs, supports)
    assert [(d.problem, d.case_id, d.support_amount, d.disbursed) for d in found] == [
        ("amount_disagrees", paid_case, 2_500_000, 2_000_000),
        ("unpaid_support", unpaid_case, 1_500_000, 0),
    ]
    assert "2.500.000 đ" in found[0].describe()


def test_a_batch_is_all_or_nothing(app) -> None:
    position = app.log.head()
    batch = [
        activity("B-1", 1_000_000),
        activity("B-2", 1_000_000),
        activity("B-3", 9_000_000),
    ]  # the third overdraws the allocation
    with pytest.raises(RuleViolation, match="available"):
        app.funding.record_batch("P-TEST", batch, worker(app, FINANCE))
    assert app.log.head() == position
    assert "B-1" not in app.funding.programme("P-TEST").transactions
    outcomes = app.funding.record_batch("P-TEST", batch[:2], worker(app, FINANCE))
    assert [o.recorded for o in outcomes] == [True, True]


def test_a_lost_race_is_retried_against_the_new_balances(tmp_path, monkeypatch) -> None:
    """The second writer's programme is stale when it saves (the first writer saved in
    between); the store refuses the stale save, and the retry sees the new balance."""
    with open_app(tmp_path) as first, open_app(tmp_path) as second:
        small_programme(first)
        second.funding.programme("P-TEST")  # loaded and kept by the second writer
        record(first, activity("FIRST", 5_000_000))
        real_get = second.store.events.get
        calls = []

        def stale_once(*args, **kwargs):
            calls.append(args)
            return [] if len(calls) == 1 else real_get(*args, **kwargs)

        monkeypatch.setattr(second.store.events, "get", stale_once)
        with pytest.raises(RuleViolation) as refused:
            record(second, activity("SECOND", 2_000_000))
        assert refused.value.code == "overdrawn"
        assert "1.000.000 đ available" in refused.value.message
        assert len(calls) >= 2, "the stale save was not retried"
        outcome = record(second, activity("SECOND", 1_000_000))
        assert outcome.recorded
        second.funding.programme("P-TEST").ledger.assert_invariants()
