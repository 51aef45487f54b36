"""Public small counts: 1–4 hidden, 0 and 5+ shown; a lone hidden cell takes its row's total
with it; a KPI with a hidden figure shows no share."""

from __future__ import annotations

import itertools

import pytest

from projections.small_counts import (
    WITHHELD,
    hidden,
    notice,
    public_count,
    public_row,
    public_share,
)


def test_counts_of_one_to_four_are_hidden_and_nothing_else() -> None:
    assert [public_count(n) for n in range(8)] == [0, "<5", "<5", "<5", "<5", 5, 6, 7]
    assert public_count(2, threshold=3) == "<3" and public_count(3, threshold=3) == 3
    assert "1–4" in notice() and "<5" in notice()


@pytest.mark.property
def test_no_hidden_cell_can_be_worked_out_from_its_row() -> None:
    """For every row of four years with counts 0–7: whenever a cell is hidden, the shown
    figures (cells and total) leave every value 1–4 possible for it (this test found that
    withholding the total only for a lone hidden cell leaks 4 + 4 = 8, and that a hidden
    total still bounds its hidden cells)."""
    for values in itertools.product(range(8), repeat=4):
        shown, total = public_row(list(values), sum(values))
        for i, value in enumerate(values):
            if not hidden(value):
                assert shown[i] == value
                continue
            assert shown[i] == "<5"
            candidates = {
                c for c in range(1, 5)
                if _consistent(shown, total, i, c, values)
            }  # fmt: skip
            assert candidates == {1, 2, 3, 4}, (values, shown, total)


def _consistent(
    shown: list[int | str], total: int | str, i: int, guess: int, values: tuple[int, ...]
) -> bool:
    """Whether ``guess`` for cell ``i`` fits everything published (the other hidden cells
    free within 1–4)."""
    others = [j for j in range(len(shown)) if j != i and shown[j] == "<5"]
    for fill in itertools.product(range(1, 5), repeat=len(others)):
        cells = {i: guess, **dict(zip(others, fill, strict=True))}
        row = [cells.get(j, shown[j]) for j in range(len(shown))]
        whole = sum(int(v) for v in row)
        if total in (WITHHELD, whole) or (total == "<5" and hidden(whole)):
            return True
    return False


def test_a_share_with_a_hidden_figure_is_withheld() -> None:
    assert public_share(30, 40) == (30, 40, False)
    assert public_share(3, 40) == ("<5", 40, True)
    assert public_share(3, 4) == ("<5", "<5", True)
    assert public_share(0, 0) == (0, 0, False)
    assert public_share(2, None) == ("<5", None, True)
    assert public_share(12, None) == (12, None, False)
