"""A data subject's own file (subject access): exactly their data, their case's steps and
access log, its own making logged; refused to everyone else, nothing written but the refusal.

Each person of the case carries a distinct canary in every personal part (name, id number,
phone, address), so "no one else's data" is checked as "no other canary anywhere in the
file", whatever field it would have leaked through.
"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

import pytest
from openpyxl import load_workbook

from domain.access.log import AccessRecord
from domain.access.principal import Principal
from domain.access.roles import Purpose, Role
from domain.case.commands import COMMANDS, Receive
from domain.errors import InvalidInput, NotAllowed, NotFound
from infra.privacy.subject_file import write_subject_file
from infra.scenario.staff import Staff
from infra.services.socai import Socai
from tests.conftest import reception

pytestmark = pytest.mark.integration

#: One canary per person and part; the key is who it belongs to.
PEOPLE = {
    "victim": {"full_name": "Canary Victim Vy", "id_number": "CANARYV01", "phone": "0900000001"},
    "relative:2": {"full_name": "Canary Mother Ma", "phone": "0900000002", "address": "Ấp A2"},
    "relative:3": {
        "full_name": "Canary Brother Ba",
        "id_number": "CANARYB03",
        "phone": "0900000003",
    },
    "other": {"full_name": "Canary Other Oanh", "id_number": "CANARYO09"},
}
FORMULA = '=HYPERLINK("http://x","y")'


def _receive(app: Socai, officer: Principal, person: dict[str, str]) -> UUID:
    command = COMMANDS["receive"].parse(reception(person=person))
    assert isinstance(command, Receive)
    return app.cases.receive(command, officer)


def _protect(app: Socai, case_id: UUID, officer: Principal, relationship: str, who: str) -> None:
    protect = {
        "occurred_on": "2019-03-02", "protected": "relative", "relationship": relationship,
        "measure": "confidentiality", "relative": PEOPLE[who],
    }  # fmt: skip
    app.cases.execute(case_id, COMMANDS["protect"].parse(protect), officer)


def _case(app: Socai, team: Staff) -> tuple[UUID, Principal]:
    """A victim, two protected relatives (versions 2 and 3), a correction of the mother's
    phone (version 4), and another case whose victim must never show."""
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    case_id = _receive(app, officer, PEOPLE["victim"])
    _protect(app, case_id, officer, "mother", "relative:2")
    _protect(app, case_id, officer, "sibling", "relative:3")
    correct = {
        "occurred_on": "2019-03-03", "corrects_version": 2, "field": "relative.phone",
        "old_value": PEOPLE["relative:2"]["phone"], "new_value": "0900000022", "reason": "new",
    }  # fmt: skip
    app.cases.execute(case_id, COMMANDS["correct"].parse(correct), officer)
    _receive(app, officer, PEOPLE["other"])
    app.cases.personal_data(officer, case_id, Purpose.CASE_MANAGEMENT)
    return case_id, officer


def _canaries(*people: str) -> list[str]:
    found = [v for p in people for v in PEOPLE[p].values()]
    if "relative:2" in people:
        found.append("0900000022")
    return found


def test_each_person_gets_exactly_their_own_data(app: Socai, team: Staff) -> None:
    case_id, _ = _case(app, team)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    inspector = team.user(Role.INSPECTOR, "82")
    with pytest.raises(NotAllowed):  # a refusal on the case: in its access log
        app.cases.personal_data(inspector, case_id, Purpose.VERIFICATION)
    steps = len(app.cases.get(case_id).steps)
    for who in ("victim", "relative:2", "relative:3"):
        made = app.subject_access.subject_file(dpo, case_id, who)
        text = json.dumps(made.as_dict(), ensure_ascii=False)
        others = [p for p in PEOPLE if p != who]
        assert all(c in text for c in _canaries(who)), who
        leaked = [c for c in _canaries(*others) if c in text]
        assert leaked == [], (who, leaked)
        assert {row["field"].split(".")[0] for row in made.data} <= {"v1", "v2", "v3", "v4"}
        assert len(made.steps) == steps
        assert [s["version"] for s in made.steps] == sorted(s["version"] for s in made.steps)
        assert all(s["officer_id"] and s["kind"] and "legal_basis" in s for s in made.steps)
        assert made.steps[0]["legal_basis"] == "BB-87-2019-001"
        kinds = [e["kind"] for e in made.access]
        assert "PersonalDataRead" in kinds[:-1] and "AccessRefused" in kinds, kinds
        own = made.access[-1]  # its own making, logged before it was gathered
        assert own["kind"] == "PersonalDataRead" and own["user"] == dpo.username
        assert own["purpose"] == "subject_request"
        assert own["fields"] == sorted(row["field"] for row in made.data)
    victim = app.subject_access.subject_file(dpo, case_id, "victim")
    assert {r["field"] for r in victim.data} == {
        "v1.person.full_name", "v1.person.id_number", "v1.person.phone",
    }  # fmt: skip
    mother = app.subject_access.subject_file(dpo, case_id, "relative:2")
    assert {r["field"]: r["value"] for r in mother.data}["v4.new_value.phone"] == "0900000022"
    assert mother.steps[1]["fields"]["relative"] == "your data: see v2.relative"
    assert "relative" not in mother.steps[2]["fields"]  # the brother's: not even its shape


def test_an_erased_person_shows_the_erasure(app: Socai, team: Staff) -> None:
    case_id, _ = _case(app, team)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    app.privacy.erase(dpo, case_id, "relative:3", "QĐ-7/2026", "subject_request")
    made = app.subject_access.subject_file(dpo, case_id, "relative:3")
    assert [r["value"] for r in made.data] == ["erased on 2026-11-23 by decision QĐ-7/2026"]
    assert "ErasedPersonalData" not in json.dumps(made.as_dict())
    assert any("erased relative:3 by decision QĐ-7/2026" in e["detail"] for e in made.access)


def test_refused_to_everyone_else_and_nothing_written_but_the_refusal(
    app: Socai, team: Staff
) -> None:
    case_id, officer = _case(app, team)
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")

    def refused(error: type[Exception], match: str, principal: Principal, who: str) -> None:
        before = app.log.head()
        with pytest.raises(error, match=match):
            app.subject_access.subject_file(principal, case_id, who)
        written = [type(e) for _, e in app.log.events(after=before)]
        assert written == ([AccessRecord.AccessRefused] if error is NotAllowed else [])

    others = [officer] + [
        team.user(role, "82")
        for role in Role
        if role not in (Role.CASE_OFFICER, Role.DATA_PROTECTION_OFFICER)
    ]
    for principal in others:
        refused(NotAllowed, "person.export .* not allowed", principal, "victim")
    refused(NotAllowed, "not allowed", team.user(Role.DATA_PROTECTION_OFFICER, "01"), "victim")
    made = app.access.register(team.admin, "BVDL-API", "police", service=True, second_factor=True)
    app.access.grant(team.admin, "BVDL-API", Role.DATA_PROTECTION_OFFICER, "82", "QĐ-1")
    assert made.token is not None
    refused(NotAllowed, "one-time code", app.access.authenticate(str(made.token)), "victim")
    for who in ("mother", "relative:0", "", "victim;relative:2"):
        refused(InvalidInput, "names no person", dpo, who)
    for who in ("relative:1", "relative:4", "relative:99"):  # reception, correction, none
        refused(NotFound, "no relative recorded", dpo, who)


def test_the_workbook_holds_the_same_file_and_no_formula(
    app: Socai, team: Staff, tmp_path: Path
) -> None:
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    case_id = _receive(app, officer, {"full_name": FORMULA, "phone": "0900000001"})
    dpo = team.user(Role.DATA_PROTECTION_OFFICER, "82", "BVDL-1")
    content = app.subject_access.subject_file(dpo, case_id, "victim").as_dict()
    out = tmp_path / "file.xlsx"
    write_subject_file(content, out, "xlsx")
    book = load_workbook(out)
    data = book["Dữ liệu (data)"]
    rows = [[c.value for c in row] for row in data.iter_rows()]
    assert rows[0] == ["field", "value"]
    assert ["v1.person.full_name", FORMULA] in rows
    assert all(c.data_type != "f" for s in book.worksheets for row in s.iter_rows() for c in row)
    steps = book["Các bước (steps)"]
    assert steps.max_row == 1 + len(content["steps"])
    access = book["Truy cập (access)"]
    assert access.max_row == 1 + len(content["access_log"])
