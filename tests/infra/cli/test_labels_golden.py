"""Golden output: Vietnamese labels beside codes and Viet Nam time, or codes with SOCAI_LANG=en.

A case recorded at a fixed instant (2026-11-23 03:00 UTC, 10:00 in Viet Nam) is read back
through ``socai case history`` and ``socai access log``: the step kinds, agencies and coded
values carry their Vietnamese label (nhãn tiếng Việt) by default, the record times are Viet
Nam time (+07:00) in every language, and ``SOCAI_LANG=en`` shows the codes alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from infra.cli.main import app
from infra.scenario.builders import OFFICER, case_with_support, open_app
from infra.scenario.staff import worker_token

runner = CliRunner()

#: Record time of every step: 03:00 UTC is 10:00 in Viet Nam.
RECORDED = "2026-11-23T10:00:00+07:00"

BORDER_GUARD = "border_guard (Bộ đội Biên phòng)"
GOLDEN_VI = [
    ("Received", "Tiếp nhận", "border_guard", BORDER_GUARD),
    ("VerificationRequested", "Đề nghị xác minh", "border_guard", BORDER_GUARD),
    ("VerificationConcluded", "Kết luận xác minh, xác định", "border_guard", BORDER_GUARD),
    ("SupportProvided", "Hỗ trợ", "border_guard", BORDER_GUARD),
]


@pytest.fixture
def recorded(tmp_path: Path) -> tuple[str, str, str]:
    with open_app(tmp_path) as application:
        case_id, _version = case_with_support(application)
        token = worker_token(application, OFFICER)
    return f"sqlite:///{tmp_path / 'socai.db'}", str(case_id), token


def _history(recorded: tuple[str, str, str], lang: str | None, *more: str) -> Any:
    url, case_id, token = recorded
    env = {"SOCAI_TOKEN": token, **({"SOCAI_LANG": lang} if lang else {})}
    args = ["--store", url, "case", "history", case_id, *more]
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_a_history_carries_vietnamese_labels_and_viet_nam_time(
    recorded: tuple[str, str, str],
) -> None:
    events = json.loads(_history(recorded, None, "--format", "json"))["events"]
    shown = [(e["kind"], e["kind_label"], e["agency"], e["agency_label"]) for e in events]
    assert shown == GOLDEN_VI
    assert {e["recorded_at"] for e in events} == {RECORDED}
    support = events[-1]
    assert support["fields"]["support_type"] == "hardship_allowance"  # a field as a field
    assert "support_type=hardship_allowance (Trợ cấp khó khăn ban đầu)" in support["details"]
    assert "outcome=victim (Là nạn nhân)" in events[2]["details"]
    table = _history(recorded, None)
    for _kind, label, _agency, agency_label in GOLDEN_VI:
        assert f" {label} " in table and f" {agency_label} " in table
    assert RECORDED in table and "Z " not in table and "None" not in table


def test_english_shows_the_codes_and_keeps_viet_nam_time(recorded: tuple[str, str, str]) -> None:
    events = json.loads(_history(recorded, "en", "--format", "json"))["events"]
    shown = [(e["kind"], e["kind_label"], e["agency"], e["agency_label"]) for e in events]
    assert shown == [(kind, kind, agency, agency) for kind, _l, agency, _a in GOLDEN_VI]
    assert {e["recorded_at"] for e in events} == {RECORDED}
    assert "support_type=hardship_allowance," in events[-1]["details"]
    assert "Trợ cấp" not in events[-1]["details"]


def test_an_unknown_language_is_refused(recorded: tuple[str, str, str]) -> None:
    url, case_id, token = recorded
    result = runner.invoke(
        app,
        ["--store", url, "case", "history", case_id],
        env={"SOCAI_TOKEN": token, "SOCAI_LANG": "fr"},
    )
    assert result.exit_code == 2
    assert "SOCAI_LANG='fr'" in result.stderr and "hint:" in result.stderr
