"""Case status (tình trạng hồ sơ): one row per case, what officers and inspectors read daily.

Built from the ``Case`` events only. For every case it keeps:

- ``case_step``: each event as a *step* without personal data (``person`` and ``relative``
  are dropped, and a correction keeps only which version and field it corrects — never the
  old or new value, which may be personal, nor the officer's free-text reason, which may name
  a person; both stay in the encrypted store). A ``CorrectionRecorded`` replaces the
  field in the stored step (``Step.with_value``), exactly as the aggregate does, so the
  status always reflects corrections; corrections of personal sub-fields change nothing here.
- ``case_status``: :func:`domain.case.steps.fold` of those steps — stage, business dates,
  deadlines (reception procedures due 15 days after reception; essential-needs days used
  against the limit in force), support received, protection, routing — and the case's unit
  on its own map *and* on the 2025 map via the crosswalk (``old_*`` / ``new_*`` columns), so
  any unit level on either map is one indexed column comparison.
- ``case_support``, ``case_protection``, ``case_shelter``: the dated facts the rollup and
  the funding reconciliation count, one row each.

Nothing here depends on the clock: an overrun of still-open procedures depends on "today"
and is computed at query time (:mod:`projections.kpi`); a completed procedure's overrun is
stored. Rows are a pure function of the events, so a rebuild gives identical tables.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import fields as dataclass_fields
from datetime import date, datetime
from functools import cache, lru_cache
from operator import attrgetter
from types import MappingProxyType
from typing import Any, NamedTuple
from uuid import UUID

from eventsourcing.domain import Aggregate
from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    and_,
    delete,
    func,
    or_,
    select,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from domain.case.aggregate import Case, CaseEvent
from domain.case.catalogue import PERSONAL_EVENT_FIELDS, apply_step, fold, is_personal_field
from domain.case.shareable import shareable_document_code, shareable_value
from domain.case.steps import CaseStatus, StatusFold, Step, StepKind, with_correction
from domain.reference.units import AdminMap, Unit, UnitLevel, unit_directory
from projections.framework import insert_rows, insert_tuples

NAME = "case_status"

#: Fields of case events that hold personal data: never written to a projection table.

#: Case ids per ``IN (...)`` query (SQLite's default variable limit is far above this).
QUERY_CHUNK_CASES = 500

#: Cases whose steps stay in memory between batches (a few KiB each: ~100 MiB at most).
STEP_CACHE_CASES = 20_000

#: Unit look-ups cached (both maps have about 14,000 units in all).
UNIT_CACHE_ENTRIES = 32_768

metadata = MetaData()

case_step = Table(
    "case_step",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("recorded_at", String(40), nullable=False),  # ISO 8601, UTC, as stored
    Column("officer_id", String(64), nullable=False),
    Column("agency", String(64), nullable=False),
    Column("legal_basis", String(200)),
    Column("data", Text, nullable=False),  # JSON of the step's own non-personal fields
)

#: A row's unit at every level of its own map and of the 2025 map (the columns
#: :func:`unit_columns` fills), so that a rollup of any unit on either map filters one column.
UNIT_LEVEL_COLUMNS = ("old_province", "old_district", "old_commune", "new_province", "new_commune")


def unit_level_columns() -> list[Column[str]]:
    """Fresh, indexed columns for :data:`UNIT_LEVEL_COLUMNS` (one set per table)."""
    return [Column(name, String(8), index=True) for name in UNIT_LEVEL_COLUMNS]


case_status = Table(
    "case_status",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("stage", String(40), nullable=False),
    Column("unit_map", String(8)),
    Column("unit_code", String(8)),
    *unit_level_columns(),
    Column("receiving_agency", String(64), index=True),
    Column("reception_form", String(32)),
    Column("received_on", Date, index=True),
    Column("received_year", Integer, index=True),
    Column("sex", String(8)),
    Column("birth_year", Integer),
    Column("age_band", String(16)),
    Column("ethnicity", String(16)),
    Column("nationality", String(2)),
    Column("scope", String(16)),
    Column("destination_country", String(2)),
    Column("verification_requested_on", Date),
    Column("verification_outcome", String(32)),
    Column("verified_on", Date),
    Column("deciding_body", String(64)),
    Column("procedures_due_on", Date),
    Column("procedures_overdue_days", Integer),  # only once completed; open: at query time
    Column("essential_needs_days", Integer, nullable=False),
    Column("essential_needs_limit_days", Integer),
    Column("essential_needs_overrun_days", Integer, nullable=False),
    Column("supports", Integer, nullable=False),
    Column("support_types", String(400), nullable=False),  # sorted, comma-separated
    Column("first_support_on", Date),
    Column("victim_protected", Boolean, nullable=False),
    Column("relatives_protected", Integer, nullable=False),
    Column("routings", Integer, nullable=False),
    Column("last_routed_to", String(40)),
    Column("shelter_stays", Integer, nullable=False),
    Column("currently_sheltered", Boolean, nullable=False),
    Column("reintegrated_on", Date),
    Column("closed_on", Date),
    Column("closure_reason", String(32)),
    Column("corrections", Integer, nullable=False),
    Column("last_version", Integer, nullable=False),
    Column("last_recorded_at", String(40)),
)

case_support = Table(
    "case_support",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("occurred_on", Date, nullable=False),
    Column("support_type", String(40), nullable=False),
    Column("amount_vnd", Integer),  # whole đồng
    Column("period_days", Integer),
    Column("provider_agency", String(64), nullable=False),
)

case_protection = Table(
    "case_protection",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("occurred_on", Date, nullable=False),
    Column("protected", String(16), nullable=False),
    Column("relationship", String(60)),
    Column("measure", String(200), nullable=False),
)

case_shelter = Table(
    "case_shelter",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("admitted_on", Date, nullable=False),
    Column("discharged_on", Date),
    Column("facility", String(200), nullable=False),
)

_DERIVED = (case_status, case_support, case_protection, case_shelter)

#: The projection's working tables (not content: empty once settled, see
#: :mod:`projections.framework`).
working_metadata = MetaData()

#: Cases whose derived rows (``_DERIVED``) are behind their steps: written in the batch that
#: makes them so, struck when the rows are written (the case leaves the cache, or a settle).
case_status_pending = Table(
    "case_status_pending",
    working_metadata,
    Column("case_id", String(36), primary_key=True),
)


# -- steps without personal data --------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot store a {type(value).__name__} in a projection step")


def _json_encoder() -> Callable[[Any], str]:
    """The step data's JSON: ``json.dumps(data, sort_keys=True, default=_json_default)``.

    ``JSONEncoder.encode`` builds CPython's C encoder again on every call; this builds it
    once (``c_make_encoder`` with the arguments ``JSONEncoder.iterencode`` passes it, without
    the circular-reference markers: a step's data is a flat mapping of plain values, and
    the markers only decide whether a cycle raises, never what is written). Without the C
    accelerator, the encoder's own ``encode``."""
    encoder = json.JSONEncoder(sort_keys=True, default=_json_default)
    make = getattr(json.encoder, "c_make_encoder", None)  # not in the stubs: CPython's _json
    if make is None:
        return encoder.encode
    encode = make(
        None,
        encoder.default,
        json.encoder.encode_basestring_ascii,
        None,
        encoder.key_separator,
        encoder.item_separator,
        True,
        False,
        True,
    )
    join = "".join
    return lambda data: join(encode(data, 0))


