"""The catalogue of case events (danh mục sự kiện của hồ sơ): one entry per kind of step.

Each entry declares, in one place, what socai knows about one kind of case event:

- ``command``: the command that records it — its fields, which are required, how each is
  parsed (:mod:`domain.case.commands`);
- ``personal_fields``: which of those fields hold personal data (typed
  :class:`~domain.case.values.PersonalData`; encrypted at rest, never in a projection, a
  public event, a log or an error);
- ``check``: the rule a new step of this kind must satisfy against the case as it stands
  (:mod:`domain.case.checks`; the date and closure rules are checked for every kind);
- ``effect``: what it changes in the case's status (a method of
  :class:`~domain.case.steps.StatusFold`).

The aggregate (:mod:`domain.case.aggregate`) declares the event class itself, with its stable
topic; an import-time assertion there checks that every event class has an entry and that the
two agree on fields and personal fields. Adding a kind of case event therefore touches its
event class, its command, its entry here, its public contract and schema
(:mod:`streams.contracts.case`) and the projections that care about it.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from functools import cached_property
from types import MappingProxyType
from uuid import UUID

from domain.case import checks
from domain.case.commands import (
    AdmitToShelter,
    Close,
    Command,
    ConcludeVerification,
    Correct,
    DischargeFromShelter,
    Protect,
    ProvideSupport,
    Receive,
    RecordDemographics,
    RecordTraffickingForm,
    Reintegrate,
    Reopen,
    RequestProtection,
    RequestVerification,
    Route,
)
from domain.case.steps import CaseStatus, StatusFold, Step, StepKind
from domain.case.values import PersonalData
from domain.errors import RuleViolation

Check = Callable[[CaseStatus, Step], None]
Effect = Callable[[StatusFold, Step], None]


@dataclass(frozen=True)
class EventSpec:
    """What the catalogue declares for one kind of case event."""

    kind: StepKind
    #: What the step is called in Vietnamese (tên bước), shown beside the kind.
    label_vi: str
    command: type[Command]
    effect: Effect
    #: ``None``: only the rules every step obeys (dates, nothing after closure). A
    #: correction's own rules need the whole history; the aggregate checks them.
    check: Check | None

    @cached_property
    def personal_fields(self) -> frozenset[str]:
        """The command's fields typed :class:`PersonalData` (a victim's or a relative's)."""
        hints = typing.get_type_hints(self.command)
        return frozenset(
            f.name for f in fields(self.command) if PersonalData in _types_in(hints[f.name])
        )

    @property
    def field_names(self) -> frozenset[str]:
        return frozenset(f.name for f in fields(self.command))


def _types_in(hint: object) -> tuple[object, ...]:
    """``X`` → (X,); ``X | None`` → (X, NoneType)."""
    return typing.get_args(hint) or (hint,)


_K = StepKind
_F = StatusFold
_C = checks
CATALOGUE: Mapping[StepKind, EventSpec] = MappingProxyType(
    {
        spec.kind: spec
        for spec in (
            EventSpec(_K.RECEIVED, "Tiếp nhận", Receive, _F.received, _C.received),
            EventSpec(
                _K.DEMOGRAPHICS_RECORDED,
                "Ghi thông tin nhân khẩu",
                RecordDemographics,
                _F.demographics,
                _C.demographics,
            ),
            EventSpec(
                _K.TRAFFICKING_FORM_RECORDED,
                "Ghi hình thức mua bán",
                RecordTraffickingForm,
                _F.trafficking_form,
                _C.trafficking_form,
            ),
            EventSpec(
                _K.VERIFICATION_REQUESTED,
                "Đề nghị xác minh",
                RequestVerification,
                _F.verification_requested,
                _C.verification_requested,
            ),
            EventSpec(
                _K.VERIFICATION_CONCLUDED,
                "Kết luận xác minh, xác định",
                ConcludeVerification,
                _F.verification_concluded,
                _C.verification_concluded,
            ),
            EventSpec(_K.ROUTED, "Chuyển giao", Route, _F.routed, _C.routed),
            EventSpec(
                _K.PROTECTION_REQUESTED,
                "Đề nghị bảo vệ",
                RequestProtection,
                _F.protection_requested,
                _C.protection,
            ),
            EventSpec(
                _K.PROTECTION_APPLIED,
                "Áp dụng biện pháp bảo vệ",
                Protect,
                _F.protection_applied,
                _C.protection,
            ),
            EventSpec(
                _K.SUPPORT_PROVIDED, "Hỗ trợ", ProvideSupport, _F.support_provided, _C.support
            ),
            EventSpec(
                _K.SHELTER_ADMITTED,
                "Tiếp nhận lưu trú tạm thời",
                AdmitToShelter,
                _F.shelter_admitted,
                _C.shelter_admitted,
            ),
            EventSpec(
                _K.SHELTER_DISCHARGED,
                "Kết thúc lưu trú tạm thời",
                DischargeFromShelter,
                _F.shelter_discharged,
                _C.shelter_discharged,
            ),
            EventSpec(
                _K.REINTEGRATED,
                "Hòa nhập cộng đồng",
                Reintegrate,
                _F.reintegrated,
                _C.reintegrated,
            ),
            EventSpec(_K.CLOSED, "Đóng hồ sơ", Close, _F.closed, _C.closed),
            EventSpec(_K.REOPENED, "Mở lại hồ sơ", Reopen, _F.reopened, _C.reopened),
            EventSpec(_K.CORRECTION_RECORDED, "Đính chính", Correct, _F.correction_recorded, None),
        )
    }
)
assert set(CATALOGUE) == set(StepKind), "every kind of step has exactly one catalogue entry"
assert all(kind == spec.command.EVENT for kind, spec in CATALOGUE.items()), "command ↔ kind"

