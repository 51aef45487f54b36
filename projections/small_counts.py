"""Small counts in published figures (số liệu nhỏ khi công bố): suppressed, never shown.

A count of 1 to 4 people in a unit and year can point at someone a reader knows. Outputs
marked public (``socai rollup --public``, ``socai kpi --public``) therefore show:

- **primary suppression**: a count of people from 1 to ``threshold - 1`` as ``<5`` (0 and
  counts from the threshold up are shown as they are: a zero discloses no one);
- **secondary suppression**: a row with a hidden cell has its total withheld, as ``x``: with
  one hidden cell the total minus the others gives it back, with two the total can still
  force them (4 + 4 = 8), and even a hidden total bounds them (four cells under a total
  under 5 are each 1);
- a KPI share whose numerator or denominator is hidden is withheld (``x``): the percentage
  and the other figure would give it back.

**Complementary suppression (ẩn bổ sung) across a table.** A published table holds
figures bound by sums — a row's years add up to its total, the form's parts add up to their
whole (victims = male + female + unknown), units add up to their parent — and each sum is an
equation a reader can subtract in. :func:`public_table` takes every cell and every such sum
(:class:`Group`) and withholds more cells until:

1. **two or more per sum**: every sum with a hidden cell has at least two hidden members,
   so no single subtraction (a total minus its other parts) gives one back;
2. **one withheld, unbounded**: at least one of them is withheld as ``x`` (a reader knows
   only that it is ≥ 0), never only ``<5`` cells, whose sum a shown total would bound
   (4 + 4 = 8 forces both);
3. **no combination**: no hidden cell is determined by all the published sums together
   (exact rank test over the rationals: a cell is derivable by adding and subtracting
   published equations exactly when its unit vector lies in their row space).

The cell withheld in addition is the group's smallest shown non-zero count (every shown
count is 0 or ≥ the threshold); only when a group has none, one of its ``<5`` cells — its
whole first — is withheld as ``x`` instead. Money rows, and counts of documents, sessions or
items, are not about people and are shown as they are. Bounds that are inequalities (under
16 ≤ under 18 ≤ the sex total) give no equation and are not sums here; what this does not
cover — figures of units published in separate outputs, unless they are given together —
is stated in docs/PRIVACY.md. The threshold is a choice of the output, not of the data.
Pure: numbers in, displayed values out.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Generic, TypeVar

from domain.reference.rollup_form import PARTS

#: Counts below this (and above 0) are hidden.
THRESHOLD = 5
#: A cell withheld so that a hidden one cannot be worked out from it.
WITHHELD = "x"

K = TypeVar("K", bound=Hashable)


def hidden(count: int, threshold: int = THRESHOLD) -> bool:
    return 0 < count < threshold


def public_count(count: int, threshold: int = THRESHOLD) -> int | str:
    """``count``, or ``<threshold`` when it is small enough to point at someone."""
    return f"<{threshold}" if hidden(count, threshold) else count


def public_row(
    values: Sequence[int], total: int, threshold: int = THRESHOLD
) -> tuple[list[int | str], int | str]:
    """A row of counts and its total as published (see module doc)."""
    shown = [public_count(v, threshold) for v in values]
    shown_total = public_count(total, threshold)
    if any(hidden(v, threshold) for v in values):
        shown_total = WITHHELD
    return shown, shown_total


def public_share(
    numerator: int, denominator: int | None, threshold: int = THRESHOLD
) -> tuple[int | str, int | str | None, bool]:
    """A KPI's numerator and denominator as published, and whether its value (a share, or
    the count itself) must be withheld."""
    num = public_count(numerator, threshold)
    den = None if denominator is None else public_count(denominator, threshold)
    withheld = isinstance(num, str) or isinstance(den, str)
    return num, den, withheld


def notice(threshold: int = THRESHOLD) -> str:
    """What a public output says about itself."""
    return (
        f"public: counts of 1–{threshold - 1} people shown as <{threshold};"
        f" {WITHHELD}: withheld so that a hidden count cannot be worked out from it"
    )


@dataclass(frozen=True, slots=True)
class Group(Generic[K]):
    """A published sum (tổng): the cell ``whole`` equals the sum of the cells ``parts``."""

    whole: K
    parts: tuple[K, ...]

    @property
    def members(self) -> tuple[K, ...]:
        return (self.whole, *self.parts)


def public_table(
    cells: Mapping[K, int], groups: Iterable[Group[K]], threshold: int = THRESHOLD
) -> dict[K, int | str]:
    """Every cell as published: its count, ``<threshold`` (primary) or ``x`` (withheld so
    that no hidden cell follows from the sums; see module doc). ``groups`` name only keys of
    ``cells``; a cell in no group is suppressed only if it is small."""
    sums = [g for g in groups if len(g.parts) > 0]
    for g in sums:
        missing = [k for k in g.members if k not in cells]
        assert not missing, f"a sum names cells that are not in the table: {missing}"
    shown: dict[K, int | str] = {k: public_count(v, threshold) for k, v in cells.items()}
    small = f"<{threshold}"
    while True:
        _two_per_group(cells, shown, sums, small)
        derivable = determined([k for k, v in shown.items() if isinstance(v, str)], sums)
        if not derivable:
            return shown
        for key in sorted(derivable, key=repr):
            _withhold_near(cells, shown, sums, key, small)


def _withhold_near(
    cells: Mapping[K, int],
    shown: dict[K, int | str],
    sums: Sequence[Group[K]],
    key: K,
    small: str,
) -> None:
    """Rule 3: withhold one more cell in the nearest sum of ``key`` (through its hidden
    cells) that still shows one, so the equations that determine ``key`` gain an unknown."""
    seen_keys, seen_groups, frontier = {key}, set[int](), [key]
    while frontier:
        current = frontier.pop(0)
        for i, g in enumerate(sums):
            if i in seen_groups or current not in g.members:
                continue
            seen_groups.add(i)
            if _withhold_one(cells, shown, g, small, exclude=key):
                return
            for k in g.members:
                if k not in seen_keys and isinstance(shown[k], str):
                    seen_keys.add(k)
                    frontier.append(k)
    raise AssertionError(f"no cell left to withhold for {key!r}")


def _two_per_group(
    cells: Mapping[K, int], shown: dict[K, int | str], sums: Sequence[Group[K]], small: str
) -> None:
    """Rules 1 and 2 of the module doc, to a fixed point (withholding only grows)."""
    changed = True
    while changed:
        changed = False
        for g in sums:
            hid = [k for k in g.members if isinstance(shown[k], str)]
            if hid and (len(hid) < 2 or all(shown[k] == small for k in hid)):
                changed = _withhold_one(cells, shown, g, small) or changed


def _withhold_one(
    cells: Mapping[K, int],
    shown: dict[K, int | str],
    group: Group[K],
    small: str,
    exclude: K | None = None,
) -> bool:
    """Withhold one more member of ``group``: its smallest shown non-zero count; else one
    of its ``<5`` cells (the whole first) made ``x``; else its smallest shown zero. False
    when every member is already withheld."""
    members = [k for k in group.members if k != exclude]
    shown_counts = [k for k in members if not isinstance(shown[k], str)]
    nonzero = [k for k in shown_counts if cells[k] > 0]
    if nonzero:
        chosen = min(nonzero, key=lambda k: cells[k])
    elif any(shown[k] == small for k in members):
        chosen = next(k for k in members if shown[k] == small)
    elif shown_counts:
        chosen = shown_counts[0]
    else:
        return False
    shown[chosen] = WITHHELD
    return True


U = TypeVar("U", bound=Hashable)
#: A published cell of the form: (unit, row id, column: a year's index, or the total's).
FormCell = tuple[U, str, int]


def public_form(
    units: Mapping[U, Mapping[str, Sequence[int]]],
    children: Mapping[U, Sequence[U]] | None = None,
    threshold: int = THRESHOLD,
) -> dict[U, dict[str, list[int | str]]]:
    """The rollup form's person rows of one or more units as published together.

    ``units[u][row_id]`` is a row's year columns followed by its total (the rows counting
    people only; money and counts of items are not passed). The sums: each row's years add
    up to its total, the form's parts to their whole (``PARTS``) in every column, and each
    unit in ``children`` to the sum of its children's units, cell by cell — pass every unit
    that is published together, so that no cell follows from another unit's figures."""
    cells: dict[FormCell[U], int] = {}
    groups: list[Group[FormCell[U]]] = []
    for unit, rows in units.items():
        for row_id, values in rows.items():
            cells.update({(unit, row_id, col): v for col, v in enumerate(values)})
            total = len(values) - 1
            groups.append(
                Group((unit, row_id, total), tuple((unit, row_id, c) for c in range(total)))
            )
        width = len(next(iter(rows.values()), []))
        for rule in PARTS:
            if rule.whole in rows and all(p in rows for p in rule.parts):
                groups.extend(
                    Group((unit, rule.whole, c), tuple((unit, p, c) for p in rule.parts))
                    for c in range(width)
                )
    for parent, kids in (children or {}).items():
        for row_id, values in units[parent].items():
            groups.extend(
                Group((parent, row_id, c), tuple((k, row_id, c) for k in kids))
                for c in range(len(values))
            )
    shown = public_table(cells, groups, threshold)
    return {
        unit: {r: [shown[(unit, r, c)] for c in range(len(v))] for r, v in rows.items()}
        for unit, rows in units.items()
    }


