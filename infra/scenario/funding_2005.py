"""``DA-2005-2010``: the 2005–2010 draft plan of seed 000 (Đề án tiếp nhận và hỗ trợ nạn nhân).

77.300.000.000 đ in all, of which 29.900.000.000 đ for victims' vocational training,
schooling and reintegration support and 6.000.000.000 đ for upgrading reception points at
border posts in the six key border provinces; the remaining 41.400.000.000 đ unassigned. The
seed gives only the total and the two lines: the split between central budget, local budget
and aid below is illustrative. The 6 billion line is allocated 1 billion to each border
province and spent on reception-point works (one commitment voided and re-made, one still
awaiting payment).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from domain.case.values import Actor
from domain.funding import commands as money
from infra.scenario.funding_batches import FundingDemo, record_in_batches
from infra.scenario.places import BORDER_PROVINCES
from infra.scenario.staff import finance

if TYPE_CHECKING:
    from infra.services.socai import Socai

CODE = "DA-2005-2010"
PLANNED_ON = date(2005, 6, 1)
WORKS = "Nâng cấp nơi tiếp nhận nạn nhân tại đồn biên phòng"
REINTEGRATION = "Hỗ trợ nạn nhân học nghề, văn hóa, hòa nhập cộng đồng"
#: Each border province's allocation for reception-point works (đồng).
WORKS_VND_PER_PROVINCE = 1_000_000_000
#: Border provinces whose works were committed once and paid in full in 2007.
WORKS_PAID_2007 = ("22", "20", "10", "89")


def seed_national_2005(app: Socai, actor: Actor, demo: FundingDemo) -> None:
    """Establish the 2005 plan and record its sources, lines, allocations and spending."""
    app.funding.establish(
        money.Establish(
            CODE,
            "Đề án tiếp nhận và hỗ trợ nạn nhân bị buôn bán từ nước ngoài trở về 2005–2010",
            date(2005, 1, 1),
            date(2010, 12, 31),
            PLANNED_ON,
            "Dự thảo đề án 2005",
        ),
        finance(app, actor),
    )
    commands = [*_sources_and_lines(), *_reception_point_works(), *_vocational_training()]
    record_in_batches(app, CODE, commands, actor, demo)
    demo.programmes.append(CODE)


def _sources_and_lines() -> list[money.MoneyCommand]:
    """Nguồn vốn (central, local, aid) and the plan's two budget lines."""
    d = PLANNED_ON
    return [
        money.Pledge(
            "NS-TW-2005", d, source="NSTW", source_kind="central", amount_vnd=60_000_000_000
        ),
        money.Pledge(
            "NS-DP-2005", d, source="NSDP", source_kind="local", amount_vnd=12_300_000_000
        ),
        money.Pledge(
            "VT-2005",
            d,
            source="VT",
            source_kind="aid",
            amount_vnd=5_000_000_000,
            donor="Nhà tài trợ quốc tế (minh họa)",
        ),
        money.BudgetLine(
            "DL-HN-TW",
            d,
            line="HT-HOA-NHAP",
            line_title=REINTEGRATION,
            source="NSTW",
            amount_vnd=24_900_000_000,
        ),
        money.BudgetLine(
            "DL-HN-VT",
            d,
            line="HT-HOA-NHAP",
            line_title=REINTEGRATION,
            source="VT",
            amount_vnd=5_000_000_000,
        ),
        money.BudgetLine(
            "DL-TN-TW",
            d,
            line="DIEM-TIEP-NHAN",
            line_title=WORKS,
            source="NSTW",
            amount_vnd=WORKS_VND_PER_PROVINCE * len(BORDER_PROVINCES),
        ),
    ]


def _reception_point_works() -> list[money.MoneyCommand]:
    """A billion to each border province; works committed and paid, two provinces not
    straightforwardly (Tây Ninh in two phases, Đồng Tháp's commitment voided and re-made)."""
    commands: list[money.MoneyCommand] = [
        works_allocation(f"PB-TN-{province}", date(2006, 1, 10), province, WORKS_VND_PER_PROVINCE)
        for province in BORDER_PROVINCES
    ]
    for province in WORKS_PAID_2007:
        commands += [
            _works_commitment(f"CK-TN-{province}", date(2007, 3, 1), province, 950_000_000),
            money.Pay(f"CHI-TN-{province}", date(2007, 9, 28), commitment=f"CK-TN-{province}"),
        ]
    return [
        *commands,
        money.Pay(
            "CHI-TN-72-1",
            date(2007, 9, 28),
            allocation="PB-TN-72",
            amount_vnd=600_000_000,
            activity="reception_point_works",
            description=WORKS + " (giai đoạn 1)",
        ),
        _works_commitment("CK-TN-72-2", date(2009, 4, 2), "72", 300_000_000, " (giai đoạn 2)"),
        _works_commitment("CK-TN-87-1", date(2007, 3, 1), "87", 1_000_000_000),
        money.Void(
            "HUY-TN-87-1",
            date(2007, 5, 15),
            commitment="CK-TN-87-1",
            reason="Điều chỉnh dự toán công trình",
        ),
        _works_commitment("CK-TN-87-2", date(2007, 5, 20), "87", 800_000_000),
        money.Pay("CHI-TN-87-2", date(2007, 12, 10), commitment="CK-TN-87-2"),
    ]


def works_allocation(
    transaction_id: str, on: date, province: str, amount_vnd: int, period: str = "2006/2010"
) -> money.Allocate:
    """An allocation (phân bổ) of the reception-point line (central budget) to a border
    province, on the old map."""
    return money.Allocate(
        transaction_id,
        on,
        line="DIEM-TIEP-NHAN",
        source="NSTW",
        unit_map="old",
        unit_code=province,
        period=period,
        amount_vnd=amount_vnd,
    )


def _works_commitment(
    transaction_id: str, on: date, province: str, amount_vnd: int, phase: str = ""
) -> money.Commit:
    """A commitment (cam kết chi) of a province's reception-point works."""
    return money.Commit(
        transaction_id,
        on,
        allocation=f"PB-TN-{province}",
        amount_vnd=amount_vnd,
        activity="reception_point_works",
        description=WORKS + phase,
    )


def _vocational_training() -> list[money.MoneyCommand]:
    """Aid money allocated to Lào Cai for vocational training, partly spent in 2008."""
    return [
        money.Allocate(
            "PB-HN-10",
            date(2006, 2, 1),
            line="HT-HOA-NHAP",
            source="VT",
            unit_map="old",
            unit_code="10",
            period="2006/2010",
            amount_vnd=2_000_000_000,
        ),
        money.Pay(
            "CHI-HN-10-1",
            date(2008, 8, 15),
            allocation="PB-HN-10",
            amount_vnd=450_000_000,
            activity="training_course",
            description="Lớp dạy nghề cho nạn nhân trở về",
        ),
    ]
