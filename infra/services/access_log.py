"""Reading the access log (xem nhật ký truy cập): for inspectors and the data-protection
officer, within their scope.

The log of a case is read by whoever may read access logs in the case's unit; the log of a user
by whoever may read access logs in every scope that user holds a role in (a user without roles:
national scope). Entries carry no personal data, only field names and codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.access.log import AccessEvent, AccessRecord
from domain.access.policy import Action
from domain.access.principal import Principal
from domain.access.scope import UnitRef
from infra.services.access import AccessService
from infra.services.cases import CaseService


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One access-log entry as shown: no values, only names and codes."""

    position: int
    recorded_at: datetime
    username: str
    kind: str
    case_id: UUID | None
    fields: tuple[str, ...]
    purpose: str | None
    detail: str

    def as_dict(self) -> dict[str, object]:
        return {
            "position": self.position,
            "recorded_at": self.recorded_at.isoformat(),
            "user": self.username,
            "kind": self.kind,
            "case_id": str(self.case_id) if self.case_id else None,
            "fields": list(self.fields),
            "purpose": self.purpose,
            "detail": self.detail,
        }


def entry_of(position: int, event: AccessEvent) -> AccessEntry:
    detail = ""
    if isinstance(event, AccessRecord.PersonalCorrectionAttempted):
        detail = f"outcome {event.outcome}"
    elif isinstance(event, AccessRecord.DataExported):
        detail = f"{event.what} of {event.scope} as {event.format}"
    elif isinstance(event, AccessRecord.PersonalDataErased):
        detail = f"erased {event.subject} by decision {event.basis} ({event.reason})"
    elif isinstance(event, AccessRecord.RedactionAuthorised):
        detail = f"redaction of position {event.position} authorised by erasure {event.erasure_id}"
    elif isinstance(event, AccessRecord.AccessRefused):
        detail = f"refused {event.action} on {event.target}; needs {event.needed}"
    return AccessEntry(
        position,
        event.timestamp,
        event.username,
        type(event).__name__,
        getattr(event, "case_id", None),
        tuple(getattr(event, "fields", ())),
        getattr(event, "purpose", None),
        detail,
    )


class AccessLogService:
    """The access log, by case or by user, for those entitled to read it."""

    def __init__(self, access: AccessService, cases: CaseService) -> None:
        self.access = access
        self.cases = cases

    def for_case(self, principal: Principal, case_id: UUID) -> list[AccessEntry]:
        self.access.check(principal, Action.ACCESS_LOG_READ, self.cases.unit_of(case_id), case_id)
        return [entry_of(p, e) for p, e in self.access.entries(case_id=case_id)]

    def for_user(self, principal: Principal, username: str) -> list[AccessEntry]:
        user = self.access.user(username)
        targets: list[UnitRef | None] = [
            UnitRef(g.scope.map, g.scope.code) for g in user.grants.values()
        ] or [None]
        for target in targets:
            self.access.check(principal, Action.ACCESS_LOG_READ, target, user.username)
        return [entry_of(p, e) for p, e in self.access.entries(username=user.username)]
