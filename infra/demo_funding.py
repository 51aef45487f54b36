"""The demo's money: three programmes recorded through the real funding commands.

1. ``DA-2005-2010`` — the 2005–2010 draft plan of seed 000: 77.300.000.000 đ in all, of which
   29.900.000.000 đ for victims' vocational training, schooling and reintegration support and
   6.000.000.000 đ for upgrading reception points at border posts in Quảng Ninh, Lạng Sơn, Lào
   Cai, Tây Ninh, An Giang and Đồng Tháp; the remaining 41.400.000.000 đ unassigned. The seed
   gives only the total and the two lines: the split between central budget, local budget and
   aid below is illustrative. The 6 billion line is allocated 1 billion to each border
   province and spent on reception-point works (one commitment voided and re-made, one still
   awaiting payment).
2. ``DA3-DT-2016-2020`` — seed 003: Đồng Tháp's Department of Labour gave Hồng Ngự district
   3.000.000 đ a year for five years (15.000.000 đ) for direction, supervision and
   communication; each year pays its communication sessions and its direction work.
3. ``HT-NAN-NHAN-2016-2030`` — illustrative: the direct support paid to the demo cases. Each
   support event with money is committed and paid from an allocation to the case's province
   for the support's year, after the application checked the case records that amount.

The deliberate discrepancy: after payment, one case's support amount is corrected on the case
(an officer finds the receipt was for more), so the disbursement no longer agrees with the
case — ``socai finance discrepancies`` shows it.

Every transaction has a deterministic id, so seeding twice records nothing new (the support
programme is seeded once: a second run leaves it as it is).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from domain.case.commands import Correct
from domain.case.values import Actor
from domain.funding.commands import (
    Allocate,
    BudgetLine,
    Commit,
    Establish,
    MoneyCommand,
    Pay,
    Pledge,
    Void,
)
from domain.reference.units import AdminMap, unit_directory
from domain.time import business_date
from infra.services.funding import MAX_BATCH_TRANSACTIONS

if TYPE_CHECKING:
    from infra.services.socai import Socai

DEMO_FINANCE_ACTOR = Actor("TC-DEMO-01", "labour_social_affairs")

#: The six key border provinces of seed 000 (old-map codes).
BORDER_PROVINCES = {
    "22": "Quảng Ninh",
    "20": "Lạng Sơn",
    "10": "Lào Cai",
    "72": "Tây Ninh",
    "89": "An Giang",
    "87": "Đồng Tháp",
}
#: Huyện Hồng Ngự, Đồng Tháp, on the old map (seed 003).
HONG_NGU_DISTRICT = "870"
#: First and last year of the support programme.
SUPPORT_YEARS = (2016, 2030)
#: Allocations to provinces for support are the year's supports plus this margin (percent).
SUPPORT_MARGIN_PERCENT = 10


@dataclass
class FundingDemo:
    """What was seeded: programme codes, transactions recorded, supports paid, and the
    deliberate discrepancy (case id, support event version), if any case had money."""

    programmes: list[str] = field(default_factory=list)
    recorded: int = 0
    supports_paid: int = 0
    discrepancy: tuple[UUID, int] | None = None


def seed_funding(
    app: Socai,
    case_ids_with_supports: Iterable[UUID],
    *,
    actor: Actor = DEMO_FINANCE_ACTOR,
) -> FundingDemo:
    """Record the demo's programmes and pay the given cases' supports (see module doc)."""
    demo = FundingDemo()
    _national_2005(app, actor, demo)
    _hong_ngu(app, actor, demo)
    _case_support(app, list(case_ids_with_supports), actor, demo)
    return demo


def _record(
    app: Socai,
    code: str,
    commands: Sequence[MoneyCommand],
    actor: Actor,
    demo: FundingDemo,
) -> None:
    for start in range(0, len(commands), MAX_BATCH_TRANSACTIONS):
        outcomes = app.funding.record_batch(
            code, commands[start : start + MAX_BATCH_TRANSACTIONS], actor
        )
        demo.recorded += sum(o.recorded for o in outcomes)


def _national_2005(app: Socai, actor: Actor, demo: FundingDemo) -> None:
    code = "DA-2005-2010"
    app.funding.establish(
        Establish(
            code,
            "Đề án tiếp nhận và hỗ trợ nạn nhân bị buôn bán từ nước ngoài trở về 2005–2010",
            date(2005, 1, 1),
            date(2010, 12, 31),
            date(2005, 6, 1),
            "Dự thảo đề án 2005",
        ),
        actor,
    )
    d = date(2005, 6, 1)
    commands: list[MoneyCommand] = [
        Pledge("NS-TW-2005", d, source="NSTW", source_kind="central", amount_vnd=60_000_000_000),
        Pledge("NS-DP-2005", d, source="NSDP", source_kind="local", amount_vnd=12_300_000_000),
        Pledge(
            "VT-2005",
            d,
            source="VT",
            source_kind="aid",
            amount_vnd=5_000_000_000,
            donor="Nhà tài trợ quốc tế (minh họa)",
        ),
        BudgetLine(
            "DL-HN-TW",
            d,
            line="HT-HOA-NHAP",
            line_title="Hỗ trợ nạn nhân học nghề, văn hóa, hòa nhập cộng đồng",
            source="NSTW",
            amount_vnd=24_900_000_000,
        ),
        BudgetLine(
            "DL-HN-VT",
            d,
            line="HT-HOA-NHAP",
            line_title="Hỗ trợ nạn nhân học nghề, văn hóa, hòa nhập cộng đồng",
            source="VT",
            amount_vnd=5_000_000_000,
        ),
        BudgetLine(
            "DL-TN-TW",
            d,
            line="DIEM-TIEP-NHAN",
            line_title="Nâng cấp nơi tiếp nhận nạn nhân tại đồn biên phòng",
            source="NSTW",
            amount_vnd=6_000_000_000,
        ),
    ]
    for province in BORDER_PROVINCES:
        commands.append(
            Allocate(
                f"PB-TN-{province}",
                date(2006, 1, 10),
                line="DIEM-TIEP-NHAN",
                source="NSTW",
                unit_map="old",
                unit_code=province,
                period="2006/2010",
                amount_vnd=1_000_000_000,
            )
        )
    works = "Nâng cấp nơi tiếp nhận nạn nhân tại đồn biên phòng"
    for province in ("22", "20", "10", "89"):
        commands += [
            Commit(
                f"CK-TN-{province}",
                date(2007, 3, 1),
                allocation=f"PB-TN-{province}",
                amount_vnd=950_000_000,
                activity="reception_point_works",
                description=works,
            ),
            Pay(f"CHI-TN-{province}", date(2007, 9, 28), commitment=f"CK-TN-{province}"),
        ]
    commands += [
        Pay(
            "CHI-TN-72-1",
            date(2007, 9, 28),
            allocation="PB-TN-72",
            amount_vnd=600_000_000,
            activity="reception_point_works",
            description=works + " (giai đoạn 1)",
        ),
        Commit(
            "CK-TN-72-2",
            date(2009, 4, 2),
            allocation="PB-TN-72",
            amount_vnd=300_000_000,
            activity="reception_point_works",
            description=works + " (giai đoạn 2)",
        ),
        Commit(
            "CK-TN-87-1",
            date(2007, 3, 1),
            allocation="PB-TN-87",
            amount_vnd=1_000_000_000,
            activity="reception_point_works",
            description=works,
        ),
        Void(
            "HUY-TN-87-1",
            date(2007, 5, 15),
            commitment="CK-TN-87-1",
            reason="Điều chỉnh dự toán công trình",
        ),
        Commit(
            "CK-TN-87-2",
            date(2007, 5, 20),
            allocation="PB-TN-87",
            amount_vnd=800_000_000,
            activity="reception_point_works",
            description=works,
        ),
        Pay("CHI-TN-87-2", date(2007, 12, 10), commitment="CK-TN-87-2"),
        Allocate(
            "PB-HN-10",
            date(2006, 2, 1),
            line="HT-HOA-NHAP",
            source="VT",
            unit_map="old",
            unit_code="10",
            period="2006/2010",
            amount_vnd=2_000_000_000,
        ),
        Pay(
            "CHI-HN-10-1",
            date(2008, 8, 15),
            allocation="PB-HN-10",
            amount_vnd=450_000_000,
            activity="training_course",
            description="Lớp dạy nghề cho nạn nhân trở về",
        ),
    ]
    _record(app, code, commands, actor, demo)
    demo.programmes.append(code)


def _hong_ngu(app: Socai, actor: Actor, demo: FundingDemo) -> None:
    code = "DA3-DT-2016-2020"
    app.funding.establish(
        Establish(
            code,
            'Đề án 3 "Tiếp nhận, xác minh, bảo vệ và hỗ trợ nạn nhân bị mua bán" —'
            " Đồng Tháp 2016–2020",
            date(2016, 1, 1),
            date(2020, 12, 31),
            date(2016, 1, 5),
        ),
        actor,
    )
    title = "Chỉ đạo, giám sát và tuyên truyền"
    commands: list[MoneyCommand] = [
        Pledge(
            "NSDP-DT-2016",
            date(2016, 1, 5),
            source="NSDP-DT",
            source_kind="local",
            amount_vnd=15_000_000,
        ),
        BudgetLine(
            "DL-CDTT",
            date(2016, 1, 5),
            line="CHI-DAO-TUYEN-TRUYEN",
            line_title=title,
            source="NSDP-DT",
            amount_vnd=15_000_000,
        ),
    ]
    for year in range(2016, 2021):
        allocation = f"PB-HONGNGU-{year}"
        commands += [
            Allocate(
                allocation,
                date(year, 1, 15),
                line="CHI-DAO-TUYEN-TRUYEN",
                source="NSDP-DT",
                unit_map="old",
                unit_code=HONG_NGU_DISTRICT,
                period=str(year),
                amount_vnd=3_000_000,
            ),
            Pay(
                f"CHI-TT-{year}",
                date(year, 11, 30),
                allocation=allocation,
                amount_vnd=2_400_000,
                activity="communication_session",
                description="12 buổi tuyên truyền phòng, chống mua bán người",
            ),
            Pay(
                f"CHI-CD-{year}",
                date(year, 12, 15),
                allocation=allocation,
                amount_vnd=600_000,
                activity="directive",
                description="Chỉ đạo, giám sát thực hiện đề án",
            ),
        ]
    _record(app, code, commands, actor, demo)
    demo.programmes.append(code)


@dataclass(frozen=True)
class _Support:
    case_id: UUID
    version: int
    occurred_on: date
    amount_vnd: int
    unit_map: str
    province: str


def _supports(app: Socai, case_ids: list[UUID]) -> list[_Support]:
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


def _case_support(app: Socai, case_ids: list[UUID], actor: Actor, demo: FundingDemo) -> None:
    code = "HT-NAN-NHAN-2016-2030"
    if app.funding.exists(code) and app.funding.programme(code).transactions:
        # Seeded before: its allocations were sized from the supports of that time, and the
        # deliberate correction has changed one support since; leave it as it is.
        demo.programmes.append(code)
        return
    supports = _supports(app, case_ids)
    app.funding.establish(
        Establish(
            code,
            "Hỗ trợ trực tiếp nạn nhân bị mua bán (minh họa)",
            date(SUPPORT_YEARS[0], 1, 1),
            date(SUPPORT_YEARS[1], 12, 31),
            date(SUPPORT_YEARS[0], 1, 2),
        ),
        actor,
    )
    demo.programmes.append(code)
    if not supports:
        return
    needed: dict[tuple[str, str, int], int] = defaultdict(int)
    for s in supports:
        needed[(s.unit_map, s.province, s.occurred_on.year)] += s.amount_vnd
    allocations = {
        key: -(-total * (100 + SUPPORT_MARGIN_PERCENT) // 100 // 1_000_000) * 1_000_000
        for key, total in needed.items()
    }
    total = sum(allocations.values())
    start = date(SUPPORT_YEARS[0], 1, 2)
    commands: list[MoneyCommand] = [
        Pledge("HT-NSTW", start, source="NSTW", source_kind="central", amount_vnd=total),
        Pledge(
            "HT-NSDP",
            start,
            source="NSDP",
            source_kind="local",
            amount_vnd=max(1_000_000, total // 5),
        ),
        BudgetLine(
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
            Allocate(
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
    for s in supports:
        tid = f"HT-{s.case_id.hex[:12]}-v{s.version}"
        commands += [
            Commit(
                f"{tid}-CK",
                s.occurred_on,
                allocation=f"PB-HT-{s.unit_map}-{s.province}-{s.occurred_on.year}",
                amount_vnd=s.amount_vnd,
                case_id=s.case_id,
                support_version=s.version,
            ),
            Pay(f"{tid}-CHI", s.occurred_on, commitment=f"{tid}-CK"),
        ]
    _record(app, code, commands, actor, demo)
    demo.supports_paid = len(supports)
    target = supports[0]
    current = app.cases.get(target.case_id).steps[target.version].value("amount_vnd")
    if current == target.amount_vnd:
        app.cases.execute(
            target.case_id,
            Correct(
                occurred_on=business_date(app.now()),
                corrects_version=target.version,
                field="amount_vnd",
                old_value=target.amount_vnd,
                new_value=target.amount_vnd + 500_000,
                reason="Chứng từ gốc ghi số tiền lớn hơn (sai lệch cố ý của bản demo)",
            ),
            Actor("CB-DEMO-02", "labour_social_affairs"),
        )
    demo.discrepancy = (target.case_id, target.version)
