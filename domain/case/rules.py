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
    ),
    LegalRegime(
        name="Luật PCMBN 2024",
        legal_basis="Luật 53/2024/QH15; Nghị định 162/2025/NĐ-CP",
        effective_from=REFORM_DAY_2025,
        effective_until=None,
        essential_needs_max_days=120,
        supports_persons_under_identification=True,
        health_insurance_support=True,
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


def reception_procedures_due(received_on: date) -> date:
    return received_on + timedelta(days=RECEPTION_PROCEDURE_DAYS)


#: Health-insurance support is for the first year after reception.
HEALTH_INSURANCE_WINDOW_DAYS = 365