_step_json = _json_encoder()


@cache
def _public_fields(event_class: type) -> tuple[str, ...]:
    """The event class's own fields that a projection may keep (no personal data; for a
    correction only which version and field it corrects: its free-text reason may name a
    person)."""
    if event_class.__name__ == "CorrectionRecorded":
        return ("corrects_version", "field")
    if event_class.__name__ == "Reopened":
        return ()  # its reason is free text an officer writes: it stays in the store
    common = {f.name for f in dataclass_fields(CaseEvent)}
    skip = (
        common | {f.name for f in dataclass_fields(Aggregate.Created)} | set(PERSONAL_EVENT_FIELDS)
    )
    return tuple(f.name for f in dataclass_fields(event_class) if f.name not in skip)


class _StepPlan(NamedTuple):
    """How an event class becomes a public step, worked out once per class: its kind, its
    public fields, their values in one call, and which of them must pass
    :func:`shareable_value` (a document code, a relationship; the others it keeps as they are)."""

    kind: StepKind
    names: tuple[str, ...]
    values: Callable[[Any], tuple[Any, ...]]
    screened: tuple[str, ...]


@cache
def _step_plan(event_class: type) -> _StepPlan:
    names = _public_fields(event_class)
    if len(names) > 1:
        values: Callable[[Any], tuple[Any, ...]] = attrgetter(*names)
    elif names:
        (only,) = names
        values = lambda event: (getattr(event, only),)  # noqa: E731
    else:
        values = lambda _event: ()  # noqa: E731
    screened = tuple(n for n in names if shareable_value(n, _UNSHAREABLE) is not _UNSHAREABLE)
    return _StepPlan(StepKind(event_class.__name__), names, values, screened)


