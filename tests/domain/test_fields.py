"""Reading a command's named fields (domain/fields.py), the one reader every case, activity
and proceedings command goes through: each kind of bad input is refused with its field named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.fields import FieldParser, ParsedFromFields, day, whole_number


@dataclass(frozen=True)
class Sample(ParsedFromFields):
    occurred_on: date
    count: int
    note: str | None = None

    @classmethod
    def parser_for(cls, name: str) -> FieldParser:
        return {
            "occurred_on": day,
            "count": lambda v, f: whole_number(v, f, 0, 10, what="a count"),
            "note": lambda v, f: str(v),
        }[name]


def test_given_fields_are_parsed_and_the_rest_take_their_defaults() -> None:
    parsed = Sample.parse({"occurred_on": "2019-03-02", "count": "7"})
    assert parsed == Sample(date(2019, 3, 2), 7, None)
    assert Sample.parse({"occurred_on": date(2019, 3, 2), "count": 3, "note": ""}).note is None


@pytest.mark.parametrize(
    ("data", "field", "says"),
    [
        ({"occurred_on": "2019-03-02", "count": 1, "colour": "red"}, "Sample", "unknown fields"),
        ({"count": 1}, "occurred_on", "is required"),
        ({"occurred_on": "", "count": 1}, "occurred_on", "is required"),
        ({"occurred_on": None, "count": 1}, "occurred_on", "is required"),
        ({"occurred_on": "2019-03-02", "count": True}, "count", "is not a count"),
        ({"occurred_on": "2019-03-02", "count": 2.0}, "count", "is not a count"),
        ({"occurred_on": "2019-03-02", "count": "²"}, "count", "is not a count"),
        ({"occurred_on": "2019-03-02", "count": "-1"}, "count", "is not a count"),
        ({"occurred_on": "2019-03-02", "count": "11"}, "count", "outside 0–10"),
        ({"occurred_on": "2019-02-30", "count": 1}, "occurred_on", "is not a date"),
    ],
)
def test_bad_input_is_refused_naming_its_field(data: dict[str, Any], field: str, says: str) -> None:
    with pytest.raises(InvalidInput, match=says) as refused:
        Sample.parse(data)
    assert refused.value.field == field


def test_a_value_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(InvalidInput, match="object of named fields"):
        Sample.parse(["occurred_on"])  # type: ignore[arg-type]
