"""What a ``--unit`` names (đơn vị hành chính): one spelling for every command.

``--unit`` takes ``MAP:CODE`` (``old:870``, ``2025:82``), a code on one map, or a name with or
without its accents (``Hồng Ngự``, ``hong ngu``), everywhere (:data:`infra.cli.options.UNIT`,
:data:`infra.cli.options.STEP_UNIT`). The hidden ``--map`` of older scripts still pairs with a
bare code. A report reads the unit on the map it names (the nation on the command's reporting
map); a recorded step reads it on the map in force on its business date, and a unit of the
other map is refused with the date of the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.errors import InvalidInput
from domain.reference.units import NATIONAL_CODE, AdminMap, Unit, unit_directory
from domain.text import search_key
from infra.cli.options import MAP, UNIT, OptionSet, option


def chosen_unit(
    unit: str | None, admin_map: str | None, national_map: AdminMap
) -> tuple[AdminMap, str]:
    """A report's map and unit code. ``--map`` with a code keeps the old spelling; without
    it the unit says its own map (``old:870``, a code on one map, a name); the nation (the
    default) is on the command's reporting map."""
    unit = NATIONAL_CODE if unit is None else unit
    if admin_map is not None:
        return AdminMap.parse(admin_map, "--map"), unit
    found = unit_directory().resolve(unit, "--unit", national_map)
    return found.map, found.code


@dataclass(frozen=True)
class ReportUnit(OptionSet):
    """The unit a report is about (đơn vị báo cáo): ``--unit``, or the old ``--map`` with a
    bare code; the nation when neither is given."""

    unit: str | None = option(UNIT)
    admin_map: str | None = option(MAP)

    def chosen(self, national_map: AdminMap) -> tuple[AdminMap, str]:
        """Its map and code (:func:`chosen_unit`), the nation on ``national_map``."""
        return chosen_unit(self.unit, self.admin_map, national_map)


def unit_on(text: str | None, on: date, field: str = "--unit") -> str:
    """The code of the unit ``text`` names on the map in force on ``on`` (the day a step
    happened): a code of that map is taken as written (the domain checks it), ``MAP:CODE`` and
    names are resolved, a unit of the other map is refused."""
    if text is None or not text.strip():
        raise InvalidInput(
            field, "the unit where it happened is missing", hint="--unit old:870 or a name"
        )
    in_force = AdminMap.in_force_on(on)
    directory = unit_directory()
    given = text.strip()
    if ":" not in given and directory.get(in_force, given.upper()) is not None:
        return given.upper()
    if ":" not in given and given.isdigit():
        return given  # no such code on the map in force: the domain says so, with its hint
    try:
        found: Unit = directory.resolve(given, field, in_force)
    except InvalidInput:  # a name on both maps: the one on the map in force, if only one
        needle = f" {search_key(given)}"
        on_map = [
            u for u in directory.find(given, in_force) if f" {search_key(u.name)}".endswith(needle)
        ]
        if len(on_map) != 1 or ":" in given:
            raise
        found = on_map[0]
    if found.map is not in_force:
        raise InvalidInput(
            field,
            f"{given!r} is {found.map.value}:{found.code} ({found.name}), on the"
            f" {found.map.value} map; on {on} the {in_force.value} map is in force",
            hint="name the unit on the map in force that day (`socai units find NAME`)",
        )
    return found.code


def unit_with_map(text: str | None, admin_map: str | None, on: date) -> tuple[str, str]:
    """(map, code) of a unit named with its map (``old:22``, or the old spelling ``--map old
    --unit 22``), or else on the map in force on ``on`` — for money given to a unit, whose
    map is the one the allocation names."""
    if admin_map is not None:
        return AdminMap.parse(admin_map, "--map").value, (text or "").strip()
    if text is not None and ":" in text:
        found = unit_directory().resolve(text, "--unit")
        return found.map.value, found.code
    return AdminMap.in_force_on(on).value, unit_on(text, on)
