"""Merkle proofs: RFC 6962/9162 test vectors, generated proofs verify, forged ones do not.

The vectors are the certificate-transparency reference ones (the same eight leaves and roots
pinned by the CT C++/Go test suites and transparency-dev/merkle's ``testonly`` package).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from infra.ledger import merkle
from infra.ledger.checkpoints import sign_note
from infra.ledger.hashing import leaf_bytes, leaf_hash, merkle_root
from infra.ledger.verifier import (
    PROOF_FORMAT,
    VerificationError,
    checkpoint_text,
    verify_consistency,
    verify_inclusion,
    verify_proof_document,
)

CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CT_CONSISTENCY = {
    (1, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}
HASHES = [leaf_hash(leaf) for leaf in CT_LEAVES]
NODES = merkle.MemoryNodes(HASHES)


def _hex(items: list[bytes]) -> list[str]:
    return [item.hex() for item in items]


@pytest.mark.parametrize("size", range(1, 9))
def test_rfc_roots(size: int) -> None:
    assert merkle_root(HASHES[:size]).hex() == CT_ROOTS[size - 1]
    assert merkle.root(merkle.MemoryNodes(HASHES[:size]), size).hex() == CT_ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size"), list(CT_INCLUSION))
def test_rfc_inclusion_vectors(index: int, size: int) -> None:
    assert _hex(merkle.inclusion_path(NODES, index, size)) == CT_INCLUSION[(index, size)]
    path = [bytes.fromhex(h) for h in CT_INCLUSION[(index, size)]]
    verify_inclusion(index, size, HASHES[index], path, bytes.fromhex(CT_ROOTS[size - 1]))


@pytest.mark.parametrize(("old", "new"), list(CT_CONSISTENCY))
def test_rfc_consistency_vectors(old: int, new: int) -> None:
    assert _hex(merkle.consistency_path(NODES, old, new)) == CT_CONSISTENCY[(old, new)]
    path = [bytes.fromhex(h) for h in CT_CONSISTENCY[(old, new)]]
    verify_consistency(
        old, new, bytes.fromhex(CT_ROOTS[old - 1]), bytes.fromhex(CT_ROOTS[new - 1]), path
    )


@pytest.mark.parametrize(
    ("resize", "says"),
    [(lambda path: path[:-1], "shorter"), (lambda path: [*path, path[-1]], "longer")],
    ids=["one-hash-short", "one-hash-long"],
)
def test_a_path_of_the_wrong_depth_is_refused_naming_its_proof(
    resize: Callable[[list[bytes]], list[bytes]], says: str
) -> None:
    """Both proofs climb the tree in one walk; its refusal names the proof it was walking."""
    inclusion = [bytes.fromhex(h) for h in CT_INCLUSION[(5, 8)]]
    consistency = [bytes.fromhex(h) for h in CT_CONSISTENCY[(6, 8)]]
    root6, root8 = bytes.fromhex(CT_ROOTS[5]), bytes.fromhex(CT_ROOTS[7])
    with pytest.raises(VerificationError, match=f"^inclusion proof is {says} than the tree is"):
        verify_inclusion(5, 8, HASHES[5], resize(inclusion), root8)
    with pytest.raises(VerificationError, match=f"^consistency proof is {says} than the tree"):
        verify_consistency(6, 8, root6, root8, resize(consistency))


def _tree(size: int) -> tuple[list[bytes], merkle.MemoryNodes]:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(size)]
    return hashes, merkle.MemoryNodes(hashes)


def _mutations(path: list[bytes]) -> list[list[bytes]]:
    """Forged, truncated, extended and reordered variants of a proof path."""
    variants = [path[:-1], [*path, path[-1]], [*path, bytes(32)]] if path else [[bytes(32)]]
    for i in range(len(path)):
        forged = list(path)
        forged[i] = bytes([forged[i][0] ^ 1]) + forged[i][1:]
        variants.append(forged)
    if len(path) >= 2 and path[0] != path[1]:
        variants.append([path[1], path[0], *path[2:]])
        variants.append(list(reversed(path)))
    return variants


@given(size=st.integers(1, 300), data=st.data())
def test_inclusion_proofs_hold_and_mutations_fail(size: int, data: st.DataObject) -> None:
    hashes, nodes = _tree(size)
    index = data.draw(st.integers(0, size - 1))
    root = merkle.root(nodes, size)
    path = merkle.inclusion_path(nodes, index, size)
    verify_inclusion(index, size, hashes[index], path, root)
    for forged in _mutations(path):
        with pytest.raises(VerificationError):
            verify_inclusion(index, size, hashes[index], forged, root)
    # A size the leaf is outside of. (Some other sizes share the path's shape, e.g. leaf 0
    # of 3 and of 4: the size is bound by the signed checkpoint, checked in the document.)
    with pytest.raises(VerificationError):
        verify_inclusion(index, index, hashes[index], path, root)
    if len(path) > 0:
        with pytest.raises(VerificationError):
            verify_inclusion(index, 1 << (len(path) + 1), hashes[index], path, root)
    other = (index + 1) % size
    if other != index:
        with pytest.raises(VerificationError):
            verify_inclusion(other, size, hashes[index], path, root)
        with pytest.raises(VerificationError):
            verify_inclusion(index, size, hashes[other], path, root)


@given(size=st.integers(2, 300), data=st.data())
def test_consistency_proofs_hold_and_mutations_fail(size: int, data: st.DataObject) -> None:
    _, nodes = _tree(size)
    old = data.draw(st.integers(1, size - 1))
    old_root, new_root = merkle.root(nodes, old), merkle.root(nodes, size)
    path = merkle.consistency_path(nodes, old, size)
    verify_consistency(old, size, old_root, new_root, path)
    for forged in _mutations(path):
        with pytest.raises(VerificationError):
            verify_consistency(old, size, old_root, new_root, forged)
    for wrong_old in {old - 1, old + 1} - {0, size, old}:
        with pytest.raises(VerificationError):
            verify_consistency(wrong_old, size, old_root, new_root, path)
    with pytest.raises(VerificationError):
        verify_consistency(old, 1 << (size.bit_length() + 1), old_root, new_root, path)
    with pytest.raises(VerificationError):
        verify_consistency(old, size, new_root, old_root, path)


def _document(key: Ed25519PrivateKey, tree_size: int = 8, index: int = 5) -> dict:
    """An inclusion proof document over a tree whose leaf ``index`` is a real leaf."""
    leaves = [
        leaf_bytes(
            i + 1,
            "6f0e0000-0000-4000-8000-000000000000",
            i,
            "socai.case:X.v1",
            bytes([i]) * 10,
            "2026-11-23T10:00:00.000000+00:00",
        )
        for i in range(tree_size)
    ]
    nodes = merkle.MemoryNodes([leaf_hash(leaf) for leaf in leaves])
    origin = "socai.gov.vn/test/0123456789abcdef"
    text = checkpoint_text(
        origin,
        tree_size,
        merkle.root(nodes, tree_size),
        tree_size,
        bytes(32),
        "2026-11-23T10:00:00+00:00",
    )
    checkpoint = sign_note(text, origin, key)
    return {
        "format": PROOF_FORMAT,
        "kind": "inclusion",
        "leaf_index": index,
        "tree_size": tree_size,
        "event": {
            "position": index + 1,
            "originator_id": "6f0e0000-0000-4000-8000-000000000000",
            "version": index,
            "topic": "socai.case:X.v1",
            "state": base64.b64encode(bytes([index]) * 10).decode(),
            "recorded_at": "2026-11-23T10:00:00.000000+00:00",
        },
        "path": _hex(merkle.inclusion_path(nodes, index, tree_size)),
        "checkpoint": checkpoint.to_json(),
    }


def test_proof_document_verifies_and_every_forgery_fails() -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    assert "included" in verify_proof_document(_document(key), public)

    def rejected(change) -> None:  # type: ignore[no-untyped-def]
        document = _document(key)
        change(document)
        with pytest.raises(VerificationError):
            verify_proof_document(document, public)

    rejected(lambda d: d["event"].update(state=base64.b64encode(b"\x05" * 9 + b"\x06").decode()))
    rejected(lambda d: d["event"].update(topic="socai.case:Y.v1"))
    rejected(lambda d: d["event"].update(position=7))
    rejected(lambda d: d.update(leaf_index=4))
    rejected(lambda d: d.update(tree_size=7))
    rejected(lambda d: d["checkpoint"].update(root_hash="11" * 32))  # signature breaks
    rejected(lambda d: d["checkpoint"].update(tree_size=9))
    rejected(lambda d: d["checkpoint"].update(signature="AAAA"))
    rejected(lambda d: d.update(path=d["path"][:-1]))
    rejected(lambda d: d.update(path=list(reversed(d["path"]))))
    rejected(lambda d: d.update(kind="exclusion"))
    other = Ed25519PrivateKey.generate()
    with pytest.raises(VerificationError, match="trusted key"):
        verify_proof_document(_document(other), public)
