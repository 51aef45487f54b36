"""The web answers what the command line answers, for the same user and the same question:
a case's history (and as it stood on a date), a person's data, the reconciliation's totals
(national and a province's), the KPIs, the rollup form, and the findings on a submitted
rollup. Both go through the same services; these tests make sure the pages show it."""

from __future__ import annotations

import html as markup
import re
from decimal import Decimal
from pathlib import Path

import pytest

from domain.access.roles import Role
from infra.web import i18n
from tests.infra.web.conftest import CliRunnerOnce, World, cli, cli_json, csrf_of, table_rows

pytestmark = pytest.mark.integration

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hong_ngu_2016_2020.csv"


def test_the_timeline_is_the_case_history(world: World) -> None:
    client = world.client(Role.INSPECTOR)
    for as_of in ("", "2016-01-01", "2019-12-31"):
        query = {"as_of": as_of} if as_of else {}
        html = client.get(f"/cases/{world.case}", params=query).text
        rows = table_rows(html, "timeline")[1:]
        args = ["case", "history", world.case, *(["--as-of", as_of] if as_of else [])]
        events = cli_json_events(world, args)
        assert [int(r[0]) for r in rows] == [e["version"] for e in events]
        for row, event in zip(rows, events, strict=True):
            assert row[1] == i18n.day(event["occurred_on"])
            assert row[4] == event["officer_id"]
            assert row[6] == (event["legal_basis"] or "")


def cli_json_events(world: World, args: list[str]) -> list[dict[str, object]]:
    found = cli_json(world, Role.INSPECTOR, *args)
    return list(found["events"])


def test_personal_data_is_what_the_cli_decrypts(world: World) -> None:
    client = world.client(Role.SUPERVISOR)
    csrf = csrf_of(client.get(f"/cases/{world.case}/person").text)
    html = client.post(
        f"/cases/{world.case}/person", data={"csrf": csrf, "purpose": "support_delivery"}
    ).text
    shown = {r[0]: r[1] for r in table_rows(html, "personal")[1:]}
    answer = cli_json(
        world, Role.SUPERVISOR, "case", "person", world.case, "--purpose", "support_delivery"
    )
    assert shown == {r["field"]: r["value"] for r in answer["rows"]}
    assert shown, "the case has personal data"


@pytest.mark.parametrize("where", ["in", "out"])
def test_reconciliation_totals_are_the_cli_totals(world: World, where: str) -> None:
    client = world.client(Role.FINANCE_OFFICER, where)
    html = client.get("/finance", params={"as_of": "2020-12-31"}).text
    answer = cli_json(
        world, Role.FINANCE_OFFICER, "finance", "reconcile", "--as-of", "2020-12-31", where=where
    )
    for measure, value in answer["total"].items():
        found = re.search(rf'id="total-{measure}">([^<]*)<', html)
        assert found and found.group(1) == i18n.number(value), measure
    # the header, a line per group (or "no rows"), the total
    assert len(table_rows(html, "reconciliation")) - 2 == max(1, len(answer["rows"]))


def test_kpis_are_the_cli_kpis(world: World) -> None:
    html = world.client(Role.STATISTICIAN).get("/reports/kpi", params={"unit": "2025:82"}).text
    answer = cli_json(world, Role.STATISTICIAN, "kpi", "--unit", "2025:82")
    rows = table_rows(html, "kpis")[1:]
    assert [(r[0], r[2]) for r in rows] == [(k["indicator"], k["value"]) for k in answer["rows"]]


def test_the_rollup_form_is_the_cli_rollup(world: World) -> None:
    params = {"unit": "old:870", "period": "2016-2020"}
    html = world.client(Role.STATISTICIAN).get("/reports/rollup", params=params).text
    answer = cli_json(
        world, Role.STATISTICIAN, "rollup", "--unit", "old:870", "--period", "2016-2020"
    )
    rows = table_rows(html, "rollup")[1:]
    assert len(rows) == len(answer["rows"])
    for row, line in zip(rows, answer["rows"], strict=True):
        assert row[1] == line["label_vi"]
        figures = [line[f"y{y}"] for y in range(2016, 2021)] + [line["total"]]
        assert row[3:] == [i18n.number(_figure(v)) for v in figures], line["row_id"]


def _figure(value: object) -> object:
    text = str(value)
    return int(text) if text.lstrip("-").isdigit() else Decimal(text)


def test_a_checked_upload_names_the_cli_findings(world: World, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(
        EXAMPLE.read_text(encoding="utf-8").replace("II.1,3,1,1,1,1,7", "II.1,3,1,1,1,1,9")
    )
    client = world.client(Role.STATISTICIAN)
    csrf = csrf_of(client.get("/reports/check").text)
    html = client.post(
        "/reports/check",
        data={"csrf": csrf, "unit": "old:870"},
        files={"file": ("wrong.csv", wrong.read_bytes(), "text/csv")},
    ).text
    shown = [" ".join(x.split()) for x in re.findall(r"<li>(.*?)</li>", html, re.S)]
    result = CliRunnerOnce().invoke(cli, ["quality", "check", str(wrong), "--unit", "old:870"])
    assert result.exit_code == 1
    assert [markup.unescape(s) for s in shown] == [
        " ".join(line.split()) for line in result.stdout.splitlines() if line.strip()
    ]
    cells = re.findall(r'class="num wrong"', html)
    assert cells, "the wrong cells are highlighted"
    assert "total_equals_sum_of_years: expected 7, actual 9" in html


def test_a_correction_is_shown_beside_the_step_it_corrects(world: World) -> None:
    from domain.case.commands import COMMANDS
    from infra.scenario.staff import demo_admin, scenario_staff

    case, step = next(
        (c, s)
        for c in world.app.cases.ids()
        if str(c) != world.case
        for s in world.app.cases.get(c).steps.values()
        if s.kind == "DemographicsRecorded" and s.data.get("birth_year") is not None
    )
    staff = scenario_staff(world.app, demo_admin(world.settings))
    supervisor = staff.user(Role.SUPERVISOR, "VN", "SUPERVISOR-WEB-VN")
    before = world.app.now().isoformat()
    old = int(step.data["birth_year"])
    command = COMMANDS["correct"].parse({
        "occurred_on": step.occurred_on.isoformat(), "corrects_version": step.version,
        "field": "birth_year", "old_value": str(old), "new_value": str(old - 1),
        "reason": "giấy khai sinh",
    })  # fmt: skip
    version = world.app.cases.execute(case, command, supervisor)
    client = world.client(Role.INSPECTOR)
    rows = table_rows(client.get(f"/cases/{case}").text, "timeline")
    corrected = next(r for r in rows if r[0] == str(step.version))
    correction = next(r for r in rows if r[0] == str(version))
    assert f"{i18n.word('corrected_by', 'vi')} {version}" in corrected[2]
    assert str(old - 1) in corrected[2], "what the correction says, beside the corrected step"
    assert f"{i18n.word('corrects', 'vi')} {step.version}" in correction[2]
    then = table_rows(client.get(f"/cases/{case}", params={"known_at": before}).text, "timeline")
    assert str(version) not in [r[0] for r in then], "as known before it, no correction"
