"""Checkpoints as C2SP signed notes, end to end on real SQLite stores: every exported
checkpoint verifies with an independent signed-note verifier (tests/infra/ledger/
signed_note_reference.py, written from the C2SP text), a checkpoint of one store is refused
for another signed by the same key, witnesses cosign and verify counts them against a quorum,
malformed notes are refused with ``error:``/``hint:`` and nothing written, and stores holding
checkpoints in the earlier JSON format keep verifying."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from infra.ledger.checkpoints import cosign, create_signing_key
from infra.ledger.verifier import JsonCheckpoint, NoteCheckpoint, load_public_key
from infra.settings import Settings
from tests.infra.ledger import signed_note_reference as reference
from tests.infra.ledger.support import officer_token, sign_legacy
from tests.infra.ledger.test_cli import audit, note, signed_store, store, write_cases

__all__ = ["store"]  # the fixture, shared with test_cli

WITNESS = "witness.example/w1"


def origin_of(path: Path) -> str:
    with sqlite3.connect(path) as raw:
        (origin,) = raw.execute("SELECT origin FROM ledger_log").fetchone()
    return str(origin)


def exported(store: Path, directory: Path) -> list[Path]:
    code, out = audit(store, "export-checkpoints", str(directory))
    assert code == 0, out
    return sorted(directory.glob("checkpoint-*.note"))


def witness_key(directory: Path, name: str = "w1") -> tuple[Path, Path]:
    key = create_signing_key(directory / f"{name}.pem")
    public = directory / f"{name}.pub.pem"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return directory / f"{name}.pem", public


def dump(store: Path) -> list[object]:
    with sqlite3.connect(store) as raw:
        return [
            raw.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
            for t in ("ledger_checkpoints", "ledger_log", "ledger_chain")
        ]


def test_every_exported_checkpoint_verifies_with_an_independent_verifier(
    store: Path, tmp_path: Path
) -> None:
    pinned = load_public_key(signed_store(store, 5).read_bytes())  # automatic at 6, then 10
    _, users = officer_token(Settings.load(f"sqlite:///{store}"))  # the users' events first
    origin = origin_of(store)
    assert origin.startswith("socai.gov.vn/socai/")
    files = exported(store, tmp_path / "anchors")
    assert [f.name for f in files] == [note(users + 6), note(users + 10)]
    heads = [reference.verify_checkpoint(f.read_bytes(), origin, pinned) for f in files]
    assert [h.size for h in heads] == [users + 6, users + 10]
    with sqlite3.connect(store) as raw:
        stored = [row[0].encode() for row in raw.execute("SELECT document FROM ledger_checkpoints")]
    assert stored == [f.read_bytes() for f in files]  # exported exactly as signed and stored
    code, out = audit(
        store,
        "verify",
        "--public-key",
        str(tmp_path / "anchors" / "public-key.pem"),
        "--anchors",
        str(tmp_path / "anchors"),
    )
    assert code == 0, out


def test_a_checkpoint_of_another_store_signed_by_the_same_key_is_refused(
    store: Path, tmp_path: Path
) -> None:
    public = signed_store(store, 2)
    other = tmp_path / "b" / "socai.db"
    other.parent.mkdir()
    shutil.copy(store.with_name("socai.db.key"), other.with_name("socai.db.key"))
    for name in ("socai.db.signing.pem", "socai.db.signing.pub.pem"):
        shutil.copy(store.with_name(name), other.with_name(name))  # the same signing key
    write_cases(Settings.load(f"sqlite:///{other}"), 2)
    code, out = audit(other, "checkpoint")
    assert code == 0, out
    assert origin_of(store) != origin_of(other)
    users = write_cases(Settings.load(f"sqlite:///{store}"), 0)
    (note_a,) = [f for f in exported(store, tmp_path / "a-anchors") if f.name == note(users + 4)]
    key = load_public_key(public.read_bytes())
    with pytest.raises(reference.Rejected):
        reference.verify_checkpoint(note_a.read_bytes(), origin_of(other), key)
    code, out = audit(
        other, "verify", "--public-key", str(public), "--last-checkpoint", str(note_a)
    )
    assert code == 1, out
    assert "not of this log" in out
    # and a copy of A's note into B's table (same tree size) is caught too
    with sqlite3.connect(other) as raw:
        raw.execute("UPDATE ledger_checkpoints SET document = ?", (note_a.read_text(),))
    code, out = audit(other, "verify", "--public-key", str(public))
    assert code == 1, out


def test_witnesses_cosign_and_verify_counts_them_against_the_quorum(
    store: Path, tmp_path: Path
) -> None:
    public = signed_store(store, 2)
    (note,) = exported(store, tmp_path / "anchors")
    key_file, witness_public = witness_key(tmp_path)
    cosigned = tmp_path / "cosigned.note"
    code, out = audit(
        store,
        "cosign",
        str(note),
        "--witness-key",
        str(key_file),
        "--name",
        WITNESS,
        "--log-key",
        str(public),
        "--out",
        str(cosigned),
    )
    assert code == 0, out
    data = cosigned.read_bytes()
    assert data.startswith(note.read_bytes()[:-1])  # a line appended, nothing else changed
    witness = load_public_key(witness_public.read_bytes())
    assert reference.verify_cosignature(data, WITNESS, witness) > 0
    reference.verify_checkpoint(data, origin_of(store), load_public_key(public.read_bytes()))
    policy = ["--public-key", str(public), "--witness", f"{WITNESS}={witness_public}"]
    code, out = audit(store, "verify", *policy)
    assert code == 4, out
    assert "UNWITNESSED" in out
    assert "0 valid cosignatures" in out
    code, out = audit(store, "add-cosignature", str(cosigned))
    assert code == 0, out
    code, out = audit(store, "verify", *policy, "--quorum", "1")
    assert code == 0, out
    assert f"cosigned by {WITNESS}" in out
    _, second = witness_key(tmp_path, "w2")
    code, out = audit(store, "verify", *policy, "--witness", f"w.example/2={second}")
    assert code == 4, out  # default quorum: every listed witness
    code, out = audit(store, "verify", *policy, "--quorum", "3")
    assert code == 2, out
    assert "hint:" in out


def test_a_cosigned_note_whose_text_differs_is_refused_and_nothing_written(
    store: Path, tmp_path: Path
) -> None:
    signed_store(store, 2)
    (note,) = exported(store, tmp_path / "anchors")
    checkpoint = NoteCheckpoint.parse(note.read_bytes())
    forged_text = checkpoint.note.text.replace("\nsocai-time ", "\nsocai-time 2")
    forged = tmp_path / "forged.note"
    forged.write_bytes(forged_text.encode() + b"\n" + note.read_bytes().split(b"\n\n")[-1])
    before = dump(store)
    code, out = audit(store, "add-cosignature", str(forged))
    assert code == 2, out
    assert "error:" in out
    assert "hint:" in out
    assert dump(store) == before


def test_more_than_16_signatures_are_accepted(store: Path, tmp_path: Path) -> None:
    public = signed_store(store, 1)
    (note,) = exported(store, tmp_path / "anchors")
    checkpoint = NoteCheckpoint.parse(note.read_bytes())
    witnesses = {f"w.example/{i}": Ed25519PrivateKey.generate() for i in range(20)}
    for name, key in witnesses.items():
        checkpoint = cosign(checkpoint, key, name, timestamp=1_700_000_000)
    cosigned = tmp_path / "many.note"
    cosigned.write_bytes(checkpoint.serialize())
    for name, key in witnesses.items():
        assert reference.verify_cosignature(cosigned.read_bytes(), name, key.public_key())
    code, out = audit(store, "add-cosignature", str(cosigned))
    assert code == 0, out
    code, out = audit(store, "verify", "--public-key", str(public))
    assert code == 0, out


def _mutations(note: bytes) -> dict[str, bytes]:
    text, _, signatures = note.partition(b"\n\n")
    lines = text.split(b"\n")
    return {
        "control character": note.replace(b"socai-time", b"socai-time\x07", 1),
        "carriage return": note.replace(b"\n", b"\r\n", 1),
        "no blank line": text + b"\n" + signatures,
        "bad base64": note.replace(signatures, signatures[:-6] + b"!!!!=\n"),
        "leading zeros in size": b"\n".join([lines[0], b"0" + lines[1], *lines[2:]])
        + b"\n\n"
        + signatures,
        "not UTF-8": note.replace(b"socai-time", b"socai-time\xff", 1),
        "huge note": text + b"\n" + signatures * 2_000,
        "key name with a plus": note.replace(b"\xe2\x80\x94 socai.gov.vn", b"\xe2\x80\x94 +x", 1),
    }


def test_malformed_notes_are_refused_with_error_and_hint(store: Path, tmp_path: Path) -> None:
    public = signed_store(store, 1)
    (note,) = exported(store, tmp_path / "anchors")
    before = dump(store)
    for what, data in _mutations(note.read_bytes()).items():
        bad = tmp_path / "bad.note"
        bad.write_bytes(data)
        for args in (
            ("verify", "--public-key", str(public), "--last-checkpoint", str(bad)),
            ("add-cosignature", str(bad)),
        ):
            code, out = audit(store, *args)
            assert code == 2, (what, args[0], out)
            assert "error:" in out, (what, out)
            assert "hint:" in out, (what, out)
        with pytest.raises(reference.Rejected):
            reference.verify_checkpoint(
                data, origin_of(store), load_public_key(public.read_bytes())
            )
    assert dump(store) == before


def test_a_wrong_key_id_or_only_unknown_keys_are_refused(store: Path, tmp_path: Path) -> None:
    public = signed_store(store, 1)
    (note,) = exported(store, tmp_path / "anchors")
    witness_file, _ = witness_key(tmp_path)
    text, _, line = note.read_bytes().partition(b"\n\n")
    name, blob = line.decode()[2:].split(" ")
    raw = base64.b64decode(blob)
    cases = {
        "wrong key id": bytes([raw[0] ^ 1]) + raw[1:],
        "unknown key only": Ed25519PrivateKey.generate().sign(text + b"\n").rjust(68, b"\0"),
    }
    for what, signature in cases.items():
        bad = tmp_path / f"{what}.note"
        bad.write_bytes(
            text + b"\n\n" + f"\u2014 {name} {base64.b64encode(signature).decode()}\n".encode()
        )
        with pytest.raises(reference.Rejected):
            reference.verify_checkpoint(
                bad.read_bytes(), name, load_public_key(public.read_bytes())
            )
        code, out = audit(
            store,
            "cosign",
            str(bad),
            "--witness-key",
            str(witness_file),
            "--name",
            WITNESS,
            "--log-key",
            str(public),
        )
        assert code == 2, (what, out)
        assert "error:" in out
        assert "hint:" in out
        code, out = audit(
            store, "verify", "--public-key", str(public), "--last-checkpoint", str(bad)
        )
        assert code == 1, (what, out)


def test_a_store_with_checkpoints_in_the_earlier_json_format_keeps_verifying(
    store: Path, tmp_path: Path
) -> None:
    public = signed_store(store, 2)
    signing = store.with_name("socai.db.signing.pem")
    key = serialization.load_pem_private_key(signing.read_bytes(), password=None)
    assert isinstance(key, Ed25519PrivateKey)
    with sqlite3.connect(store) as raw:
        size, document = raw.execute(
            "SELECT tree_size, document FROM ledger_checkpoints"
        ).fetchone()
        current = NoteCheckpoint.parse(document.encode())
        legacy = sign_legacy(
            JsonCheckpoint(
                size,
                current.root_hash,
                current.last_position,
                current.chain_head,
                current.time,
                "",
                "",
            ),
            key,
        )
        raw.execute("DELETE FROM ledger_checkpoints")
        raw.execute("DELETE FROM ledger_log")
        raw.execute(
            "INSERT INTO ledger_checkpoints VALUES (?, ?)",
            (size, json.dumps(legacy.to_json(), sort_keys=True)),
        )
    code, out = audit(store, "verify", "--public-key", str(public))
    assert code == 0, out
    write_cases(Settings.load(f"sqlite:///{store}"), 1)  # the store gets an origin …
    code, out = audit(store, "checkpoint")  # … and its next checkpoint is a signed note
    assert code == 0, out
    notes = exported(store, tmp_path / "anchors")
    assert len(notes) == 1
    assert (tmp_path / "anchors" / f"checkpoint-{size:012d}.json").exists()
    reference.verify_checkpoint(
        notes[0].read_bytes(), origin_of(store), load_public_key(public.read_bytes())
    )
    code, out = audit(
        store, "verify", "--public-key", str(public), "--anchors", str(tmp_path / "anchors")
    )
    assert code == 0, out
