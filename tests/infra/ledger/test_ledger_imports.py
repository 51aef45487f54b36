"""The ledger (sổ cái) imports nothing of the application.

``infra/ledger`` is a package whose imports stop at the standard library and three libraries
(eventsourcing, cryptography, psycopg): the application attaches it, never the reverse, so
the ledger can be read, checked and reused without the domain, projections, streams, quality
or the rest of infra. The standalone verifier that inspectors copy out (``verifier.py`` with
``hashing.py``) needs even less: the standard library and cryptography.

Every module is read as an AST, so an import inside a function counts too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import infra.ledger

LEDGER = Path(infra.ledger.__file__).parent
LIBRARIES = {"eventsourcing", "cryptography", "psycopg"}
#: What the offline verifier may import: it runs on an inspector's machine with no socai.
STANDALONE = {"verifier.py": {"cryptography", "hashing"}, "hashing.py": set()}


def imported(module: Path) -> set[str]:
    """Every absolute module name ``module`` imports (no relative imports are used)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(module.read_text(), str(module))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{module.name}: relative import"
            assert node.module is not None
            names.add(node.module)
    return names


def modules() -> list[Path]:
    found = sorted(LEDGER.rglob("*.py"))
    assert len(found) > 5, found
    return found


@pytest.mark.parametrize("module", modules(), ids=lambda p: p.name)
def test_the_ledger_imports_only_itself_the_standard_library_and_its_libraries(
    module: Path,
) -> None:
    foreign = {
        name
        for name in imported(module)
        if not (name == "infra.ledger" or name.startswith("infra.ledger."))
        and name.partition(".")[0] not in sys.stdlib_module_names | LIBRARIES
        and name not in STANDALONE.get(module.name, set())
    }
    assert not foreign, f"infra/ledger/{module.name} imports {sorted(foreign)}"


@pytest.mark.parametrize("name", sorted(STANDALONE))
def test_the_offline_verifier_needs_only_the_standard_library_and_cryptography(
    name: str,
) -> None:
    allowed = STANDALONE[name] | {"infra.ledger.hashing"}  # hashing: inside socai, or beside
    foreign = {
        imported_name
        for imported_name in imported(LEDGER / name)
        if imported_name.partition(".")[0] not in sys.stdlib_module_names | allowed
        and imported_name not in allowed
    }
    assert not foreign, f"infra/ledger/{name} imports {sorted(foreign)}"
