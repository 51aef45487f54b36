"""``StoreEventLog.positions_of``: a case's steps and their positions in the one log, by one
query, equal to what reading the whole log finds (SQLite and PostgreSQL), other aggregates'
events interleaved."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from domain.access.roles import Role
from domain.case.commands import COMMANDS, Receive
from infra.scenario.staff import TEST_PASSWORDS, Staff
from infra.services.socai import Socai

pytestmark = pytest.mark.integration


def test_positions_of_a_case_are_those_in_the_log(make_app: object, store_url: str) -> None:
    app: Socai = make_app(store_url, passwords=TEST_PASSWORDS)  # type: ignore[operator]
    staff = Staff(app)
    officer = staff.user(Role.CASE_OFFICER, "VN")
    cases = []
    for n in range(3):
        command = Receive.parse({
            "occurred_on": date(2019, 3, 2 + n).isoformat(), "unit_code": "870",
            "reception_form": "rescued", "legal_basis": f"BB-{n}",
        })  # fmt: skip
        cases.append(app.cases.receive(command, officer))
    for case_id in cases:  # interleaved: each case's events apart in the log
        verify = COMMANDS["request_verification"].parse({"occurred_on": "2019-03-10",
                                                          "body": "police"})  # fmt: skip
        app.cases.execute(case_id, verify, officer)
    for case_id in cases:
        scanned = [e.position for e in app.log.entries() if e.originator_id == case_id]
        found = app.log.positions_of(case_id)
        assert found == dict(enumerate(scanned, start=1))
        assert len(found) == 2
    assert app.log.positions_of(UUID(int=0)) == {}, "no such aggregate: no positions"
