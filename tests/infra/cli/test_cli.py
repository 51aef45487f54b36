"""The ``socai`` command line, run as a person runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from domain.errors import SocaiError
from infra.scenario import ScenarioConfig, ScenarioGenerator
from infra.settings import Settings
from tests.infra.cli.support import run_socai, script_token

ROOT = Path(__file__).resolve().parents[3]


def socai(
    store: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "160",
        **_signed_in(store, args),
        **(env or {}),
    }
    return run_socai("--store", store, *args, env=full_env, cwd=ROOT, timeout=300)


#: Commands that need no user: the demo, keys, schema, users' own, the ledger's checks.
NO_USER = {"demo", "keys", "users", "audit", "init", "migrate", "status", "login", "units"}


def _signed_in(store: str, args: tuple[str, ...]) -> dict[str, str]:
    """``SOCAI_TOKEN`` of the tests' user, for a command that needs one on a SQLite store this
    code can open (or whose key ``keys init`` made); nothing otherwise (a refusal test must see
    its own error, and asking for a token must never create or change the store it is about)."""
    key_file = args[args.index("--key-file") + 1] if "--key-file" in args else None
    settings = Settings.load(store, key_file)
    path = settings.store.sqlite_path
    ready = path is not None and (path.exists() or settings.key_file.exists())  # keys init ran
    if NO_USER & set(args[:3]) or not ready:
        return {}
    try:
        return {"SOCAI_TOKEN": script_token(store, key_file)}
    except SocaiError:
        return {}  # e.g. a store of another schema: the command says so itself


def receive(
    store: str, on: str, *more: str, unit: str = "29956", record: str = "BB-1"
) -> subprocess.CompletedProcess[str]:
    """``socai case receive``: a person rescued (được giải cứu), received on ``on`` in
    ``unit`` under reception record ``record``; ``more`` adds flags."""
    return socai(
        store, "case", "receive", "--on", on, "--form", "rescued", "--unit", unit,
        "--record", record, *more,
    )  # fmt: skip


def verify_victim(store: str, case_id: str, on: str) -> subprocess.CompletedProcess[str]:
    """``socai case verify``: the police conclude on ``on`` that the person is a victim."""
    return socai(
        store, "case", "verify", case_id, "--outcome", "victim", "--by", "police", "--on", on
    )  # fmt: skip


def made_demo(store: str, cases: int, seed: int, **env: str) -> subprocess.CompletedProcess[str]:
    """``socai demo --cases N --seed S`` on a new store, which must succeed."""
    made = socai(store, "demo", "--cases", str(cases), "--seed", str(seed), env=env)
    assert made.returncode == 0, made.stderr
    return made


@pytest.fixture(scope="module")
def demo_store(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, subprocess.CompletedProcess[str]]:
    store = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    return store, made_demo(store, 40, 11, SOCAI_LOG_LEVEL="DEBUG")


def test_demo_prints_a_summary_and_two_histories(
    demo_store: tuple[str, subprocess.CompletedProcess[str]],
) -> None:
    _, result = demo_store
    assert "40 cases" in result.stdout
    assert result.stdout.count("history of case") == 2
    assert "created a demo encryption key" in result.stderr


def test_demo_refuses_a_store_that_is_not_empty(
    demo_store: tuple[str, subprocess.CompletedProcess[str]],
) -> None:
    store, _ = demo_store
    again = socai(store, "demo", "--cases", "2")
    assert again.returncode == 2
    assert "already holds" in again.stderr and "--reset" in again.stderr


def test_no_personal_data_in_the_store_bytes_or_any_output(
    demo_store: tuple[str, subprocess.CompletedProcess[str]],
) -> None:
    store, demo = demo_store
    generator = ScenarioGenerator(ScenarioConfig(cases=40, seed=11))
    list(generator.steps())
    secrets = [
        value for person in generator.personal_data for value in person.as_dict().values() if value
    ]
    assert len(secrets) > 100
    listing = socai(store, "case", "list", "--limit", "1000")
    case_ids = [
        line.split()[1]
        for line in listing.stdout.splitlines()
        if line.count("-") >= 4 and "│" in line
    ]
    assert len(case_ids) == 40
    outputs = [demo.stdout, demo.stderr, listing.stdout, listing.stderr]
    for case_id in case_ids[:15]:
        for fmt in ("text", "json"):
            shown = socai(store, "case", "history", case_id, "--format", fmt)
            assert shown.returncode == 0, shown.stderr
            outputs += [shown.stdout, shown.stderr]
    db = Path(store.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    text = "\n".join(outputs)
    leaked = [s for s in secrets if s in text or s.encode() in raw]
    assert leaked == [], f"{len(leaked)} personal values leaked"


def test_recording_through_the_cli_and_refusals(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    assert socai(store, "keys", "init").returncode == 0
    person = tmp_path / "person.json"
    person.write_text(
        json.dumps({"person": {"full_name": "Nguyễn Thị Kín", "id_number": "087111222333"}})
    )
    received = receive(store, "2019-03-02", "--from-json", str(person))
    assert received.returncode == 0, received.stderr
    case_id = received.stdout.split()[-1]
    essential_needs = ("case", "support", case_id, "--type", "essential_needs", "--days", "10")
    refused = socai(store, *essential_needs, "--on", "2019-03-03")
    assert refused.returncode == 2
    assert "needs an identified victim" in refused.stderr and "hint:" in refused.stderr
    assert verify_victim(store, case_id, "2019-03-05").returncode == 0
    ok = socai(store, *essential_needs, "--amount", "400.000", "--on", "2019-03-06")
    assert ok.returncode == 0, ok.stderr
    bad_money = socai(
        store, "case", "support", case_id, "--type", "loan", "--amount", "-5", "--on", "2019-03-06"
    )
    assert bad_money.returncode == 2 and "not positive" in bad_money.stderr
    bad_unit = receive(store, "2019-03-02", unit="99999", record="BB-2")
    assert bad_unit.returncode == 2 and "not a unit code" in bad_unit.stderr
    history = socai(store, "case", "history", case_id, "--format", "json")
    events = json.loads(history.stdout)["events"]
    assert [e["kind"] for e in events] == ["Received", "VerificationConcluded", "SupportProvided"]
    as_of = json.loads(
        socai(store, "case", "history", case_id, "--as-of", "2019-03-05", "--format", "json").stdout
    )
    assert as_of["status"]["verification"] == "victim" and as_of["status"]["supports"] == []
    for output in (received.stdout, refused.stderr, history.stdout):
        assert "Kín" not in output and "087111222333" not in output


def _protection_kpi(store: str) -> str:
    shown = socai(store, "kpi", "--unit", "VN", "--map", "2025")
    assert shown.returncode == 0, shown.stderr
    line = next(row for row in shown.stdout.splitlines() if "protection_given" in row)
    return line


def test_a_need_for_protection_counts_until_it_is_met(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    assert socai(store, "keys", "init").returncode == 0
    received = receive(store, "2024-03-02")
    assert received.returncode == 0, received.stderr
    case_id = received.stdout.split()[-1]
    assert verify_victim(store, case_id, "2024-03-05").returncode == 0

    def request(who: str, source: str) -> subprocess.CompletedProcess[str]:
        """``socai case request-protection`` for ``who``, established by ``source``."""
        return socai(
            store, "case", "request-protection", case_id, "--who", who, "--source", source,
            "--on", "2024-03-05",
        )  # fmt: skip

    free_text = request("victim", "hàng xóm báo")
    assert free_text.returncode == 2 and "victim_request" in free_text.stderr
    relative = request("relative", "relative_request")
    assert relative.returncode == 2 and "relationship" in relative.stderr
    requested = request("victim", "victim_request")
    assert requested.returncode == 0, requested.stderr
    assert "0.0% (0/1)" in _protection_kpi(store) and "NO" in _protection_kpi(store)
    assert (
        socai(
            store,
            "case",
            "protect",
            case_id,
            "--who",
            "victim",
            "--measure",
            "confidentiality",
            "--on",
            "2024-03-06",
        ).returncode
        == 0
    )
    assert "100.0% (1/1)" in _protection_kpi(store)
    history = json.loads(socai(store, "case", "history", case_id, "--format", "json").stdout)
    assert [e["kind"] for e in history["events"]][-2:] == [
        "ProtectionRequested",
        "ProtectionApplied",
    ]
    assert history["status"]["protection_needed"] == 1


def test_the_demos_next_commands_work_as_printed(
    demo_store: tuple[str, subprocess.CompletedProcess[str]],
) -> None:
    """Each line the demo prints after "Next" runs as printed (in a shell, from the
    repository, the store in SOCAI_STORE), as the inspector the first line logs in as."""
    store, result = demo_store
    after = result.stdout.split("Next (one command per line):")[1].strip()
    listed = after.split("\n\n")[0].splitlines()  # up to the blank line (then the web's lines)
    assert "socai --store" in after.split("\n\n")[1] and " serve" in after, "how to open the web"
    assert 5 < len(listed) < 30, listed
    case_id = result.stdout.split("history of case ")[1].split()[0]
    public_key = Settings.load(store).store.sqlite_path.with_name("demo.db.signing.pub.pem")  # type: ignore[union-attr]
    # 1: the command found something to act on; 3: `audit verify` sees the events other tests
    # of this module wrote after the demo's checkpoint
    script = "set -e\n" + "\n".join(
        "rc=0; "
        + line.strip()
        .replace("socai ", f"{sys.executable} -m infra.cli.main ", 1)
        .replace("CASE_ID", case_id)
        .replace("STORE.signing.pub.pem", str(public_key))
        + " >/dev/null || rc=$?; [ $rc -le 1 ] || [ $rc -eq 3 ]"
        for line in listed
    )
    env = {k: v for k, v in os.environ.items() if k != "SOCAI_TOKEN"}
    ran = subprocess.run(
        ["bash", "-c", script],
        env={**env, "PYTHONPATH": str(ROOT), "SOCAI_STORE": store},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ran.returncode == 0, ran.stderr
    assert "not allowed" not in ran.stderr and "error:" not in ran.stderr, ran.stderr