#: A value of no type any screening expects: a field whose screening does not give it back
#: unchanged is screened (so a field that :func:`shareable_value` learns to screen is
#: screened here without a second list to keep in step).
_UNSHAREABLE = object()


def public_step(event: CaseEvent) -> Step:
    """The event as a step (like ``domain.case.aggregate.step_of``) without personal data."""
    return _public_step(event)[0]


def _public_step(event: CaseEvent) -> tuple[Step, dict[str, Any]]:
    """:func:`public_step` and its data as a plain dict (what its JSON is made of)."""
    plan = _step_plan(type(event))
    data = dict(zip(plan.names, plan.values(event), strict=True))
    for name in plan.screened:
        data[name] = shareable_value(name, data[name])
    step = Step(
        version=event.originator_version,
        kind=plan.kind,
        occurred_on=event.occurred_on,
        recorded_at=event.timestamp,
        officer_id=event.officer_id,
        agency=event.agency,
        legal_basis=shareable_document_code(event.legal_basis),
        data=MappingProxyType(data),
    )
    return step, data


def corrected(target: Step, field: str, new_value: Any) -> Step:
    """``target`` with a correction applied; personal sub-fields are not kept, so ignored."""
    if is_personal_field(field):
        return target
    return with_correction(target, field, shareable_value(field, new_value))


#: The columns of a ``case_step`` row, in the order :func:`_step_tuple` gives them.
STEP_COLUMNS = tuple(c.name for c in case_step.columns)


def _step_tuple(case_id: str, step: Step, data: Mapping[str, Any]) -> tuple[Any, ...]:
    """The ``case_step`` row of ``step`` (``data``: its data as a dict), as a tuple."""
    return (
        case_id,
        step.version,
        step.kind,
        step.occurred_on,
        step.recorded_at.isoformat(),
        step.officer_id,
        step.agency,
        step.legal_basis,
        _step_json(data),
    )


def _step_row(case_id: str, step: Step) -> dict[str, Any]:
    return dict(zip(STEP_COLUMNS, _step_tuple(case_id, step, dict(step.data)), strict=True))


def _step_from_row(row: Any) -> Step:
    return Step(
        version=row.version,
        kind=row.kind,
        occurred_on=row.occurred_on,
        recorded_at=datetime.fromisoformat(row.recorded_at),
        officer_id=row.officer_id,
        agency=row.agency,
        legal_basis=row.legal_basis,
        data=MappingProxyType(json.loads(row.data)),
    )


def load_steps(
    session: Session, case_ids: Sequence[str], kinds: Sequence[str] | None = None
) -> dict[str, dict[int, Step]]:
    """The stored steps of these cases (only steps of ``kinds`` when given), by version."""
    steps: dict[str, dict[int, Step]] = {c: {} for c in case_ids}
    for start in range(0, len(case_ids), QUERY_CHUNK_CASES):
        chunk = case_ids[start : start + QUERY_CHUNK_CASES]
        query = select(case_step).where(case_step.c.case_id.in_(chunk))
        if kinds is not None:
            query = query.where(case_step.c.kind.in_(kinds))
        for row in session.execute(query):
            steps[row.case_id][row.version] = _step_from_row(row)
    return steps