#: Every event field that holds personal data, over all kinds (``person``, ``relative``).
#: Whatever names them — a field, or a correction's ``person.full_name`` — is personal.
PERSONAL_EVENT_FIELDS: tuple[str, ...] = tuple(
    sorted(set().union(*(spec.personal_fields for spec in CATALOGUE.values())))
)


def is_personal_field(name: str) -> bool:
    """Whether an event field or a correction's dotted field name is personal data."""
    return name.partition(".")[0] in PERSONAL_EVENT_FIELDS


def apply_step(state: StatusFold, step: Step) -> None:
    """Advance the fold by one step: the common bookkeeping, then the kind's effect."""
    state.advance(step)
    CATALOGUE[step.kind].effect(state, step)


def fold(case_id: UUID, steps: Iterable[Step]) -> CaseStatus:
    """Derive a case's status from its steps, in version order. Pure; never raises for a
    stored history (rules are checked *before* a step is stored, see :func:`check_step`)."""
    state = StatusFold(case_id)
    for step in sorted(steps, key=lambda st: st.version):
        apply_step(state, step)
    return state.status()


#: Steps that may be recorded while a case is closed (on a date on or after its closure).
_ALLOWED_WHEN_CLOSED = frozenset({StepKind.CORRECTION_RECORDED, StepKind.REOPENED})


def in_time(step: Step) -> tuple[bool, date, int]:
    """Business-date order (ties by record order); the reception always first."""
    return (step.kind != StepKind.RECEIVED, step.occurred_on, step.version)


def check_history(case_id: UUID, steps: Iterable[Step], today: date, *, first: Step | None) -> None:
    """Judge steps against the case as it stood on each one's business date.

    The steps are folded in business-date order; from ``first`` on (every step when
    ``first`` is ``None``) each one is checked against the fold of the steps before it.
    A violation by ``first`` is raised as it is; a violation by a later step is raised with
    its code, naming that step, because recording ``first`` is what would break it. Corrections are
    not re-judged here (they were judged against their target when recorded). Cost: one
    status per checked step, so a back-dated step costs O(n²) in the case's n steps
    (tens in practice; at most ``MAX_EVENTS_PER_CASE``).
    """
    state = StatusFold(case_id)
    checking = first is None
    for step in sorted(steps, key=in_time):
        checking = checking or step is first
        if checking and step.kind != StepKind.CORRECTION_RECORDED:
            try:
                check_step(state.status(), step, today)
            except RuleViolation as violation:
                if step is first:
                    raise
                raise RuleViolation(
                    violation.code,
                    f"this would make step {step.version} ({step.kind}, dated"
                    f" {step.occurred_on}) invalid: {violation.message}",
                    hint=violation.hint
                    or "check the date; if that later step is wrong, correct it first",
                ) from None
        apply_step(state, step)


def check_step(status: CaseStatus, step: Step, today: date) -> None:
    """Check a proposed step against the case as it stands; raise :class:`RuleViolation`
    (nothing is stored) or return. The rules every step obeys come first."""
    checks.check_dates(status, step, today)
    if status.is_closed and step.kind not in _ALLOWED_WHEN_CLOSED:
        raise RuleViolation(
            "after_closure",
            f"case {status.case_id} was closed on {status.closed_on}; no step dated"
            f" {step.occurred_on} can be recorded",
            hint="if the closure was a mistake or the person needs the programme again,"
            " reopen the case first (`socai case reopen`), with the reason",
        )
    check = CATALOGUE[step.kind].check
    if check is not None:
        check(status, step)
