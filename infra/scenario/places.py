"""Where the scenario's people are received (địa bàn tiếp nhận).

Most are received at the border posts of the six key border provinces of the 2005 plan (seed
000): Quảng Ninh, Lạng Sơn, Lào Cai, Tây Ninh, An Giang, Đồng Tháp — Hồng Ngự district (seed
003) among them; the rest anywhere in the country. A reception before 1 July 2025 lies on the
old (63-province) map, one from that date on the 2025 map.
"""

from __future__ import annotations

import random
from datetime import date

from domain.reference.units import AdminMap, Unit, UnitLevel, unit_directory

#: The six key border provinces of the 2005–2010 plan (seed 000), by old-map code.
BORDER_PROVINCES: dict[str, str] = {
    "22": "Quảng Ninh",
    "20": "Lạng Sơn",
    "10": "Lào Cai",
    "72": "Tây Ninh",
    "89": "An Giang",
    "87": "Đồng Tháp",
}
#: Their old-map codes, in the plan's order.
BORDER_PROVINCES_OLD = tuple(BORDER_PROVINCES)
#: Huyện Hồng Ngự, Đồng Tháp (old map): the district of seed 003's report.
HONG_NGU_DISTRICT_OLD = "870"
#: Shares of receptions (before the 2025 map) in Hồng Ngự, and at border provinces.
HONG_NGU_SHARE = 0.08
BORDER_SHARE = 0.75


class ReceptionPlaces:
    """Draws the commune (xã) where a person is received, on the map in force that day."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        directory = unit_directory()
        self._communes: dict[tuple[AdminMap, str], list[Unit]] = {}
        for admin_map in AdminMap:
            for unit in directory.units(admin_map, UnitLevel.COMMUNE):
                assert unit.province_code is not None
                self._communes.setdefault((admin_map, unit.province_code), []).append(unit)
        for units in self._communes.values():
            units.sort(key=lambda u: u.code)
        self._old_provinces = sorted(
            u.code for u in directory.units(AdminMap.OLD, UnitLevel.PROVINCE)
        )
        self._hong_ngu = sorted(
            directory.children(directory.require(AdminMap.OLD, HONG_NGU_DISTRICT_OLD)),
            key=lambda u: u.code,
        )

    def draw(self, received_on: date) -> tuple[Unit, bool]:
        """The receiving commune, and whether it lies in a key border province."""
        admin_map = AdminMap.in_force_on(received_on)
        roll = self.rng.random()
        if roll < HONG_NGU_SHARE and admin_map is AdminMap.OLD:
            return self.rng.choice(self._hong_ngu), True
        if roll < BORDER_SHARE:
            old_province = self.rng.choice(BORDER_PROVINCES_OLD)
            border = True
        else:
            old_province = self.rng.choice(self._old_provinces)
            border = old_province in BORDER_PROVINCES_OLD
        province = old_province
        if admin_map is AdminMap.NEW:
            province = unit_directory().province_to_2025(old_province)
        return self.rng.choice(self._communes[(admin_map, province)]), border
