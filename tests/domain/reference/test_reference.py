"""Reference data comes from maintained packages and has the shape the law gives it."""

from __future__ import annotations

from datetime import date

import pytest

from domain.errors import InvalidInput
from domain.money import format_vnd, require_amount_vnd
from domain.reference.codes import SupportType
from domain.reference.countries import country_name, require_country
from domain.reference.units import AdminMap, UnitLevel, unit_directory


def test_both_maps_have_the_official_counts() -> None:
    d = unit_directory()
    assert len(list(d.units(AdminMap.OLD, UnitLevel.PROVINCE))) == 63
    assert len(list(d.units(AdminMap.NEW, UnitLevel.PROVINCE))) == 34
    assert len(list(d.units(AdminMap.NEW, UnitLevel.COMMUNE))) == 3321
    assert not list(d.units(AdminMap.NEW, UnitLevel.DISTRICT))


def test_the_crosswalk_sends_every_old_commune_into_its_provinces_successor() -> None:
    d = unit_directory()
    for commune in d.units(AdminMap.OLD, UnitLevel.COMMUNE):
        new = d.to_2025(commune)
        assert new.map is AdminMap.NEW and new.level is UnitLevel.COMMUNE
        assert commune.province_code is not None
        assert new.province_code == d.province_to_2025(commune.province_code)


def test_hong_ngu_district_and_its_hierarchy() -> None:
    d = unit_directory()
    district = d.require(AdminMap.OLD, "870")
    assert district.name == "Huyện Hồng Ngự"
    assert [u.code for u in d.ancestors(district)] == ["870", "87", "VN"]
    assert d.to_2025(district).name == "Tỉnh Đồng Tháp"
    assert all(c.level is UnitLevel.COMMUNE for c in d.children(district))


def test_map_in_force_by_date() -> None:
    assert AdminMap.in_force_on(date(2025, 6, 30)) is AdminMap.OLD
    assert AdminMap.in_force_on(date(2025, 7, 1)) is AdminMap.NEW


def test_countries_are_iso_3166() -> None:
    assert require_country("khm") == "KH"
    assert country_name("CN") == "Trung Quốc"
    with pytest.raises(InvalidInput, match="ISO 3166"):
        require_country("Narnia")


def test_support_types_carry_vietnamese_labels() -> None:
    assert SupportType.HARDSHIP_ALLOWANCE.label_vi == "Trợ cấp khó khăn ban đầu"
    assert SupportType.LOAN.requires_amount and not SupportType.LEGAL_AID.requires_amount


def test_money_is_whole_dong() -> None:
    assert require_amount_vnd("77.300.000.000") == 77_300_000_000
    assert format_vnd(77_300_000_000) == "77.300.000.000 đ"
    for bad in ("1.5", 0, -1, 1.0, "1,50", True, 10**16):
        with pytest.raises(InvalidInput):
            require_amount_vnd(bad)
