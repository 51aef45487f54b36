"""The provincial rollup form (BIỂU TỔNG HỢP SỐ LIỆU), computed from the projections.

One :class:`Rollup` per unit, map and range of years: every row of the form
(``domain/reference/rollup_template.csv``), one column per year and the total (always the
sum of the year columns, as on the form). Money rows are whole đồng here; exports show them
in million VND (triệu đồng) as the form does.

Which unit (đơn vị): a case counts in the unit where it was received (its managed file's
unit), at every level above it; an activity in the unit that carried it out. On the old map
only units on the old map count (cases received and activities held before 1 July 2025); on
the 2025 map everything counts, old-map units regrouped by the crosswalk
(``UnitDirectory.to_2025``). So for any year before 2025 the 2025-map rollup of a new unit is
exactly the sum of the old-map rollups of the old units it absorbed. The nation is ``VN``.

Counting rules, per row, for year Y (by *business* date, never by record date):

- **I.1** persons received in Y (reception date in Y).
- **I.2** of those, persons identified as victims (outcome ``victim``, corrections applied).
- **I.2.a** identified victims by sex; ``_u18`` / ``_u16``: under 18 / under 16 *on the
  reception date* (from the birth year, or the age band when no birth year is known).
  Nesting: u16 ≤ u18 ≤ sex. A victim whose sex was never recorded counts on the "không rõ"
  line ``I.2.a.unknown``, so male + female + unknown = I.2 exactly (the same rule as the
  quality suites, ``domain.reference.rollup_form.PARTS``).
- **I.2.b** identified victims by ethnicity (Kinh / other / ``unknown`` when unrecorded);
  the sum is exactly I.2.
- **I.2.c** identified victims whose nationality is not VN.
- **I.2.d** identified victims trafficked within Viet Nam / abroad / ``unknown`` (scope not
  recorded), summing exactly to I.2; abroad by destination
  country (CN, LA, KH, TH, MY, GB, RU; any other or unknown destination: ``other``), so the
  countries sum exactly to ``abroad``.
- **I.2.e** identified victims by reception form; sums exactly to I.2.
- **I.3** persons protected (the victim, and each relative by relationship) counted once,
  in the year of their first protection measure.
- **II.1–II.3** sums of the activity counts (documents, sessions, participants, billboards,
  posters, leaflets, courses, trainees) dated in Y, withdrawn records excluded.
- **II.4.1** persons given any support or admitted to shelter in Y (once per person a year).
- **II.4.2** persons given essential-needs (and travel) support in Y.
- **II.4.3** persons admitted to temporary shelter in Y; **a** by sex (``unknown`` when not
  recorded, so the lines sum exactly to II.4.3) and age on their first admission in Y;
  **b** of those, persons given that support in Y. All ≤ II.4.3.
- **II.4.4** persons supported to reintegrate in Y: given schooling, vocational training,
  job finding, a loan or the initial hardship allowance in Y (a ``Reintegrated`` step alone
  is not support); **a–g** of those, persons given that support in Y (so legal aid counts
  here only alongside a reintegration support); the amounts are the sums of the loans and
  allowances dated in Y (đồng). II.4.4 ≤ II.4.1.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Engine, Table, select
from sqlalchemy.orm import Session

from domain.case.steps import CaseStatus
from domain.errors import InvalidInput
from domain.period import Period
from domain.reference.codes import SupportType
from domain.reference.rollup_form import SHELTER_SERVICES, FormRow, form_rows
from domain.reference.units import NATIONAL_CODE, AdminMap, Unit, UnitLevel, unit_directory
from projections.activity import COUNTS, activity_fact
from projections.case_status import case_protection, case_shelter, case_status, case_support

#: Years a rollup may span (the form has one column per year).
MAX_YEARS = 30

DESTINATION_ROWS = {
    "CN": "china",
    "LA": "laos",
    "KH": "cambodia",
    "TH": "thailand",
    "MY": "malaysia",
    "GB": "uk",
    "RU": "russia",
}
REINTEGRATION_SUPPORTS = (
    "schooling",
    "vocational_training",
    "job_finding",
    "loan",
    "hardship_allowance",
)
REINTEGRATION_ROWS = {
    "legal_aid": "a",
    "schooling": "b",
    "vocational_training": "c",
    "job_finding": "d",
    "loan": "e",
    "hardship_allowance": "g",
}
ACTIVITY_ROWS = {
    "II.1": "documents",
    "II.2.sessions": "sessions",
    "II.2.participants": "participants",
    "II.2.pano": "billboards",
    "II.2.posters": "posters",
    "II.2.leaflets": "leaflets",
    "II.3.courses": "courses",
    "II.3.trainees": "trainees",
}
assert set(ACTIVITY_ROWS.values()) == set(COUNTS)


@dataclass(frozen=True, slots=True)
class Rollup:
    """The filled form for one unit: ``values[row_id][year]`` (money rows in đồng)."""

    admin_map: AdminMap
    unit: Unit
    years: tuple[int, ...]
    values: dict[str, dict[int, int]]
    #: The days counted when not whole years (a half, a quarter, a cut-off date).
    window: Period | None = None

    def total(self, row_id: str) -> int:
        return sum(self.values[row_id].values())

    def rows(self) -> list[tuple[FormRow, list[int], int]]:
        return [
            (r, [self.values[r.row_id][y] for y in self.years], self.total(r.row_id))
            for r in form_rows()
        ]


@dataclass(frozen=True, slots=True)
class CellChange:
    """One cell of the form whose value differs between two rollups (thay đổi số liệu)."""

    row: FormRow
    year: int
    before: int
    after: int


def rollup_changes(then: Rollup, now: Rollup) -> list[CellChange]:
    """The cells of ``then`` (e.g. the report as known at T) whose value is different in
    ``now``, in form order; both rollups cover the same unit, map and years."""
    assert then.years == now.years, "a diff compares the same years"
    return [
        CellChange(row, year, before, now.values[row.row_id][year])
        for row, values, _total in then.rows()
        for year, before in zip(then.years, values, strict=True)
        if now.values[row.row_id][year] != before
    ]


def reporting_period(text: str, until: date | None = None, field: str = "--period") -> Period:
    """The period a report covers (kỳ báo cáo), in the one period syntax, cut off at
    ``until`` (số liệu tính đến ngày …): from 2012, at most :data:`MAX_YEARS` years."""
    period = Period.parse(text, field).until(until)
    years = period.year_numbers
    if not (years[0] >= 2012 and years[-1] <= 2100 and len(years) <= MAX_YEARS):
        raise InvalidInput(
            field,
            f"{text!r} is not within {MAX_YEARS} years from 2012",
            hint="e.g. --period 2016-2020, --period 2024-H1 or --period 2024",
        )
    return period


def parse_years(text: str) -> tuple[int, ...]:
    """``2016-2020`` or ``2019`` → the years, in order (the whole years of a period)."""
    return reporting_period(text, field="--years").year_numbers


def unit_filter(table: Table, admin_map: AdminMap, unit: Unit) -> ColumnElement[bool]:
    """Rows of ``table`` (case_status or activity_fact) that belong to ``unit``."""
    prefix = "old" if admin_map is AdminMap.OLD else "new"
    if unit.level is UnitLevel.NATIONAL:
        return table.c[f"{prefix}_province"].is_not(None)
    return table.c[f"{prefix}_{unit.level.value}"] == unit.code


def resolve_unit(admin_map: AdminMap, code: str) -> Unit:
    return unit_directory().require(admin_map, code.strip() or NATIONAL_CODE, "--unit")


def _status(row: Any) -> CaseStatus:
    return CaseStatus(case_id=UUID(row.case_id), birth_year=row.birth_year, age_band=row.age_band)


class _Counter:
    """Distinct persons (or sums) per row and year, of the facts dated in ``window``."""

    def __init__(self, years: Sequence[int], window: Period) -> None:
        self.years = tuple(years)
        self.window = window
        self.persons: dict[tuple[str, int], set[Any]] = defaultdict(set)
        self.sums: dict[tuple[str, int], int] = defaultdict(int)

    def counts(self, day: date | None) -> bool:
        """Whether a fact dated ``day`` (its business date) is counted."""
        return day is not None and self.window.contains(day)

    def person(self, row_id: str, year: int, who: Any) -> None:
        self.persons[(row_id, year)].add(who)

    def add(self, row_id: str, year: int, amount: int) -> None:
        self.sums[(row_id, year)] += amount

    def values(self) -> dict[str, dict[int, int]]:
        out = {r.row_id: dict.fromkeys(self.years, 0) for r in form_rows()}
        for (row_id, year), who in self.persons.items():
            out[row_id][year] = len(who)
        for (row_id, year), amount in self.sums.items():
            out[row_id][year] += amount
        return out


def compute_rollup(
    engine: Engine,
    admin_map: AdminMap,
    unit_code: str,
    years: Sequence[int],
    window: Period | None = None,
) -> Rollup:
    """The form for ``unit_code`` on ``admin_map`` over ``years``, from the projections;
    with ``window`` (a half, a quarter, days; cut off at a date), only the facts dated in it
    are counted, in their year's column."""
    unit = resolve_unit(admin_map, unit_code)
    years = tuple(sorted(years))
    assert years
    assert len(years) <= MAX_YEARS
    whole = Period.years(years[0], years[-1])
    assert window is None or (whole.contains(window.starts_on) and whole.contains(window.ends_on))
    counter = _Counter(years, window or whole)
    with Session(engine) as session:
        cases = {
            row.case_id: row
            for row in session.execute(
                select(case_status).where(unit_filter(case_status, admin_map, unit))
            )
        }
        _count_cases(counter, cases.values(), years)
        _count_protection(counter, session, cases, years)
        _count_support(counter, session, cases, years)
        _count_activities(counter, session, admin_map, unit, years)
    return Rollup(admin_map, unit, years, counter.values(), window)


