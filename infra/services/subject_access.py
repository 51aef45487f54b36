"""A data subject's own file (quyền truy cập của chủ thể dữ liệu, Law 91/2025/QH15).

:meth:`SubjectAccessService.subject_file` gathers, for one person of a case (the victim, or a
relative), what the law lets them ask for:

- **their own data**, decrypted: every personal value whose subject is this person
  (:func:`domain.case.subjects.subject_of`, the same rule the store seals by), keyed as
  ``socai case person`` shows it (``v1.person.full_name``); where it was erased, "erased on
  DATE by decision DOC";
- **the steps of their case**: version, kind, business date, record time, actor, agency,
  legal basis and the step's non-personal fields. A personal field of anyone else is left
  out entirely (not even which of its parts are present); the person's own personal fields
  point to the data above;
- **the access log of their case**: who read, exported, corrected, erased or was refused
  what, when, with which purpose (entries hold field names and codes, never values).

Who may make it: the data-protection officer of the case's unit, logged in with a second
factor (policy row ``person.export``). The read is written to the access log (a personal-data
read, purpose ``subject_request``) *before* the file is gathered, so the file lists its own
making; the command line also records the file's export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from domain.access.log import AccessRecord
from domain.access.policy import Action
from domain.access.principal import Principal
from domain.access.roles import Purpose
from domain.case.catalogue import CATALOGUE
from domain.case.history import ERASED, step_fields
from domain.case.steps import Step, StepKind
from domain.case.subjects import parse_subject, subject_of
from domain.case.values import ErasedPersonalData, PersonalData
from domain.time import VIETNAM_TZ
from infra.services.access import AccessService
from infra.services.access_log import entry_of
from infra.services.cases import CaseService
from infra.services.privacy import PrivacyService


@dataclass(frozen=True, slots=True)
class SubjectFile:
    """What a data subject receives: about whom, made by whom and when, and three lists."""

    case_id: UUID
    subject: str
    made_at: datetime
    made_by: str
    #: ``{"field": "v1.person.full_name", "value": "…"}`` (or the erasure notice).
    data: list[dict[str, Any]]
    #: One row per step of the case, oldest first.
    steps: list[dict[str, Any]]
    #: The case's access-log entries, oldest first (this file's own making included).
    access: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_id": str(self.case_id),
            "subject": self.subject,
            "made_at": self.made_at.astimezone(VIETNAM_TZ).isoformat(timespec="seconds"),
            "made_by": self.made_by,
            "data": self.data,
            "steps": self.steps,
            "access_log": self.access,
        }


class SubjectAccessService:
    """The subject-access file of one person of a case (see module doc)."""

    def __init__(self, access: AccessService, cases: CaseService, privacy: PrivacyService) -> None:
        self.access = access
        self.cases = cases
        self.privacy = privacy

    def subject_file(self, principal: Principal, case_id: UUID, who: str) -> SubjectFile:
        """``who``'s file in ``case_id``: checked, logged, then gathered."""
        subject = parse_subject(who)
        principal = self.access.check(
            principal, Action.PERSON_EXPORT, self.cases.unit_of(case_id), case_id
        )
        self.privacy.versions_of(case_id, subject)  # a relative the case does not have: refused
        steps = sorted(self.cases.get(case_id).steps.values(), key=lambda s: s.version)
        erased = self.privacy.notices(case_id, steps)
        data = _own_data(steps, subject, erased)
        fields = sorted({row["field"] for row in data})
        self.access.record_personal_read(principal, case_id, fields, Purpose.SUBJECT_REQUEST)
        return SubjectFile(
            case_id,
            subject,
            self.access.store.now(),
            principal.username,
            data,
            [_step_row(step, subject, erased) for step in steps],
            self._case_log(case_id),
        )

    def _case_log(self, case_id: UUID) -> list[dict[str, Any]]:
        """Every access-log entry about the case: those naming it, refusals whose target it
        was, exports of it."""
        text = str(case_id)
        rows = []
        for position, event in self.access.entries():
            about = getattr(event, "case_id", None) == case_id
            if isinstance(event, AccessRecord.AccessRefused):
                about = event.target == text
            elif isinstance(event, AccessRecord.DataExported):
                about = event.scope == text or event.scope.startswith(f"{text}/")
            if about:
                entry = entry_of(position, event).as_dict()
                entry["recorded_at"] = event.timestamp.astimezone(VIETNAM_TZ).isoformat(
                    timespec="seconds"
                )
                rows.append(entry)
        return rows


def _own_data(steps: list[Step], subject: str, erased: dict[str, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for step in steps:
        for name, value in step.data.items():
            if not isinstance(value, PersonalData):
                continue
            if subject_of(step.kind, step.version, name, step.data) != subject:
                continue
            if isinstance(value, ErasedPersonalData):
                rows.append(
                    {"field": f"v{step.version}.{name}", "value": erased.get(subject, ERASED)}
                )
                continue
            for part, text in value.as_dict().items():
                if text is not None:
                    rows.append({"field": f"v{step.version}.{name}.{part}", "value": text})
    return rows


def _step_row(step: Step, subject: str, erased: dict[str, str]) -> dict[str, Any]:
    """A step as the subject sees it: no one else's personal data, not even its shape."""
    shown = step_fields(step, erased)
    fields: dict[str, Any] = {}
    for name, value in shown.items():
        raw = step.data[name]
        if isinstance(raw, PersonalData):
            if subject_of(step.kind, step.version, name, step.data) != subject:
                continue
            value = f"your data: see v{step.version}.{name}"
        fields[name] = value
    return {
        "version": step.version,
        "kind": step.kind,
        "kind_label": CATALOGUE[StepKind(step.kind)].label_vi,
        "occurred_on": step.occurred_on.isoformat(),
        "recorded_at": step.recorded_at.astimezone(VIETNAM_TZ).isoformat(timespec="seconds"),
        "officer_id": step.officer_id,
        "agency": step.agency,
        "legal_basis": step.legal_basis,
        "fields": fields,
    }
