"""The SQL engines' conditions written as text (câu điều kiện SQL): read as the pandas engine
reads the same cells.

The text carries one literal, the tolerance: SQLite must read it as exactly the double the
pandas engine compares with, or a difference at the edge would be judged differently. Every
column name goes through the dialect's quoting, so a mixed-case name (``r_I_2``) is one
column on PostgreSQL too. Each condition is evaluated on SQLite, cell by cell, against the
rule it states, blanks included (blank is not zero).
"""

from __future__ import annotations

import math
import sqlite3
from contextlib import closing
from typing import Any

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from quality import sql_text
from quality.checks import TOLERANCE

QUOTE = sqlite.dialect().identifier_preparer.quote


def _holds(condition: str, columns: list[str], *rows: tuple[Any, ...]) -> list[bool]:
    """Whether the condition holds on each row of a table of ``columns`` (SQLite, values bound
    as given), asked as GX asks."""
    with closing(sqlite3.connect(":memory:")) as db:
        db.execute(f"CREATE TABLE t ({', '.join(QUOTE(c) for c in columns)})")
        db.executemany(f"INSERT INTO t VALUES ({', '.join('?' for _ in columns)})", rows)
        # as GX asks: the rows where NOT the condition (it puts NOT before it, unparenthesised)
        wrong = db.execute(f"SELECT CASE WHEN NOT {condition} THEN 1 ELSE 0 END FROM t")
        return [not x for (x,) in wrong.fetchall()]


def test_the_tolerance_literal_is_read_as_the_very_double_compared_on_pandas() -> None:
    with closing(sqlite3.connect(":memory:")) as db:
        (same,) = db.execute(f"SELECT {sql_text.TOLERANCE_SQL} = ?", (TOLERANCE,)).fetchone()
    assert same == 1
    assert float(sql_text.TOLERANCE_SQL) == TOLERANCE


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "pg"])
def test_mixed_case_and_reserved_names_are_quoted(dialect: Any) -> None:
    quote = dialect.identifier_preparer.quote
    text = sql_text.pairs_ordered([["r_I_2_a_male", "order"]], quote)
    assert '"r_I_2_a_male"' in text and '"order"' in text


def test_a_sum_holds_within_tolerance_and_blank_is_not_zero() -> None:
    condition = sql_text.sums_hold([["w", "a", "b"]], QUOTE)
    rows = [
        (3.0, 1.0, 2.0),  # holds
        (3.0, 1.0, 2.0 + TOLERANCE / 2),  # within tolerance
        (3.0, 1.0, 2.0 + 2 * TOLERANCE),  # beyond it
        (None, None, None),  # all blank: nothing stated
        (3.0, 3.0, None),  # a blank part is not a zero
        (None, 1.0, 2.0),  # a blank whole is not the sum
    ]
    assert _holds(condition, ["w", "a", "b"], *rows) == [True, True, False, True, False, False]


def test_pairs_are_ordered_where_both_are_filled() -> None:
    condition = sql_text.pairs_ordered([["s", "b"]], QUOTE)
    rows = [
        (1.0, 2.0),
        (2.0, 2.0),
        (2.0 + TOLERANCE / 2, 2.0),
        (3.0, 2.0),
        (None, 1.0),
        (5.0, None),
    ]
    assert _holds(condition, ["s", "b"], *rows) == [True, True, True, False, True, True]


@pytest.mark.parametrize("same", ["IS", "IS NOT DISTINCT FROM"])
def test_counts_are_whole_and_not_negative_and_may_be_blank(same: str) -> None:
    """Both spellings of the NULL-safe equality (SQLite's and the standard's) on SQLite."""
    condition = sql_text.counts(["a", "b"], QUOTE, same)
    rows = [
        (0.0, 4.0),
        (None, None),
        (2.5, 1.0),  # a fraction
        (1.0, -1.0),  # a negative figure
        (None, -3.0),  # beside a blank
        (-0.5, None),
        (2.0**70, 1.0),  # whole, beyond any integer type
    ]
    assert _holds(condition, ["a", "b"], *rows) == [True, True, False, False, False, False, True]
    assert sql_text.same_operator("sqlite") == "IS"
    assert sql_text.same_operator("postgresql") == "IS NOT DISTINCT FROM"


def test_amounts_are_not_negative_and_may_be_blank() -> None:
    condition = sql_text.non_negative(["a"], QUOTE)
    assert _holds(condition, ["a"], (0.0,), (None,), (-0.5,), (math.pi,)) == [
        True,
        True,
        False,
        True,
    ]


def test_an_empty_family_always_holds() -> None:
    assert sql_text.all_of([]) == sql_text.ALWAYS
    assert _holds(sql_text.ALWAYS, ["a"], (None,)) == [True]