def _count_cases(counter: _Counter, cases: Iterable[Any], years: Sequence[int]) -> None:
    for c in cases:
        if not counter.counts(c.received_on):
            continue
        y, who = c.received_on.year, c.case_id
        counter.person("I.1", y, who)
        if c.verification_outcome != "victim":
            continue
        counter.person("I.2", y, who)
        _count_sex_age(counter, "I.2.a", c, c.received_on, who)
        ethnicity = {"kinh": "kinh", "other": "other_ethnic"}.get(c.ethnicity, "unknown")
        counter.person(f"I.2.b.{ethnicity}", y, who)
        if c.nationality is not None and c.nationality != "VN":
            counter.person("I.2.c.foreigner", y, who)
        if c.scope == "domestic":
            counter.person("I.2.d.domestic", y, who)
        elif c.scope == "abroad":
            counter.person("I.2.d.abroad", y, who)
            country = DESTINATION_ROWS.get(c.destination_country or "", "other")
            counter.person(f"I.2.d.abroad.{country}", y, who)
        else:
            counter.person("I.2.d.unknown", y, who)
        counter.person(f"I.2.e.{c.reception_form}", y, who)


def _count_sex_age(counter: _Counter, prefix: str, c: Any, day: date, who: Any) -> None:
    if c.sex not in ("male", "female"):
        counter.person(f"{prefix}.unknown", day.year, who)
        return
    status = _status(c)
    counter.person(f"{prefix}.{c.sex}", day.year, who)
    if status.is_under(18, day):
        counter.person(f"{prefix}.{c.sex}_u18", day.year, who)
    if status.is_under(16, day):
        counter.person(f"{prefix}.{c.sex}_u16", day.year, who)


