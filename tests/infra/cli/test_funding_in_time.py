"""Money consistent in time and place, through ``socai finance`` (issue "The rules in time").

Each wrong payment the issue names is a refusal with a code and a hint, exit 2, nothing
written: a support paid from two programmes, from another province's allocation, before the
support happened; a reversal that predates what it reverses; a pledge (or any money) that
predates its programme. The class: money whose date or place contradicts the facts it pays
for — tried for commitments and direct payments alike.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infra.scenario.builders import case_with_support, open_app, small_programme

CASE_SUPPORT_DAY = "2020-03-05"  # case_with_support's support event
AMOUNT = "2000000"


@pytest.fixture
def paid_case(run, tmp_path: Path) -> tuple[str, str]:
    """Two programmes with an allocation for Hồng Ngự (old:870) and one for Lạng Sơn (old:20),
    and a case of Hồng Ngự with a 2,000,000 đ support; returns (case id, support version)."""
    with open_app(tmp_path) as app:
        small_programme(app, "P-ONE")
        small_programme(app, "P-TWO")
        case_id, version = case_with_support(app)
    run("allocate", "-p", "P-ONE", "--id", "A-LS", "--line", "L1", "--source", "NSDP",
        "--map", "old", "--unit", "20", "--period", "2016/2030", "--amount", "1000000",
        "--on", "2016-02-01")  # fmt: skip
    return str(case_id), str(version)


def _pay(run, programme: str, tid: str, case: tuple[str, str], *, on: str, code: int,
         allocation: str = "A1", commit: bool = False) -> str:  # fmt: skip
    verb = "commit" if commit else "pay"
    return run(verb, "-p", programme, "--id", tid, "--allocation", allocation, "--amount", AMOUNT,
               "--case", case[0], "--support-version", case[1], "--on", on, code=code)  # fmt: skip


@pytest.mark.parametrize("commit", [False, True])
def test_money_before_the_support_happened_is_refused(run, paid_case, commit: bool) -> None:
    out = _pay(run, "P-ONE", "X-1", paid_case, on="2020-03-04", code=2, commit=commit)
    assert "paid_before_support" in out or "before case" in out
    assert "hint:" in out
    _pay(run, "P-ONE", "X-1", paid_case, on=CASE_SUPPORT_DAY, code=0, commit=commit)


@pytest.mark.parametrize("commit", [False, True])
def test_another_provinces_allocation_is_refused(run, paid_case, commit: bool) -> None:
    out = _pay(run, "P-ONE", "X-2", paid_case, on="2020-03-06", code=2, allocation="A-LS",
               commit=commit)  # fmt: skip
    assert "Lạng Sơn" in out and "hint:" in out


def test_one_support_is_paid_from_one_programme(run, paid_case) -> None:
    _pay(run, "P-ONE", "X-3", paid_case, on="2020-03-06", code=0)
    out = _pay(run, "P-TWO", "X-4", paid_case, on="2020-03-07", code=2)
    assert "already paid or committed by X-3 in programme P-ONE" in out
    out = _pay(run, "P-TWO", "X-5", paid_case, on="2020-03-07", code=2, commit=True)
    assert "P-ONE" in out
    assert "X-4" not in run("show", "P-TWO")  # nothing was written


def test_a_reversal_does_not_predate_what_it_reverses(run, paid_case) -> None:
    _pay(run, "P-ONE", "X-6", paid_case, on="2020-03-10", code=0)
    out = run("reverse", "-p", "P-ONE", "--id", "R-1", "--reverses", "X-6", "--reason", "sai",
              "--on", "2020-03-09", code=2)  # fmt: skip
    assert "before transaction X-6" in out
    run("reverse", "-p", "P-ONE", "--id", "R-1", "--reverses", "X-6", "--reason", "sai",
        "--on", "2020-03-10")  # fmt: skip


@pytest.mark.parametrize("verb", ["pledge", "line"])
def test_money_that_predates_its_programme_is_refused(run, paid_case, verb: str) -> None:
    args = {
        "pledge": ("--source", "NSTW", "--kind", "central"),
        "line": ("--line", "L1", "--title", "Hỗ trợ nạn nhân", "--source", "NSDP"),
    }[verb]
    out = run(verb, "-p", "P-ONE", "--id", "EARLY", *args, "--amount", "1000",
              "--on", "2015-12-31", code=2)  # fmt: skip
    assert "predates programme P-ONE, established on 2016-01-01" in out


def test_reconcile_as_of_a_business_date_and_as_known_at_a_moment(
    run,
    paid_case,
    tmp_path: Path,
) -> None:
    def disbursed(*args: str) -> dict[str, int]:
        target = tmp_path / "r.csv"
        run("reconcile", "--by", "programme", "--csv", str(target), *args)
        with target.open(encoding="utf-8-sig") as handle:
            return {r["programme"]: int(r["disbursed_vnd"]) for r in csv.DictReader(handle)}

    before_payment = datetime.now(UTC).isoformat()
    _pay(run, "P-ONE", "X-7", paid_case, on="2020-03-20", code=0)
    assert disbursed()["P-ONE"] == 2_000_000
    assert disbursed("--as-of", "2020-03-19")["P-ONE"] == 0  # the books on 19 March 2020
    assert disbursed("--as-of", "2020-03-20")["P-ONE"] == 2_000_000
    assert disbursed("--known-at", before_payment)["P-ONE"] == 0  # as known before it
    assert disbursed("--known-at", "2015-01-01T00:00+07:00") == {}  # before anything
