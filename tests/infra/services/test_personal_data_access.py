"""Reading a person's data: entitled roles only, with a second factor and a purpose; every read
and every correction attempt on a personal field in the access log (field names, never values);
the users' and the access log's events verified by `audit verify` like case events."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from domain.access.log import ACCESS_TOPICS, AccessRecord
from domain.access.roles import Purpose, Role
from domain.case.commands import COMMANDS, Receive
from domain.errors import NotAllowed, RuleViolation
from infra.audit_store import ledger_tables
from infra.keys import create_key_file
from infra.ledger.audit import verify_store
from infra.ledger.checkpoints import create_signing_key, make_checkpoint
from infra.ledger.store import LedgerTables
from infra.scenario.builders import at_now
from infra.scenario.staff import TEST_PASSWORDS, Staff
from infra.services.socai import Socai
from infra.settings import Settings
from tests.conftest import reception

pytestmark = pytest.mark.integration

NAME = "Lê Thị Mẫu"  # the reception fixture's (fictitious) person
ID_NUMBER = "087190001234"


@pytest.fixture
def app(tmp_path: Path) -> Socai:
    create_key_file(tmp_path / "k")
    opened = Socai(
        Settings.load(f"sqlite:///{tmp_path / 's.db'}", str(tmp_path / "k")),
        clock=at_now,
        passwords=TEST_PASSWORDS,
    )
    yield opened  # type: ignore[misc]
    opened.close()


@pytest.fixture
def team(app: Socai) -> Staff:
    return Staff(app)


def _received(app: Socai, team: Staff) -> tuple[object, object]:
    officer = team.user(Role.CASE_OFFICER, "82", "BP-87-01")
    command = COMMANDS["receive"].parse(reception())
    assert isinstance(command, Receive)
    return app.cases.receive(command, officer), officer


def _access_entries(app: Socai) -> list[object]:
    return [event for _, event in app.log.events(topics=ACCESS_TOPICS)]


def _stored_text(app: Socai) -> str:
    """Every access-log entry as its fields' text: what an inspector's export would show."""
    return " ".join(str(vars(e)) for e in _access_entries(app))


def test_a_read_is_logged_with_user_case_fields_and_purpose_and_never_the_values(
    app: Socai, team: Staff
) -> None:
    case_id, officer = _received(app, team)
    found = app.cases.personal_data(officer, case_id, Purpose.SUPPORT_DELIVERY, ("full_name",))
    assert list(found.values()) == [NAME]
    (entry,) = _access_entries(app)
    assert isinstance(entry, AccessRecord.PersonalDataRead)
    assert (entry.username, entry.case_id, entry.purpose) == (
        "BP-87-01",
        case_id,
        "support_delivery",
    )
    assert list(entry.fields) == ["v1.person.full_name"]
    assert NAME not in _stored_text(app) and ID_NUMBER not in _stored_text(app)


def test_roles_without_personal_data_and_logins_without_a_second_factor_are_refused(
    app: Socai, team: Staff
) -> None:
    case_id, _ = _received(app, team)
    for role in (Role.INSPECTOR, Role.FINANCE_OFFICER, Role.STATISTICIAN, Role.ADMINISTRATOR):
        reader = team.user(role, "VN", f"{role.name}-1")
        before = app.log.head()
        with pytest.raises(NotAllowed, match="not allowed"):
            app.cases.personal_data(reader, case_id, Purpose.CASE_MANAGEMENT)
        assert app.log.head() == before + 1  # the refusal only
    elsewhere = team.user(Role.CASE_OFFICER, "01", "CA-HN-1")  # Hà Nội: not this case's unit
    with pytest.raises(NotAllowed):
        app.cases.personal_data(elsewhere, case_id, Purpose.CASE_MANAGEMENT)
    # a supervisor of the unit enrolled by API token: its tokens carry no second factor
    made = app.access.register(team.admin, "LD-1", "police", service=True, second_factor=True)
    app.access.grant(team.admin, "LD-1", Role.SUPERVISOR, "82", "QĐ-1")
    assert made.token is not None
    no_factor = app.access.authenticate(str(made.token))
    with pytest.raises(NotAllowed, match="one-time code"):
        app.cases.personal_data(no_factor, case_id, Purpose.PROTECTION)
    assert not any(isinstance(e, AccessRecord.PersonalDataRead) for e in _access_entries(app))


def test_a_correction_of_a_personal_field_is_no_oracle(app: Socai, team: Staff) -> None:
    """Without the right to read the name, `--old GUESS` is refused the same way whether the
    guess is right or wrong, and every attempt is in the access log."""
    case_id, officer = _received(app, team)
    inspector = team.user(Role.INSPECTOR, "VN", "TT-1")
    answers = []
    for guess in (NAME, "Nguyễn Văn Sai"):
        correction = COMMANDS["correct"].parse(
            {
                "occurred_on": "2019-03-02",
                "corrects_version": 1,
                "field": "person.full_name",
                "old_value": guess,
                "new_value": "Lê Thị Mẫu Đơn",
                "reason": "thử",
            }
        )
        with pytest.raises(NotAllowed) as refused:
            app.cases.execute(case_id, correction, inspector)
        answers.append(str(refused.value).replace(guess, "GUESS"))
    assert answers[0] == answers[1]
    attempts = [
        e for e in _access_entries(app) if isinstance(e, AccessRecord.PersonalCorrectionAttempted)
    ]
    assert [(a.username, a.case_id) for a in attempts] == [("TT-1", case_id)] * 2
    assert NAME not in _stored_text(app)
    # the case officer may: a wrong guess is a rule violation, also logged
    wrong = COMMANDS["correct"].parse(
        {
            "occurred_on": "2019-03-02",
            "corrects_version": 1,
            "field": "person.full_name",
            "old_value": "Nguyễn Văn Sai",
            "new_value": "Lê Thị Mẫu Đơn",
            "reason": "thử",
        }
    )
    with pytest.raises(RuleViolation):
        app.cases.execute(case_id, wrong, officer)
    assert (
        len(
            [
                e
                for e in _access_entries(app)
                if isinstance(e, AccessRecord.PersonalCorrectionAttempted)
            ]
        )
        == 3
    )


def test_audit_verify_covers_users_grants_and_the_access_log(
    app: Socai, team: Staff, tmp_path: Path
) -> None:
    case_id, officer = _received(app, team)
    app.cases.personal_data(officer, case_id, Purpose.CASE_MANAGEMENT)
    key = create_signing_key(tmp_path / "signing.pem")
    make_checkpoint(LedgerTables(app.store.recorder), key)
    topics = {n.position: n.topic for n in app.log.entries()}
    granted = next(p for p, t in topics.items() if t.endswith("RoleGranted.v1"))
    read = next(p for p, t in topics.items() if t == AccessRecord.PersonalDataRead.TOPIC)
    settings = app.settings
    for position in (granted, read):
        with sqlite3.connect(settings.store.sqlite_path) as raw:  # type: ignore[arg-type]
            (state,) = raw.execute(
                "SELECT state FROM stored_events WHERE rowid = ?", (position,)
            ).fetchone()
            flipped = bytes([state[0] ^ 1]) + state[1:]
            raw.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (flipped, position))
        with ledger_tables(settings) as tables:
            report = verify_store(tables, key.public_key())
        assert not report.intact
        assert report.first is not None and report.first.position == position
        with sqlite3.connect(settings.store.sqlite_path) as raw:  # type: ignore[arg-type]
            raw.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (state, position))