# -- units on both maps -----------------------------------------------------------------------


def unit_columns(unit_map: str | None, unit_code: str | None) -> dict[str, str | None]:
    """The case's unit at every level of its own map and of the 2025 map."""
    return dict(_unit_columns(unit_map, unit_code))


@lru_cache(maxsize=UNIT_CACHE_ENTRIES)
def _unit_columns(
    unit_map: str | None, unit_code: str | None
) -> tuple[tuple[str, str | None], ...]:
    cols: dict[str, str | None] = dict.fromkeys(UNIT_LEVEL_COLUMNS)
    if unit_map is None or unit_code is None:
        return tuple(cols.items())
    directory = unit_directory()
    unit = directory.get(AdminMap(unit_map), unit_code)
    if unit is None:
        return tuple(cols.items())
    units: list[Unit] = directory.ancestors(unit)
    if unit.map is AdminMap.OLD:
        units += directory.ancestors(directory.to_2025(unit))
    for u in units:
        prefix = "old" if u.map is AdminMap.OLD else "new"
        if u.level is not UnitLevel.NATIONAL:
            cols[f"{prefix}_{u.level.value}"] = u.code
    return tuple(cols.items())


# -- the projection --------------------------------------------------------------------------


def status_rows(case_id: str, status: CaseStatus) -> dict[str, list[dict[str, Any]]]:
    """The derived rows of one case (pure), as mappings of column → value."""
    return {
        table.name: [dict(zip(_DERIVED_COLUMNS[table.name], row, strict=True)) for row in rows]
        for table, rows in zip(_DERIVED, status_tuples(case_id, status), strict=True)
    }


#: The columns of :func:`status_tuples`' rows, by table, in the order it gives them.
_DERIVED_COLUMNS: dict[str, tuple[str, ...]] = {
    t.name: tuple(c.name for c in t.columns) for t in (case_support, case_protection, case_shelter)
}
_DERIVED_COLUMNS["case_status"] = (
    "case_id",
    "stage",
    "unit_map",
    "unit_code",
    *UNIT_LEVEL_COLUMNS,
    "receiving_agency",
    "reception_form",
    "received_on",
    "received_year",
    "sex",
    "birth_year",
    "age_band",
    "ethnicity",
    "nationality",
    "scope",
    "destination_country",
    "verification_requested_on",
    "verification_outcome",
    "verified_on",
    "deciding_body",
    "procedures_due_on",
    "procedures_overdue_days",
    "essential_needs_days",
    "essential_needs_limit_days",
    "essential_needs_overrun_days",
    "supports",
    "support_types",
    "first_support_on",
    "victim_protected",
    "relatives_protected",
    "routings",
    "last_routed_to",
    "shelter_stays",
    "currently_sheltered",
    "reintegrated_on",
    "closed_on",
    "closure_reason",
    "corrections",
    "last_version",
    "last_recorded_at",
)
assert set(_DERIVED_COLUMNS["case_status"]) == {c.name for c in case_status.columns}


