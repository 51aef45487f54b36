"""Public small counts: 1–4 hidden, 0 and 5+ shown; a lone hidden cell takes its row's total
with it; a KPI with a hidden figure shows no share."""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy
import pytest

from domain.reference.rollup_form import PARTS, form_rows
from projections.small_counts import (
    WITHHELD,
    Group,
    hidden,
    notice,
    public_count,
    public_form,
    public_row,
    public_share,
    public_table,
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


# --- complementary suppression across the form's sums and across units -------------------

PERSON_ROWS = [r.row_id for r in form_rows() if r.unit == "person"]
YEARS = 4


def _split(rng: random.Random, whole: int, n: int) -> list[int]:
    """``whole`` split into ``n`` non-negative parts, small ones planted often."""
    cuts = sorted(rng.randint(0, whole) for _ in range(n - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, whole], strict=True)]


def _unit_table(rng: random.Random) -> dict[str, list[int]]:
    """A filled form (person rows, years then total) whose parts add up to their wholes."""
    table: dict[str, list[int]] = {}
    by_year: dict[str, list[int]] = {r: [] for r in PERSON_ROWS}
    for _ in range(YEARS):
        year = {r: rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 9, 14, 30]) for r in PERSON_ROWS}
        for rule in PARTS:  # wholes first in PARTS order, so nested sums stay consistent
            if rule.whole == "I.2.d.abroad":
                continue
            year.update(
                zip(rule.parts, _split(rng, year[rule.whole], len(rule.parts)), strict=True)
            )
        abroad = next(r for r in PARTS if r.whole == "I.2.d.abroad")
        year.update(
            zip(abroad.parts, _split(rng, year["I.2.d.abroad"], len(abroad.parts)), strict=True)
        )
        for r in PERSON_ROWS:
            by_year[r].append(year[r])
    for r, values in by_year.items():
        table[r] = [*values, sum(values)]
    return table


def _sums(
    units: dict[str, dict[str, list[int]]], children: dict[str, list[str]]
) -> list[Group[Any]]:
    """Every equation a reader of these tables can subtract in (written out here, apart from
    the module's own list)."""
    sums: list[Group[Any]] = []
    width = YEARS + 1
    for u, table in units.items():
        for r in table:
            sums.append(Group((u, r, YEARS), tuple((u, r, c) for c in range(YEARS))))
        for rule in PARTS:
            for c in range(width):
                sums.append(Group((u, rule.whole, c), tuple((u, p, c) for p in rule.parts)))
    for parent, kids in children.items():
        for r in PERSON_ROWS:
            for c in range(width):
                sums.append(Group((parent, r, c), tuple((k, r, c) for k in kids)))
    return sums


def _check_published(
    units: dict[str, dict[str, list[int]]],
    published: dict[str, dict[str, list[int | str]]],
    sums: list[Group[Any]],
) -> int:
    """The published tables disclose no hidden cell; returns how many cells are hidden."""
    shown = {
        (u, r, c): v for u, t in published.items() for r, vs in t.items() for c, v in enumerate(vs)
    }
    truth = {
        (u, r, c): v for u, t in units.items() for r, vs in t.items() for c, v in enumerate(vs)
    }
    for key, value in truth.items():
        if hidden(value):
            assert shown[key] in ("<5", WITHHELD), key
        else:
            assert shown[key] in (value, WITHHELD), key
    secret = [k for k, v in shown.items() if isinstance(v, str)]
    for g in sums:
        hid = [k for k in g.members if k in secret]
        if not hid:
            continue
        # a total minus its other parts: needs exactly one unknown member
        assert len(hid) >= 2, (g, hid)
        # only "<5" members: their sum is known and bounded (4 + 4 = 8)
        assert any(shown[k] == WITHHELD for k in hid), (g, hid)
    # any combination of sums: a hidden cell is derivable iff its unit vector is in the
    # row space of the equations in the hidden cells (numpy's rank, not the module's)
    col = {k: i for i, k in enumerate(secret)}
    matrix = numpy.zeros((len(sums), len(secret)))
    for i, g in enumerate(sums):
        for k, sign in ((g.whole, -1.0), *((p, 1.0) for p in g.parts)):
            if k in col:
                matrix[i, col[k]] += sign
    # e_v is in the row space exactly when every vector of the null space is 0 at v
    _, singular, vt = numpy.linalg.svd(matrix)
    rank = int((singular > 1e-9).sum())
    null_space = vt[rank:]
    for k, j in col.items():
        assert numpy.abs(null_space[:, j]).max(initial=0.0) > 1e-9, k
    return sum(1 for k in secret if shown[k] == "<5")


@pytest.mark.property
@pytest.mark.parametrize("seed", range(6))
def test_no_hidden_cell_of_the_form_follows_from_its_sums(seed: int) -> None:
    """Planted small counts in a random filled form: every row total and every part/whole
    sum of the form (victims = male + female + unknown, …) leaves each hidden cell
    underivable, alone or combined; cells not needed stay shown."""
    rng = random.Random(seed)
    units = {"U": _unit_table(rng)}
    published = public_form(units)
    assert _check_published(units, published, _sums(units, {})) > 0
    withheld = sum(v == WITHHELD for vs in published["U"].values() for v in vs)
    assert withheld < len(PERSON_ROWS) * (YEARS + 1) / 2, "suppression should stay small"


@pytest.mark.property
@pytest.mark.parametrize("seed", range(4))
def test_no_hidden_cell_follows_from_the_units_that_sum_to_their_parent(seed: int) -> None:
    """A province and its three communes published together: a commune's hidden cell cannot
    be worked out as the province's figure minus the other communes'."""
    rng = random.Random(100 + seed)
    kids = {k: _unit_table(rng) for k in ("C1", "C2", "C3")}
    parent = {r: [sum(kids[k][r][c] for k in kids) for c in range(YEARS + 1)] for r in PERSON_ROWS}
    units = {"P": parent, **kids}
    children = {"P": list(kids)}
    published = public_form(units, children)
    assert _check_published(units, published, _sums(units, children)) > 0


def test_a_lone_small_count_takes_the_smallest_shown_cell_of_its_sum_with_it() -> None:
    """victims 20 = male 17 + female 3 + unknown 0: female hidden; the smallest non-zero other
    member (male 17, not the zero) is withheld, and in the row the same rule applies."""
    cells = {"I.2": 20, "m": 17, "f": 3, "u": 0}
    shown = public_table(cells, [Group("I.2", ("m", "f", "u"))])
    assert shown == {"I.2": 20, "m": WITHHELD, "f": "<5", "u": 0}
    assert public_table({"a": 9, "b": 12}, [Group("a", ("b",))]) == {"a": 9, "b": 12}


def test_no_small_count_means_nothing_withheld() -> None:
    """Counts of 0 and 5 up only: every cell is published as it is."""
    rng = random.Random(7)
    years = {r: [0 if hidden(v) else v for v in vs[:YEARS]] for r, vs in _unit_table(rng).items()}
    table = {r: [*vs, sum(vs)] for r, vs in years.items()}
    assert public_form({"U": table}) == {"U": table}
