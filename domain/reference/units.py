"""Administrative units (đơn vị hành chính) on both maps, and the crosswalk between them.

Viet Nam changed its map on 1 July 2025: before, 63 provinces (tỉnh) with districts (huyện) and
about 10,000 communes (xã, phường, thị trấn); from then on, 34 provinces and 3,321 communes, no
districts. Reports for 2016–2024 were made on the old map. Unit codes are the statistics
office's: 2 digits for a province, 3 for a district, 5 for a commune. Codes are unique only
*within* a map (new commune 00004 is not old commune 00004), so a unit is always named by
``(map, code)``; the nation is ``VN`` on both maps.

The data comes from the maintained ``vietnamadminunits`` package (both maps and its 2025
conversion table); nothing here is typed by hand.
"""

from __future__ import annotations

import importlib.util
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from domain.errors import InvalidInput
from domain.text import search_key
from domain.time import REFORM_DAY_2025

NATIONAL_CODE = "VN"

#: The first day of the two-tier local government (Resolution 202/2025/QH15).
NEW_MAP_FROM = REFORM_DAY_2025


class AdminMap(StrEnum):
    OLD = "old"  # 63 provinces with districts, in force until 30 June 2025
    NEW = "2025"  # 34 provinces, communes directly under them, from 1 July 2025

    @classmethod
    def in_force_on(cls, day: date) -> AdminMap:
        return cls.NEW if day >= NEW_MAP_FROM else cls.OLD

    @classmethod
    def parse(cls, value: object, field: str = "map") -> AdminMap:
        text = str(value).strip().lower()
        if text in ("new", "2025"):
            return cls.NEW
        if text in ("old", "legacy", "63"):
            return cls.OLD
        raise InvalidInput(field, f"{value!r} is not a map", hint="use 'old' or '2025'")


class UnitLevel(StrEnum):
    NATIONAL = "national"
    PROVINCE = "province"
    DISTRICT = "district"
    COMMUNE = "commune"


@dataclass(frozen=True, slots=True)
class Unit:
    map: AdminMap
    level: UnitLevel
    code: str
    name: str
    province_code: str | None
    district_code: str | None

    @property
    def parent_code(self) -> str | None:
        if self.level is UnitLevel.NATIONAL:
            return None
        if self.level is UnitLevel.PROVINCE:
            return NATIONAL_CODE
        if self.level is UnitLevel.DISTRICT:
            return self.province_code
        return self.district_code or self.province_code

    def __str__(self) -> str:
        return f"{self.name} ({self.code}, {self.map.value} map)"


def _package_data(name: str) -> Path | None:
    """A data file of the ``vietnamadminunits`` package, found without importing it (None:
    not where this version keeps it).

    The package's ``__init__`` imports its address parsers, which compile some hundreds of
    regular expressions (about 0.7 s, a quarter of a CLI command's run) that socai never
    uses. Its data is a SQLite file and a JSON crosswalk, read here the way the package
    reads them; should they not be found, the package's own functions are used."""
    spec = importlib.util.find_spec("vietnamadminunits")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    path = Path(folders[0]) / "data" / name if folders else None
    return path if path is not None and path.is_file() else None


def _dataset_query() -> Callable[[str], list[dict[str, Any]]]:
    """``vietnamadminunits.database.query`` (see :func:`_package_data`)."""
    dataset = _package_data("dataset.db")
    if dataset is None:
        from vietnamadminunits.database import query

        return query  # type: ignore[no-any-return]

    def query_dataset(sql: str) -> list[dict[str, Any]]:
        with closing(sqlite3.connect(f"{dataset.as_uri()}?mode=ro", uri=True)) as connection:
            connection.row_factory = sqlite3.Row
            return [dict(row) for row in connection.execute(sql)]

    return query_dataset


def _converter_2025() -> dict[str, Any]:
    """The 2025 crosswalk of ``vietnamadminunits.converter.converter_2025`` (its
    ``DICT_PROVINCE``, ``DICT_PROVINCE_WARD_NO_DIVIDED`` and ``…_DIVIDED``)."""
    data = _package_data("converter_2025.json")
    if data is None:
        from vietnamadminunits.converter import converter_2025

        return dict(converter_2025.converter_data)
    loaded: dict[str, Any] = json.loads(data.read_text(encoding="utf-8"))
    return loaded


