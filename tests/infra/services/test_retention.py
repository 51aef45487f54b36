"""Retention in the ledger and who is due for erasure under it.

Closures on both sides of the boundary date, a reopened case, an erased person, a case
outside the officer's scope, a kind with no retention: each listed or not as the rule says;
nothing is erased by listing. Setting the retention: the data-protection officer with a
national grant and a second factor, by decision; every other attempt writes nothing but the
policy's refusal entry (or nothing at all for bad input).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID

import pytest

from domain.access.log import AccessRecord
from domain.access.principal import Principal
from domain.access.retention import RetentionPolicy
from domain.access.roles import Role
from domain.case.commands import COMMANDS, Receive
from domain.errors import InvalidInput, NotAllowed, RuleViolation
from infra.scenario.builders import at_now
from infra.scenario.staff import TEST_PASSWORDS, Staff
from infra.services.socai import Socai
from tests.conftest import reception

pytestmark = pytest.mark.integration

BASIS = "QĐ-45/2026"


@pytest.fixture
def workers(team: Staff) -> tuple[Principal, Principal]:
    """A national case officer and supervisor, logged in once (a one-time code is accepted
    once)."""
    return team.user(Role.CASE_OFFICER, "VN", "BP-VN"), team.user(Role.SUPERVISOR, "VN", "GS-VN")


def _case(
    app: Socai,
    workers: tuple[Principal, Principal],
    closed_on: str | None,
    *,
    unit: str = "29956",
    relative: bool = False,
) -> UUID:
    """A case received and verified, with a protected relative (version 3) if asked, closed
    on ``closed_on`` if given."""
    officer, supervisor = workers
    command = COMMANDS["receive"].parse(
        reception(unit_code=unit, person={"full_name": "Canary Retention Vy"})
    )
    assert isinstance(command, Receive)
    case_id = app.cases.receive(command, officer)
    verify = {"occurred_on": "2019-03-03", "outcome": "victim", "deciding_body": "police"}
    app.cases.execute(case_id, COMMANDS["verify"].parse(verify), officer)
    if relative:
        protect = {
            "occurred_on": "2019-03-04", "protected": "relative", "relationship": "mother",
            "measure": "confidentiality", "relative": {"full_name": "Canary Retention Me"},
        }  # fmt: skip
        app.cases.execute(case_id, COMMANDS["protect"].parse(protect), officer)
    if closed_on:
        close = {"occurred_on": closed_on, "reason": "lost_contact"}
        app.cases.execute(case_id, COMMANDS["close"].parse(close), supervisor)
    return case_id


def _due(app: Socai, who: Principal, on: str) -> set[tuple[UUID, str]]:
    return {(d.case_id, d.subject) for d in app.retention.due(who, date.fromisoformat(on))}


def test_who_is_due_follows_the_closure_the_retention_and_the_erasures(
    app: Socai, team: Staff, workers: tuple[Principal, Principal]
) -> None:
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "VN", "BVDL-VN")
    before = _case(app, workers, "2020-06-30", relative=True)  # due on 2025-06-30 (victim)
    after = _case(app, workers, "2020-07-01")  # due on 2025-07-01
    reopened = _case(app, workers, "2019-05-01")
    _, supervisor = workers
    reopen = {"occurred_on": "2019-06-01", "reason": "new information"}
    app.cases.execute(reopened, COMMANDS["reopen"].parse(reopen), supervisor)
    still_open = _case(app, workers, None)
    erased = _case(app, workers, "2019-04-01")
    app.privacy.erase(dpo, erased, "victim", "QĐ-9/2026", "purpose_ended")

    assert app.retention.due(dpo, date(2100, 1, 1)) == []  # no retention set: no one
    app.retention.set(dpo, "victim", 5, BASIS)
    assert _due(app, dpo, "2025-06-29") == set()
    assert _due(app, dpo, "2025-06-30") == {(before, "victim")}
    assert _due(app, dpo, "2025-07-01") == {(before, "victim"), (after, "victim")}
    late = _due(app, dpo, "2100-01-01")
    assert {c for c, _ in late}.isdisjoint({reopened, still_open, erased})
    assert (before, "relative:3") not in late  # no retention set for relatives
    app.retention.set(dpo, "relative", 2, "QĐ-46/2026")
    assert (before, "relative:3") in _due(app, dpo, "2022-06-30")
    assert (before, "relative:3") not in _due(app, dpo, "2022-06-29")
    (row,) = [d for d in app.retention.due(dpo, date(2025, 7, 1)) if d.case_id == after]
    assert (row.closed_on, row.due_since, row.years, row.basis) == (
        date(2020, 7, 1), date(2025, 7, 1), 5, BASIS,
    )  # fmt: skip
    text = json.dumps([str(d) for d in app.retention.due(dpo, date(2100, 1, 1))])
    assert "Canary" not in text
    assert app.store.vault.has_key(f"{before}/victim")  # listing erases nothing


def test_an_officer_sees_only_the_cases_of_their_scope(
    app: Socai, team: Staff, workers: tuple[Principal, Principal]
) -> None:
    national = team.user(Role.DATA_PROTECTION_OFFICER, "VN", "BVDL-VN")
    app.retention.set(national, "victim", 1, BASIS)
    dong_thap = _case(app, workers, "2019-04-01")
    ha_noi = _case(app, workers, "2019-04-01", unit="00004")
    on = "2021-01-01"
    assert _due(app, national, on) == {(dong_thap, "victim"), (ha_noi, "victim")}
    local = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-82")
    assert _due(app, local, on) == {(dong_thap, "victim")}


def test_setting_the_retention_is_refused_to_everyone_else(app: Socai, team: Staff) -> None:
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "VN", "BVDL-VN")

    def refused(
        error: type[Exception], match: str, who: Principal, kind: str, years: Any, basis: Any
    ) -> None:
        before = app.log.head()
        with pytest.raises(error, match=match):
            app.retention.set(who, kind, years, basis)
        written = [type(e) for _, e in app.log.events(after=before)]
        assert written == ([AccessRecord.AccessRefused] if error is NotAllowed else [])

    for role in Role:
        if role is not Role.DATA_PROTECTION_OFFICER:
            refused(NotAllowed, "person.retention", team.user(role, "VN"), "victim", 5, BASIS)
    province = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-82")
    refused(NotAllowed, "national scope", province, "victim", 5, BASIS)
    made = app.access.register(team.admin, "BVDL-API", "police", service=True, second_factor=True)
    app.access.grant(team.admin, "BVDL-API", Role.DATA_PROTECTION_OFFICER, "VN", "QĐ-1")
    assert made.token is not None
    no_factor = app.access.authenticate(str(made.token))
    refused(NotAllowed, "one-time code", no_factor, "victim", 5, BASIS)
    for basis in (None, "", "quyết định giám đốc", "Lê Thị Mẫu"):
        refused(InvalidInput, "document code", dpo, "victim", 5, basis)
    for years in (0, -3, 101, True):
        refused(InvalidInput, "whole years", dpo, "victim", years, BASIS)
    for kind in ("relative:2", "mother", ""):
        refused(InvalidInput, "kind of person", dpo, kind, 5, BASIS)
    app.retention.set(dpo, "victim", 5, BASIS)
    refused(RuleViolation, "already 5 years", dpo, "victim", 5, BASIS)
    app.retention.set(dpo, "victim", 6, "QĐ-47/2026")
    events = list(app.store.events.get(app.retention._policy().id))
    kinds = [type(e) for e in events]
    assert kinds == [RetentionPolicy.Created, RetentionPolicy.Set, RetentionPolicy.Set]


def test_listing_is_refused_to_other_roles(app: Socai, team: Staff) -> None:
    for role in Role:
        if role is Role.DATA_PROTECTION_OFFICER:
            continue
        who = team.user(role, "VN")
        before = app.log.head()
        with pytest.raises(NotAllowed, match=r"person\.due"):
            app.retention.due(who, date(2030, 1, 1))
        assert [type(e) for _, e in app.log.events(after=before)] == [AccessRecord.AccessRefused]


def test_the_policy_and_the_list_on_every_kind_of_store(make_app: Any, store_url: str) -> None:
    """The retention event and the list on SQLite and PostgreSQL alike; a process opened
    later reads the policy another one set."""
    app = make_app(store_url, clock=at_now, passwords=TEST_PASSWORDS)
    team = Staff(app)
    workers = (team.user(Role.CASE_OFFICER, "VN", "BP-VN"), team.user(Role.SUPERVISOR, "VN"))
    closed = _case(app, workers, "2019-04-01", relative=True)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "VN", "BVDL-VN")
    app.retention.set(dpo, "victim", 3, BASIS)
    app.retention.set(dpo, "relative", 1, "QĐ-46/2026")
    later = make_app(store_url, clock=at_now, passwords=TEST_PASSWORDS)
    assert {k: r.years for k, r in later.retention.rules().items()} == {"victim": 3, "relative": 1}
    assert _due(later, dpo, "2022-04-01") == {(closed, "victim"), (closed, "relative:3")}
    assert _due(later, dpo, "2020-03-31") == set()
