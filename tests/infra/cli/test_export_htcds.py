"""``socai export htcds`` on a demo store: k-anonymous HTCDS records, no personal data.

Every combination of the quasi-identifiers in the file appears at least k times (several
k); a planted unique case (a man of 70 from Laos exploited in Malaysia) is generalised or
left out; k = 1 publishes every record; the victims' names are in no byte of the file; bad
--k, --period or -o is refused (error + hint, exit 2) with nothing written; the export is in
the access log.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from domain.access.roles import Role
from projections.htcds import FIELDS
from tests.infra.cli.test_cli import made_demo, socai
from tests.infra.cli.test_person import _ok, _refused, _tokens

pytestmark = pytest.mark.integration

QI = ("cas_IncomingReferralDate", "prs_Gender", "vic_AgeWhenTrafficked", "prs_Citizenship",
      "hte_Country")  # fmt: skip
RARE = {"prs_Gender": "Masculine", "vic_AgeWhenTrafficked": "48+", "prs_Citizenship": "LA",
        "hte_Country": "MY"}  # fmt: skip


def _rows(path: Path) -> list[dict[str, str]]:
    text = path.read_text(encoding="utf-8").removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == FIELDS
    return list(reader)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str], Path]:
    folder = tmp_path_factory.mktemp("htcds")
    url = f"sqlite:///{folder / 'h.db'}"
    made_demo(url, 60, 4)
    tokens = _tokens(url)
    officer = tokens[Role.CASE_OFFICER]
    received = _ok(url, "case", "receive", "--unit", "29956", "--on", "2019-03-02", "--form",
                   "rescued", "--record", "BB-RARE", "--belongings-checked", "--interview",
                   token=officer)  # fmt: skip
    case = received.split()[-1]
    step = ("--on", "2019-03-03", "--basis", "BB-RARE")
    _ok(url, "case", "demographics", case, *step, "--sex", "male", "--birth-year", "1949",
        "--ethnicity", "kinh", "--nationality", "LA", token=officer)  # fmt: skip
    _ok(url, "case", "trafficking", case, *step, "--scope", "abroad", "--destination", "MY",
        token=officer)  # fmt: skip
    return url, tokens, folder


@pytest.mark.parametrize("k", [1, 3, 11])
def test_every_combination_appears_at_least_k_times(
    store: tuple[str, dict[str, str], Path], k: int
) -> None:
    url, tokens, folder = store
    out, report = folder / f"h{k}.csv", folder / f"h{k}.json"
    args = ("--period", "2016-2020", "--k", str(k), "-o", str(out), "--report", str(report))
    done = socai(url, "export", "htcds", *args, env={"SOCAI_TOKEN": tokens[Role.STATISTICIAN]})
    assert done.returncode == 0, done.stderr
    assert "suppressed" in done.stderr and "generalised:" in done.stderr
    rows = _rows(out)
    summary = json.loads(report.read_text(encoding="utf-8"))
    groups = Counter(tuple(r[c] for c in QI) for r in rows)
    assert all(n >= k for n in groups.values()), (k, min(groups.values()))
    assert summary["published"] == len(rows) > 0
    assert summary["published"] + summary["suppressed"] == summary["records"]
    assert summary["smallest_group"] >= k
    planted = [r for r in _rows(out) if all(r[c] == v for c, v in RARE.items())]
    if k == 1:  # nothing changed: every record, the planted one as it was
        assert summary["suppressed"] == 0 and len(planted) == 1
        assert {v["level"] for v in summary["quasi_identifiers"].values()} == {0}
    else:
        assert planted == [], "the unique combination is published as it was"


def test_the_file_holds_no_personal_data(store: tuple[str, dict[str, str], Path]) -> None:
    url, tokens, folder = store
    out = folder / "plain.csv"
    _ok(url, "export", "htcds", "--period", "2016-2026", "--k", "1", "-o", str(out),
        token=tokens[Role.STATISTICIAN])  # fmt: skip
    text = out.read_text(encoding="utf-8")
    cases = json.loads(_ok(url, "case", "list", "--format", "json", "--limit", "10",
                           token=tokens[Role.DATA_PROTECTION_OFFICER]))["rows"]  # fmt: skip
    for case in cases:
        read = json.loads(_ok(url, "case", "person", case["case_id"], "--purpose",
                              "subject_request", "--format", "json",
                              token=tokens[Role.DATA_PROTECTION_OFFICER]))  # fmt: skip
        for row in read["rows"]:
            assert row["value"] not in text
        assert case["case_id"] not in text


def test_bad_input_is_refused_and_nothing_written(
    store: tuple[str, dict[str, str], Path],
) -> None:
    url, tokens, folder = store
    out = folder / "bad.csv"
    token = tokens[Role.STATISTICIAN]
    base = ("export", "htcds")
    for args, says in (
        (("--period", "2016-2020", "--k", "0", "-o", str(out)), "--k"),
        (("--period", "2016-2020", "--k", "1001", "-o", str(out)), "--k"),
        (("--period", "2000-2030", "-o", str(out)), "--period"),
        (("--period", "soon", "-o", str(out)), "--period"),
        (("--years", "2016-2020", "--period", "2016-2020", "-o", str(out)), "once"),
        (
            (
                "--period",
                "2016-2020",
            ),
            "-o",
        ),
        (("--period", "2016-2020", "-o", str(folder / "bad.xlsx")), ".csv"),
        (("--period", "2016-2020", "-o", str(out), "--report", str(folder / "r.txt")), ".json"),
        (("--period", "2016-2020", "-o", str(folder / "none" / "x.csv")), "does not exist"),
    ):
        _refused(url, *base, *args, token=token, says=says)
        assert not out.exists()
    done = socai(url, *base, "--period", "2016-2020", "--k", "x", "-o", str(out),
                 env={"SOCAI_TOKEN": token})  # fmt: skip
    assert done.returncode == 2 and not out.exists()


def test_the_export_is_logged(store: tuple[str, dict[str, str], Path]) -> None:
    url, tokens, folder = store
    _ok(url, "export", "htcds", "--years", "2016-2020", "-o", str(folder / "logged.csv"),
        token=tokens[Role.STATISTICIAN])  # fmt: skip
    users = json.loads((Path(url.removeprefix("sqlite:///")).parent / "h.db.users.json")
                       .read_text(encoding="utf-8"))  # fmt: skip
    name = next(u["username"] for u in users if u["role"] == Role.STATISTICIAN)
    log = json.loads(_ok(url, "access", "log", "--user", name, "--format", "json",
                         token=tokens[Role.DATA_PROTECTION_OFFICER]))  # fmt: skip
    details = [r["detail"] for r in log["rows"]]
    assert "htcds of VN 2016/2020 k=11 as csv" in details, details
