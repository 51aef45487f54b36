"""Merkle tree hashes and proof generation over the ledger's leaves (RFC 9162 §2.1).

A tree of ``n`` leaves is split at the largest power of two below ``n``; every left part is a
*perfect* subtree of ``2**level`` leaves starting at a multiple of its width. So any subtree
hash the RFC algorithms need is a combination of perfect-subtree hashes, which a
:class:`PerfectNodes` source supplies: :class:`MemoryNodes` from a list of leaf hashes (tests,
small trees), or the store's node table (``infra.ledger.store``), so proofs over a million
events need a few dozen lookups, not a pass over the log.

Verification lives in :mod:`infra.ledger.verifier`; this module only produces.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from infra.ledger.hashing import node_hash


class PerfectNodes(Protocol):
    """Hashes of perfect subtrees: ``perfect(level, index)`` covers the ``2**level`` leaves
    starting at leaf ``index * 2**level``. Level 0 is the leaf hash itself."""

    def perfect(self, level: int, index: int) -> bytes: ...


def _split(n: int) -> int:
    assert n > 1, n
    return 1 << ((n - 1).bit_length() - 1)


def subtree_hash(nodes: PerfectNodes, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range the RFC recursion produces (``start`` aligned)."""
    width = end - start
    assert width > 0, (start, end)
    if width & (width - 1) == 0 and start % width == 0:
        return nodes.perfect(width.bit_length() - 1, start // width)
    k = _split(width)
    return node_hash(subtree_hash(nodes, start, start + k), subtree_hash(nodes, start + k, end))


def root(nodes: PerfectNodes, size: int) -> bytes:
    assert size > 0, size
    return subtree_hash(nodes, 0, size)


def inclusion_path(nodes: PerfectNodes, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 §2.1.3.1, leaf-side first."""
    assert 0 <= index < size, (index, size)
    path: list[bytes] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = _split(end - start)
        if m < k:
            path.append(subtree_hash(nodes, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(nodes, start, start + k))
            start, m = start + k, m - k
    path.reverse()
    return path


def consistency_path(nodes: PerfectNodes, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[0:new_size]) of RFC 9162 §2.1.4.1."""
    assert 0 < old_size <= new_size, (old_size, new_size)
    path: list[bytes] = []
    start, end, m, complete = 0, new_size, old_size, True
    while True:
        n = end - start
        if m == n:
            if not complete:
                path.append(subtree_hash(nodes, start, end))
            break
        k = _split(n)
        if m <= k:
            path.append(subtree_hash(nodes, start + k, end))
            end = start + k
        else:
            path.append(subtree_hash(nodes, start, start + k))
            start, m, complete = start + k, m - k, False
    path.reverse()
    return path


class MemoryNodes:
    """Every perfect subtree of a list of leaf hashes, level by level (O(n) memory)."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.levels: list[list[bytes]] = [list(leaf_hashes)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    def perfect(self, level: int, index: int) -> bytes:
        return self.levels[level][index]
