"""The verifier's fast pass hashes the same leaf as the writer, and is the pass that runs on
an intact log (the exact pass runs only after an anomaly; tests/infra/ledger/test_tamper.py
proves every anomaly is still named at its position)."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.ledger.audit import _fast_pass, _Scan, verify_store
from infra.ledger.checkpoints import create_signing_key, make_checkpoint
from infra.ledger.hashing import leaf_bytes, leaf_hash, stored_leaf_hash
from infra.ledger.store import LedgerTables
from infra.scenario.builders import ledger_receive_command as receive_command
from infra.scenario.staff import worker
from infra.services.socai import Socai
from tests.infra.ledger.support import ACTOR

#: Leaf hash of one fixed event, computed by the writer's code before the fast pass existed:
#: the leaf format (and so every chain value and signed root) must never change.
GOLDEN_LEAF = (
    7,
    "0b6c1a52-9f4e-4d2a-8c3b-5e6f7a8b9c0d",
    3,
    "socai.case:Received.v1",
    bytes(range(256)) * 2,
    "2026-11-23T10:00:00.123456+00:00",
)
GOLDEN_LEAF_HASH = "e873c35fe9259e634f51bc4ad8c892864d841b1e6ba0755ee6055c8ef5ef7d60"


def test_the_leaf_format_is_unchanged() -> None:
    position, originator, version, topic, state, recorded_at = GOLDEN_LEAF
    assert leaf_hash(leaf_bytes(*GOLDEN_LEAF)).hex() == GOLDEN_LEAF_HASH
    fast = stored_leaf_hash(
        position, originator.encode(), version, topic.encode(), state, recorded_at.encode()
    )
    assert fast.hex() == GOLDEN_LEAF_HASH


@given(
    position=st.integers(1, 2**63 - 1),
    originator=st.uuids().map(str),
    version=st.integers(0, 2**63 - 1),
    topic=st.text(max_size=80),
    state=st.binary(max_size=600),
    recorded_at=st.text(max_size=40),
)
def test_the_fast_leaf_hash_is_the_writers(
    position: int, originator: str, version: int, topic: str, state: bytes, recorded_at: str
) -> None:
    expected = leaf_hash(leaf_bytes(position, originator, version, topic, state, recorded_at))
    got = stored_leaf_hash(
        position, originator.encode(), version, topic.encode(), state, recorded_at.encode()
    )
    assert got == expected


@pytest.mark.parametrize("page_rows", [1, 3, 1_000])
def test_an_intact_log_is_verified_by_the_fast_pass_alone(
    store_app: Socai, page_rows: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    officer = worker(store_app, ACTOR)  # the users' events, verified like the cases'
    for _ in range(7):
        store_app.cases.receive(receive_command(), officer)
    total = store_app.log.head()
    tables = LedgerTables(store_app.store.recorder)
    pages = tables.raw_pages
    monkeypatch.setattr(tables, "raw_pages", lambda: pages(page_rows))
    assert _fast_pass(tables, _Scan([]), None) == total
    monkeypatch.setattr(
        tables, "merged", lambda: pytest.fail("the exact pass ran on an intact log")
    )
    report = verify_store(tables, None)
    assert report.intact and report.events == total


@pytest.mark.parametrize("page_rows", [1, 4, 1_000])
def test_checkpoints_inside_a_page_are_checked_by_the_fast_pass_alone(
    store_app: Socai, page_rows: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The fast pass adds leaf hashes to the tree a page at a time; a checkpoint that falls
    inside a page is still checked against the tree at exactly its size."""
    key = create_signing_key(tmp_path / "signing.pem")
    officer = worker(store_app, ACTOR)
    tables = LedgerTables(store_app.store.recorder)
    for _ in range(5):
        store_app.cases.receive(receive_command(), officer)
        make_checkpoint(tables, key)
    pages = tables.raw_pages
    monkeypatch.setattr(tables, "raw_pages", lambda: pages(page_rows))
    monkeypatch.setattr(
        tables, "merged", lambda: pytest.fail("the exact pass ran on an intact log")
    )
    report = verify_store(tables, key.public_key())
    assert report.intact and report.checkpoints_checked == 5
    assert report.covered == report.events == store_app.log.head()


def test_the_originator_is_read_in_the_form_the_leaf_holds(store_app: Socai) -> None:
    case_id = store_app.cases.receive(receive_command(), worker(store_app, ACTOR))
    tables = LedgerTables(store_app.store.recorder)
    [(events, _links)] = list(tables.raw_pages())
    stored = events[-1][1]  # the reception, after the officer's registration
    assert UUID(stored) == case_id
