"""``HT-NAN-NHAN-2016-2030``: the direct support paid to the demo cases (illustrative).

Each support event with money is committed and paid (cam kết chi, chi) from an allocation to
the case's province for the support's year, after the application checked the case records
that amount. Allocations are the year's supports plus a margin, rounded up to a million đồng.

The deliberate discrepancy (sai lệch cố ý): after payment, one case's support amount is
corrected on the case (an officer finds the receipt was for more), so the disbursement no
longer agrees with the case — ``socai finance discrepancies`` shows it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from domain.case.commands import Correct
from domain.case.values import Actor
from domain.funding import commands as money
from domain.reference.units import AdminMap, unit_directory
from domain.time import business_date
from infra.scenario.funding_batches import FundingDemo, record_in_batches
from infra.scenario.staff import finance, on_case

if TYPE_CHECKING:
    from infra.services.socai import Socai

CODE = "HT-NAN-NHAN-2016-2030"
#: First and last year of the support programme.
SUPPORT_YEARS = (2016, 2030)
#: Allocations to provinces for support are the year's supports plus this margin (percent).
SUPPORT_MARGIN_PERCENT = 10
#: Allocations are rounded up to whole millions of đồng.
ALLOCATION_ROUNDING_VND = 1_000_000
#: The deliberate correction adds this much to one paid support (đồng).
DISCREPANCY_VND = 500_000

#: (unit map, province code, year): where and when support money is allocated.
AllocationKey = tuple[str, str, int]


@dataclass(frozen=True)
class _Support:
    case_id: UUID
    version: int
    occurred_on: date
    amount_vnd: int
    unit_map: str
    province: str

    @property
    def allocation(self) -> str:
        return f"PB-HT-{self.unit_map}-{self.province}-{self.occurred_on.year}"


def seed_case_payments(app: Socai, case_ids: list[UUID], actor: Actor, demo: FundingDemo) -> None:
    """Establish the support programme once, pay the cases' supports, then correct one."""
    if app.funding.exists(CODE) and app.funding.programme(CODE).transactions:
        # Seeded before: its allocations were sized from the supports of that time, and the
        # deliberate correction has changed one support since; leave it as it is.
        demo.programmes.append(CODE)
        return
    supports = _supports(app, case_ids)
    start = date(SUPPORT_YEARS[0], 1, 2)
    app.funding.establish(
        money.Establish(
            CODE,
            "Hỗ trợ trực tiếp nạn nhân bị mua bán (minh họa)",
            date(SUPPORT_YEARS[0], 1, 1),
            date(SUPPORT_YEARS[1], 12, 31),
            start,
        ),
        finance(app, actor),
    )
    demo.programmes.append(CODE)
    if not supports:
        return
    commands = _funding(start, _allocations(supports)) + _payments(supports)
    record_in_batches(app, CODE, commands, actor, demo)
    demo.supports_paid = len(supports)
    _correct_after_payment(app, supports[0])
    demo.discrepancy = (supports[0].case_id, supports[0].version)


def _supports(app: Socai, case_ids: list[UUID]) -> list[_Support]:
    """Every support with money, in the programme's years, of the given cases."""
    directory = unit_directory()
    found: list[_Support] = []
    for case_id in case_ids:
        case = app.cases.get(case_id)
        received = case.steps[1]
        unit_map = received.value("unit_map")
        unit = directory.require(AdminMap(unit_map), received.value("unit_code"))
        province = unit.province_code or unit.code
        for step in case.steps.values():
            amount = step.value("amount_vnd") if step.kind == "SupportProvided" else None
            if amount and SUPPORT_YEARS[0] <= step.occurred_on.year <= SUPPORT_YEARS[1]:
                found.append(
                    _Support(case_id, step.version, step.occurred_on, amount, unit_map, province)
                )
    return found


def _allocations(supports: list[_Support]) -> dict[AllocationKey, int]:
    """Each province's year of supports plus the margin, rounded up to a million đồng."""
    needed: dict[AllocationKey, int] = defaultdict(int)
    for s in supports:
        needed[(s.unit_map, s.province, s.occurred_on.year)] += s.amount_vnd
    rounding = ALLOCATION_ROUNDING_VND
    return {
        key: -(-total * (100 + SUPPORT_MARGIN_PERCENT) // 100 // rounding) * rounding
        for key, total in needed.items()
    }


def _funding(start: date, allocations: dict[AllocationKey, int]) -> list[money.MoneyCommand]:
    """Sources, the budget line and the allocations that cover the supports."""
    total = sum(allocations.values())
    commands: list[money.MoneyCommand] = [
        money.Pledge("HT-NSTW", start, source="NSTW", source_kind="central", amount_vnd=total),
        money.Pledge(
            "HT-NSDP",
            start,
            source="NSDP",
            source_kind="local",
            amount_vnd=max(ALLOCATION_ROUNDING_VND, total // 5),
        ),
        money.BudgetLine(
            "HT-DL",
            start,
            line="HT-TRUC-TIEP",
            line_title="Hỗ trợ trực tiếp nạn nhân",
            source="NSTW",
            amount_vnd=total,
        ),
    ]
    for (unit_map, province, year), amount in sorted(allocations.items()):
        commands.append(
            money.Allocate(
                f"PB-HT-{unit_map}-{province}-{year}",
                date(year, 1, 2),
                line="HT-TRUC-TIEP",
                source="NSTW",
                unit_map=unit_map,
                unit_code=province,
                period=str(year),
                amount_vnd=amount,
            )
        )
    return commands


def _payments(supports: list[_Support]) -> list[money.MoneyCommand]:
    """A commitment naming the case's support event, and its payment, for each support."""
    commands: list[money.MoneyCommand] = []
    for s in supports:
        tid = f"HT-{s.case_id.hex[:12]}-v{s.version}"
        commands += [
            money.Commit(
                f"{tid}-CK",
                s.occurred_on,
                allocation=s.allocation,
                amount_vnd=s.amount_vnd,
                case_id=s.case_id,
                support_version=s.version,
            ),
            money.Pay(f"{tid}-CHI", s.occurred_on, commitment=f"{tid}-CK"),
        ]
    return commands


def _correct_after_payment(app: Socai, target: _Support) -> None:
    """The deliberate discrepancy: the paid amount is corrected upwards on the case."""
    current = app.cases.get(target.case_id).steps[target.version].value("amount_vnd")
    if current != target.amount_vnd:
        return
    correction = Correct(
        occurred_on=business_date(app.now()),
        corrects_version=target.version,
        field="amount_vnd",
        old_value=target.amount_vnd,
        new_value=target.amount_vnd + DISCREPANCY_VND,
        reason="Chứng từ gốc ghi số tiền lớn hơn (sai lệch cố ý của bản demo)",
    )
    supervisor = on_case(
        app, Actor("CB-DEMO-02", "labour_social_affairs"), correction, target.case_id
    )
    app.cases.execute(target.case_id, correction, supervisor)
