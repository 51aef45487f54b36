"""Retention of personal data (thời hạn lưu trữ), and who is due for erasure under it.

:meth:`RetentionService.set` records a decision setting how many years after a case's closure
the identity of a kind of person (victim, relative) is kept: the data-protection officer with
a national grant and a second factor, naming the decision by its document code; the setting
is an event of :class:`~domain.access.retention.RetentionPolicy` in the ledger.

:meth:`RetentionService.due` lists, for the cases in the officer's scope, the people whose
retention has run out (:func:`~domain.access.retention.due_for_erasure`): case id, subject,
closed on, due since, the decision — never a name. It erases nothing: each erasure is a
decision of its own, carried out by ``socai person erase`` (docs/PRIVACY.md, "Retention").
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID

from domain.access.policy import Action, permits
from domain.access.principal import Principal
from domain.access.retention import (
    RETENTION_ID,
    Due,
    HeldPerson,
    Retention,
    RetentionPolicy,
    due_for_erasure,
    parse_kind,
    parse_years,
)
from domain.case.shareable import shareable_document_code
from domain.case.subjects import subject_of
from domain.case.values import ErasedPersonalData, PersonalData
from domain.errors import ConcurrentWriteConflict, InvalidInput, RuleViolation
from infra.application import EventStore
from infra.services.access import AccessService
from infra.services.cases import CaseService
from infra.services.privacy import PrivacyService


class RetentionService:
    """The retention policy in the ledger, and the list of people due for erasure."""

    def __init__(
        self,
        store: EventStore,
        access: AccessService,
        cases: CaseService,
        privacy: PrivacyService,
    ) -> None:
        self.store = store
        self.access = access
        self.cases = cases
        self.privacy = privacy

    def rules(self) -> dict[str, Retention]:
        """kind → the retention in force (empty: none set yet)."""
        if RETENTION_ID not in self.store.repository:
            return {}
        return dict(self._policy().rules)

    def _policy(self) -> RetentionPolicy:
        policy: object = self.store.repository.get(RETENTION_ID)
        assert isinstance(policy, RetentionPolicy)
        return policy

    def set(self, principal: Principal, who: str, years: int, basis: str | None) -> Retention:
        """Set ``who``'s retention to ``years`` after closure, by decision ``basis``."""
        kind, years = parse_kind(who), parse_years(years)
        code = (basis or "").strip()
        if shareable_document_code(code) is None:
            raise InvalidInput(
                "--basis",
                "a retention is set by a decision, named by its document code",
                hint="e.g. --basis QĐ-45/2026: upper-case letters, digits and . / _ -, no spaces",
            )
        principal = self.access.check(principal, Action.PERSON_RETENTION, subject="retention")
        if RETENTION_ID in self.store.repository:
            policy = self._policy()
        else:
            policy = RetentionPolicy.new(self.store.now())
        current = policy.rules.get(kind)
        if current is not None and (current.years, current.basis) == (years, code):
            raise RuleViolation(
                "retention_unchanged",
                f"the retention of {kind} is already {years} years by decision {code}",
                hint="nothing to record; `socai person due-for-erasure` shows the policy",
            )
        policy.set(kind, years, code, principal.username, self.store.now())
        try:
            self.store.save_or_refuse(policy, "the retention policy")
        except ConcurrentWriteConflict:
            raise RuleViolation(
                "retention_changed",
                "someone else changed the retention policy just now; nothing was recorded",
                hint="look at it again (`socai person due-for-erasure`) and repeat if still right",
            ) from None
        return policy.rules[kind]

    def due(self, principal: Principal, on: date) -> list[Due]:
        """Who is due for erasure on ``on``, in the cases the officer's grants cover."""
        principal = self.access.check(
            principal, Action.PERSON_DUE, subject="due-for-erasure", anywhere=True
        )
        rules = self.rules()
        if not rules:
            return []
        in_scope = (
            cid
            for cid in self.cases.ids()
            if permits(principal.grants, Action.PERSON_DUE, self.cases.unit_of(cid))
        )
        return due_for_erasure(self._held(in_scope), rules, on)

    def _held(self, case_ids: Iterator[UUID]) -> Iterator[HeldPerson]:
        """The people whose data each case still holds, with the case's closure date."""
        for case_id in case_ids:
            case = self.cases.get(case_id)
            closed = case.status.closed_on
            subjects: list[str] = []
            for step in sorted(case.steps.values(), key=lambda s: s.version):
                for name, value in step.data.items():
                    if not isinstance(value, PersonalData) or isinstance(value, ErasedPersonalData):
                        continue
                    if not value.present_fields:
                        continue
                    subject = subject_of(step.kind, step.version, name, step.data)
                    if subject not in subjects:
                        subjects.append(subject)
            for subject in subjects:
                if self.privacy.erasure(case_id, subject) is None:
                    yield HeldPerson(case_id, subject, closed)
