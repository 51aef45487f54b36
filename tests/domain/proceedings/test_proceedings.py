"""Criminal proceedings (vụ án): stages in order, by the right body, with counted accused."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from domain.case.values import Actor
from domain.errors import InvalidInput, RuleViolation
from domain.proceedings.aggregate import Proceedings
from domain.proceedings.commands import STAGE_COMMANDS, Open
from tests.domain.topics import registered_topics

NOW = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
POLICE = Actor("CA-VA-01", "police")


def opened(**overrides: object) -> Proceedings:
    data: dict[str, object] = {
        "occurred_on": "2019-04-01",
        "legal_basis": "QĐKT-1",
        "deciding_body": "police",
        "unit_code": "87",
        "victim_case_ids": [str(uuid4())],
        "defendants": 3,
        **overrides,
    }
    return Proceedings.open(uuid4(), Open.parse(data), POLICE, NOW)


def stage(
    p: Proceedings, name: str, on: str, body: str, defendants: int = 2, **extra: object
) -> None:
    data = {"occurred_on": on, "legal_basis": f"{name}-1", "deciding_body": body, **extra}
    if name != "suspend":
        data["defendants"] = defendants
    p.advance(STAGE_COMMANDS[name].parse(data), POLICE, NOW)


def refused(code: str, p: Proceedings, *args: object, **kwargs: object) -> None:
    version = p.version
    with pytest.raises(RuleViolation) as caught:
        stage(p, *args, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == code, caught.value
    assert p.version == version


def test_the_stages_in_order_each_by_its_body() -> None:
    p = opened()
    refused("out_of_order", p, "prosecute", "2019-05-01", "procuracy")
    refused("wrong_body", p, "solve", "2019-05-01", "court")
    stage(p, "solve", "2019-05-01", "police")
    refused("out_of_order", p, "solve", "2019-05-02", "police")
    refused("wrong_body", p, "prosecute", "2019-06-01", "police")
    refused("before_previous_stage", p, "prosecute", "2019-04-30", "procuracy")
    refused("more_defendants", p, "prosecute", "2019-06-01", "procuracy", defendants=3)
    stage(p, "prosecute", "2019-06-01", "procuracy")
    stage(p, "try", "2019-09-01", "court", defendants=1)
    assert p.stage == "Tried" and p.defendants == {"Opened": 3, "Solved": 2, "Prosecuted": 2,
                                                  "Tried": 1}  # fmt: skip


def test_a_suspended_case_records_nothing_further() -> None:
    p = opened()
    stage(p, "suspend", "2019-05-01", "police", reason="accused_not_found")
    refused("suspended", p, "solve", "2019-06-01", "police")
    with pytest.raises(InvalidInput):
        stage(opened(), "suspend", "2019-05-01", "police", reason="he ran away to X")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("defendants", 0),
        ("defendants", "3 men"),
        ("defendants", 10_000),
        ("victim_case_ids", []),
        ("victim_case_ids", ["not-an-id"]),
        ("unit_code", "Nguyen Van A"),
        ("legal_basis", ""),
        ("deciding_body", "procuracy"),
        ("occurred_on", "2099-01-01"),
    ],
)
def test_bad_openings_are_refused(field: str, value: object) -> None:
    with pytest.raises(RuleViolation):
        opened(**{field: value})


def test_a_victim_named_twice_and_an_unknown_field_are_refused() -> None:
    same = str(uuid4())
    with pytest.raises(InvalidInput, match="twice"):
        opened(victim_case_ids=[same, same])
    with pytest.raises(InvalidInput, match="unknown fields"):
        opened(accused_name="Nguyễn Văn A")


def test_topics_are_explicit_and_stable() -> None:
    topics = {
        "socai.proceedings:Proceedings",
        "socai.proceedings:Created",
        "socai.proceedings:Opened.v1",
        "socai.proceedings:Solved.v1",
        "socai.proceedings:Prosecuted.v1",
        "socai.proceedings:Tried.v1",
        "socai.proceedings:Suspended.v1",
    }
    assert registered_topics(Proceedings) == topics  # each resolves to its class; no other
    assert opened().unit_map == "old" and date(2019, 4, 1) == opened().reached["Opened"]
