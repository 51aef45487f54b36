"""A case's history for people: one row per event, personal data redacted.

This is what an inspector reads: every step with its version, kind, business date, record
time, actor and legal basis, and the step's fields. Personal fields show only which parts
are present; a correction of a personal field shows neither the old nor the new value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from domain.case.catalogue import CATALOGUE, is_personal_field
from domain.case.commands import CODE_LISTS
from domain.case.steps import CaseStatus, Step, StepKind
from domain.case.subjects import subject_of
from domain.case.values import ErasedPersonalData, PersonalData
from domain.time import VIETNAM_TZ

REDACTED = "<redacted>"
#: Shown for data whose key is gone while no erasure of that person is recorded: the key table
#: was altered outside ``socai person erase`` (a decision is what makes an erasure lawful).
ERASED = "<erased without a recorded decision>"
#: The languages a history is shown in: Vietnamese labels beside codes (the default), or
#: codes alone (``en``).
LANGUAGES = ("vi", "en")


def _shown(value: Any) -> Any:
    """A field's value for a reader: personal data as which parts are present, never the
    parts; everything else as stored."""
    if isinstance(value, PersonalData):
        return f"<personal data: {', '.join(value.present_fields) or 'none'}>"
    return value


def labelled(field: str, value: Any, lang: str = "vi") -> str:
    """``victim (Là nạn nhân)``: a coded value with its Vietnamese label; other values as
    text (dates ISO 8601)."""
    shown = _shown(value)
    if isinstance(shown, bool):
        return ("có" if shown else "không") if lang == "vi" else ("yes" if shown else "no")
    text = shown.isoformat() if isinstance(shown, date) else str(shown)
    code_list = CODE_LISTS.get(field)
    member = None if code_list is None else code_list._value2member_map_.get(text)
    if lang == "vi" and member is not None:
        assert code_list is not None
        assert isinstance(member, code_list)
        return f"{text} ({member.label_vi})"
    return text


def step_fields(step: Step, erased: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The step's own fields as values (personal data redacted; a correction of a personal
    field shows neither value). Erased data shows its erasure (``erased``: subject → "erased
    on DATE by decision DOC")."""
    data = dict(step.data)
    for name, value in step.data.items():
        if isinstance(value, ErasedPersonalData):
            subject = subject_of(step.kind, step.version, name, step.data)
            data[name] = (erased or {}).get(subject, ERASED)
    if step.kind == "CorrectionRecorded" and is_personal_field(str(data["field"])):
        for name in ("old_value", "new_value"):
            if not isinstance(step.data[name], ErasedPersonalData):
                data[name] = REDACTED
    return {k: _shown(v) for k, v in data.items()}


def step_details(step: Step, lang: str = "vi", erased: Mapping[str, str] | None = None) -> str:
    data = step_fields(step, erased)
    if step.kind == "CorrectionRecorded":
        field = str(data["field"])
        old, new = (labelled(field, data[k], lang) for k in ("old_value", "new_value"))
        return f"corrects v{data['corrects_version']}.{field}: {old} → {new} ({data['reason']})"
    return ", ".join(f"{k}={labelled(k, v, lang)}" for k, v in data.items() if v is not None)


def case_history_rows(
    steps: Iterable[Step], lang: str = "vi", erased: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Rows in version order, record times in Viet Nam time. Steps carry corrections
    applied; the correction rows say what was replaced, so the original value stays visible
    where it is not personal. ``erased``: subject → its erasure notice."""
    assert lang in LANGUAGES, lang
    return [
        {
            "version": s.version,
            "kind": s.kind,
            "kind_label": CATALOGUE[StepKind(s.kind)].label_vi if lang == "vi" else s.kind,
            "occurred_on": s.occurred_on.isoformat(),
            "recorded_at": s.recorded_at.astimezone(VIETNAM_TZ).isoformat(timespec="seconds"),
            "officer_id": s.officer_id,
            "agency": s.agency,
            "legal_basis": s.legal_basis,
            "fields": step_fields(s, erased),
            "details": step_details(s, lang, erased),
        }
        for s in sorted(steps, key=lambda st: st.version)
    ]


def status_summary(status: CaseStatus, today: date) -> dict[str, Any]:
    """The derived status an officer needs at a glance, with deadlines and overruns."""
    overdue = status.procedures_overdue_days(today)
    limit = status.essential_needs_limit_days
    return {
        "stage": status.stage,
        "received_on": status.received_on,
        "unit": f"{status.unit_code} ({status.unit_map} map)",
        "verification": status.verification_outcome or "pending",
        "procedures_due_on": status.procedures_due_on,
        "procedures_completed_on": status.procedures_completed_on,
        "procedures_overdue_days": overdue,
        "essential_needs_days": f"{status.essential_needs_days_used} of {limit} allowed",
        "supports": sorted(status.support_types()),
        "protection_needed": len(status.persons_needing_protection()),
        "protections": len(status.protections),
        "routings": [d for _, d in status.routings],
        "closed_on": status.closed_on,
        "closure_reason": status.closure_reason,
        "corrections": status.corrections,
    }