def determined(hidden_keys: Sequence[K], sums: Iterable[Group[K]]) -> set[K]:
    """The hidden cells a reader can compute exactly from the published sums (each sum an
    equation in its hidden members, the shown ones known): those whose unit vector lies in
    the equations' row space, found by exact Gauss–Jordan elimination."""
    index = {k: i for i, k in enumerate(hidden_keys)}
    rows: list[dict[int, Fraction]] = []
    for g in sums:
        row: dict[int, Fraction] = {}
        for k, sign in ((g.whole, -1), *((p, 1) for p in g.parts)):
            if k in index:
                row[index[k]] = row.get(index[k], Fraction(0)) + sign
        row = {c: v for c, v in row.items() if v != 0}
        if row:
            rows.append(row)
    pivots: list[tuple[int, dict[int, Fraction]]] = []  # reduced row echelon form
    for row in rows:
        for col, prow in pivots:
            row = _eliminate(row, col, prow)
        if not row:
            continue
        col = min(row)
        lead = row[col]
        row = {c: v / lead for c, v in row.items()}
        pivots = [(pcol, _eliminate(prow, col, row)) for pcol, prow in pivots]
        pivots.append((col, row))
    return {hidden_keys[col] for col, prow in pivots if len(prow) == 1}


def _eliminate(
    row: dict[int, Fraction], col: int, pivot: dict[int, Fraction]
) -> dict[int, Fraction]:
    """``row`` minus the multiple of ``pivot`` (1 at ``col``) that clears its ``col``."""
    factor = row.get(col)
    if factor is None:
        return row
    out = dict(row)
    for c, v in pivot.items():
        out[c] = out.get(c, Fraction(0)) - factor * v
    return {c: v for c, v in out.items() if v != 0}
