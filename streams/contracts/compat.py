"""Schema compatibility (tương thích): may a changed contract replace a published one?

Consumers of a published type rely on every field it had, with the types it had. So, from a
published schema to a new schema of the *same* type, these are breaking:

- a field removed;
- a field retyped: the new schema admits a JSON type (or format) the old did not;
- a field that was required becomes optional (consumers read it unconditionally).

Adding fields (required or not) and narrowing a type are compatible. A breaking change needs a
new public type (``...v2``) published alongside, never an edit of the old one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from domain.errors import SocaiError
from streams.contracts.model import Contract


class IncompatibleContract(SocaiError):
    """A contract change would break existing consumers."""


def _types(prop: dict[str, Any]) -> set[str]:
    value = prop.get("type", [])
    return {value} if isinstance(value, str) else set(value)


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in ``new`` would break a consumer written against ``old`` (empty: compatible)."""
    problems: list[str] = []
    old_props: dict[str, Any] = old.get("properties", {})
    new_props: dict[str, Any] = new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"field {name!r} removed")
            continue
        new_prop = new_props[name]
        added = _types(new_prop) - _types(old_prop)
        if added:
            problems.append(
                f"field {name!r} retyped: {sorted(_types(old_prop))} -> {sorted(_types(new_prop))}"
            )
        if old_prop.get("format") != new_prop.get("format") and old_prop.get("format"):
            problems.append(
                f"field {name!r} format {old_prop.get('format')!r} -> {new_prop.get('format')!r}"
            )
    now_optional = set(old.get("required", [])) - set(new.get("required", []))
    problems.extend(
        f"field {name!r} no longer required" for name in sorted(now_optional) if name in new_props
    )
    return problems


def _dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def check_published(contracts: Iterable[Contract], schema_dir: Path) -> list[str]:
    """Problems between the contracts in code and the schemas published in ``schema_dir``:
    breaking changes, and schemas that are missing or out of date."""
    problems = []
    for contract in contracts:
        path = schema_dir / contract.schema_file
        current = contract.json_schema()
        if not path.exists():
            problems.append(
                f"{contract.public_type}: not published (socai streams schemas --write)"
            )
            continue
        published = json.loads(path.read_text(encoding="utf-8"))
        broken = breaking_changes(published, current)
        if broken:
            problems.append(
                f"{contract.public_type}: breaking change ({'; '.join(broken)}); publish a new"
                " version of the type instead of changing this one"
            )
        elif _dumps(published) != _dumps(current):
            problems.append(
                f"{contract.public_type}: schema file out of date (socai streams schemas --write)"
            )
    return problems


def write_schemas(contracts: Iterable[Contract], schema_dir: Path) -> list[Path]:
    """Publish the schemas of ``contracts``; refuses (writing nothing) on a breaking change."""
    contracts = list(contracts)
    broken: list[str] = []
    for contract in contracts:
        path = schema_dir / contract.schema_file
        if path.exists():
            problems = breaking_changes(
                json.loads(path.read_text(encoding="utf-8")), contract.json_schema()
            )
            broken.extend(f"{contract.public_type}: {p}" for p in problems)
    if broken:
        raise IncompatibleContract(
            "these contract changes would break existing consumers: " + "; ".join(broken),
            hint="keep the old type and add a new version (e.g. ...v2) with its own schema",
        )
    written = []
    for contract in contracts:
        path = schema_dir / contract.schema_file
        text = _dumps(contract.json_schema())
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
