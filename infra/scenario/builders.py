"""Small hand-made records (hồ sơ mẫu) that tests and benchmarks build on.

Every step goes through the real application (rules checked, events encrypted and stored) on
a throw-away SQLite file, with a test clock so record times are deterministic and later than
business dates: a programme with one allocation, a case with one support, and the reception
the ledger tests repeat. Random but plausible case histories are in :mod:`.histories`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

from domain.case.commands import (
    ConcludeVerification,
    Correct,
    ProvideSupport,
    Receive,
    RequestVerification,
)
from domain.case.values import Actor, PersonalData
from domain.funding.commands import Allocate, BudgetLine, Establish, MoneyCommand, Pledge
from domain.reference.codes import SupportType
from domain.reference.units import AdminMap, UnitLevel, unit_directory
from infra.application import Clock
from infra.keys import create_key_file
from infra.scenario.staff import worker
from infra.services.socai import Socai
from infra.settings import Settings

#: A fixed record time for the tests (business date 2026-11-23 in Viet Nam).
NOW = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
FINANCE = Actor("TC-0001", "labour_social_affairs")
OFFICER = Actor("BP-0042", "border_guard")


def at_now() -> datetime:
    """The tests' fixed clock: always :data:`NOW`."""
    return NOW


def open_app(directory: Path, clock: Clock = at_now) -> Socai:
    """socai on ``directory/socai.db`` (key ``socai.db.key``, made if missing). Use it in a
    ``with`` block to close it at the end."""
    store = directory / "socai.db"
    key_file = directory / "socai.db.key"
    if not key_file.exists():
        create_key_file(key_file)
    return Socai(Settings.load(f"sqlite:///{store}", str(key_file)), clock=clock)


@dataclass
class StepClock:
    """A test clock one second later at every reading, that can be moved on to a day."""

    now: datetime = field(default_factory=lambda: datetime(2016, 1, 10, 3, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now

    def at(self, day: date) -> None:
        """Move the clock to two days after ``day`` (never backwards)."""
        target = datetime(day.year, day.month, day.day, 3, 0, tzinfo=UTC) + timedelta(days=2)
        self.now = max(self.now, target)


def parse_receive(data: Mapping[str, object]) -> Receive:
    """A reception (tiếp nhận) command from plain values, checked as the CLI checks it."""
    command = Receive.parse(data)
    assert isinstance(command, Receive)
    return command


def small_programme(
    app: Socai,
    code: str = "P-TEST",
    budget: int = 10_000_000,
    allocation: int = 6_000_000,
) -> None:
    """A programme with one source, one line and one allocation ``A1`` for 2016–2030 (Hồng
    Ngự district, old map 870), recorded in one batch."""
    app.funding.establish(
        Establish(code, "Test programme", date(2016, 1, 1), date(2030, 12, 31), date(2016, 1, 1)),
        worker(app, FINANCE),
    )
    commands: list[MoneyCommand] = [
        Pledge("T-pledge", date(2016, 1, 1), source="NSDP", source_kind="local", amount_vnd=budget),
        BudgetLine(
            "T-line",
            date(2016, 1, 2),
            line="L1",
            line_title="Hỗ trợ nạn nhân",
            source="NSDP",
            amount_vnd=budget,
        ),
        l1_allocation("A1", date(2016, 1, 3), "2016/2030", allocation),
    ]
    app.funding.record_batch(code, commands, worker(app, FINANCE))


def l1_allocation(transaction_id: str, on: date, period: str, amount_vnd: int) -> Allocate:
    """An allocation (phân bổ) of :func:`small_programme`'s line ``L1`` (local budget) to Hồng
    Ngự district (old map 870) for ``period``."""
    return Allocate(
        transaction_id,
        on,
        line="L1",
        source="NSDP",
        unit_map="old",
        unit_code="870",
        period=period,
        amount_vnd=amount_vnd,
    )


def case_with_support(
    app: Socai,
    amount_vnd: int | None = 2_000_000,
    support_type: str = SupportType.HARDSHIP_ALLOWANCE.value,
) -> tuple[UUID, int]:
    """A case received in 2020 with one support (by default an initial hardship allowance,
    trợ cấp khó khăn ban đầu); returns (case id, the support event's version)."""
    reception = parse_receive(
        {
            "occurred_on": "2020-03-02",
            "reception_form": "rescued",
            "unit_code": "870",
            "legal_basis": "BB-01/2020",
            "belongings_checked": True,
            "interview_held": True,
            "person": PersonalData(full_name="Test Person"),
        }
    )
    case_id = app.cases.receive(reception, worker(app, OFFICER))
    officer = worker(app, OFFICER)
    app.cases.execute(case_id, RequestVerification(date(2020, 3, 2), "police"), officer)
    app.cases.execute(case_id, ConcludeVerification(date(2020, 3, 4), "victim", "police"), officer)
    version = app.cases.execute(
        case_id,
        ProvideSupport(
            occurred_on=date(2020, 3, 5),
            support_type=support_type,
            provider_agency="labour_social_affairs",
            amount_vnd=amount_vnd,
        ),
        officer,
    )
    return case_id, version


def ledger_receive_command() -> Receive:
    """The ledger tests' reception: the first commune of the 2025 map, 1 March 2024."""
    unit = next(iter(unit_directory().units(AdminMap.NEW, UnitLevel.COMMUNE)))
    return parse_receive(
        {
            "occurred_on": "2024-03-01",
            "reception_form": "rescued",
            "unit_code": unit.code,
            "legal_basis": "ND-62/2012",
        }
    )


#: The ledger tests' demographics step, the day after reception.
LEDGER_DEMOGRAPHICS = {"occurred_on": "2024-03-02", "sex": "female", "ethnicity": "kinh"}


def typing_error_correction(
    corrects_version: int, field: str, old_value: object, new_value: object
) -> Correct:
    """Đính chính of one field of a :func:`case_with_support` case: dated 2020-03-07 (after
    its support), the reason a typing error (nhập sai)."""
    return Correct(
        occurred_on=date(2020, 3, 7),
        corrects_version=corrects_version,
        field=field,
        old_value=old_value,
        new_value=new_value,
        reason="nhập sai",
    )
