"""A case's history for people: one row per event, personal data redacted.

This is what an inspector reads: every step with its version, kind, business date, record
time, actor and legal basis, and the step's fields. Personal fields show only which parts
are present; a correction of a personal field shows neither the old nor the new value.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from domain.case.catalogue import is_personal_field
from domain.case.steps import CaseStatus, Step
from domain.case.values import PersonalData

REDACTED = "<redacted>"


def _show(value: Any) -> str:
    if isinstance(value, PersonalData):
        return f"<personal data: {', '.join(value.present_fields) or 'none'}>"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def step_details(step: Step) -> str:
    data = step.data
    if step.kind == "CorrectionRecorded":
        personal = is_personal_field(str(data["field"]))
        old = REDACTED if personal else _show(data["old_value"])
        new = REDACTED if personal else _show(data["new_value"])
        target = f"v{data['corrects_version']}.{data['field']}"
        return f"corrects {target}: {old} → {new} ({data['reason']})"
    return ", ".join(f"{k}={_show(v)}" for k, v in data.items() if v is not None)


def case_history_rows(steps: Iterable[Step]) -> list[dict[str, Any]]:
    """Rows in version order. Steps carry corrections applied; the correction rows say what
    was replaced, so the original value stays visible where it is not personal."""
    return [
        {
            "version": s.version,
            "kind": s.kind,
            "occurred_on": s.occurred_on.isoformat(),
            "recorded_at": s.recorded_at.isoformat(),
            "officer_id": s.officer_id,
            "agency": s.agency,
            "legal_basis": s.legal_basis,
            "details": step_details(s),
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
