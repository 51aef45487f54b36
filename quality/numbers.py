"""Numbers as Vietnamese statisticians write them (cách viết số): one parser for CSV and XLSX.

**The Vietnamese convention** (quy ước Việt Nam), the default for every submitted file:

* ``.`` groups thousands: ``1.200`` is one thousand two hundred, ``1.234.567`` a million and more;
* ``,`` is the decimal mark: ``1,5`` is one and a half, ``1.234,5`` is 1234.5;
* spaces (also no-break and thin spaces) may group thousands: ``1 200``;
* blank, ``-``, ``–`` and ``—`` are *blank* — not reported — never zero.

**The machine convention** (``.`` decimal point, no grouping: ``1.5``, ``1200``) applies only
where the file *declares* it (:data:`MACHINE`): socai's own canonical CSV export, or a file
whose first line is ``#numbers=machine``. Cells an XLSX stores as numbers are numbers already
and need no convention.

**Ambiguous cells are findings, never guesses.** A text that reads as two different numbers —
``1,200`` is 1.2 in the Vietnamese convention but 1200 to anyone typing in an English-locale
spreadsheet — or that is only a number in a convention the file does not use (``1.5`` in a
Vietnamese file: ``.`` groups thousands, so ``1.5`` is no number there) gets
:data:`AMBIGUOUS`, with both readings named. A text that is no number at all gets
:data:`NOT_A_NUMBER`. Either way the cell's value is unknown (NaN) and the checks that read it
are grouped under that finding (see :mod:`quality.structure`).

:func:`parse_texts` parses a whole column at once, each distinct text once (a national CSV
has a few hundred distinct texts in 900,000 cells).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

VIETNAMESE, MACHINE = "vi", "machine"
CONVENTIONS = (VIETNAMESE, MACHINE)

#: Outcomes of reading one cell.
OK, BLANK, AMBIGUOUS, NOT_A_NUMBER = "ok", "blank", "ambiguous_number", "not_a_number"

_BLANKS = frozenset({"", "-", "–", "—"})
_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")
_SIGN = re.compile(r"^([+\-−]?)(.*)$")
_DIGITS = re.compile(r"^\d+$")
_DOT_GROUPS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_COMMA_GROUPS = re.compile(r"^\d{1,3}(?:,\d{3})+$")
_VI_DECIMAL = re.compile(r"^(\d+|\d{1,3}(?:\.\d{3})+),(\d+)$")
_MACHINE = re.compile(r"^\d+(?:\.\d+)?$")
_EN_DECIMAL = re.compile(r"^(\d+|\d{1,3}(?:,\d{3})+)\.(\d+)$")


@dataclass(frozen=True, slots=True)
class Reading:
    """One cell read: ``value`` (NaN unless ``outcome`` is :data:`OK`) and, for a problem, the
    readings it could have (``"1.2 or 1200"``) so the finding can name them."""

    outcome: str
    value: float = math.nan
    readings: str = ""


def _grouped(
    body: str, groups: re.Pattern[str], decimal: re.Pattern[str], sep: str
) -> float | None:
    """``body`` as a number whose thousands are grouped by ``sep`` (``groups``) or with a
    decimal part (``decimal``: the whole part, then the decimals), else None."""
    if _DIGITS.match(body) or groups.match(body):
        return float(body.replace(sep, ""))
    if match := decimal.match(body):
        return float(f"{match.group(1).replace(sep, '')}.{match.group(2)}")
    return None


def _vietnamese(body: str) -> float | None:
    """``.`` groups thousands, ``,`` is the decimal mark."""
    return _grouped(body, _DOT_GROUPS, _VI_DECIMAL, ".")


def _english(body: str) -> float | None:
    """The reading of a spreadsheet typed in an English locale (``,`` thousands, ``.``
    decimal) — what a Vietnamese-convention text may have been meant as."""
    return _grouped(body, _COMMA_GROUPS, _EN_DECIMAL, ",")


def _machine(body: str) -> float | None:
    return float(body) if _MACHINE.match(body) else None


def _show(value: float) -> str:
    return str(int(value)) if value.is_integer() else f"{value:g}"


def read_text(text: str, convention: str = VIETNAMESE) -> Reading:
    """Read one cell's text in ``convention`` (:data:`VIETNAMESE` or :data:`MACHINE`)."""
    assert convention in CONVENTIONS, convention
    plain = _SPACES.sub("", unicodedata.normalize("NFC", text))
    if plain in _BLANKS:
        return Reading(BLANK)
    sign_text, body = _SIGN.match(plain).groups()  # type: ignore[union-attr]
    sign = -1.0 if sign_text in ("-", "−") else 1.0
    if convention == MACHINE:
        value = _machine(body)
        if value is not None:
            return Reading(OK, sign * value)
        other = _vietnamese(body)
        if other is not None:
            return Reading(AMBIGUOUS, readings=f"{_show(sign * other)} (Vietnamese convention)")
        return Reading(NOT_A_NUMBER)
    vi, en = _vietnamese(body), _english(body)
    if vi is not None and (en is None or en == vi):
        return Reading(OK, sign * vi)
    if vi is not None and en is not None and "," in body and "." not in body:
        # "1,200": 1.2 here, 1200 as typed in an English-locale spreadsheet
        return Reading(AMBIGUOUS, readings=f"{_show(sign * vi)} or {_show(sign * en)}")
    if vi is not None:
        return Reading(OK, sign * vi)  # "1.200" is 1200: the dot groups thousands
    if en is not None:
        return Reading(AMBIGUOUS, readings=f"{_show(sign * en)} in the machine convention only")
    return Reading(NOT_A_NUMBER)


def read_cell(value: object, convention: str = VIETNAMESE) -> Reading:
    """A cell as a spreadsheet library gives it: None, a number, or text."""
    if value is None:
        return Reading(BLANK)
    if isinstance(value, bool):
        return Reading(NOT_A_NUMBER)
    if isinstance(value, int | float):
        number = float(value)
        return Reading(BLANK) if math.isnan(number) else Reading(OK, number)
    return read_text(str(value), convention)


@dataclass(frozen=True, slots=True)
class Column:
    """A whole column read: values (NaN where blank or unreadable) and the problems, as
    ``(position, text, reading)`` for each cell that is not a number or is ambiguous."""

    values: np.ndarray
    problems: tuple[tuple[int, str, Reading], ...]


def parse_texts(texts: Sequence[object] | Any, convention: str = VIETNAMESE) -> Column:
    """Read a column of cells (a sequence or a pandas Series), each distinct cell once."""
    import pandas as pd

    series = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    readings = [read_cell(u, convention) for u in uniques]
    values = np.array([r.value for r in readings], dtype="float64")[codes]
    problems = []
    bad = [k for k, r in enumerate(readings) if r.outcome in (AMBIGUOUS, NOT_A_NUMBER)]
    if bad:
        for position in np.flatnonzero(np.isin(codes, bad)):
            k = int(codes[position])
            problems.append((int(position), str(uniques[k]), readings[k]))
    return Column(values, tuple(problems))
