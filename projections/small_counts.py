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

Money rows, and counts of documents, sessions or items, are not about people and are shown
as they are. What this does not cover — stated in docs/PRIVACY.md — is differencing across
rows (a total row minus its parts) and across published units; the threshold is a choice
of the output, not of the data. Pure: numbers in, displayed values out.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Counts below this (and above 0) are hidden.
THRESHOLD = 5
#: A cell withheld so that a hidden one cannot be worked out from it.
WITHHELD = "x"


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
