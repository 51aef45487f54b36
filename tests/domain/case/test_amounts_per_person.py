"""The amounts one person may be paid (khoảng mức chi cho một người), per regime.

No legal text held in this project states an amount per person for the hardship allowance or
a loan (see ``AmountPerPerson``), so these tests pin the plausibility bounds themselves, that
each says it is no legal amount, and what the bounds are for: an amount in the wrong unit
never passes.
"""

from __future__ import annotations

from datetime import date

import pytest

from domain.case.rules import PLAUSIBILITY_ONLY, REGIMES, UNIT_FACTOR, AmountPerPerson, regime_on

#: (regime on that day, support type) → (low, high) in đồng. Changing a bound is a decision
#: to make on purpose (and to cite, once the decree's amount is held here).
PINNED = {
    (date(2024, 6, 1), "hardship_allowance"): (200_000, 10_000_000),
    (date(2024, 6, 1), "loan"): (1_000_000, 200_000_000),
    (date(2025, 7, 1), "hardship_allowance"): (200_000, 20_000_000),
    (date(2025, 7, 1), "loan"): (1_000_000, 300_000_000),
}


@pytest.mark.parametrize(("day", "support"), list(PINNED))
def test_each_bound_is_pinned(day: date, support: str) -> None:
    amount = regime_on(day).amount_per_person(support)
    assert amount is not None
    assert (amount.low_vnd, amount.high_vnd) == PINNED[(day, support)]
    assert isinstance(amount.low_vnd, int) and isinstance(amount.high_vnd, int)


def test_every_amount_of_every_regime_is_pinned() -> None:
    held = {(regime.name, a.support_type) for regime in REGIMES for a in regime.amounts_per_person}
    pinned = {(regime_on(day).name, support) for day, support in PINNED}
    assert held == pinned


def test_no_bound_claims_a_legal_amount_the_texts_do_not_give() -> None:
    for regime in REGIMES:
        for amount in regime.amounts_per_person:
            assert amount.basis == PLAUSIBILITY_ONLY, (regime.name, amount.support_type)
    assert "no amount per person" in PLAUSIBILITY_ONLY
    assert "None of them states an amount per person" in (AmountPerPerson.__doc__ or "")


@pytest.mark.parametrize(
    "amount", [a for regime in REGIMES for a in regime.amounts_per_person], ids=str
)
def test_an_amount_in_the_wrong_unit_falls_outside(amount: AmountPerPerson) -> None:
    """Any amount inside the range, written a thousand or a million times too large or too
    small (đồng vs thousand vs million đồng), lies outside it."""
    for paid in (amount.low_vnd, (amount.low_vnd + amount.high_vnd) // 2, amount.high_vnd):
        assert amount.low_vnd <= paid <= amount.high_vnd
        for factor in (UNIT_FACTOR, UNIT_FACTOR**2):
            assert paid * factor > amount.high_vnd
            assert paid / factor < amount.low_vnd


def test_a_range_too_wide_to_catch_a_unit_error_is_refused() -> None:
    with pytest.raises(AssertionError, match="wrong unit"):
        AmountPerPerson("loan", 1_000, 1_000_000)
    AmountPerPerson("loan", 1_000, 999_999)  # just narrower than a factor 1,000: accepted
