"""One spelling of a unit everywhere: MAP:CODE, a code on one map, or a name without diacritics."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.reference.units import AdminMap, unit_directory
from domain.text import search_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("old:870", ("old", "870")),
        (" 2025:82 ", ("2025", "82")),
        ("870", ("old", "870")),  # a district: only the old map has districts
        ("huyện hồng ngự", ("old", "870")),
        ("HUYEN HONG NGU", ("old", "870")),
        ("Phuong Hong Ngu", ("2025", "29955")),
    ],
)
def test_a_unit_is_found_by_any_of_its_spellings(text: str, expected: tuple[str, str]) -> None:
    unit = unit_directory().resolve(text)
    assert (unit.map.value, unit.code) == expected


@pytest.mark.parametrize("text", ["Hong Ngu", "Đồng Tháp", "VN"])
def test_an_ambiguous_spelling_lists_its_candidates_as_map_code(text: str) -> None:
    with pytest.raises(InvalidInput, match=r"names \d+ units|not a unit") as caught:
        unit_directory().resolve(text)
    assert "MAP:CODE" in caught.value.hint


def test_the_nation_is_on_the_commands_reporting_map() -> None:
    assert unit_directory().resolve("vn", national_map=AdminMap.NEW).map is AdminMap.NEW


@pytest.mark.parametrize("text", ["zzz", "old:99999", "moon:1", "", ":"])
def test_no_such_unit_says_how_to_write_one(text: str) -> None:
    with pytest.raises(InvalidInput):
        unit_directory().resolve(text)


def test_search_ignores_diacritics_case_spaces_and_d_bar() -> None:
    assert search_key("  ĐỒNG   Tháp ") == search_key("dong thap") == "dong thap"
    names = [u.name for u in unit_directory().find("hong ngu")]
    assert "Huyện Hồng Ngự" in names and "Xã Thông Nguyên" not in names