class UnitDirectory:
    """All units of both maps, their hierarchy, and the old → 2025 crosswalk."""

    def __init__(self) -> None:
        query = _dataset_query()
        self._units: dict[tuple[AdminMap, str], Unit] = {}
        self._children: dict[tuple[AdminMap, str], list[str]] = defaultdict(list)
        for admin_map in AdminMap:
            self._add(Unit(admin_map, UnitLevel.NATIONAL, NATIONAL_CODE, "Việt Nam", None, None))

        legacy = query(
            "SELECT DISTINCT province, provinceCode, provinceKey, district, districtCode,"
            " districtKey, ward, wardCode, wardKey FROM admin_units_legacy"
        )
        for row in legacy:
            p, d = row["provinceCode"], row["districtCode"]
            self._add(Unit(AdminMap.OLD, UnitLevel.PROVINCE, p, row["province"], p, None))
            self._add(Unit(AdminMap.OLD, UnitLevel.DISTRICT, d, row["district"], p, None))
            if row["wardCode"]:
                self._add(Unit(AdminMap.OLD, UnitLevel.COMMUNE, row["wardCode"], row["ward"], p, d))

        current = query(
            "SELECT DISTINCT province, provinceCode, provinceKey, ward, wardCode, wardKey"
            " FROM admin_units"
        )
        for row in current:
            p = row["provinceCode"]
            self._add(Unit(AdminMap.NEW, UnitLevel.PROVINCE, p, row["province"], p, None))
            self._add(Unit(AdminMap.NEW, UnitLevel.COMMUNE, row["wardCode"], row["ward"], p, None))

        self._to_2025 = _build_crosswalk(legacy, current)

    def _add(self, unit: Unit) -> None:
        key = (unit.map, unit.code)
        if key in self._units:
            return
        self._units[key] = unit
        if unit.parent_code is not None:
            self._children[(unit.map, unit.parent_code)].append(unit.code)

    # -- look-ups -------------------------------------------------------------------------

    def get(self, admin_map: AdminMap, code: str) -> Unit | None:
        return self._units.get((admin_map, str(code).strip()))

    def require(self, admin_map: AdminMap, code: object, field: str = "unit_code") -> Unit:
        unit = self.get(admin_map, str(code))
        if unit is None:
            raise InvalidInput(
                field,
                f"{code!r} is not a unit code on the {admin_map.value} map",
                hint=(
                    "use the statistics office code: 2 digits for a province, 3 for a district"
                    " (old map only), 5 for a commune; units before 1 July 2025 are on the old"
                    " map, from then on the 2025 map — `socai units find NAME` looks one up"
                ),
            )
        return unit

    def resolve(
        self,
        text: str,
        field: str = "--unit",
        national_map: AdminMap | None = None,
        on_map: AdminMap | None = None,
    ) -> Unit:
        """The one unit a person means by ``text`` — the one spelling of a unit everywhere:

        - ``MAP:CODE`` (``old:870``, ``2025:82``): exactly that unit;
        - a bare code (``870``): the unit with that code on the one map that has it (a code on
          both maps is ambiguous and must say its map); ``VN``, the nation, is on both maps and
          means the one on ``national_map`` (the command's reporting map) when given;
        - a name, with or without diacritics (``Hồng Ngự``, ``hong ngu``): the one unit whose
          name ends with it (ambiguous names list their candidates as ``MAP:CODE``).

        ``on_map`` keeps a bare code's or a name's candidates to one map (a scope is named on
        the map in force); ``MAP:CODE`` is still exactly that unit, for the caller to judge.
        """
        given = text.strip()
        head, colon, code = given.partition(":")
        if colon:
            return self.require(AdminMap.parse(head, field), code, field)
        if given.upper() == NATIONAL_CODE and national_map is not None:
            return self._units[(national_map, NATIONAL_CODE)]
        candidates = [u for m in AdminMap if (u := self.get(m, given.upper())) is not None]
        if not candidates and not given.isdigit():
            needle = f" {search_key(given)}"
            candidates = [u for u in self.find(given) if f" {search_key(u.name)}".endswith(needle)]
        if on_map is not None:
            candidates = [u for u in candidates if u.map is on_map]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            raise InvalidInput(
                field,
                f"{given!r} is not a unit code or name on either map",
                hint="write MAP:CODE (old:870, 2025:82) or a name; `socai units find NAME`"
                " lists codes",
            )
        shown = ", ".join(f"{u.map.value}:{u.code} ({u.name})" for u in candidates[:6])
        raise InvalidInput(
            field,
            f"{given!r} names {len(candidates)} units: {shown}"
            + (" …" if len(candidates) > 6 else ""),
            hint="write the one you mean as MAP:CODE",
        )

    def parent(self, unit: Unit) -> Unit | None:
        code = unit.parent_code
        return None if code is None else self._units[(unit.map, code)]

    def ancestors(self, unit: Unit) -> list[Unit]:
        """The unit itself, then each parent up to the nation."""
        chain = [unit]
        while (up := self.parent(chain[-1])) is not None:
            chain.append(up)
        return chain

    def children(self, unit: Unit) -> list[Unit]:
        return [self._units[(unit.map, c)] for c in self._children.get((unit.map, unit.code), [])]

    def units(self, admin_map: AdminMap, level: UnitLevel) -> Iterator[Unit]:
        return (u for u in self._units.values() if u.map is admin_map and u.level is level)

    def find(self, text: str, admin_map: AdminMap | None = None) -> list[Unit]:
        """Units whose name contains ``text`` from a word's start, with or without diacritics
        ("Hong Ngu" finds "Huyện Hồng Ngự"); names ending in it first, then by map and code."""
        needle = f" {search_key(text)}"
        found = [
            u
            for u in self._units.values()
            if (admin_map is None or u.map is admin_map) and needle in f" {search_key(u.name)}"
        ]
        return sorted(
            found, key=lambda u: (not f" {search_key(u.name)}".endswith(needle), u.map, u.code)
        )

    # -- the 2025 crosswalk --------------------------------------------------------------

    def to_2025(self, unit: Unit) -> Unit:
        """The 2025-map unit that an old-map unit's people are reported under.

        A commune maps to the new commune that absorbed it (where an old commune was split,
        the conversion table's default successor); a district or province maps to the new
        province containing it (provinces merged whole, so this is exact). The nation maps to
        itself. A 2025-map unit is returned unchanged.
        """
        if unit.map is AdminMap.NEW:
            return unit
        if unit.level is UnitLevel.NATIONAL:
            return self._units[(AdminMap.NEW, NATIONAL_CODE)]
        if unit.level is UnitLevel.COMMUNE and unit.code in self._to_2025.communes:
            return self._units[(AdminMap.NEW, self._to_2025.communes[unit.code])]
        assert unit.province_code is not None
        return self._units[(AdminMap.NEW, self._to_2025.provinces[unit.province_code])]

    def province_to_2025(self, old_province_code: str) -> str:
        return self._to_2025.provinces[old_province_code]


