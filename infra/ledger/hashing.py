"""What the writer and every verifier of the ledger (sổ cái) compute alike: the hashes.

* the **canonical leaf** of a stored event: its position in the notification log, originator
  id, version, topic, stored state bytes (the ciphertext: no decryption key is needed) and
  record time, length-prefixed so no two different events encode alike;
* RFC 9162 hashing: leaf hash ``SHA-256(0x00 || leaf)``, node hash
  ``SHA-256(0x01 || left || right)``, and the chain link ``SHA-256(0x02 || prev || leaf_hash)``
  that ties every event to the one before it in log order;
* the Merkle tree hash (MTH) of RFC 9162 §2.1.1, as a reference recursion and as the
  incremental :class:`Frontier`.

This module imports only the standard library: the standalone verifier
(:mod:`infra.ledger.verifier`) is handed to inspectors together with it. Changing any byte
computed here changes every leaf, chain value and checkpoint ever signed.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence

HASH_BYTES = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
CHAIN_PREFIX = b"\x02"
#: The chain value before the first event.
CHAIN_GENESIS = bytes(HASH_BYTES)
LEAF_DOMAIN = b"socai-ledger-leaf-v1\n"


_U64_PAIR = struct.Struct(">QQ")
_U32 = struct.Struct(">I")


def leaf_bytes(
    position: int, originator_id: str, version: int, topic: str, state: bytes, recorded_at: str
) -> bytes:
    """The canonical bytes of one stored event (the Merkle leaf).

    ``originator_id`` is the canonical text of the id (a UUID as ``str(uuid)``), ``state`` the
    stored (encrypted, compressed) bytes, ``recorded_at`` the record time as ISO-8601 text.
    Every variable-length part is prefixed with its length (u32), so no two events encode
    alike.
    """
    assert position > 0, position
    assert version >= 0, version
    fields = (originator_id.encode(), topic.encode(), recorded_at.encode(), bytes(state))
    return _joined(LEAF_DOMAIN, position, version, fields)


def _joined(head: bytes, position: int, version: int, fields: tuple[bytes, ...]) -> bytes:
    """``head``, the position and version, then the originator id, topic, record time and
    state (``fields``, in that order), each length-prefixed: the leaf and its hash input."""
    originator_id, topic, recorded_at, state = fields
    return b"".join(
        (
            head,
            _U64_PAIR.pack(position, version),
            _U32.pack(len(originator_id)),
            originator_id,
            _U32.pack(len(topic)),
            topic,
            _U32.pack(len(recorded_at)),
            recorded_at,
            _U32.pack(len(state)),
            state,
        )
    )


_LEAF_HEAD = LEAF_PREFIX + LEAF_DOMAIN
_sha256 = hashlib.sha256
#: The parts of :func:`stored_leaf_hash` for a verifier that builds the same bytes inline:
#: the hashed prefix, position + version + originator length, and a length prefix.
LEAF_HEAD = _LEAF_HEAD
LEAF_NUMBERS = struct.Struct(">QQI")
LEAF_LENGTH = _U32


def stored_leaf_hash(
    position: int,
    originator_id: bytes,
    version: int,
    topic: bytes,
    state: bytes,
    recorded_at: bytes,
) -> bytes:
    """``leaf_hash(leaf_bytes(...))`` in one step, from the stored values already as bytes
    (the verifier's hot loop: no intermediate leaf, one SHA-256 call). Byte for byte the same
    leaf as :func:`leaf_bytes` (tested); the caller guarantees ``position > 0`` and
    ``version >= 0``."""
    fields = (originator_id, topic, recorded_at, state)
    return _sha256(_joined(_LEAF_HEAD, position, version, fields)).digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def chain_hash(previous: bytes, leaf_digest: bytes) -> bytes:
    """The chain value after an event: commits to every earlier event in log order."""
    return hashlib.sha256(CHAIN_PREFIX + previous + leaf_digest).digest()


def _largest_power_of_two_below(n: int) -> int:
    assert n > 1, n
    return 1 << ((n - 1).bit_length() - 1)


def merkle_root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 §2.1.1 from the leaf hashes (reference form, recursive)."""
    n = len(leaf_hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hashes[0]
    k = _largest_power_of_two_below(n)
    return node_hash(merkle_root(leaf_hashes[:k]), merkle_root(leaf_hashes[k:]))


class Frontier:
    """The right edge of a growing Merkle tree: one perfect subtree root per set bit of the
    size. Appending is amortised O(1); :meth:`root` is O(log n). Used to recompute every
    checkpoint's root in one pass over the log."""

    def __init__(self) -> None:
        self.size = 0
        self._stack: list[bytes] = []  # perfect subtree roots, largest (leftmost) first

    def append(self, digest: bytes) -> None:
        node = digest
        size = self.size
        while size & 1:
            node = node_hash(self._stack.pop(), node)
            size >>= 1
        self._stack.append(node)
        self.size += 1

    def extend(self, digests: Sequence[bytes]) -> None:
        """:meth:`append` of each digest in turn (the same tree), in one loop."""
        stack, size, sha256, prefix = self._stack, self.size, _sha256, NODE_PREFIX
        pop, push = stack.pop, stack.append
        for digest in digests:
            node, bits = digest, size
            while bits & 1:
                node = sha256(prefix + pop() + node).digest()
                bits >>= 1
            push(node)
            size += 1
        self.size = size

    def root(self) -> bytes:
        if not self._stack:
            return hashlib.sha256(b"").digest()
        node = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node


#: A perfect subtree inside a compact range: (first leaf, number of leaves, hash).
Node = tuple[int, int, bytes]


class CompactRange:
    """The perfect subtrees covering leaves ``[start, end)`` of a tree, each aligned (its first
    leaf a multiple of its width) and merged with its sibling as soon as both are present.

    A range from leaf 0 is exactly a :class:`Frontier`; a range from elsewhere lets a second
    process hash another part of the log, and :meth:`joined` puts the frontier of the part
    before it and this range together into the frontier of the whole prefix (the merging is
    the same sibling rule, so the root is the RFC 9162 root)."""

    def __init__(self, start: int) -> None:
        assert start >= 0
        self.start = start
        self.size = start  # the end of the range: the tree size once joined (as Frontier)
        self.nodes: list[Node] = []

    def append(self, digest: bytes) -> None:
        """Add the next leaf's hash."""
        self.extend((digest,))

    def extend(self, digests: Sequence[bytes]) -> None:
        """:meth:`append` of each digest in turn, in one loop (the verifier's second part
        adds every leaf of its range here): a node whose first leaf is an odd multiple of its
        width is a right child, merged at once with its left sibling when that sibling lies
        in the range (it is then the last node: every pair is merged as soon as both are
        present) — :meth:`_add`'s rule, with the widths and positions as plain integers."""
        nodes, size, start = self.nodes, self.size, self.start
        sha256, prefix = _sha256, NODE_PREFIX
        pop, push = nodes.pop, nodes.append
        for digest in digests:
            value, first, width = digest, size, 1
            while first & width and first - width >= start:
                value = sha256(prefix + pop()[2] + value).digest()
                first -= width
                width <<= 1
            push((first, width, value))
            size += 1
        self.size = size

    @staticmethod
    def _add(nodes: list[Node], node: Node) -> None:
        first, width, value = node
        assert first % width == 0, "perfect subtrees are aligned"
        while nodes:
            left_first, left_width, left = nodes[-1]
            if left_width != width or left_first % (2 * width) != 0:
                break
            nodes.pop()
            first, width, value = left_first, 2 * width, node_hash(left, value)
        nodes.append((first, width, value))

    def joined(self, before: Frontier) -> Frontier:
        """The frontier of leaves ``[0, end)``: ``before`` (leaves ``[0, start)``) and then
        this range."""
        assert before.size == self.start, (before.size, self.start)
        nodes: list[Node] = []
        first = 0
        for bit in reversed(range(before.size.bit_length())):
            width = 1 << bit
            if before.size & width:
                nodes.append((first, width, before._stack[len(nodes)]))
                first += width
        for node in self.nodes:
            self._add(nodes, node)
        frontier = Frontier()
        frontier.size = self.size
        frontier._stack = [value for _, _, value in nodes]
        assert sum(width for _, width, _ in nodes) == self.size, "a prefix of the tree"
        return frontier
