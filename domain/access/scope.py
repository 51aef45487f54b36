"""Scope (phạm vi): the part of the country a grant covers.

A scope is the nation (``VN``), a province or a commune, named on the map in force on the day
of the grant (the old map with its 63 provinces until 30 June 2025, the 2025 map after; districts
are gone from the 2025 map and are not a scope). A scope covers a unit — a case's unit of
reception, an allocation's unit, a report's unit, another grant's scope — when the unit lies
inside it. Units are compared on the 2025 map (the crosswalk of :mod:`domain.reference.units`),
so a grant on Đồng Tháp today covers a case received in 2016 in old district 870 (Hồng Ngự),
which now lies in Đồng Tháp. An old-map commune that was split is compared through its default
successor, as the rollups are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from domain.errors import InvalidInput
from domain.reference.units import NATIONAL_CODE, AdminMap, Unit, UnitLevel, unit_directory

#: The levels a scope may have.
SCOPE_LEVELS = (UnitLevel.NATIONAL, UnitLevel.PROVINCE, UnitLevel.COMMUNE)


@dataclass(frozen=True, slots=True)
class UnitRef:
    """A unit named by map and code (what an action is about)."""

    map: str
    code: str

    @classmethod
    def national(cls) -> UnitRef:
        return cls(AdminMap.NEW.value, NATIONAL_CODE)

    def unit(self) -> Unit:
        return unit_directory().require(AdminMap.parse(self.map), self.code, "unit")

    def __str__(self) -> str:
        return NATIONAL_CODE if self.code == NATIONAL_CODE else f"{self.map}:{self.code}"


@dataclass(frozen=True, slots=True)
class Scope:
    """The nation, a province or a commune, on a named map."""

    map: str
    code: str

    @classmethod
    def parse(cls, text: object, on: date, field: str = "--scope") -> Scope:
        """``VN``, or a province or commune on the map in force on ``on``, in the one spelling
        of a unit (``2025:82``, a bare code read on the map in force, or a name with or
        without its accents). A unit of another map is refused, naming the map in force: a
        grant reaches the units as they are now, and reports compare on the 2025 map."""
        code = str(text).strip()
        admin_map = AdminMap.in_force_on(on)
        if code.upper() == NATIONAL_CODE:
            return cls(admin_map.value, NATIONAL_CODE)
        directory = unit_directory()
        if code.isdigit():
            unit = directory.require(admin_map, code, field)
        else:
            unit = directory.resolve(code, field, national_map=admin_map, on_map=admin_map)
        if unit.map is not admin_map:
            raise InvalidInput(
                field,
                f"{unit.map.value}:{unit.code} ({unit.name}) is on the {unit.map.value} map;"
                f" a scope is on the map in force ({admin_map.value})",
                hint=f"grant the unit it lies in now as {admin_map.value}:CODE;"
                " `socai units find NAME` lists codes",
            )
        if unit.code == NATIONAL_CODE:
            return cls(admin_map.value, NATIONAL_CODE)
        if unit.level not in SCOPE_LEVELS:
            raise InvalidInput(
                field,
                f"{unit} is a district; a scope is the nation, a province or a commune",
                hint="grant the province, or each commune",
            )
        return cls(admin_map.value, unit.code)

    @property
    def is_national(self) -> bool:
        return self.code == NATIONAL_CODE

    def covers(self, target: UnitRef) -> bool:
        """Whether ``target`` lies inside this scope (compared on the 2025 map)."""
        if self.is_national:
            return True
        if target.code == NATIONAL_CODE:
            return False
        units = unit_directory()
        mine = units.to_2025(UnitRef(self.map, self.code).unit())
        theirs = units.to_2025(target.unit())
        if mine.level is UnitLevel.PROVINCE:
            return theirs.province_code == mine.code
        return theirs.level is UnitLevel.COMMUNE and theirs.code == mine.code

    def label(self) -> str:
        if self.is_national:
            return "national (VN)"
        unit = unit_directory().get(AdminMap.parse(self.map), self.code)
        name = unit.name if unit else self.code
        level = unit.level.value if unit else "unit"
        return f"{level} {self.code} {name} ({self.map} map)"

    def __str__(self) -> str:
        return NATIONAL_CODE if self.is_national else f"{self.map}:{self.code}"
