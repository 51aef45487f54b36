"""Effective-dated rules (quy định có hiệu lực theo thời gian).

The law changed on 1 July 2025: the 2011 Law on Prevention and Combat of Human Trafficking
(66/2011/QH12) with Decree 09/2013/NĐ-CP gave way to Law 53/2024/QH15 with Decree
162/2025/NĐ-CP. A case that spans 30 June 2025 is judged by the rule in force *on the business
date of each step*, never by today's rule. Every rule a command checks is looked up here by
date; nothing elsewhere hard-codes a limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.time import REFORM_DAY_2025

#: Reception procedures (biên bản tiếp nhận, kiểm tra tư trang, phỏng vấn) must be completed
#: within 15 days of reception — the 2005 draft programme (seed 000). No later text changed it.
RECEPTION_PROCEDURE_DAYS = 15


@dataclass(frozen=True, slots=True)
class AmountPerPerson:
    """The range one person's payment of a support type can lie in, in đồng (khoảng mức
    chi cho một người), inclusive.

    These are *plausibility* bounds around what the regime pays, not the decree's exact
    figure: provinces may top the allowance up from their own budget and loans vary with the
    borrower's plan, so the bounds are wide. They are tight enough to catch the errors that
    matter — an amount written in the wrong unit is off by a factor of 1,000 or 1,000,000.
    """

    support_type: str
    low_vnd: int
    high_vnd: int

    def __post_init__(self) -> None:
        assert 0 < self.low_vnd <= self.high_vnd, self


@dataclass(frozen=True, slots=True)
class LegalRegime:
    """The body of rules in force over ``[effective_from, effective_until]``."""

    name: str
    legal_basis: str
    effective_from: date
    effective_until: date | None
    #: Essential-needs support (hỗ trợ nhu cầu thiết yếu) may last at most this many days.
    essential_needs_max_days: int
    #: Whether persons still undergoing identification (đang trong quá trình xác định là nạn
    #: nhân) and suspected victims may be supported, or only identified victims.
    supports_persons_under_identification: bool
    #: Health-insurance support in the first year after reception (new in 2025).
    health_insurance_support: bool
    #: What one person may be paid, per support type with an amount (loan, hardship
    #: allowance); the rollup's quality checks read them (money rows in the wrong unit).
    amounts_per_person: tuple[AmountPerPerson, ...] = ()

    def amount_per_person(self, support_type: str) -> AmountPerPerson | None:
        return next((a for a in self.amounts_per_person if a.support_type == support_type), None)

    def covers(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_until is None or day <= self.effective_until
        )


REGIMES: tuple[LegalRegime, ...] = (
    LegalRegime(
        name="Luật PCMBN 2011",
        legal_basis="Luật 66/2011/QH12; Nghị định 09/2013/NĐ-CP",
        effective_from=date(2012, 1, 1),
        effective_until=REFORM_DAY_2025 - timedelta(days=1),
        essential_needs_max_days=60,
        supports_persons_under_identification=False,
        health_insurance_support=False,
        amounts_per_person=(
            # trợ cấp khó khăn ban đầu: a one-off payment of the order of a million đồng
            AmountPerPerson("hardship_allowance", 200_000, 10_000_000),
            # vay vốn (Social Policy Bank, Women's Union funds): a production loan
            AmountPerPerson("loan", 1_000_000, 200_000_000),
        ),
    ),
    LegalRegime(
        name="Luật PCMBN 2024",
        legal_basis="Luật 53/2024/QH15; Nghị định 162/2025/NĐ-CP",
        effective_from=REFORM_DAY_2025,
        effective_until=None,
        essential_needs_max_days=120,
        supports_persons_under_identification=True,
        health_insurance_support=True,
        amounts_per_person=(
            AmountPerPerson("hardship_allowance", 200_000, 20_000_000),
            AmountPerPerson("loan", 1_000_000, 300_000_000),
        ),
    ),
)

#: The earliest business date socai accepts: the 2011 law's entry into force. Earlier facts
#: belong to programmes this system was not built to hold.
EARLIEST_BUSINESS_DATE = REGIMES[0].effective_from


def regime_on(day: date) -> LegalRegime:
    for regime in REGIMES:
        if regime.covers(day):
            return regime
    raise LookupError(f"no legal regime covers {day.isoformat()}")


def regimes_in_year(year: int) -> tuple[LegalRegime, ...]:
    """The regimes in force on some day of ``year`` (two in 2025, none before 2012)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    return tuple(
        r
        for r in REGIMES
        if r.effective_from <= last and (r.effective_until is None or r.effective_until >= first)
    )


def reception_procedures_due(received_on: date) -> date:
    return received_on + timedelta(days=RECEPTION_PROCEDURE_DAYS)


#: Health-insurance support is for the first year after reception.
HEALTH_INSURANCE_WINDOW_DAYS = 365
