"""The rules in time through the command line: each wrong history the issue names is refused
with exit 2, ``error:`` and ``hint:``, and nothing is written; the right ones are recorded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.infra.cli.support import script_token
from tests.infra.cli.test_cli import socai

pytestmark = pytest.mark.integration


@pytest.fixture
def store(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 's.db'}"
    ok(url, "keys", "init")
    script_token(url)  # the store and the tests' user, before any row is counted
    return url


def _rows(store: str) -> int:
    with sqlite3.connect(store.removeprefix("sqlite:///")) as connection:
        return int(connection.execute("SELECT count(*) FROM stored_events").fetchone()[0])


def ok(store: str, *args: str) -> str:
    result = socai(store, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(store: str, *args: str) -> str:
    before = _rows(store)
    result = socai(store, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error:") and "hint:" in result.stderr, result.stderr
    assert _rows(store) == before, "a refusal wrote something"
    return result.stderr


def received(store: str, on: str = "2019-03-02", unit: str = "29956") -> str:
    out = ok(store, "case", "receive", "--form", "rescued", "--unit", unit, "--record", "BB-1",
             "--on", on)  # fmt: skip
    return out.split("case ")[1].split()[0]


def test_support_before_identification_is_refused_even_when_recorded_after_it(store: str) -> None:
    case = received(store)
    ok(store, "case", "verify", case, "--on", "2019-03-10", "--outcome", "victim", "--by", "police")
    error = refused(store, "case", "support", case, "--on", "2019-03-05", "--type", "legal_aid")
    assert "2019-03-05" in error


def test_overlapping_essential_needs_and_a_closure_before_a_support(store: str) -> None:
    case = received(store, on="2025-06-30")
    ok(store, "case", "verify", case, "--on", "2025-06-30", "--outcome", "victim", "--by", "police")
    ok(store, "case", "support", case, "--on", "2025-06-30", "--type", "essential_needs",
       "--days", "60", "--provider", "labour_social_affairs")  # fmt: skip
    error = refused(store, "case", "support", case, "--on", "2025-07-01", "--type",
                    "essential_needs", "--days", "60")  # fmt: skip
    assert "already covered" in error
    ok(store, "case", "support", case, "--on", "2025-07-03", "--type", "legal_aid")
    error = refused(store, "case", "close", case, "--on", "2025-07-02", "--reason", "lost_contact")
    assert "step 4 (SupportProvided, dated 2025-07-03)" in error


def test_closure_reason_reopening_and_a_two_field_correction(store: str) -> None:
    case = received(store, on="2025-06-28")
    ok(store, "case", "verify", case, "--on", "2025-06-29", "--outcome", "not_victim", "--by",
       "police")  # fmt: skip
    refused(store, "case", "close", case, "--on", "2025-06-30", "--reason", "reintegrated")
    ok(store, "case", "close", case, "--on", "2025-06-30", "--reason", "not_a_victim")
    refused(store, "case", "reopen", case, "--on", "2025-06-29", "--reason", "nhầm")
    ok(store, "case", "reopen", case, "--on", "2025-07-01", "--reason", "đóng nhầm")
    # the reception date and unit across 1 July 2025: alone refused, together recorded
    refused(store, "case", "correct", case, "--event", "1", "--on", "2025-07-05",
            "--field", "occurred_on", "--old", "2025-06-28", "--new", "2025-06-29",
            "--field", "unit_code", "--reason", "sai")  # fmt: skip
    refused(store, "case", "correct", case, "--event", "1", "--on", "2025-07-05",
            "--field", "legal_basis", "--old", "BB-9", "--new", "BB-2",
            "--reason", "sai")  # fmt: skip
    ok(store, "case", "correct", case, "--event", "1", "--on", "2025-07-05",
       "--field", "legal_basis", "--old", "BB-1", "--new", "BB-2",
       "--reason", "sai số")  # fmt: skip
    history = ok(store, "case", "history", case, "--format", "json")
    assert '"Reopened"' in history and history.count('"CorrectionRecorded"') == 1


def test_an_empty_field_is_corrected_by_leaving_old_out(store: str) -> None:
    case = received(store)
    ok(store, "case", "demographics", case, "--on", "2019-03-03", "--sex", "female",
       "--ethnicity", "kinh")  # fmt: skip
    refused(store, "case", "correct", case, "--event", "2", "--on", "2019-03-04",
            "--field", "legal_basis", "--old", "X", "--new", "QĐ-1",
            "--reason", "bổ sung")  # fmt: skip
    ok(store, "case", "correct", case, "--event", "2", "--on", "2019-03-04",
       "--field", "legal_basis", "--new", "QĐ-1", "--reason", "bổ sung")  # fmt: skip


def test_a_receptions_date_and_unit_are_corrected_together_across_1_july_2025(store: str) -> None:
    case = received(store, on="2025-06-28")
    date_alone = ("--field", "occurred_on", "--old", "2025-06-28", "--new", "2025-07-02")
    error = refused(store, "case", "correct", case, "--event", "1", "--on", "2025-07-05",
                    *date_alone, "--reason", "sai ngày")  # fmt: skip
    assert "2025 map" in error
    unit_too = ("--field", "unit_code", "--old", "29956", "--new", "29955")
    ok(store, "case", "correct", case, "--event", "1", "--on", "2025-07-05", *date_alone,
       *unit_too, "--reason", "sai ngày")  # fmt: skip
    history = ok(store, "case", "history", case, "--format", "json")
    assert history.count('"CorrectionRecorded"') == 2 and '"unit": "29955 (2025 map)"' in history
