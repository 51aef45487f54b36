"""A large log is verified in two parts at once (a forked worker hashes the second half, on
its own connection to the SQLite file or the PostgreSQL database): the same report as one
pass, every tampering still named at its position (in either half, at the seam),
checkpoints in the second half checked against the two parts joined; a worker that dies,
raises or hangs costs the exact pass, never the report.

The tamper suite's store (the users' events, then 40 case events with a checkpoint every 10)
is split here by lowering the size at which verification splits, so the parts meet in its
middle."""

from __future__ import annotations

import hashlib
import os
import signal
import time
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import infra.ledger.audit as audit
from infra.audit_store import ledger_tables
from infra.ledger.audit import verify_store
from infra.ledger.hashing import CompactRange, Frontier, merkle_root
from tests.infra.ledger.test_tamper import (  # noqa: F401 - the *_pristine are fixtures
    DEFAULT_EXAMPLES,
    KINDS,
    MALFORM_VARIANTS,
    TAMPERINGS,
    Pristine,
    Tampering,
    check,
    drawn_tamperings,
    postgres_pristine,
    sqlite_pristine,
)


@pytest.fixture(autouse=True)
def split_every_log(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "PARALLEL_MIN_EVENTS", 2)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pristine(request: pytest.FixtureRequest) -> Pristine:
    """The tamper suite's pristine store of each backend (built once per module; the worker
    opens its own connection to either)."""
    found: Pristine = request.getfixturevalue(f"{request.param}_pristine")
    return found


def test_the_pristine_log_is_verified_in_two_parts_with_its_checkpoints(
    pristine: Pristine, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _, cleanup = pristine.make_copy()
    total = pristine.anchors[-1].tree_size
    try:
        with ledger_tables(store) as tables:
            split = audit._split_point(tables)
            assert split is not None and split[0] == total // 2  # the parts meet midway
            monkeypatch.setattr(
                tables, "merged", lambda: pytest.fail("the exact pass ran on an intact log")
            )
            report = verify_store(tables, pristine.public_key, pristine.anchors)
        assert report.intact, report.findings
        assert report.events == total
        assert report.checkpoints_checked == 8  # four, each in the first or second part, twice
        assert report.covered == total and report.covered_position == total
        assert report.unsigned_tail == 0
    finally:
        cleanup()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", ["first part", "its last row", "the seam", "second part"])
def test_each_kind_of_tampering_in_either_part_is_named(
    pristine: Pristine, kind: str, where: str
) -> None:
    half = pristine.anchors[-1].tree_size // 2  # the index of the second part's first row
    index = {"first part": 3, "its last row": half - 1, "the seam": half, "second part": half + 9}[
        where
    ]
    check(pristine, Tampering(kind, index, index + 7, 5, 3, True, True))
    check(pristine, Tampering(kind, index, index + 7, 5, 3, False, False))


@pytest.mark.parametrize("variant", range(MALFORM_VARIANTS))
@pytest.mark.parametrize("where", ["its last row", "the log's last row"])
def test_a_malformed_chain_row_where_the_split_is_read_is_named_not_raised(
    pristine: Pristine, variant: int, where: str
) -> None:
    """Where to split is read from the chain rows at the log's head and at its middle before
    anything is checked: every value a tamperer can put there (text that is not UTF-8 in a
    hash column, found by the property test below) is read as it is stored, and the exact
    pass names it."""
    index = {"its last row": pristine.anchors[-1].tree_size // 2 - 1, "the log's last row": -1}
    check(pristine, Tampering("malformed", index[where], variant, 0, 0, False, False))


test_every_tampering_is_detected_at_its_position_in_two_parts = drawn_tamperings(
    DEFAULT_EXAMPLES // 2
)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 9, 31, 64, 100])
def test_a_range_joined_to_the_frontier_before_it_is_the_whole_tree(size: int) -> None:
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(size + 1)]
    for split in range(size + 1):
        before = Frontier()
        for leaf in leaves[:split]:
            before.append(leaf)
        part = CompactRange(split)
        for leaf in leaves[split:size]:
            part.append(leaf)
        joined = part.joined(before)
        assert joined.size == size
        assert joined.root() == merkle_root(leaves[:size])
        joined.append(leaves[size])  # and it grows on as any frontier
        assert joined.root() == merkle_root(leaves)


