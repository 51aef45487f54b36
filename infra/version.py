"""The version of socai, as installed or as checked out.

The single source is ``socai.__version__`` (``pyproject.toml`` reads it at build time). The
``infra`` layer does not import the top-level ``socai`` package (it sits above every layer),
so the installed distribution's metadata answers, and a checkout that was never installed
reads the same attribute from the source file.
"""

from __future__ import annotations

import ast
from importlib import metadata
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "socai" / "__init__.py"


def source_version() -> str | None:
    """``__version__`` as written in ``socai/__init__.py`` of this checkout (None if absent)."""
    if not SOURCE.is_file():
        return None
    for node in ast.parse(SOURCE.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                return value.value
    return None


def distribution_version() -> str:
    """The checkout's version when running from one (what you are running), else the
    installed distribution's."""
    found = source_version()
    if found is not None:
        return found
    try:
        return metadata.version("socai")
    except metadata.PackageNotFoundError:
        return "unknown"