def _facts(session: Session, table: Table, cases: dict[str, Any]) -> list[Any]:
    """Rows of a per-case fact table for the selected cases (in chunks of ids)."""
    ids = list(cases)
    rows: list[Any] = []
    chunk_cases = 500
    for start in range(0, len(ids), chunk_cases):
        chunk = ids[start : start + chunk_cases]
        rows.extend(session.execute(select(table).where(table.c.case_id.in_(chunk))))
    return rows


def _count_protection(
    counter: _Counter, session: Session, cases: dict[str, Any], years: Sequence[int]
) -> None:
    first: dict[tuple[str, str], date] = {}
    for p in _facts(session, case_protection, cases):
        person = (p.case_id, "victim" if p.protected == "victim" else f"rel:{p.relationship}")
        if person not in first or p.occurred_on < first[person]:
            first[person] = p.occurred_on
    for person, day in first.items():
        if counter.counts(day):
            counter.person("I.3", day.year, person)


def _count_support(
    counter: _Counter, session: Session, cases: dict[str, Any], years: Sequence[int]
) -> None:
    supported: dict[tuple[str, int], set[str]] = defaultdict(set)  # (case, year) -> types
    for s in _facts(session, case_support, cases):
        if not counter.counts(s.occurred_on):
            continue
        y = s.occurred_on.year
        supported[(s.case_id, y)].add(s.support_type)
        counter.person("II.4.1", y, s.case_id)
        if s.support_type == SupportType.ESSENTIAL_NEEDS:
            counter.person("II.4.2", y, s.case_id)
        if s.support_type == "loan":
            counter.add("II.4.4.e.loan_amount", y, s.amount_vnd or 0)
        if s.support_type == "hardship_allowance":
            counter.add("II.4.4.g.hardship_allowance_amount", y, s.amount_vnd or 0)
    first_admission: dict[tuple[str, int], date] = {}
    for stay in _facts(session, case_shelter, cases):
        if not counter.counts(stay.admitted_on):
            continue
        key = (stay.case_id, stay.admitted_on.year)
        if key not in first_admission or stay.admitted_on < first_admission[key]:
            first_admission[key] = stay.admitted_on
    for (case_id, y), admitted_on in first_admission.items():
        counter.person("II.4.1", y, case_id)
        counter.person("II.4.3", y, case_id)
        _count_sex_age(counter, "II.4.3.a", cases[case_id], admitted_on, case_id)
        for service in set(SHELTER_SERVICES) & supported.get((case_id, y), set()):
            counter.person(f"II.4.3.b.{service}", y, case_id)
    for case_id in cases:
        for y in years:
            types = supported.get((case_id, y), set())
            if not types & set(REINTEGRATION_SUPPORTS):
                continue
            counter.person("II.4.4", y, case_id)
            for support_type, letter in REINTEGRATION_ROWS.items():
                if support_type in types:
                    counter.person(f"II.4.4.{letter}.{support_type}", y, case_id)


def _count_activities(
    counter: _Counter, session: Session, admin_map: AdminMap, unit: Unit, years: Sequence[int]
) -> None:
    query = select(activity_fact).where(
        unit_filter(activity_fact, admin_map, unit), activity_fact.c.withdrawn.is_(False)
    )
    for a in session.execute(query):
        if not counter.counts(a.occurred_on):
            continue
        for row_id, column in ACTIVITY_ROWS.items():
            counter.add(row_id, a.occurred_on.year, getattr(a, column))