def status_tuples(
    case_id: str, status: CaseStatus
) -> tuple[
    list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]
]:
    """The derived rows of one case (pure), for the tables of ``_DERIVED`` in that order, as
    tuples of :data:`_DERIVED_COLUMNS` (what a rebuild writes for every case, without a
    mapping per row)."""
    limit = status.essential_needs_limit_days
    used = status.essential_needs_days_used
    completed = status.procedures_completed_on
    supports = status.supports
    protections = status.protections
    received_on = status.received_on
    row = (
        case_id,
        status.stage,
        status.unit_map,
        status.unit_code,
        *(value for _, value in _unit_columns(status.unit_map, status.unit_code)),
        status.receiving_agency,
        status.reception_form,
        received_on,
        received_on.year if received_on else None,
        status.sex,
        status.birth_year,
        status.age_band,
        status.ethnicity,
        status.nationality,
        status.scope,
        status.destination_country,
        status.verification_requested_on,
        status.verification_outcome,
        status.verified_on,
        status.deciding_body,
        status.procedures_due_on,
        status.procedures_overdue_days(completed) if completed is not None else None,
        used,
        limit,
        max(0, used - limit) if limit is not None else 0,
        len(supports),
        ",".join(sorted(status.support_types())),
        min((s.occurred_on for s in supports), default=None),
        any(p.protected == "victim" for p in protections),
        sum(1 for p in protections if p.protected == "relative"),
        len(status.routings),
        status.routings[-1][1] if status.routings else None,
        len(status.shelter_stays),
        status.currently_sheltered,
        status.reintegrated_on,
        status.closed_on,
        status.closure_reason,
        status.corrections,
        status.last_version,
        status.last_recorded_at.isoformat() if status.last_recorded_at else None,
    )
    return (
        [row],
        [
            (
                case_id,
                s.version,
                s.occurred_on,
                s.support_type,
                s.amount_vnd,
                s.period_days,
                s.provider_agency,
            )
            for s in supports
        ],
        [
            (case_id, p.version, p.occurred_on, p.protected, p.relationship, p.measure)
            for p in protections
        ],
        [
            (case_id, i, s.admitted_on, s.discharged_on, s.facility)
            for i, s in enumerate(status.shelter_stays, start=1)
        ],
    )


