"""Full verification (kiểm toán) of a store: recompute everything from the raw rows.

One pass over the events and the chain, in position order:

1. every event has a chain row and every chain row an event;
2. each chain row links to the position chained before it, with the next leaf index (so a
   removed or inserted row is named by its position);
3. the stored originator id is exactly in the form the recorder writes, and the leaf hash
   recomputed from the event's bytes equals the stored one (any change to originator,
   version, topic, state or record time is caught here, including a re-spelling of the id
   that still parses as the same UUID);
4. the chain hash recomputed from the previous one equals the stored one;
5. at each checkpoint's tree size, the Merkle root, last position and chain head recomputed so
   far equal the signed ones.

Checkpoints are those in the database plus *anchors* (files exported earlier and kept by a
third party); each must carry a valid signature of the trusted public key and, in the C2SP
format, name the store's own origin (a checkpoint of another store signed with the same key is
a finding, whichever side was swapped). A checkpoint larger
than the log shows a truncated tail. A log rewritten consistently from some event on (all
hashes recomputed without the signing key) passes 1–4 and fails 5: the finding names the range
of positions between the last checkpoint that still holds and the first that does not.

Verification stops at the first bad position: everything after it is suspect anyway.

Two passes compute the same thing. The *fast* pass reads both tables in large pages of plain
tuples in one read transaction and hashes the stored bytes directly
(:func:`hashing.stored_leaf_hash`, the same leaf); at the first thing that is not exactly what
the recorder writes (a missing or extra row, a value of another type, a hash that differs,
a checkpoint that fails) it gives up, and the *exact* pass — typed, row by row, with a
finding for every kind of fault — runs from the start and names it. So an intact log costs
one fast pass, and a tampered one is reported exactly as before.

An intact log may still end in an **unsigned tail** (đuôi chưa ký): events after the largest
signed checkpoint that held. Nothing proves them to an inspector (whoever can write the
database can rewrite them and their chain unnoticed, or delete every stored checkpoint), so
the report counts them and says where they start; the CLI exits with its own status.

**Redacted positions** (:mod:`infra.ledger.redactions`): an event whose stored state an
authorised erasure overwrote is chained with the original leaf hash kept in
``ledger_redactions``, and reported as redacted (never as intact content), only when the
authorising position exists, is later, carries the erasure topic, is itself intact and is the
erasure of that event's subject, and an intact, later, unredacted event with the
authorisation topic binds that erasure to that position and that original leaf hash (its
originator id, :meth:`ErasureAuthority.authorisation_id`: plaintext, so no store key is
needed); otherwise the redacted position is the finding (``redaction``), in both passes and
both parts of a split one.

Witness cosignatures on the newest checkpoint that held are counted by :func:`witnessed`
against the inspector's list of witness keys; a cosignature by a listed witness that does not
verify is a finding (the stored note was altered).
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import queue
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from infra.ledger.hashing import (
    CHAIN_GENESIS,
    CHAIN_PREFIX,
    LEAF_HEAD,
    LEAF_LENGTH,
    LEAF_NUMBERS,
    CompactRange,
    Frontier,
    Node,
    chain_hash,
    leaf_bytes,
    leaf_hash,
)
from infra.ledger.redactions import ErasureAuthority, Redaction, redactions
from infra.ledger.store import ChainRow, EventRow, LedgerTables, UnreadableRow
from infra.ledger.verifier import Checkpoint, NoteCheckpoint, VerificationError

Progress = Callable[[int], None]
#: The digits of the originator id's written form on SQLite (``uuid.hex``).
LOWER_HEX = "0123456789abcdef"


@dataclass(frozen=True, slots=True)
class Finding:
    """What is wrong and where. ``position`` is the first bad position; for a rewrite caught
    only by a checkpoint it is the start of the range ``position``…``last_position``."""

    kind: str
    message: str
    position: int | None = None
    last_position: int | None = None

    def __str__(self) -> str:
        where = "" if self.position is None else f"position {self.position}"
        if self.last_position is not None:
            where += f"…{self.last_position}"
        return f"{where}: {self.message}" if where else self.message


@dataclass
class Report:
    """``covered`` events (the first ones, up to ``covered_position``) are under a signed
    checkpoint that held; the rest of the ``events`` are the unsigned tail."""

    events: int = 0
    checkpoints_checked: int = 0
    findings: list[Finding] = field(default_factory=list)
    covered: int = 0
    covered_position: int = 0
    origin: str | None = None
    newest: Checkpoint | None = None  # the largest signed checkpoint that held
    #: Positions whose content an authorised erasure overwrote (chained by their original
    #: leaf hash): counted in ``events`` but not intact content.
    redacted: list[int] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.findings

    @property
    def unsigned_tail(self) -> int:
        """How many of the newest events no signed checkpoint covers (0: all are signed)."""
        assert 0 <= self.covered <= self.events, (self.covered, self.events)
        return self.events - self.covered

    @property
    def first(self) -> Finding | None:
        placed = [f for f in self.findings if f.position is not None]
        return (
            min(placed, key=lambda f: f.position or 0)
            if placed
            else (self.findings[0] if self.findings else None)
        )


def _signed(
    checkpoints: Iterable[Checkpoint],
    public_key: Ed25519PublicKey | None,
    report: Report,
    source: str,
) -> list[Checkpoint]:
    good = []
    for checkpoint in checkpoints:
        if public_key is None:
            continue
        if isinstance(checkpoint, NoteCheckpoint) and report.origin is None:
            report.findings.append(
                Finding(
                    "checkpoint_origin",
                    f"{source} of size {checkpoint.tree_size} names the log"
                    f" {checkpoint.origin!r} but the store holds no origin (its ledger_log"
                    " row was removed)",
                )
            )
            continue
        try:
            checkpoint.verify_signature(public_key, report.origin)
        except VerificationError as error:
            report.findings.append(Finding("checkpoint_signature", f"{source}: {error}"))
            continue
        good.append(checkpoint)
    return good


#: What a part of a split pass saw of redactions: redacted positions' (originator, SHA-256 of
#: the stored state), erasure positions' (topic, originator), authorisation originators' last
#: positions.
_Seen = tuple[dict[int, tuple[str, bytes]], dict[int, tuple[str, str]], dict[str, int]]


@dataclass
class _Redacted:
    """The redactions rows, and what a pass saw of the positions they name: each redacted
    position's originator and the SHA-256 of the state stored there now (the copy the
    authorisation must name), each authorising position's topic and originator when its event
    was intact, and the originator ids of the intact authorisation events (with the last
    position each was seen at)."""

    rows: Mapping[int, Redaction]
    targets: frozenset[int]
    authorisation_topic: str | None = None
    originators: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    seen: dict[int, tuple[str, str]] = field(default_factory=dict)
    authorised: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, rows: Mapping[int, Redaction], authority: ErasureAuthority | None) -> _Redacted:
        topic = None if authority is None else authority.authorisation_topic
        return cls(rows, frozenset(r.authorised_by for r in rows.values()), topic)

    def merge(self, other: _Seen) -> None:
        """Add what the other part of a split pass saw."""
        originators, seen, authorised = other
        self.originators.update(originators)
        self.seen.update(seen)
        for originator, position in authorised.items():
            self.authorised[originator] = max(position, self.authorised.get(originator, -1))

    @property
    def what_was_seen(self) -> _Seen:
        return self.originators, self.seen, self.authorised

    def leaf(self, position: int, digest: bytes, stored: bytes | None) -> bytes | None:
        """The leaf hash to chain at ``position``: the recomputed one, or for a redacted
        position the original kept in its row (it must be the one chained); None if neither
        holds."""
        redaction = self.rows.get(position)
        if digest == stored and redaction is None:
            return digest
        if redaction is None or redaction.leaf_hash != stored:
            return None
        return redaction.leaf_hash

    def saw(self, position: int, topic: str, originator: str, state: bytes) -> None:
        if position in self.rows:
            self.originators[position] = (originator, hashlib.sha256(state).digest())
            return  # a redacted event authorises nothing
        if position in self.targets:
            self.seen[position] = (topic, originator)
        if topic == self.authorisation_topic:
            self.authorised[originator] = max(position, self.authorised.get(originator, -1))

    def findings(self, authority: ErasureAuthority | None, before: int | None) -> list[Finding]:
        """A finding at each redacted position (before ``before``, when the pass stopped
        there) whose authorisation does not hold."""
        found = []
        for position, r in sorted(self.rows.items()):
            if before is not None and position >= before:
                continue
            why = self._why(position, r, authority, before)
            if why is not None:
                found.append(
                    Finding(
                        "redaction",
                        f"the event was overwritten and its redaction is not authorised: {why}",
                        position,
                    )
                )
        return found

    def _why(
        self, position: int, r: Redaction, authority: ErasureAuthority | None, before: int | None
    ) -> str | None:
        by = r.authorised_by
        if position not in self.originators:
            return "no chained event at this position"
        if not r.leaf_hash:
            return "its redactions row holds a value of the wrong type"
        if by <= position:
            return f"the erasure it names (position {by}) is not later"
        if by not in self.seen:
            if by in self.rows:
                return f"the erasure it names (position {by}) is itself redacted"
            if before is not None and by >= before:
                return f"the erasure it names (position {by}) is not intact"
            return f"no intact event at position {by}, the erasure it names"
        topic, originator = self.seen[by]
        if authority is None or topic != authority.topic:
            return f"the event at position {by} is not an erasure"
        redacted_originator, copy = self.originators[position]
        if originator != authority.erasure_id(redacted_originator, r.subject):
            return f"the erasure at position {by} is not of {r.subject!r} of this event"
        at = self.authorised.get(
            authority.authorisation_id(originator, position, r.leaf_hash, copy)
        )
        if at is None or at <= position or (before is not None and at >= before):
            if before is not None:
                return (
                    f"its authorisation by the erasure at position {by} was not reached"
                    " (verification stopped before it)"
                )
            return (
                f"the erasure at position {by} did not authorise the redaction of this"
                " position with this leaf hash by the copy stored here (no intact"
                " authorisation event)"
            )
        return None

    def valid(self, authority: ErasureAuthority | None) -> list[int]:
        return [p for p in sorted(self.rows) if self._why(p, self.rows[p], authority, None) is None]


class _Scan:
    """State of the single pass: the expected next link and the tree so far."""

    def __init__(self, checkpoints: list[Checkpoint], redacted: _Redacted | None = None) -> None:
        self.redacted = _Redacted.of({}, None) if redacted is None else redacted
        self.previous = 0
        self.chain = CHAIN_GENESIS
        self.frontier = Frontier()
        self.pending = sorted(checkpoints, key=lambda cp: cp.tree_size)
        self.good_position = 0  # last position covered by a checkpoint that held
        self.covered = 0  # the tree size of that checkpoint
        self.newest: Checkpoint | None = None  # the largest checkpoint that held

    def row(self, position: int, event: EventRow | None, link: ChainRow | None) -> Finding | None:
        if link is None:
            return Finding(
                "unchained_event",
                "an event row that was never chained (inserted"
                " into the database outside the application)",
                position,
            )
        if None in (
            link.leaf_index,
            link.prev_position,
            link.recorded_at,
            link.leaf_hash,
            link.chain_hash,
        ):
            return Finding(
                "chain_broken",
                "the chain row holds NULL or a value of the wrong type (edited in the database)",
                position,
            )
        assert link.prev_position is not None
        if link.prev_position != self.previous:
            if link.prev_position > self.previous:
                return Finding(
                    "removed",
                    "the event and its chain row were removed (the next"
                    f" chained event, at position {position}, links to it)",
                    link.prev_position,
                )
            return Finding(
                "inserted",
                "a row inserted after the fact (the chained event"
                f" at position {position} links past it)",
                self.previous,
            )
        if link.leaf_index != self.frontier.size:
            return Finding(
                "leaf_index",
                f"chain row has leaf index {link.leaf_index}, expected"
                f" {self.frontier.size}: rows were removed or inserted",
                position,
            )
        if event is None:
            return Finding(
                "missing_event", "the event row was deleted (its chain row remains)", position
            )
        if (
            event.version is None
            or event.version < 0
            or event.topic is None
            or (event.state is None)
        ):
            return Finding(
                "altered",
                "the stored event holds NULL or a value of the wrong type (edited in the database)",
                position,
            )
        if not event.originator_as_written:
            return Finding(
                "altered",
                "the stored originator id is not in the exact form the recorder writes (its"
                " text was edited in the database: the application no longer finds this"
                " event under its case)",
                position,
            )
        assert link.recorded_at is not None
        digest = leaf_hash(
            leaf_bytes(
                position,
                event.originator_id,
                event.version,
                event.topic,
                event.state,
                link.recorded_at,
            )
        )
        chained = self.redacted.leaf(position, digest, link.leaf_hash)
        if chained is None:
            return Finding(
                "altered",
                "the stored event (originator, version, topic, state or"
                " record time) differs from what was chained when it was written",
                position,
            )
        if self.redacted.rows:
            self.redacted.saw(position, event.topic, str(event.originator_id), event.state)
        digest = chained
        value = chain_hash(self.chain, digest)
        if value != link.chain_hash:
            return Finding(
                "chain_broken",
                "the chain hash does not follow from the previous one (the chain was edited here)",
                position,
            )
        self.previous, self.chain = position, value
        self.frontier.append(digest)
        return self._checkpoints(position)

    def _checkpoints(self, position: int) -> Finding | None:
        while self.pending and self.pending[0].tree_size == self.frontier.size:
            checkpoint = self.pending.pop(0)
            wrong = [
                name
                for name, ok in (
                    ("Merkle root", checkpoint.root_hash == self.frontier.root().hex()),
                    ("last position", checkpoint.last_position == position),
                    ("chain head", checkpoint.chain_head == self.chain.hex()),
                )
                if not ok
            ]
            if wrong:
                return Finding(
                    "rewritten",
                    f"the log differs from the checkpoint of size"
                    f" {checkpoint.tree_size} signed at {checkpoint.time}"
                    f" ({', '.join(wrong)}): an event in this range was altered,"
                    " inserted or removed and the chain recomputed",
                    self.good_position + 1,
                    position,
                )
            self.good_position = position
            self.covered = checkpoint.tree_size
            if self.newest is None or isinstance(checkpoint, NoteCheckpoint):
                self.newest = checkpoint  # of equal sizes, the one witnesses can cosign
        return None

    def tail(self) -> Finding | None:
        if not self.pending:
            return None
        checkpoint = self.pending[-1]
        return Finding(
            "truncated",
            f"the log ends at leaf {self.frontier.size} but the"
            f" checkpoint signed at {checkpoint.time} covers {checkpoint.tree_size}"
            f" events up to position {checkpoint.last_position}: the tail after"
            f" position {self.previous} was removed",
            self.previous + 1,
            checkpoint.last_position,
        )


#: Logs of at least this many events are checked in two parts at once (a second process
#: hashes the second half, on SQLite and PostgreSQL alike); smaller ones are not worth
#: starting a process for.
PARALLEL_MIN_EVENTS = 100_000

#: How long the worker may still run after this process finished its own part (of the same
#: size) before it is taken for hung, ended, and the exact pass runs here instead: this many
#: seconds plus ``WORKER_SLOWDOWN`` times this process's own time (a loaded machine may
#: slow one process a lot more than the other).
WORKER_GRACE_SECONDS = 60.0
WORKER_SLOWDOWN = 10.0
#: How often the wait for the worker's result looks whether it is still alive.
RESULT_POLL_SECONDS = 0.5

#: What a part of the log reached: (last position, chain value there, leaves counted).
_Reached = tuple[int, bytes, int]
#: Called when the tree reaches a checkpoint's size: (position, chain value) → still good?
_AtSize = Callable[[int, bytes], bool]


def _scan_range(
    pages: Iterable[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]],
    sqlite: bool,
    previous: int,
    chain: bytes,
    tree: Frontier | CompactRange,
    sizes: list[int],
    at_size: _AtSize,
    progress: Progress | None,
    redacted: _Redacted,
) -> _Reached | None:
    """The fast pass over one part of the log (see the module docstring): every row checked
    against the one before it, leaves appended to ``tree``; ``at_size`` at each tree size in
    ``sizes`` (ascending), with the tree at that size. None at the first anomaly.

    The hot loop of ``socai audit verify``: per row, the checks, two SHA-256 calls (leaf and
    chain) and the leaf hashes added to the tree a page at a time (:meth:`Frontier.extend`)."""
    first = tree.size
    pending = iter(sorted(set(sizes)))
    next_size = next(pending, -1)
    # Per topic: its length prefix and bytes, as the leaf holds them (a handful of topics).
    topics: dict[str, bytes] = {}
    sha256 = hashlib.sha256
    head, lengths, u32 = LEAF_HEAD, LEAF_NUMBERS.pack, LEAF_LENGTH.pack
    size = tree.size
    digests: list[bytes] = []  # leaf hashes not yet added to ``tree`` (one page at most)
    # The loop makes no reference cycles (tuples, bytes, ints), but allocates 60,000 tuples
    # a page, and the cyclic collector would walk them again and again (a gen-0 pass every
    # 700 allocations, and full passes over the caller's whole heap): paused meanwhile.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for events, links in pages:
            if len(events) != len(links):
                return None
            for (position, originator, version, topic, state), (
                link_position,
                leaf_index,
                prev_position,
                recorded_at,
                stored_leaf,
                stored_chain,
            ) in zip(events, links, strict=True):
                if (
                    link_position != position
                    or type(prev_position) is not int
                    or prev_position != previous
                    or type(leaf_index) is not int
                    or leaf_index != size
                    or type(version) is not int
                    or version < 0
                    or type(topic) is not str
                    or type(state) is not bytes
                    or type(recorded_at) is not str
                    or type(stored_leaf) is not bytes
                    or type(stored_chain) is not bytes
                ):
                    return None
                if sqlite:
                    # the written form, 32 lower-case hex digits (chain.is_written_form)
                    o = originator
                    if type(o) is not str or len(o) != 32 or o.strip(LOWER_HEX):
                        return None
                    originator = f"{o[:8]}-{o[8:12]}-{o[12:16]}-{o[16:20]}-{o[20:]}"
                elif type(originator) is not str:
                    return None
                try:
                    name = topics[topic]
                except KeyError:
                    encoded = topic.encode()
                    name = topics[topic] = u32(len(encoded)) + encoded
                identity = originator.encode()
                moment = recorded_at.encode()
                # hashing.stored_leaf_hash, inlined (the same bytes: tested)
                digest = sha256(
                    b"".join(
                        (
                            head,
                            lengths(position, version, len(identity)),
                            identity,
                            name,
                            u32(len(moment)),
                            moment,
                            u32(len(state)),
                            state,
                        )
                    )
                ).digest()
                if digest != stored_leaf or redacted.rows:
                    chained = redacted.leaf(position, digest, stored_leaf)
                    if chained is None:
                        return None
                    digest = chained
                    redacted.saw(position, topic, originator, state)
                chain = sha256(CHAIN_PREFIX + chain + digest).digest()
                if chain != stored_chain:
                    return None
                previous = position
                digests.append(digest)
                size += 1
                if size == next_size:
                    tree.extend(digests)
                    digests.clear()
                    if not at_size(position, chain):
                        return None
                    next_size = next(pending, -1)
            tree.extend(digests)
            digests.clear()
            if progress is not None:
                progress(len(events))
    except UnreadableRow:
        return None
    finally:
        if collecting:
            gc.enable()
    return previous, chain, size - first


def _fast_pass(tables: LedgerTables, scan: _Scan, progress: Progress | None) -> int | None:
    """The fast pass (see the module docstring): the number of events when every row and
    checkpoint holds, None at the first anomaly (``scan`` is then spoilt).

    A large log is checked in two parts at once: a worker process (forked: below) scans the
    second half on its own connection, from the chain row before it (every link is checked
    against the stored value before it, so each half stands on its own) into a
    :class:`CompactRange`; this process scans the first half, then checks that the halves
    meet (the worker's first row links to this process's last, with the next leaf index) and
    every checkpoint in the second half against the two parts joined. It returns no rows,
    only where its part ended, the tree at each checkpoint size in it and what it saw of
    redactions; if it fails, :func:`_await_part` says how the exact pass takes over."""
    split = _split_point(tables)
    if split is None:
        return _scan_whole(tables, scan, progress)
    split_position, split_index, split_chain = split
    sizes = [cp.tree_size for cp in scan.pending if cp.tree_size > split_index + 1]
    # fork: the worker starts at once with this process's modules loaded (spawn would import
    # the whole command again, about half a second); it opens its own connection and never
    # touches the ones it inherits
    context = multiprocessing.get_context("fork")
    sys.stdout.flush()  # nothing buffered is written twice (the worker flushes at its end)
    sys.stderr.flush()
    results = context.Queue(1)
    worker = context.Process(
        target=_scan_part,
        args=(tables, split_position, split_index + 1, split_chain, sizes, scan.redacted, results),
        name="socai-verify-part",
        daemon=True,
    )
    worker.start()
    second: _PartResult | None = None
    try:
        started = time.monotonic()
        first = _scan_prefix(tables, scan, split_position, progress)
        if first is not None:
            second = _await_part(worker, results, time.monotonic() - started)
    finally:
        if second is None and worker.is_alive():
            # the first part failed or the worker hung: the exact pass runs. SIGKILL, not
            # SIGTERM: a fork inherits the parent's signal handlers (a web server's, an event
            # loop's), which may turn SIGTERM into a flag nobody reads, and join() would wait
            # on the hung worker forever. It only reads, on a connection of its own.
            worker.kill()
        worker.join()
    if first is None or second is None:
        return None
    (previous, chain, counted), (end, snapshots, seen) = first, second
    scan.redacted.merge(seen)
    if (previous, chain, scan.frontier.size) != (split_position, split_chain, split_index + 1):
        return None  # the halves do not meet (rows changed between the reads)
    left = scan.frontier
    for size, (position, value, nodes) in sorted(snapshots.items()):
        part = CompactRange(left.size)
        part.nodes, part.size = nodes, size
        scan.frontier, scan.previous, scan.chain = part.joined(left), position, value
        if scan._checkpoints(position) is not None:
            return None
    last, last_chain, more, nodes = end
    part = CompactRange(left.size)
    part.nodes, part.size = nodes, left.size + more
    scan.frontier, scan.previous, scan.chain = part.joined(left), last, last_chain
    if progress is not None:
        progress(more)
    return counted + more


def _await_part(worker: Any, results: Any, own_seconds: float) -> _PartResult | None:
    """The worker's result, or None when it ended without one (it met an anomaly, raised —
    its traceback is on stderr — or died) or is still running long after this process
    finished a part of the same size (``WORKER_GRACE_SECONDS`` plus ``WORKER_SLOWDOWN`` times
    this process's own time: hung, e.g. on a lock). The caller then runs the exact pass in
    this process, so a failed worker costs time but never changes the report or hangs it."""
    deadline = time.monotonic() + WORKER_GRACE_SECONDS + WORKER_SLOWDOWN * own_seconds
    while True:
        try:
            found: _PartResult | None = results.get(timeout=RESULT_POLL_SECONDS)
            return found
        except queue.Empty:
            if not worker.is_alive():
                try:  # it may have put its result just before ending
                    found = results.get_nowait()
                    return found
                except queue.Empty:
                    return None
            if time.monotonic() >= deadline:
                return None


def _scan_whole(tables: LedgerTables, scan: _Scan, progress: Progress | None) -> int | None:
    reached = _scan_prefix(tables, scan, None, progress)
    if reached is None:
        return None
    scan.previous, scan.chain, counted = reached
    return counted


def _scan_prefix(
    tables: LedgerTables, scan: _Scan, until: int | None, progress: Progress | None
) -> _Reached | None:
    """The fast pass from the start of the log (up to position ``until`` when given), with
    the checkpoints checked as they are reached."""
    pages = tables.raw_pages() if until is None else tables.raw_pages(until=until)
    with closing(pages):
        return _scan_range(
            pages,
            tables.kind == "sqlite",
            scan.previous,
            scan.chain,
            scan.frontier,
            [cp.tree_size for cp in scan.pending],
            _checker(scan),
            progress,
            scan.redacted,
        )


def _checker(scan: _Scan) -> _AtSize:
    def at_size(position: int, chain: bytes) -> bool:
        scan.previous, scan.chain = position, chain
        return scan._checkpoints(position) is None

    return at_size


def _split_point(tables: LedgerTables) -> tuple[int, int, bytes] | None:
    """Where a large log is split (the last chain row of the first half: position, leaf
    index, chain value); None when it is checked in one part."""
    if not tables.reopenable or (os.cpu_count() or 1) < 2:
        return None
    head = tables.link_at_or_before(2**62)
    if head is None or type(head[0]) is not int or head[0] < PARALLEL_MIN_EVENTS:
        return None
    middle = tables.link_at_or_before(head[0] // 2)
    if middle is None:
        return None
    position, leaf_index, chain = middle
    if type(position) is not int or type(leaf_index) is not int or type(chain) is not bytes:
        return None  # the exact pass will say what is wrong
    return position, leaf_index, chain


#: What the worker hands back: where its part ended (position, chain, leaves, nodes) and the
#: tree at each checkpoint size in its part (position, chain, nodes); None at an anomaly.
_PartResult = tuple[
    tuple[int, bytes, int, list[Node]],
    dict[int, tuple[int, bytes, list[Node]]],
    _Seen,  # what it saw of redactions
]


def _scan_part(
    tables: LedgerTables,
    after: int,
    first_leaf: int,
    chain: bytes,
    sizes: list[int],
    redacted: _Redacted,
    results: Any,
) -> None:
    """The worker: the fast pass over the positions after ``after``, on a connection of its
    own to the store of ``tables`` (inherited through the fork, never used here)."""
    outcome: _PartResult | None = None
    try:
        own = tables.reopened()
        try:
            tree = CompactRange(first_leaf)
            snapshots: dict[int, tuple[int, bytes, list[Node]]] = {}

            def at_size(position: int, value: bytes) -> bool:
                snapshots[tree.size] = (position, value, list(tree.nodes))
                return True

            sqlite = own.kind == "sqlite"
            with closing(own.raw_pages(after=after)) as pages:
                reached = _scan_range(
                    pages, sqlite, after, chain, tree, sizes, at_size, None, redacted
                )
        finally:
            own.recorder.datastore.close()
        if reached is not None:
            last, last_chain, count = reached
            seen = redacted.what_was_seen
            outcome = ((last, last_chain, count, tree.nodes), snapshots, seen)
    finally:
        results.put(outcome)


def verify_store(
    tables: LedgerTables,
    public_key: Ed25519PublicKey | None,
    anchors: Iterable[Checkpoint] = (),
    progress: Progress | None = None,
    erasure: ErasureAuthority | None = None,
) -> Report:
    """Verify every event, link and checkpoint of the store (see the module docstring);
    ``erasure`` says which events authorise a redaction (none: every redaction is a
    finding)."""
    report = Report(origin=tables.origin())
    rows = redactions(tables)
    try:
        stored = tables.checkpoints()
    except VerificationError as error:
        stored = []
        report.findings.append(Finding("checkpoint_malformed", f"stored checkpoint: {error}"))
    checkpoints = _signed(stored, public_key, report, "stored checkpoint")
    checkpoints += _signed(anchors, public_key, report, "exported checkpoint")
    report.checkpoints_checked = len(checkpoints)
    scan = _Scan(checkpoints, _Redacted.of(rows, erasure))
    counted = _fast_pass(tables, scan, progress)
    if counted is not None and not scan.redacted.findings(erasure, None):
        report.events = counted
        return _finish(report, scan, erasure)
    # something is not as written: the exact pass names it
    scan = _Scan(checkpoints, _Redacted.of(rows, erasure))
    for position, event, link in tables.merged():
        finding = scan.row(position, event, link)
        if finding is not None:
            report.findings += [*scan.redacted.findings(erasure, position), finding]
            return report
        report.events += 1
        if progress is not None:
            progress(1)
    return _finish(report, scan, erasure)


def _finish(report: Report, scan: _Scan, erasure: ErasureAuthority | None) -> Report:
    report.findings += scan.redacted.findings(erasure, None)
    report.redacted = scan.redacted.valid(erasure)
    finding = scan.tail()
    if finding is not None:
        report.findings.append(finding)
    report.covered, report.covered_position = scan.covered, scan.good_position
    report.newest = scan.newest
    return report


def witnessed(report: Report, witnesses: Mapping[str, Ed25519PublicKey]) -> list[str]:
    """Names of the listed witnesses whose cosignature on the newest checkpoint that held
    verifies (tlog-cosignature v1). A listed witness's cosignature that fails is added to
    the report as a finding; other signature lines are ignored (C2SP: unknown keys)."""
    newest = report.newest
    if not isinstance(newest, NoteCheckpoint):
        return []
    names = []
    for name, key in sorted(witnesses.items()):
        try:
            stamp = newest.note.cosignature_time(name, key)
        except VerificationError as error:
            report.findings.append(
                Finding("cosignature", f"checkpoint of size {newest.tree_size}: {error}")
            )
            continue
        if stamp is not None:
            names.append(name)
    return names
