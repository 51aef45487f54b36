"""De-identified case records in the HTCDS v2.0 fields (dữ liệu đã khử định danh), as CTDC
publishes them.

The Human Trafficking Case Data Standard (shared/data/htcds_v2_fields.txt) names the fields;
socai fills those it can derive from the case-status projection — which itself holds no
personal data — and no personal field at all (no name, birth date, identity number, phone,
address, e-mail). One record per case received in the period whose verification did not
conclude "not a victim":

| HTCDS field | from | quasi-identifier: levels |
|---|---|---|
| ``cas_IncomingReferralDate`` | the year of reception (never the day) | year → the period |
| ``prs_Gender`` | sex | Feminine/Masculine → withheld |
| ``vic_AgeWhenTrafficked`` | reception − birth year, CTDC's bands | band → 0--17/18+ → withheld |
| ``prs_Citizenship`` | nationality (ISO 3166) | country → VN/Other → withheld |
| ``hte_Country`` | destination abroad, VN when domestic | country → VN/Other → withheld |
| ``hte_Type`` | ``Exploitation`` where that country is known | — |
| ``vic_TraffickingStatus`` | verification outcome | — |
| ``vic_TraffickingStatusDecisionMakingOrg`` | the deciding body | — |
| ``cas_Status`` | stage | — |
| ``cas_ReasonForCaseClosure`` | the closure's reason code (never free text) | — |
| ``spl_Type`` | support received, as HTCDS support types | — |

:func:`htcds_records` reads the rows; :func:`hierarchies` gives the quasi-identifiers'
generalisation levels for :func:`projections.kanon.k_anonymise`. The country of exploitation
is a country, never a province or commune. An unknown value is
``Unknown``, a withheld one (a column generalised to its top) is empty.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from domain.period import Period
from projections.case_status import case_status
from projections.kanon import Hierarchy

UNKNOWN = "Unknown"
WITHHELD = ""

#: The columns written, in order.
FIELDS = (
    "cas_IncomingReferralDate",
    "prs_Gender",
    "vic_AgeWhenTrafficked",
    "prs_Citizenship",
    "hte_Country",
    "hte_Type",
    "vic_TraffickingStatus",
    "vic_TraffickingStatusDecisionMakingOrg",
    "cas_Status",
    "cas_ReasonForCaseClosure",
    "spl_Type",
)
#: HTCDS fields that hold personal data: never written (checked by the tests).
PERSONAL_FIELDS = frozenset(
    {"prs_Salutation", "prs_FirstName", "prs_MiddleName", "prs_SecondName", "prs_Birthdate",
     "prs_IdentityNumber", "prs_Email", "prs_HomePhone", "prs_MobilePhone", "prs_MailingCity",
     "prs_MailingState", "prs_MailingStreet", "prs_MailingPostalCode", "prs_MailingLongitude",
     "prs_MailingLatitude", "hte_Street", "hte_City", "hte_PostalCode", "hte_Longitude",
     "hte_Latitude", "cas_CaseOwner", "cas_ReferringPrimaryCaseWorker",
     "cas_ReferredPrimaryCaseWorker", "cco_CaseComment", "cas_IncomingReferralDetails",
     "cas_OutgoingReferralDetails"}
)  # fmt: skip

_GENDER = {"female": "Feminine", "male": "Masculine"}
_STATUS = {"victim": "ActualVictimOfTrafficking", "suspected_victim": "PossibleVictimOfTrafficking"}
_DECIDER = {"police": "Police", "border_guard": "Police", "court": "CourtOrProsecution",
            "procuracy": "CourtOrProsecution"}  # fmt: skip
_SUPPORT = {
    "essential_needs": "SocialCare", "social_assistance": "SocialCare", "medical_care": "Health",
    "psychological_counselling": "Health", "health_insurance": "Health", "legal_aid": "Legal",
    "identity_papers": "Legal", "schooling": "Education", "vocational_training": "Livelihood",
    "job_finding": "Livelihood", "loan": "Financial", "hardship_allowance": "Financial",
}  # fmt: skip
#: CTDC's age bands (lower bound, label), oldest last.
AGE_BANDS = ((0, "0--8"), (9, "9--17"), (18, "18--20"), (21, "21--23"), (24, "24--26"),
             (27, "27--29"), (30, "30--38"), (39, "39--47"), (48, "48+"))  # fmt: skip
_CHILD = "0--17"
_ADULT = "18+"


def age_band(age: int) -> str:
    """CTDC's band of an age in whole years."""
    label = AGE_BANDS[0][1]
    for lower, name in AGE_BANDS:
        if age >= lower:
            label = name
    return label