class CaseStatusProjection:
    """Case status by unit (old and 2025 map) and agency, with dated facts.

    A case's steps are written in the batch of their events; its derived rows (status,
    supports, protections, shelter stays) are *owed* until the projection is settled
    (:meth:`settle`) or the case leaves the cache, and then written once from the fold —
    not again in every batch that touches the case. What is owed is in
    ``case_status_pending``, written in the batch's transaction, so a crash leaves steps,
    position and the list of owed cases consistent, and the next settle writes them.
    """

    name = NAME
    #: Bump when ``apply`` writes other rows for the same events (projections.definitions).
    definition_version = 1
    metadata = metadata
    working_metadata = working_metadata
    topics: tuple[str, ...] = tuple(
        cls.TOPIC
        for cls in vars(Case).values()
        if isinstance(cls, type) and issubclass(cls, CaseEvent)
    )

    def __init__(self) -> None:
        #: Recently touched cases as committed: their steps, their fold and whether their
        #: derived rows are owed. Only a speed-up: each use is checked against the case's
        #: last stored step (so another writer or a rebuild invalidates it), and any rollback
        #: empties it (it may hold uncommitted steps; what was owed is in the table).
        self._cache: OrderedDict[str, _CaseState] = OrderedDict()

    def apply(self, session: Session, events: Sequence[Any]) -> None:
        sa_event.listen(session, "after_soft_rollback", self._forget)
        ids = [str(e.originator_id) for e in events]  # each event's case id, as text, once
        touched = list(dict.fromkeys(ids))
        # a case whose reception is in this batch has no stored rows yet: skip its queries
        new_cases = {c for c, e in zip(ids, events, strict=True) if e.originator_version == 1}
        cases = self._states(session, [c for c in touched if c not in new_cases])
        cases.update(
            {c: _CaseState({}, StatusFold(UUID(c)), owed=False, stored=False) for c in new_cases}
        )
        new_rows: list[tuple[Any, ...]] = []
        changed: dict[tuple[str, int], Step] = {}
        for case_id, event in zip(ids, events, strict=True):
            state = cases[case_id]
            steps = state.steps
            step, data = _public_step(event)
            assert step.version not in steps, f"{case_id} v{step.version} applied twice"
            steps[step.version] = step
            new_rows.append(_step_tuple(case_id, step, data))
            if step.kind == "CorrectionRecorded":
                target_version = event.corrects_version
                target = corrected(steps[target_version], event.field, event.new_value)
                steps[target_version] = target
                changed[(case_id, target_version)] = target
                state.fold = None  # an earlier step changed: fold the case again
            elif state.fold is not None:
                apply_step(state.fold, step)  # steps of a case come in version order
        if changed:
            # a step corrected in its own batch is inserted with its corrected value
            at = {(row[0], row[1]): i for i, row in enumerate(new_rows)}
            for (case_id, version), step in changed.items():
                if (case_id, version) in at:
                    new_rows[at[(case_id, version)]] = _step_tuple(case_id, step, dict(step.data))
                    continue
                session.execute(
                    case_step.update()
                    .where(case_step.c.case_id == case_id, case_step.c.version == version)
                    .values(_step_row(case_id, step))
                )
        insert_tuples(session, case_step, STEP_COLUMNS, new_rows)
        owing = [c for c in touched if not cases[c].owed]
        insert_rows(session, case_status_pending, [{"case_id": c} for c in owing])
        for case_id in owing:
            cases[case_id].owed = True
        cache = self._cache
        for case_id in touched:
            cache[case_id] = cases[case_id]
            cache.move_to_end(case_id)
        leaving: dict[str, _CaseState] = {}
        while len(cache) > STEP_CACHE_CASES:
            case_id, state = cache.popitem(last=False)
            if state.owed:
                leaving[case_id] = state
        _write_derived(session, leaving)

    def settle(self, session: Session) -> None:
        """Write the derived rows of every case that owes them: the cached ones from their
        fold, any other (left by a run that crashed, or by another process) folded from its
        stored steps; then nothing is owed."""
        owed = {c: s for c, s in self._cache.items() if s.owed}
        listed = session.execute(select(case_status_pending.c.case_id)).scalars().all()
        others = [c for c in listed if c not in owed]
        owed.update(
            {c: _CaseState(steps, None) for c, steps in load_steps(session, others).items()}
        )
        _write_derived(session, owed)

    def _forget(self, *_args: Any) -> None:
        self._cache.clear()

    def _states(self, session: Session, case_ids: list[str]) -> dict[str, _CaseState]:
        """Stored steps (and fold, when cached) of these cases: from the cache when it
        matches the table, else read back (and whether their derived rows are owed)."""
        cached = [c for c in case_ids if c in self._cache]
        stored: dict[str, int] = {}
        for start in range(0, len(cached), QUERY_CHUNK_CASES):
            chunk = cached[start : start + QUERY_CHUNK_CASES]
            query = (
                select(case_step.c.case_id, func.max(case_step.c.version))
                .where(case_step.c.case_id.in_(chunk))
                .group_by(case_step.c.case_id)
            )
            stored.update({case_id: last for case_id, last in session.execute(query)})
        states = {
            c: self._cache[c]
            for c in cached
            if self._cache[c].steps and stored.get(c) == max(self._cache[c].steps)
        }
        missing = [c for c in case_ids if c not in states]
        # whether rows are owed: the table says (another process may have settled a case
        # this cache holds as owed; a case read back may be owed by a run that crashed)
        owed = _listed(session, [c for c, s in states.items() if s.owed] + missing)
        for case_id, state in states.items():
            if state.owed and case_id not in owed:
                state.stored = True  # another process settled it: its rows are in the table
            state.owed = case_id in owed
        loaded = load_steps(session, missing)
        states.update({c: _CaseState(steps, None, owed=c in owed) for c, steps in loaded.items()})
        return states


def _listed(session: Session, case_ids: list[str]) -> set[str]:
    """Those of ``case_ids`` listed in ``case_status_pending``."""
    listed: set[str] = set()
    for start in range(0, len(case_ids), QUERY_CHUNK_CASES):
        chunk = case_ids[start : start + QUERY_CHUNK_CASES]
        listed.update(
            session.execute(
                select(case_status_pending.c.case_id).where(
                    case_status_pending.c.case_id.in_(chunk)
                )
            ).scalars()
        )
    return listed


