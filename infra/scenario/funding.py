"""The demo's money (nguồn kinh phí): three programmes recorded through the real funding
commands.

1. ``DA-2005-2010`` — the 2005–2010 draft plan of seed 000 (:mod:`.funding_2005`).
2. ``DA3-DT-2016-2020`` — seed 003: Đồng Tháp's Department of Labour gave Hồng Ngự district
   3.000.000 đ a year for five years (15.000.000 đ) for direction, supervision and
   communication; each year pays its communication sessions and its direction work.
3. ``HT-NAN-NHAN-2016-2030`` — illustrative: the direct support paid to the demo cases
   (:mod:`.case_payments`), with one deliberate discrepancy.

Every transaction has a deterministic id, so seeding twice records nothing new (the support
programme is seeded once: a second run leaves it as it is).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from domain.case.values import Actor
from domain.funding.commands import Allocate, BudgetLine, Establish, MoneyCommand, Pay, Pledge
from infra.scenario.case_payments import seed_case_payments
from infra.scenario.funding_2005 import seed_national_2005
from infra.scenario.funding_batches import FundingDemo, record_in_batches
from infra.scenario.places import HONG_NGU_DISTRICT_OLD
from infra.scenario.staff import finance

if TYPE_CHECKING:
    from infra.services.socai import Socai

DEMO_FINANCE_ACTOR = Actor("TC-DEMO-01", "labour_social_affairs")
#: Hồng Ngự's yearly allocation (đồng).
HONG_NGU_VND_PER_YEAR = 3_000_000
HONG_NGU_SESSIONS_VND_PER_YEAR = 2_400_000
HONG_NGU_DIRECTION_VND_PER_YEAR = 600_000
HONG_NGU_YEARS = range(2016, 2021)
#: What each year pays from it, one payment (chi) a row: the id's prefix (the year follows),
#: the day and month paid, đồng, the activity and its description.
HONG_NGU_PAYMENTS: tuple[tuple[str, int, int, int, str, str], ...] = (
    (
        "CHI-TT",
        11,
        30,
        HONG_NGU_SESSIONS_VND_PER_YEAR,
        "communication_session",
        "12 buổi tuyên truyền phòng, chống mua bán người",
    ),
    (
        "CHI-CD",
        12,
        15,
        HONG_NGU_DIRECTION_VND_PER_YEAR,
        "directive",
        "Chỉ đạo, giám sát thực hiện đề án",
    ),
)
assert sum(row[3] for row in HONG_NGU_PAYMENTS) == HONG_NGU_VND_PER_YEAR


def seed_funding(
    app: Socai,
    case_ids_with_supports: Iterable[UUID],
    *,
    actor: Actor = DEMO_FINANCE_ACTOR,
) -> FundingDemo:
    """Record the demo's programmes and pay the given cases' supports (see module doc)."""
    demo = FundingDemo()
    seed_national_2005(app, actor, demo)
    _hong_ngu(app, actor, demo)
    seed_case_payments(app, list(case_ids_with_supports), actor, demo)
    return demo


def _hong_ngu(app: Socai, actor: Actor, demo: FundingDemo) -> None:
    """Đề án 3 in Đồng Tháp (seed 003): Hồng Ngự's direction and communication money."""
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
        finance(app, actor),
    )
    total = HONG_NGU_VND_PER_YEAR * len(HONG_NGU_YEARS)
    commands: list[MoneyCommand] = [
        Pledge(
            "NSDP-DT-2016",
            date(2016, 1, 5),
            source="NSDP-DT",
            source_kind="local",
            amount_vnd=total,
        ),
        BudgetLine(
            "DL-CDTT",
            date(2016, 1, 5),
            line="CHI-DAO-TUYEN-TRUYEN",
            line_title="Chỉ đạo, giám sát và tuyên truyền",
            source="NSDP-DT",
            amount_vnd=total,
        ),
    ]
    for year in HONG_NGU_YEARS:
        commands += _hong_ngu_year(year)
    record_in_batches(app, code, commands, actor, demo)
    demo.programmes.append(code)


def _hong_ngu_year(year: int) -> list[MoneyCommand]:
    """One year's allocation to Hồng Ngự, its communication sessions and direction work."""
    allocation = f"PB-HONGNGU-{year}"
    return [
        Allocate(
            allocation,
            date(year, 1, 15),
            line="CHI-DAO-TUYEN-TRUYEN",
            source="NSDP-DT",
            unit_map="old",
            unit_code=HONG_NGU_DISTRICT_OLD,
            period=str(year),
            amount_vnd=HONG_NGU_VND_PER_YEAR,
        ),
        *(
            Pay(
                f"{prefix}-{year}",
                date(year, month, day),
                allocation=allocation,
                amount_vnd=amount_vnd,
                activity=activity,
                description=description,
            )
            for prefix, month, day, amount_vnd, activity, description in HONG_NGU_PAYMENTS
        ),
    ]
