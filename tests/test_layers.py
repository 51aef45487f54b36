"""The layers, checked: every import arrow points down, and no module imports itself back.

The card fixes five packages. Their order, from the bottom:

- ``domain`` (the model; nothing of socai above it),
- ``projections`` (read models; only the domain),
- ``streams`` and ``quality`` (transport and data quality; the domain and projections),
- ``infra`` (wiring, services, CLI; anything below it),

and ``infra.ledger``, the audit-grade ledger, stands apart: it imports nothing of socai
outside itself, so that it can be read, reviewed and reused on its own.

Imports are read from the source text (the AST), so a lazy import inside a function counts
the same as one at the top of a module. Imports under ``if TYPE_CHECKING:`` count for the
layers but not for cycles (they never run).
"""

from __future__ import annotations

import ast
import graphlib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("domain", "projections", "streams", "quality", "infra")

#: What each layer may import of socai (itself always included).
ALLOWED: dict[str, frozenset[str]] = {
    "domain": frozenset({"domain"}),
    "projections": frozenset({"domain", "projections"}),
    "streams": frozenset({"domain", "projections", "streams"}),
    "quality": frozenset({"domain", "projections", "quality"}),
    "infra": frozenset(PACKAGES),
}
LEDGER = "infra.ledger"


@dataclass(frozen=True, slots=True)
class Arrow:
    source: str
    target: str
    line: int
    type_checking_only: bool


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
    }


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def arrows_of(name: str, path: Path, modules: dict[str, Path]) -> list[Arrow]:
    """Every import of a socai module in one file, resolved to the module it loads."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    guarded: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node):
            guarded.update(id(child) for stmt in node.body for child in ast.walk(stmt))
    found: list[Arrow] = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import; write it absolute"
            assert node.module is not None
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                targets.append(submodule if submodule in modules else node.module)
        for target in targets:
            if target.split(".")[0] in PACKAGES:
                found.append(Arrow(name, target, node.lineno, id(node) in guarded))
    return found


def all_arrows() -> list[Arrow]:
    modules = all_modules()
    return [arrow for name, path in modules.items() for arrow in arrows_of(name, path, modules)]


def test_every_package_has_modules() -> None:
    modules = all_modules()
    for package in PACKAGES:
        assert any(m.startswith(package) for m in modules), package
    assert any(m.startswith(LEDGER + ".") for m in modules)


def test_no_arrow_points_up() -> None:
    upward = [
        f"{a.source}:{a.line} imports {a.target}"
        for a in all_arrows()
        if a.target.split(".")[0] not in ALLOWED[a.source.split(".")[0]]
    ]
    assert upward == []


def test_the_ledger_imports_nothing_of_the_application() -> None:
    outward = [
        f"{a.source}:{a.line} imports {a.target}"
        for a in all_arrows()
        if (a.source == LEDGER or a.source.startswith(LEDGER + "."))
        and not (a.target == LEDGER or a.target.startswith(LEDGER + "."))
    ]
    assert outward == []


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {name: set() for name in all_modules()}
    for arrow in all_arrows():
        if not arrow.type_checking_only and arrow.target in graph and arrow.target != arrow.source:
            graph[arrow.source].add(arrow.target)
    try:
        tuple(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as error:
        pytest.fail(f"import cycle: {' → '.join(error.args[1])}")


def test_the_checker_sees_a_planted_upward_arrow_and_cycle(tmp_path: Path) -> None:
    """The checks above are only worth something if they can fail."""
    planted = tmp_path / "m.py"
    planted.write_text("import infra.application\nfrom projections import framework\n")
    modules = {"infra.application": planted, "projections.framework": planted}
    arrows = arrows_of("domain.m", planted, modules)
    assert [(a.target, a.line) for a in arrows] == [
        ("infra.application", 1),
        ("projections.framework", 2),
    ]
    assert all(a.target.split(".")[0] not in ALLOWED["domain"] for a in arrows)
    graph = {"a": {"b"}, "b": {"a"}}
    with pytest.raises(graphlib.CycleError):
        tuple(graphlib.TopologicalSorter(graph).static_order())
