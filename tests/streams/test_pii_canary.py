"""The PII canary: a distinctive name, phone and identity number typed into every free-text
input through the CLI reach no published message, no projection table, no log line, no export.

The fault: relationship, facility and legal basis (and their corrections) carried a name, a
phone number and an ID number through the real relay. The class is "any text an officer can
type": every free-text option of every recording command gets the canary; the canary is then
looked for in every spelling a leak could take — as typed (NFC), decomposed (NFD), lower case,
without diacritics, and base64 — in the messages read back from the real broker, every row of
every projection table, the rollup export, and every line the commands wrote to stderr (logs,
warnings) or stdout (except the entitled core views that exist to show it).
"""

from __future__ import annotations

import base64
import json
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from unidecode import unidecode

from domain.access.log import ACCESS_TOPIC_PREFIX
from infra.services.socai import Socai
from infra.settings import Settings
from infra.streaming import store_engine
from streams.positions import PositionStore
from streams.relay import Relay
from streams.topics import ACTIVITY_EVENTS, CASE_EVENTS, FUNDING_EVENTS
from tests.infra.cli.test_cli import socai
from tests.streams.support import read_topic

pytestmark = pytest.mark.kafka

NAME = "Phạm Thị Canh Gác"
PHONE = "0987654321"
ID_NUMBER = "079123456789"
CANARY = f"{NAME} {PHONE} {ID_NUMBER}"


def spellings(secret: str) -> set[str]:
    """Every form a leak of ``secret`` could take."""
    forms = {
        secret,
        unicodedata.normalize("NFD", secret),
        secret.lower(),
        unidecode(secret),
        unidecode(secret).lower(),
    }
    forms |= {base64.b64encode(f.encode()).decode() for f in list(forms)}
    return forms


SECRETS = {form for part in (NAME, PHONE, ID_NUMBER) for form in spellings(part)}


def _leaks(text: str) -> list[str]:
    return sorted(s for s in SECRETS if s in text)


def test_a_canary_typed_everywhere_leaks_nowhere(tmp_path: Path, fresh_kafka: str) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    outputs: list[str] = []  # stderr of every command, stdout of every non-core view

    def run(*args: str, core_view: bool = False) -> str:
        result = socai(store, *args, env={"SOCAI_LOG_LEVEL": "DEBUG"})
        assert result.returncode == 0, (args, result.stderr)
        outputs.append(result.stderr)
        if not core_view:
            outputs.append(result.stdout)
        return result.stdout

    run("keys", "init")
    person = tmp_path / "person.json"
    person.write_text(
        json.dumps(
            {
                "person": {
                    "full_name": NAME,
                    "id_number": ID_NUMBER,
                    "phone": PHONE,
                    "address": f"{NAME}, thôn 3",
                }
            }
        ),
        encoding="utf-8",
    )
    received = run(
        "case", "receive", "--on", "2024-05-01", "--form", "rescued", "--unit", "29956",
        "--record", CANARY, "--from-json", str(person), core_view=True,
    )  # fmt: skip
    case_id = received.split()[-1]
    run("case", "verify", case_id, "--on", "2024-05-02", "--outcome", "victim", "--by", "police",
        "--basis", CANARY)  # fmt: skip
    run("case", "request-protection", case_id, "--on", "2024-05-02", "--who", "relative",
        "--relationship", "mother", "--source", "victim_request", "--basis", CANARY)  # fmt: skip
    run("case", "protect", case_id, "--on", "2024-05-03", "--who", "victim",
        "--measure", "confidentiality", "--basis", CANARY)  # fmt: skip
    run("case", "shelter", case_id, "admit", "--on", "2024-05-03", "--facility", CANARY)
    run("case", "correct", case_id, "--event", "1", "--field", "legal_basis", "--old", CANARY,
        "--new", f"{CANARY} (2)", "--reason", CANARY)  # fmt: skip
    run("case", "history", case_id, core_view=True)
    directive = run("activity", "directive", "--on", "2024-06-01", "--unit", "87",
                    "--documents", "1", "--basis", CANARY)  # fmt: skip
    run("activity", "withdraw", directive.split()[-1], "--on", "2024-06-02", "--reason", CANARY)
    p = ("--programme", "DA-CANARY-1")
    run("finance", "programme", "--code", "DA-CANARY-1", "--title", CANARY,
        "--starts", "2024-01-01", "--ends", "2024-12-31", "--on", "2024-01-02",
        "--basis", CANARY)  # fmt: skip
    run("finance", "pledge", *p, "--id", "NS-1", "--source", "VT", "--kind", "aid",
        "--donor", CANARY, "--amount", "900.000.000", "--on", "2024-01-03")  # fmt: skip
    run("finance", "line", *p, "--id", "DL-1", "--line", "TIEP-NHAN", "--title", CANARY,
        "--source", "VT", "--amount", "500.000.000", "--on", "2024-01-03")  # fmt: skip
    run("finance", "allocate", *p, "--id", "PB-1", "--line", "TIEP-NHAN", "--source", "VT",
        "--map", "old", "--unit", "87", "--period", "2024", "--amount", "300.000.000",
        "--on", "2024-01-04")  # fmt: skip
    for commitment in ("CK-1", "CK-2"):
        run("finance", "commit", *p, "--id", commitment, "--allocation", "PB-1",
            "--amount", "1.000.000", "--activity", "directive", "--description", CANARY,
            "--on", "2024-02-01")  # fmt: skip
    run("finance", "pay", *p, "--id", "CHI-1", "--commitment", "CK-1", "--on", "2024-02-02")
    run("finance", "void", *p, "--id", "HUY-1", "--commitment", "CK-2", "--reason", CANARY,
        "--on", "2024-02-02")  # fmt: skip
    run("finance", "reverse", *p, "--id", "DAO-1", "--reverses", "CHI-1", "--reason", CANARY,
        "--on", "2024-02-03")  # fmt: skip
    run("finance", "reconcile", "--by", "programme,line,source", "--csv",
        str(tmp_path / "reconcile.csv"))  # fmt: skip
    run("projections", "run")
    export = tmp_path / "rollup.csv"
    run("rollup", "--period", "2024", "--map", "old", "--format", "csv", "-o", str(export))

    app = Socai(Settings.load(store))
    try:
        relay = Relay(app.log, PositionStore(store_engine(app.settings)), fresh_kafka, "canary")
        try:
            published = relay.run().published
        finally:
            relay.close()
        # every stored event but the users' and the access log's (never public)
        head = sum(1 for e in app.log.entries() if not e.topic.startswith(ACCESS_TOPIC_PREFIX))
    finally:
        app.close()
    assert published == head

    messages = [
        record.value.decode()
        for stream in (CASE_EVENTS, FUNDING_EVENTS, ACTIVITY_EVENTS)
        for record in read_topic(fresh_kafka, stream.topic, idle_seconds=1.0)
    ]
    assert len(messages) == head
    with sqlite3.connect(tmp_path / "s.db.projections.db") as connection:
        projection_rows = "\n".join(connection.iterdump())

    assert not _leaks("\n".join(messages)), "a published message carries the canary"
    assert not _leaks(projection_rows), "a projection table carries the canary"
    assert not _leaks(export.read_text(encoding="utf-8")), "the rollup export carries it"
    reconciliation = (tmp_path / "reconcile.csv").read_text(encoding="utf-8")
    assert not _leaks(reconciliation), "the reconciliation export carries it"
    assert not _leaks("\n".join(outputs)), "a log line or a report carries the canary"
    # and the core still holds what was typed, for those entitled to read it
    assert CANARY in run("case", "history", case_id, core_view=True)
