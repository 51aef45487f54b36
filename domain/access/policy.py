"""The authorization policy (chính sách phân quyền): role × action × scope, in one table.

:data:`RULES` is the whole policy. A row says that a role may take an action, and how far its
grant's scope must reach:

- ``ANY``: holding the role is enough (a user's own credentials, registering a user);
- ``UNIT``: the grant's scope covers the unit the action is about (the case's unit of
  reception, the allocation's unit, the report's unit, the scope of the grant being given);
- ``NATIONAL``: the grant is national (programme-wide money, everything-at-once reads);
- ``OWN``: ``UNIT``, and the step being corrected was recorded by the same user.

Anything not in the table is refused. Reading personal data (``PERSON_READ``) additionally
needs a purpose code and a second factor; erasing a person's data (``PERSON_ERASE``:
destroying their data key) a second factor, the decision it executes and a reason code;
exporting a data subject's own file (``PERSON_EXPORT``: subject access) a second factor;
setting the retention of identities (``PERSON_RETENTION``) a national grant, a second factor
and the decision;
correcting a personal field needs ``PERSON_READ`` on the case as well as a right to correct,
so a correction can no longer be used to test whether a guessed name or number is the one
stored. The services check this table on every call; the
command line, a web view or a script get the same answers.

Why a table in code rather than a policy library (Casbin, OPA): the whole policy is some forty
rows over eight roles, read in one sitting and checked by the type checker; a library would add
a second language and a loader without making the rows clearer.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from domain.access.principal import Grant
from domain.access.roles import Role
from domain.access.scope import UnitRef


class Action(StrEnum):
    """What a user may ask for. Stored by value in refusal events."""

    CASE_RECEIVE = "case.receive"  # open a case (tiếp nhận)
    CASE_RECORD = "case.record"  # a step on a case other than closure or correction
    CASE_CLOSE = "case.close"  # close the managed file (đóng hồ sơ)
    CASE_CORRECT_OWN = "case.correct_own"  # correct a step one recorded oneself
    CASE_CORRECT_OTHERS = "case.correct_others"  # correct another officer's step
    CASE_READ = "case.read"  # histories and statuses (personal data redacted)
    PERSON_READ = "person.read"  # decrypt a person's data: purpose code and 2nd factor
    PERSON_ERASE = "person.erase"  # destroy a person's data key: decision, reason, 2nd factor
    PERSON_EXPORT = "person.export"  # a data subject's own file (subject access): 2nd factor
    PERSON_RETENTION = "person.retention"  # set how long identities are kept: decision, 2nd f.
    PERSON_DUE = "person.due"  # who is due for erasure under the retention (no personal data)
    PROCEEDINGS_RECORD = "proceedings.record"  # criminal cases (vụ án): ids of victims only
    FUNDING_RECORD = "funding.record"  # budgets, allocations, commitments, payments
    FUNDING_READ = "funding.read"  # programmes, reconciliation, discrepancies
    ACTIVITY_RECORD = "activity.record"  # directives, sessions, materials, courses
    REPORT_READ = "report.read"  # KPIs, rollups, quality checks, read models
    EXPORT_DEIDENTIFIED = "export.deidentified"  # k-anonymous HTCDS records, for publication
    PROJECTIONS_RUN = "projections.run"  # build and rebuild read models
    ACCESS_LOG_READ = "access_log.read"  # who read whose data
    USERS_REGISTER = "users.register"  # register a user (no role yet)
    USERS_MANAGE = "users.manage"  # grant, revoke, suspend, reinstate, reset credentials
    EVENTS_PUBLISH = "events.publish"  # the relay: PII-free public topics


class Reach(StrEnum):
    ANY = "any"
    UNIT = "unit"
    NATIONAL = "national"
    OWN = "own"


A, R, S = Action, Role, Reach

#: The policy: (action, role, how far the grant's scope must reach). Nothing else is allowed.
RULES: tuple[tuple[Action, Role, Reach], ...] = (
    # -- cases --------------------------------------------------------------------------------
    (A.CASE_RECEIVE, R.CASE_OFFICER, S.UNIT),
    (A.CASE_RECORD, R.CASE_OFFICER, S.UNIT),
    (A.CASE_RECORD, R.SUPERVISOR, S.UNIT),
    (A.CASE_CLOSE, R.SUPERVISOR, S.UNIT),
    (A.CASE_CORRECT_OWN, R.CASE_OFFICER, S.OWN),
    (A.CASE_CORRECT_OWN, R.SUPERVISOR, S.UNIT),
    (A.CASE_CORRECT_OTHERS, R.SUPERVISOR, S.UNIT),
    (A.CASE_READ, R.CASE_OFFICER, S.UNIT),
    (A.CASE_READ, R.SUPERVISOR, S.UNIT),
    (A.CASE_READ, R.INSPECTOR, S.UNIT),
    (A.CASE_READ, R.DATA_PROTECTION_OFFICER, S.UNIT),
    (A.PERSON_READ, R.CASE_OFFICER, S.UNIT),
    (A.PERSON_READ, R.SUPERVISOR, S.UNIT),
    (A.PERSON_READ, R.DATA_PROTECTION_OFFICER, S.UNIT),
    (A.PERSON_ERASE, R.DATA_PROTECTION_OFFICER, S.UNIT),
    (A.PERSON_EXPORT, R.DATA_PROTECTION_OFFICER, S.UNIT),
    (A.PERSON_RETENTION, R.DATA_PROTECTION_OFFICER, S.NATIONAL),
    (A.PERSON_DUE, R.DATA_PROTECTION_OFFICER, S.UNIT),
    (A.PROCEEDINGS_RECORD, R.CASE_OFFICER, S.UNIT),
    (A.PROCEEDINGS_RECORD, R.SUPERVISOR, S.UNIT),
    # -- money and activities -----------------------------------------------------------------
    (A.FUNDING_RECORD, R.FINANCE_OFFICER, S.UNIT),
    (A.FUNDING_READ, R.FINANCE_OFFICER, S.UNIT),
    (A.FUNDING_READ, R.INSPECTOR, S.UNIT),
    (A.ACTIVITY_RECORD, R.CASE_OFFICER, S.UNIT),
    (A.ACTIVITY_RECORD, R.SUPERVISOR, S.UNIT),
    # -- reports and the ledger ---------------------------------------------------------------
    (A.REPORT_READ, R.STATISTICIAN, S.UNIT),
    (A.REPORT_READ, R.SUPERVISOR, S.UNIT),
    (A.REPORT_READ, R.INSPECTOR, S.UNIT),
    (A.REPORT_READ, R.FINANCE_OFFICER, S.UNIT),
    (A.EXPORT_DEIDENTIFIED, R.STATISTICIAN, S.NATIONAL),
    (A.PROJECTIONS_RUN, R.STATISTICIAN, S.ANY),
    (A.PROJECTIONS_RUN, R.STREAM_SERVICE, S.ANY),
    (A.ACCESS_LOG_READ, R.INSPECTOR, S.UNIT),
    (A.ACCESS_LOG_READ, R.DATA_PROTECTION_OFFICER, S.UNIT),
    # -- people and services ------------------------------------------------------------------
    (A.USERS_REGISTER, R.ADMINISTRATOR, S.ANY),
    (A.USERS_MANAGE, R.ADMINISTRATOR, S.UNIT),
    (A.EVENTS_PUBLISH, R.STREAM_SERVICE, S.ANY),
)

#: Roles whose holders read personal data: they log in with a second factor (TOTP).
PERSONAL_DATA_ROLES: frozenset[Role] = frozenset(
    role for action, role, _ in RULES if action is Action.PERSON_READ
)


#: Actions on personal data itself: allowed only to a login with a second factor (TOTP).
SECOND_FACTOR_ACTIONS: frozenset[Action] = frozenset(
    {Action.PERSON_READ, Action.PERSON_ERASE, Action.PERSON_EXPORT, Action.PERSON_RETENTION}
)


def rules_for(action: Action) -> list[tuple[Role, Reach]]:
    return [(role, reach) for a, role, reach in RULES if a is action]


#: :func:`rules_for` of every action, made once (every check looks its action up).
_RULES_BY_ACTION: dict[Action, tuple[tuple[Role, Reach], ...]] = {
    action: tuple(rules_for(action)) for action in Action
}


def roles_allowed(action: Action) -> set[Role]:
    """The roles that may take ``action`` somewhere."""
    return {role for role, _ in rules_for(action)}


def permits(
    grants: Iterable[Grant], action: Action, target: UnitRef | None, own: bool = False
) -> Grant | None:
    """The first grant that allows ``action`` on ``target`` (None: refused).

    ``target`` is the unit the action is about; None means the action is about no one unit
    (then only ``ANY`` and ``NATIONAL`` rows can allow it). ``own`` says the step concerned was
    recorded by the acting user (for ``OWN`` rows).
    """
    allowed = _RULES_BY_ACTION[action]
    for grant in grants:
        for role, reach in allowed:
            if grant.role is not role:
                continue
            if reach is Reach.ANY:
                return grant
            if reach is Reach.NATIONAL or target is None:
                if grant.scope.is_national:
                    return grant
                continue
            if reach is Reach.OWN and not own:
                continue
            if grant.scope.covers(target):
                return grant
    return None


def needed(action: Action, target: UnitRef | None) -> str:
    """Who may do it, for a refusal message: e.g. "supervisor with a scope covering 2025:87"."""
    where = "national scope" if target is None else f"a scope covering {target}"
    parts = []
    for role, reach in rules_for(action):
        if reach is Reach.ANY:
            parts.append(role.value)
        elif reach is Reach.NATIONAL:
            parts.append(f"{role.value} with national scope")
        elif reach is Reach.OWN:
            parts.append(f"{role.value} (own steps) with {where}")
        else:
            parts.append(f"{role.value} with {where}")
    return " or ".join(parts) or "no role"