def _write_derived(session: Session, cases: dict[str, _CaseState]) -> None:
    """Replace the derived rows of ``cases`` with those of their fold (folding those not yet
    folded) and strike them from what is owed; a chunk of cases at a time, so a settle of
    the whole cache holds the rows of one chunk, not of every case.

    The old rows are deleted only where there may be some: a case received in this
    process's batches and never written since (``stored`` False) has none — unless another
    process settled it meanwhile, which struck it from ``case_status_pending`` in the same
    transaction; so such a case is taken as rowless only if the strike here finds it listed
    (``DELETE … RETURNING``). A rebuild from zero deletes no derived rows at all."""
    owed = list(cases)
    for start in range(0, len(owed), QUERY_CHUNK_CASES):
        chunk = owed[start : start + QUERY_CHUNK_CASES]
        listed = set(
            session.execute(
                delete(case_status_pending)
                .where(case_status_pending.c.case_id.in_(chunk))
                .returning(case_status_pending.c.case_id)
            ).scalars()
        )
        stale = [c for c in chunk if cases[c].stored or c not in listed]
        for table in _DERIVED if stale else ():
            session.execute(delete(table).where(table.c.case_id.in_(stale)))
        statuses: list[tuple[Any, ...]] = []
        supports: list[tuple[Any, ...]] = []
        protections: list[tuple[Any, ...]] = []
        shelters: list[tuple[Any, ...]] = []
        for case_id in chunk:
            state = cases[case_id]
            if state.fold is None:
                state.fold = fold_state(UUID(case_id), state.steps.values())
            status, support, protection, shelter = status_tuples(case_id, state.fold.status())
            statuses += status
            supports += support
            protections += protection
            shelters += shelter
            state.owed = False
            state.stored = True
        for table, rows in zip(_DERIVED, (statuses, supports, protections, shelters), strict=True):
            insert_tuples(session, table, _DERIVED_COLUMNS[table.name], rows)


class _CaseState:
    """One case as the projection last wrote it: its public steps by version, their fold
    (None until folded: read back from the table, or an earlier step corrected), and whether
    its derived rows are owed (listed in ``case_status_pending``), and whether the tables may
    hold derived rows of it (``stored``: False only for a case received in this process's
    batches and not written since, see :func:`_write_derived`)."""

    __slots__ = ("fold", "owed", "steps", "stored")

    def __init__(
        self,
        steps: dict[int, Step],
        fold: StatusFold | None,
        *,
        owed: bool = True,
        stored: bool = True,
    ) -> None:
        self.steps = steps
        self.fold = fold
        self.owed = owed
        self.stored = stored


def fold_state(case_id: UUID, steps: Iterable[Step]) -> StatusFold:
    """The incremental fold of these steps in version order (``fold`` of the domain, kept
    open so that later steps continue it: folding v1..vn and then vn+1.. is folding v1..)."""
    state = StatusFold(case_id)
    for step in sorted(steps, key=lambda st: st.version):
        apply_step(state, step)
    return state


def read_status(session: Session, case_id: str) -> dict[str, Any] | None:
    row = session.execute(select(case_status).where(case_status.c.case_id == case_id)).first()
    return None if row is None else dict(row._mapping)


def refold(session: Session, case_id: str) -> CaseStatus:
    """The case's status folded again from the stored public steps (for checks and tests)."""
    return fold(UUID(case_id), load_steps(session, [case_id])[case_id].values())


# -- reception procedures past their limit (quá hạn thủ tục tiếp nhận) --------------------------


def procedures_still_open_past_due(today: date) -> ColumnElement[bool]:
    """SQL: cases whose reception procedures are still open after their due date (15 days)."""
    return and_(case_status.c.verified_on.is_(None), case_status.c.procedures_due_on < today)


def procedures_overdue(today: date) -> ColumnElement[bool]:
    """SQL: the one definition of an overdue case (quá hạn) — its reception procedures
    finished late, or are still open past the 15 days on ``today``; the SQL form of
    ``procedures_overdue_days(row, today) > 0``, used by ``socai kpi`` and ``--overdue``."""
    return or_(
        procedures_still_open_past_due(today),
        and_(case_status.c.verified_on.is_not(None), case_status.c.procedures_overdue_days > 0),
    )


def procedures_overdue_days(row: Any, today: date) -> int:
    """Days a case's reception procedures were or are late, from its ``case_status`` row: for
    completed procedures the stored figure (how late they finished, as the domain's
    :meth:`CaseStatus.procedures_overdue_days` computed it); for open ones, how late today."""
    if row.verified_on is not None:
        return int(row.procedures_overdue_days or 0)
    if row.procedures_due_on is None:
        return 0
    return max(0, (today - row.procedures_due_on).days)
