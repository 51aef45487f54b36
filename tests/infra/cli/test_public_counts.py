"""``--public`` on the rollup and the KPIs: no count of 1–4 people is shown, no hidden count
can be worked back from its row's total, a sum of the form or its share, and the output says
so. Everything else is what the non-public output shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.access.roles import Role
from domain.reference.rollup_form import PARTS
from tests.infra.cli.test_cli import made_demo
from tests.infra.cli.test_person import _ok, _refused, _tokens

pytestmark = pytest.mark.integration

ROLLUP = ("rollup", "--unit", "VN", "--period", "2016-2020", "--format", "json")
KPI = ("kpi", "--unit", "2025:82", "--format", "json")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('public') / 'p.db'}"
    made_demo(url, 40, 9)
    return url, _tokens(url)[Role.STATISTICIAN]


def _small(value: object) -> bool:
    return isinstance(value, int) and 0 < value < 5


def test_a_public_rollup_hides_small_counts_of_people(store: tuple[str, str]) -> None:
    url, token = store
    plain = json.loads(_ok(url, *ROLLUP, token=token))
    public = json.loads(_ok(url, *ROLLUP, "--public", token=token))
    assert "counts of 1–4 people shown as <5" in public["public"]
    assert "public" not in plain
    years = [k for k in plain["rows"][0] if k.startswith("y")]
    hidden = 0
    for was, now in zip(plain["rows"], public["rows"], strict=True):
        cells = [*years, "total"]
        if was["unit"] != "person":
            assert now == was  # money and counts of documents, sessions, items: as they are
            continue
        assert not any(_small(now[c]) for c in cells), now
        for c in cells:
            if _small(was[c]):
                assert now[c] in ("<5", "x")
            else:
                assert now[c] in (was[c], "x")  # withheld so that no hidden cell follows
        withheld = [c for c in cells if now[c] in ("<5", "x")]
        if withheld:
            hidden += 1
            # the row's years and total: never one unknown alone, never only bounded ones
            assert len(withheld) >= 2 and "x" in [now[c] for c in withheld], now
    assert hidden > 0, "the demo unit should have small counts to hide"
    # victims = male + female + unknown (and the form's other sums), year by year
    by_id = {r["row_id"]: r for r in public["rows"]}
    for rule in PARTS:
        for c in [*years, "total"]:
            members = [by_id[rule.whole][c], *(by_id[p][c] for p in rule.parts)]
            unknown = [v for v in members if v in ("<5", "x")]
            assert not unknown or (len(unknown) >= 2 and "x" in unknown), (rule.name, c)


def test_public_kpis_hide_small_figures_and_the_shares_they_give_away(
    store: tuple[str, str],
) -> None:
    url, token = store
    plain = json.loads(_ok(url, *KPI, token=token))
    public = json.loads(_ok(url, *KPI, "--public", token=token))
    assert public["public"].startswith("public: counts of 1–4")
    withheld = 0
    for was, now in zip(plain["rows"], public["rows"], strict=True):
        assert not _small(now["numerator"]) and not _small(now["denominator"]), now
        if _small(was["numerator"]) or _small(was["denominator"]):
            withheld += 1
            assert now["met"] == "x"
            assert now["value"] in ("x", "<5")
        else:
            assert now == was
    assert withheld > 0


def test_what_is_never_public_is_refused(store: tuple[str, str], tmp_path: Path) -> None:
    url, token = store
    book = tmp_path / "r.xlsx"
    _refused(url, *ROLLUP, "--public", "--xlsx", str(book), token=token, says="--public")
    assert not book.exists()
    _refused(url, *ROLLUP, "--public", "--known-at", "2026-01-01", "--changes", token=token,
             says="hint:")  # fmt: skip
    _refused(url, *KPI, "--public", "--list", "verified", token=token, says="never public")