@pytest.mark.parametrize("start", [0, 1, 5, 8, 12, 96])
def test_a_range_extended_in_pages_equals_one_built_a_leaf_at_a_time(start: int) -> None:
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(300)]
    one_by_one, paged = CompactRange(start), CompactRange(start)
    for leaf in leaves:
        CompactRange._add(one_by_one.nodes, (one_by_one.size, 1, leaf))  # the merge rule
        one_by_one.size += 1
    for page in (leaves[:1], leaves[1:7], leaves[7:64], leaves[64:65], leaves[65:]):
        paged.extend(page)
    assert paged.nodes == one_by_one.nodes and paged.size == one_by_one.size == start + 300
    before = Frontier()
    before.extend(leaves[:start])
    assert paged.joined(before).root() == merkle_root(leaves[:start] + leaves)


def _dies(*_: object) -> None:
    os._exit(3)  # killed, out of memory: no result, no traceback


def _raises(*_: object) -> None:
    raise RuntimeError("the worker's own error")


def _hangs(*_: object) -> None:
    time.sleep(600)  # e.g. a lock never released


def _hangs_deaf(*_: object) -> None:
    """Hangs with SIGTERM handled and not acted on, as a fork inherits it from a process that
    handles SIGTERM (a web server, an event loop; a test worker after some earlier test): a
    CI run once waited here for the whole sleep."""
    signal.signal(signal.SIGTERM, lambda *_: None)
    time.sleep(600)


@pytest.mark.parametrize(
    "failure",
    [_dies, _raises, _hangs, _hangs_deaf],
    ids=["dies", "raises", "hangs", "hangs-deaf-to-sigterm"],
)
def test_a_worker_that_fails_costs_the_exact_pass_never_the_report_or_a_hang(
    pristine: Pristine, monkeypatch: pytest.MonkeyPatch, failure: Callable[..., None]
) -> None:
    monkeypatch.setattr(audit, "_scan_part", failure)  # what the forked worker runs
    monkeypatch.setattr(audit, "WORKER_GRACE_SECONDS", 1.0)
    monkeypatch.setattr(audit, "WORKER_SLOWDOWN", 0.0)
    store, _, cleanup = pristine.make_copy()
    total = pristine.anchors[-1].tree_size
    try:
        with ledger_tables(store) as tables:
            exact = tables.merged
            passes: list[str] = []
            monkeypatch.setattr(tables, "merged", lambda: passes.append("exact") or exact())
            started = time.monotonic()
            report = verify_store(tables, pristine.public_key, pristine.anchors)
        assert time.monotonic() - started < 30
        assert passes == ["exact"]
        assert report.intact, report.findings
        assert report.events == total and report.covered == total
    finally:
        cleanup()


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(0, 70),
    pages=st.lists(st.integers(0, 40), max_size=8),
)
def test_trees_extended_in_any_pages_equal_those_built_a_leaf_at_a_time(
    start: int, pages: list[int]
) -> None:
    leaves = [hashlib.sha256(str(i).encode()).digest() for i in range(start + sum(pages))]
    one_by_one, paged, frontier = CompactRange(start), CompactRange(start), Frontier()
    for leaf in leaves[start:]:
        CompactRange._add(one_by_one.nodes, (one_by_one.size, 1, leaf))
        one_by_one.size += 1
    frontier.extend(leaves[:start])
    at = start
    for count in pages:
        paged.extend(leaves[at : at + count])
        frontier.extend(leaves[at : at + count])
        at += count
        assert frontier.size == at and frontier.root() == merkle_root(leaves[:at])
    assert paged.nodes == one_by_one.nodes and paged.size == one_by_one.size == at