@dataclass(frozen=True, slots=True)
class _Crosswalk:
    provinces: dict[str, str]  # old province code -> new province code
    communes: dict[str, str]  # old commune code -> new commune code


def _build_crosswalk(legacy: list[dict[str, str]], current: list[dict[str, str]]) -> _Crosswalk:
    converter = _converter_2025()
    by_province = converter["DICT_PROVINCE"]
    wards_kept = converter["DICT_PROVINCE_WARD_NO_DIVIDED"]
    wards_divided = converter["DICT_PROVINCE_WARD_DIVIDED"]

    new_province_by_key = {r["provinceKey"]: r["provinceCode"] for r in current}
    new_ward_by_key = {(r["provinceKey"], r["wardKey"]): r["wardCode"] for r in current}
    old_province_by_key = {r["provinceKey"]: r["provinceCode"] for r in legacy}
    old_ward_by_key = {
        f"{r['provinceKey']}_{r['districtKey']}_{r['wardKey']}": r["wardCode"]
        for r in legacy
        if r["wardCode"]
    }

    provinces: dict[str, str] = {}
    for new_key, old_keys in by_province.items():
        for old_key in old_keys:
            provinces[old_province_by_key[old_key]] = new_province_by_key[new_key]
    assert len(provinces) == 63, f"crosswalk covers {len(provinces)} of 63 old provinces"

    communes: dict[str, str] = {}
    for new_province_key, wards in wards_kept.items():
        for new_ward_key, old_keys in wards.items():
            new_code = new_ward_by_key.get((new_province_key, new_ward_key))
            for old_key in old_keys:
                if new_code and old_key in old_ward_by_key:
                    communes[old_ward_by_key[old_key]] = new_code
    for new_province_key, divided in wards_divided.items():
        for old_key, successors in divided.items():
            default = next((s for s in successors if s.get("isDefaultNewWard")), successors[0])
            new_code = new_ward_by_key.get((new_province_key, default["newWardKey"]))
            if new_code and old_key in old_ward_by_key:
                communes.setdefault(old_ward_by_key[old_key], new_code)
    return _Crosswalk(provinces, communes)


@cache
def unit_directory() -> UnitDirectory:
    """The process-wide directory (built once, ~0.3 s, from the package's data)."""
    return UnitDirectory()
