"""Any sequence of commands either records a valid case or is refused with a clear error and
the store unchanged; replaying the store gives the same case."""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.case.catalogue import check_history
from domain.case.commands import COMMANDS
from domain.errors import SocaiError
from domain.time import business_date
from infra.keys import create_key_file
from infra.scenario.staff import worker
from infra.services.socai import Socai
from infra.settings import Settings
from tests.conftest import BORDER_GUARD, reception

pytestmark = pytest.mark.property

RECEIVED = date(2024, 12, 20)  # close to 1 July 2025, so sequences cross the change of law


def days_after(low: int = -3, high: int = 400) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda d: (RECEIVED + timedelta(days=d)).isoformat())


money = st.one_of(st.integers(-1000, 50_000_000), st.sampled_from(["1.5", "2.000.000", "x", None]))

COMMAND_FIELDS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "demographics": st.fixed_dictionaries(
        {
            "occurred_on": days_after(),
            "sex": st.sampled_from(["male", "female", "x"]),
            "ethnicity": st.sampled_from(["kinh", "other"]),
            "birth_year": st.one_of(st.none(), st.integers(1950, 2030)),
            "nationality": st.sampled_from(["VN", "LA", "ZZ"]),
        }
    ),
    "trafficking": st.fixed_dictionaries(
        {
            "occurred_on": days_after(),
            "scope": st.sampled_from(["domestic", "abroad"]),
            "destination_country": st.sampled_from([None, "CN", "KH", "VN"]),
        }
    ),
    "request_verification": st.fixed_dictionaries(
        {"occurred_on": days_after(), "body": st.just("police")}
    ),
    "verify": st.fixed_dictionaries(
        {
            "occurred_on": days_after(),
            "outcome": st.sampled_from(["victim", "not_victim", "suspected_victim"]),
            "deciding_body": st.just("police"),
        }
    ),
    "route": st.fixed_dictionaries(
        {
            "occurred_on": days_after(),
            "destination": st.sampled_from(["returned_home", "prosecution"]),
        }
    ),
    "request_protection": st.fixed_dictionaries(
        {
            "occurred_on": days_after(),
            "protected": st.sampled_from(["victim", "relative"]),
            "source": st.sampled_from(["victim_request", "agency_assessment", "a threat"]),
            "relationship": st.sampled_from([None, "mother"]),
        }
    ),
    "protect": st.fixed_dictionaries(
        {
            "occurred_on": days_after(),
            "protected": st.sampled_from(["victim", "relative"]),
            "measure": st.sampled_from(["confidentiality", "escort", "a name"]),
            "relationship": st.sampled_from([None, "mother"]),
        }
    ),
    "support": st.fixed_dictionaries(
        {
            "occurred_on": days_after(),
            "support_type": st.sampled_from(
                ["essential_needs", "loan", "legal_aid", "health_insurance", "hardship_allowance"]
            ),
            "amount_vnd": money,
            "period_days": st.one_of(st.none(), st.integers(1, 130)),
            "provider_agency": st.just("labour_social_affairs"),
        }
    ),
    "admit_shelter": st.fixed_dictionaries(
        {"occurred_on": days_after(), "facility": st.just("CSTGXH")}
    ),
    "discharge_shelter": st.fixed_dictionaries({"occurred_on": days_after()}),
    "reintegrate": st.fixed_dictionaries({"occurred_on": days_after()}),
    "close": st.fixed_dictionaries(
        {"occurred_on": days_after(), "reason": st.sampled_from(["reintegrated", "lost_contact"])}
    ),
    "reopen": st.fixed_dictionaries({"occurred_on": days_after(), "reason": st.just("nhầm")}),
    "correct": st.fixed_dictionaries(
        {
            "occurred_on": days_after(0, 400),
            "corrects_version": st.integers(1, 12),
            "field": st.sampled_from(["occurred_on", "birth_year", "outcome", "amount_vnd", "sex"]),
            "old_value": st.sampled_from([None, "2024-12-20", 2001, "victim", 1000]),
            "new_value": st.sampled_from(["2024-12-25", 2002, "not_victim", 2000, "male"]),
            "reason": st.just("đính chính"),
            "more": st.sampled_from(
                [
                    None,
                    [{"field": "legal_basis", "old_value": None, "new_value": "QĐ-1"}],
                    [{"field": "unit_code", "old_value": "29956", "new_value": "29955"}],
                ]
            ),
        }
    ),
}

commands = st.lists(
    st.sampled_from(sorted(COMMAND_FIELDS)).flatmap(
        lambda name: COMMAND_FIELDS[name].map(lambda fields: (name, fields))
    ),
    min_size=1,
    max_size=14,
)


def check_sequence(sequence: list[tuple[str, dict[str, Any]]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        key = Path(tmp) / "k.key"
        create_key_file(key)
        settings_ = Settings.load(f"sqlite:///{tmp}/s.db", str(key))
        app = Socai(settings_)
        try:
            case_id = app.cases.receive(
                COMMANDS["receive"].parse(reception(occurred_on=RECEIVED)),
                worker(app, BORDER_GUARD),
            )
            accepted = 1
            for name, fields in sequence:
                before = app.log.head()
                try:
                    app.cases.execute(
                        case_id, COMMANDS[name].parse(fields), worker(app, BORDER_GUARD)
                    )
                except SocaiError as error:
                    assert str(error)  # a message a person can read
                    assert app.log.head() == before, f"refused {name} wrote something"
                else:
                    written = app.log.head() - before
                    assert written == (
                        1 + len(fields.get("more") or []) if name == "correct" else 1
                    )
                    accepted += written
            live = app.cases.get(case_id)
            assert live.version == accepted
            # every step is valid against the case as it stood on its own business date
            check_history(case_id, live.steps.values(), business_date(app.now()), first=None)
            replayed = Socai(settings_)
            try:
                stored = replayed.cases.get(case_id)
                assert stored.status == live.status
                assert stored.steps == live.steps
            finally:
                replayed.close()
            status = live.status
            assert status.essential_needs_days_used <= 120
            assert status.received_on == min(s.occurred_on for s in live.steps.values())
        finally:
            app.close()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_any_command_sequence_is_valid_or_refused_without_writing(
    sequence: list[tuple[str, dict[str, Any]]],
) -> None:
    check_sequence(sequence)


@pytest.mark.slow
@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(commands)
def test_any_command_sequence_many_examples(sequence: list[tuple[str, dict[str, Any]]]) -> None:
    check_sequence(sequence)
