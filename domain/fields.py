"""Reading a command's named fields (trường) from a plain mapping: the CLI's flags or a
``--from-json`` file.

Every command of a case, an activity or a criminal proceeding is a frozen dataclass whose
fields are what an officer may give. The rules of reading them are the same everywhere and
written here once:

- a name the command does not have is refused, listing the names it has (a typo never passes
  silently as "not given");
- a value that is absent, ``None`` or the empty string is *not given*: the field's default
  applies, or, when it has none, the field is required;
- every given value is parsed by the command's own parser for that field, which raises
  :class:`~domain.errors.InvalidInput` naming the field, what is wrong and how to fix it.

Fields are read in declaration order, so the first refusal is the first field that is wrong.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import MISSING, fields
from datetime import date
from typing import Any, Self

from domain.errors import InvalidInput
from domain.text import is_ascii_digits
from domain.time import parse_date

#: Parses one given value of the named field (value, field name) → the checked value.
FieldParser = Callable[[Any, str], Any]


def is_given(value: object) -> bool:
    """Whether a field was given: ``None`` and ``""`` (an empty flag or JSON value) are not."""
    return value is not None and value != ""


def refuse_unknown(command: type[Any], data: Mapping[str, Any]) -> None:
    """Refuse names that are not fields of the dataclass ``command``."""
    if not isinstance(data, Mapping):
        raise InvalidInput(command.__name__, "expects an object of named fields")
    allowed = {f.name for f in fields(command)}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidInput(
            command.__name__, f"unknown fields {unknown}", hint=f"allowed: {sorted(allowed)}"
        )


def parse_fields(
    command: type[Any], data: Mapping[str, Any], parser_for: Callable[[str], FieldParser]
) -> dict[str, Any]:
    """The keyword arguments of ``command`` read from ``data`` by the rules above."""
    refuse_unknown(command, data)
    values: dict[str, Any] = {}
    for f in fields(command):
        raw = data.get(f.name)
        if not is_given(raw):
            if f.default is MISSING:
                raise InvalidInput(f.name, "is required")
            values[f.name] = f.default
            continue
        values[f.name] = parser_for(f.name)(raw, f.name)
    return values


def day(value: Any, field: str) -> date:
    """A business date (ngày nghiệp vụ): a ``date`` as it is, or text ``YYYY-MM-DD``."""
    return value if isinstance(value, date) else parse_date(str(value), field)


class ParsedFromFields(ABC):
    """Base of a frozen-dataclass command read by :func:`parse_fields`: each command family
    names the parser of each of its fields in :meth:`parser_for` (abstract: a family that
    does not cannot be instantiated)."""

    @classmethod
    @abstractmethod
    def parser_for(cls, name: str) -> FieldParser:
        """The parser of the field ``name``."""

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Self:
        return cls(**parse_fields(cls, data, cls.parser_for))


def whole_number(value: Any, field: str, low: int, high: int, *, what: str) -> int:
    """A whole number from ``low`` to ``high``, given as an int or as ASCII digits (never a
    truth value, a float or "²"); ``what`` names the kind of number in the refusal."""
    if isinstance(value, bool) or not (
        isinstance(value, int) or (isinstance(value, str) and is_ascii_digits(value.strip()))
    ):
        raise InvalidInput(field, f"{value!r} is not {what}")
    number = int(value)
    if not low <= number <= high:
        raise InvalidInput(field, f"{number} is outside {low}–{high}")
    return number