def _age(row: Any) -> str:
    if row.birth_year is not None and row.received_year is not None:
        age = row.received_year - row.birth_year
        if 0 <= age <= 120:
            return age_band(age)
    if row.age_band in ("under_16", "16_17"):
        return _CHILD
    if row.age_band == "adult":
        return _ADULT
    return UNKNOWN


def _country(row: Any) -> str:
    if row.scope == "domestic":
        return "VN"
    if row.scope == "abroad" and row.destination_country:
        return str(row.destination_country)
    return UNKNOWN


def record_of(row: Any) -> dict[str, str]:
    """One case-status row as an HTCDS record (quasi-identifiers at level 0)."""
    country = _country(row)
    supports = sorted({_SUPPORT.get(s, "SocialCare") for s in row.support_types.split(",") if s})
    return {
        "cas_IncomingReferralDate": str(row.received_year),
        "prs_Gender": _GENDER.get(row.sex or "", UNKNOWN),
        "vic_AgeWhenTrafficked": _age(row),
        "prs_Citizenship": row.nationality or UNKNOWN,
        "hte_Country": country,
        "hte_Type": "Exploitation" if country != UNKNOWN else "",
        "vic_TraffickingStatus": _STATUS.get(
            row.verification_outcome or "", "PossibleVictimOfTrafficking"
        ),
        "vic_TraffickingStatusDecisionMakingOrg": (
            _DECIDER.get(row.deciding_body, "Other") if row.deciding_body else ""
        ),
        "cas_Status": "Closed" if row.closed_on is not None else "Active",
        "cas_ReasonForCaseClosure": row.closure_reason or "",
        "spl_Type": ";".join(supports),
    }


def htcds_records(engine: Engine, period: Period) -> Iterator[dict[str, str]]:
    """The records of the cases received in ``period`` (not those found not to be victims),
    in case-id order."""
    query = (
        select(case_status)
        .where(case_status.c.received_on.between(period.starts_on, period.ends_on))
        .order_by(case_status.c.case_id)
    )
    with Session(engine) as session:
        for row in session.execute(query):
            if row.verification_outcome == "not_victim":
                continue
            yield record_of(row)


def _coarse_age(value: str) -> str:
    if value in (UNKNOWN, _CHILD, _ADULT):
        return value
    lower = int(value.split("--")[0].rstrip("+"))
    return _CHILD if lower < 18 else _ADULT


def _vn_or_other(value: str) -> str:
    return value if value in ("VN", UNKNOWN) else "Other"


def _same(value: str) -> str:
    return value


def _withheld(_value: str) -> str:
    return WITHHELD


#: How a country (quốc gia) is generalised, wherever one stands: as given, then "VN or
#: Other", then withheld; and what each level is called.
_COUNTRY_LEVELS = (_same, _vn_or_other, _withheld)
_COUNTRY_NAMES = ("country", "VN or Other", "withheld")


def hierarchies(period: Period) -> tuple[Hierarchy, ...]:
    """The quasi-identifiers, in the order they are generalised when equally good."""
    whole = f"{period.year_numbers[0]}-{period.year_numbers[-1]}"
    return (
        Hierarchy(
            "vic_AgeWhenTrafficked",
            (_same, _coarse_age, _withheld),
            ("CTDC age bands", "child (0--17) or adult (18+)", "withheld"),
        ),
        Hierarchy("hte_Country", _COUNTRY_LEVELS, _COUNTRY_NAMES),
        Hierarchy("prs_Citizenship", _COUNTRY_LEVELS, _COUNTRY_NAMES),
        Hierarchy(
            "cas_IncomingReferralDate",
            (_same, lambda _v: whole),
            ("year", f"the period {whole}"),
        ),
        Hierarchy("prs_Gender", (_same, _withheld), ("gender", "withheld")),
    )
