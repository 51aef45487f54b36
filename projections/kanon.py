"""k-anonymity by generalisation and suppression (ẩn danh hóa k), as CTDC publishes case data.

A published record must not single anyone out: every combination of the **quasi-identifiers**
(the columns someone could know from elsewhere — age, sex, citizenship, country of
exploitation, year) must be shared by at least ``k`` records. :func:`k_anonymise` gets there
in two moves, both reported:

1. **Generalisation, whole columns at a time.** Each quasi-identifier has a hierarchy of ever
   coarser spellings (:class:`Hierarchy`: an age → a band → child/adult → nothing). While more
   records sit in groups smaller than ``k`` than the suppression budget allows, the column
   whose next level leaves the fewest such records is coarsened by one level (ties: the order
   the hierarchies are given in). Every record of a column is generalised alike, so a reader
   knows exactly what each column means.
2. **Suppression of records.** The records still in groups smaller than ``k`` are left out.

So every combination in the result appears at least ``k`` times, whatever the input: that is
the invariant, tested as a property. ``k = 1`` changes nothing. Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

#: A spelling of a value at one level of its hierarchy.
Generaliser = Callable[[str], str]


@dataclass(frozen=True)
class Hierarchy:
    """A quasi-identifier's levels: ``levels[0]`` the published spelling of a value,
    each next one coarser; ``names`` says what each level is, for the report."""

    column: str
    levels: tuple[Generaliser, ...]
    names: tuple[str, ...]

    def __post_init__(self) -> None:
        assert self.levels, self.column
        assert len(self.levels) == len(self.names), self.column

    @property
    def top(self) -> int:
        return len(self.levels) - 1

    def at(self, value: str, level: int) -> str:
        return self.levels[level](value)


@dataclass(frozen=True)
class Anonymised:
    """The records that may be published, and what was done to get them."""

    k: int
    rows: list[dict[str, str]]
    #: column → the level applied (0: as given).
    levels: dict[str, int]
    #: column → the name of that level.
    level_names: dict[str, str]
    #: Records left out (in groups smaller than k after generalisation).
    suppressed: int
    #: Of the records given.
    total: int
    #: (column, level) in the order they were applied.
    steps: list[tuple[str, int]] = field(default_factory=list)

    def smallest_group(self) -> int:
        """The size of the rarest combination published (0: nothing published)."""
        counts = Counter(_key(r, [c for c in self.levels]) for r in self.rows)
        return min(counts.values(), default=0)


def k_anonymise(
    records: Sequence[Mapping[str, str]],
    hierarchies: Sequence[Hierarchy],
    k: int,
    max_suppressed: float = 0.05,
) -> Anonymised:
    """``records`` made k-anonymous over the ``hierarchies``' columns (see module doc); at
    most ``max_suppressed`` of them are left out unless every column is at its top level."""
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")
    if not 0 <= max_suppressed <= 1:
        raise ValueError(f"max_suppressed is a fraction, not {max_suppressed}")
    columns = [h.column for h in hierarchies]
    levels = {h.column: 0 for h in hierarchies}
    budget = int(max_suppressed * len(records))
    steps: list[tuple[str, int]] = []
    while True:
        risky = _risky(records, hierarchies, levels, k)
        if risky <= budget:
            break
        open_ = [h for h in hierarchies if levels[h.column] < h.top]
        if not open_:
            break
        best = min(
            open_,
            key=lambda h: (
                _risky(records, hierarchies, {**levels, h.column: levels[h.column] + 1}, k),
                hierarchies.index(h),
            ),
        )
        levels[best.column] += 1
        steps.append((best.column, levels[best.column]))
    generalised = [_generalise(r, hierarchies, levels) for r in records]
    counts = Counter(_key(r, columns) for r in generalised)
    kept = [r for r in generalised if counts[_key(r, columns)] >= k]
    return Anonymised(
        k,
        kept,
        levels,
        {h.column: h.names[levels[h.column]] for h in hierarchies},
        len(records) - len(kept),
        len(records),
        steps,
    )


def _generalise(
    record: Mapping[str, str], hierarchies: Sequence[Hierarchy], levels: Mapping[str, int]
) -> dict[str, str]:
    out = dict(record)
    for h in hierarchies:
        out[h.column] = h.at(record[h.column], levels[h.column])
    return out


def _key(record: Mapping[str, str], columns: Sequence[str]) -> tuple[str, ...]:
    return tuple(record[c] for c in columns)


def _risky(
    records: Sequence[Mapping[str, str]],
    hierarchies: Sequence[Hierarchy],
    levels: Mapping[str, int],
    k: int,
) -> int:
    """How many records sit in combinations seen fewer than ``k`` times at ``levels``."""
    keys = [tuple(h.at(r[h.column], levels[h.column]) for h in hierarchies) for r in records]
    counts = Counter(keys)
    return sum(1 for key in keys if counts[key] < k)
