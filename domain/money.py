"""Money is whole Vietnamese đồng (VND), as a Python ``int``. Never a float.

The smallest unit the programme's budgets use is 1 đồng; the rollup form reports money rows in
million VND (triệu đồng), which is a *presentation* of the same integers.
"""

from __future__ import annotations

import re
from decimal import Decimal

from domain.errors import InvalidInput

#: Digits, or digits grouped by threes with '.', ',' or ' ' (so "1.5" is refused, not read
#: as 15 đồng).
#: ASCII digits only: "²" or full-width "５" are not amounts, however Unicode classes them.
_AMOUNT_TEXT = re.compile(r"\d+|\d{1,3}(?:([.,  ])\d{3})(?:\1\d{3})*", re.ASCII)

#: An upper bound no single amount can exceed: 10^15 đồng (a thousand trillion). It catches a
#: unit mix-up (amounts typed in millions twice over) long before it can reach a budget.
MAX_AMOUNT_VND = 10**15


def require_amount_vnd(value: object, field: str = "amount_vnd") -> int:
    """Return ``value`` as a positive whole number of đồng, or raise :class:`InvalidInput`.

    Accepts an ``int`` or a string of digits (thousands separators '.', ',' or spaces are
    allowed, as Vietnamese finance staff write them: ``77.300.000.000``). Refuses floats,
    decimals with a fractional part, booleans, zero, negatives and absurdly large amounts.
    """
    if isinstance(value, bool):
        raise InvalidInput(field, "must be a whole number of đồng, not true/false")
    if isinstance(value, str):
        text = value.strip().removesuffix("đ").strip()
        if text.startswith("-"):
            raise InvalidInput(field, f"{value} is not positive", hint="amounts are > 0 đồng")
        if not _AMOUNT_TEXT.fullmatch(text):
            raise InvalidInput(
                field,
                f"{value!r} is not a whole number of đồng",
                hint="write digits, optionally grouped by threes: 500000, 500.000 or 500,000",
            )
        value = int(re.sub(r"[., ]", "", text))
    if not isinstance(value, int):
        raise InvalidInput(
            field,
            f"{value!r} is not a whole number of đồng",
            hint="money is integer đồng; 1.5 million is 1500000",
        )
    if value <= 0:
        raise InvalidInput(field, f"{value} is not positive", hint="amounts are > 0 đồng")
    if value > MAX_AMOUNT_VND:
        raise InvalidInput(field, f"{value} exceeds {MAX_AMOUNT_VND} đồng", hint="check the unit")
    return value


def format_vnd(amount_vnd: int) -> str:
    """Write an amount as Vietnamese finance staff do: ``77.300.000.000 đ``."""
    assert isinstance(amount_vnd, int)
    assert not isinstance(amount_vnd, bool)
    sign = "-" if amount_vnd < 0 else ""
    return f"{sign}{abs(amount_vnd):,}".replace(",", ".") + " đ"


#: Đồng in one million VND (triệu đồng), the unit of the rollup form's money rows.
DONG_PER_MILLION = 1_000_000


def million_vnd(amount_vnd: int) -> Decimal:
    """An amount in million VND (triệu đồng), exactly: 1,500,000 đ is ``Decimal("1.5")``.

    The one conversion for the form's money rows (exports, quality checks against events);
    never a float, so no report ever shows 1.4999999."""
    assert isinstance(amount_vnd, int)
    assert not isinstance(amount_vnd, bool)
    return Decimal(amount_vnd) / DONG_PER_MILLION
