"""The provincial rollup form (BIỂU TỔNG HỢP SỐ LIỆU): its rows and how they fit together.

The rows come from ``rollup_template.csv`` next to this module (a copy of the programme's form:
stable ``row_id``, the printed ``stt``, Vietnamese and English labels, the unit of measure,
and whether the row is on the official paper form). Row ids never change meaning; a new row
gets a new id.

**"Không rõ" lines.** The paper form breaks identified victims (and the sheltered) down by
sex, ethnicity and scope with no line for a person whose sex, ethnicity or scope was never
recorded, so a breakdown either misstates or does not add up. socai adds one explicit line to
each such breakdown (``I.2.a.unknown``, ``I.2.b.unknown``, ``I.2.d.unknown``,
``II.4.3.a.unknown``; ``official = no``) and every breakdown then sums *exactly* to its whole —
the same rule in the rollup computed from events and in the quality suites. A submitted paper
form has no such line: its absence means "nobody unrecorded" (0), not a missing row.

The form's structure, as the rules every filled form must obey for each year column:

* :data:`NESTING` — age bands nest: under 16 ≤ under 18 ≤ the sex total (victims and sheltered).
* :data:`PARTS` — parts equal the whole: male + female + sex unknown, Kinh + other ethnic
  groups + unknown, domestic + abroad + unknown, the destination countries = abroad, the
  reception forms = identified victims, and male + female + unknown = sheltered.
* :data:`BOUNDS` — a count that cannot exceed another: identified ≤ received, foreigners ≤
  identified, each support type ≤ victims supported, each service in shelter ≤ sheltered, each
  reintegration support ≤ reintegration supported.
* :data:`MONEY` — an amount row and the person row it pays for: an amount needs persons and
  persons supported need an amount.

Both the projections (which fill the form from events) and quality (which checks submitted
forms) read the form only through this module.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from domain.reference.codes import SupportType

TEMPLATE_PATH = Path(__file__).with_name("rollup_template.csv")

#: Units of measure used by the form; ``million_vnd`` rows are money (triệu đồng).
PERSON_UNITS = frozenset({"person", "document", "session", "attendance", "item", "course"})
MONEY_UNIT = "million_vnd"


@dataclass(frozen=True, slots=True)
class FormRow:
    """One row of the form (chỉ tiêu)."""

    row_id: str
    stt: str
    label_vi: str
    label_en: str
    unit: str
    #: On the official paper form (False for socai's "không rõ" lines, which a submitted
    #: form may leave out: their absence reads as 0).
    official: bool = True

    @property
    def is_money(self) -> bool:
        return self.unit == MONEY_UNIT


@dataclass(frozen=True, slots=True)
class Sum:
    """``whole`` equals the sum of ``parts`` (tổng bằng tổng các thành phần)."""

    name: str
    whole: str
    parts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AtMost:
    """``smaller`` ≤ ``larger`` (a subset cannot outnumber its set)."""

    name: str
    smaller: str
    larger: str


@dataclass(frozen=True, slots=True)
class MoneyPair:
    """``amount`` (million VND) is paid to the people counted in ``persons``."""

    name: str
    persons: str
    amount: str


@cache
def form_rows() -> tuple[FormRow, ...]:
    """The form's rows in printed order."""
    with TEMPLATE_PATH.open(encoding="utf-8", newline="") as handle:
        rows = tuple(
            FormRow(r["row_id"], r["stt"], r["label_vi"], r["label_en"], r["unit"], _official(r))
            for r in csv.DictReader(handle)
        )
    ids = [r.row_id for r in rows]
    assert len(set(ids)) == len(ids), "duplicate row ids in the rollup template"
    assert all(r.unit in PERSON_UNITS or r.is_money for r in rows), "unknown unit of measure"
    return rows


def _official(record: dict[str, str]) -> bool:
    flag = record["official"]
    assert flag in ("yes", "no"), f"{record['row_id']}: official is yes or no, not {flag!r}"
    return flag == "yes"


def official_row_ids() -> tuple[str, ...]:
    """The rows of the paper form: every submitted form must have each of them."""
    return tuple(r.row_id for r in form_rows() if r.official)


@cache
def row_index() -> dict[str, FormRow]:
    """Rows by ``row_id``."""
    return {r.row_id: r for r in form_rows()}


def row_ids() -> tuple[str, ...]:
    return tuple(r.row_id for r in form_rows())


def _sexes(prefix: str, kind: str) -> list[AtMost]:
    rules = []
    for sex in ("male", "female"):
        row = f"{prefix}.{sex}"
        rules.append(AtMost(f"{kind}_{sex}_u16_le_u18", f"{row}_u16", f"{row}_u18"))
        rules.append(AtMost(f"{kind}_{sex}_u18_le_total", f"{row}_u18", row))
    return rules


_COUNTRIES = ("china", "laos", "cambodia", "thailand", "malaysia", "uk", "russia", "other")

#: Age bands nest inside the sex total: under 16 ≤ under 18 ≤ sex.
NESTING: tuple[AtMost, ...] = (*_sexes("I.2.a", "victims"), *_sexes("II.4.3.a", "sheltered"))

#: Parts that add up to a whole.
PARTS: tuple[Sum, ...] = (
    Sum("victims_by_sex", "I.2", ("I.2.a.male", "I.2.a.female", "I.2.a.unknown")),
    Sum("victims_by_ethnicity", "I.2", ("I.2.b.kinh", "I.2.b.other_ethnic", "I.2.b.unknown")),
    Sum("victims_by_scope", "I.2", ("I.2.d.domestic", "I.2.d.abroad", "I.2.d.unknown")),
    Sum("abroad_by_country", "I.2.d.abroad", tuple(f"I.2.d.abroad.{c}" for c in _COUNTRIES)),
    Sum(
        "victims_by_reception_form",
        "I.2",
        ("I.2.e.self_returned", "I.2.e.rescued", "I.2.e.bilateral_handover"),
    ),
    Sum("sheltered_by_sex", "II.4.3", ("II.4.3.a.male", "II.4.3.a.female", "II.4.3.a.unknown")),
)

#: The services counted on the form's shelter rows (hỗ trợ tại cơ sở), by support type.
SHELTER_SERVICES = (
    SupportType.ESSENTIAL_NEEDS,
    SupportType.MEDICAL_CARE,
    SupportType.PSYCHOLOGICAL_COUNSELLING,
    SupportType.LEGAL_AID,
)
_REINTEGRATION = (
    "a.legal_aid",
    "b.schooling",
    "c.vocational_training",
    "d.job_finding",
    "e.loan",
    "g.hardship_allowance",
)

#: Counts bounded by another count.
BOUNDS: tuple[AtMost, ...] = (
    AtMost("identified_le_received", "I.2", "I.1"),
    AtMost("foreigners_le_identified", "I.2.c.foreigner", "I.2"),
    *(AtMost(f"support_{r}_le_supported", f"II.4.{r}", "II.4.1") for r in ("2", "3", "4")),
    *(AtMost(f"shelter_{s}_le_sheltered", f"II.4.3.b.{s}", "II.4.3") for s in SHELTER_SERVICES),
    *(
        AtMost(f"reintegration_{r.split('.')[1]}_le_reintegrated", f"II.4.4.{r}", "II.4.4")
        for r in _REINTEGRATION
    ),
)

#: Amount rows and the person rows they pay for.
MONEY: tuple[MoneyPair, ...] = (
    MoneyPair("loan_amount_matches_persons", "II.4.4.e.loan", "II.4.4.e.loan_amount"),
    MoneyPair(
        "hardship_amount_matches_persons",
        "II.4.4.g.hardship_allowance",
        "II.4.4.g.hardship_allowance_amount",
    ),
)


def _check_structure() -> None:
    known = set(row_ids())
    named = [r.smaller for r in NESTING + BOUNDS] + [r.larger for r in NESTING + BOUNDS]
    named += [p for s in PARTS for p in (s.whole, *s.parts)]
    named += [x for m in MONEY for x in (m.persons, m.amount)]
    missing = sorted(set(named) - known)
    assert not missing, f"rules name rows missing from the template: {missing}"
    names = [r.name for r in NESTING + BOUNDS] + [s.name for s in PARTS] + [m.name for m in MONEY]
    assert len(set(names)) == len(names), "duplicate rule names"


_check_structure()
