"""The SQL engines' rule conditions as SQL text (câu điều kiện SQL), built by string formatting.

GX compiles every query it sends; a condition handed to it as a SQLAlchemy expression tree is
built node by node and then walked again by the compiler — for the total rule (every form
row's stated total against the sum of the unit's five years: some 1,200 nodes) that costs more
than SQLite takes to evaluate the query. Here each condition is written once as text, which
GX embeds as it is (``sqlalchemy.literal_column``), on SQLite and PostgreSQL alike.

Invariants:

* Every column name goes through the dialect's ``quote`` (the identifier preparer's, so a
  mixed-case name such as ``r_I_2`` is quoted, and PostgreSQL does not fold it).
* No value is bound: the only literal is the tolerance, written as ``repr(TOLERANCE)``
  (``1e-07``), which SQLite and PostgreSQL read as exactly that double (checked by
  ``tests/quality/test_sql_text.py``). Figures whose text form might not be read back
  exactly (the money rule's legal amounts) stay bound parameters in SQLAlchemy expressions.
* Every condition is one parenthesised expression: GX puts ``NOT`` before it, which would
  otherwise bind to its first term only.
* **Blank is not zero**: each condition decides NULL itself, as the pandas engine decides NaN
  (see :mod:`quality.expectations`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from quality.checks import TOLERANCE
from quality.frames import PARENT_ROW, UNIT_NUMBER, UNIT_YEAR_NUMBER, by_year_column

#: The dialect's identifier quoting (``dialect.identifier_preparer.quote``).
Quote = Callable[[str], str]

#: The tolerance as SQL reads it: the shortest text of the double, read back exactly.
TOLERANCE_SQL = repr(TOLERANCE)

#: A condition that always holds, on every dialect (SQLite before 3.23 has no ``TRUE``).
ALWAYS = "(1 = 1)"


def all_of(conditions: Sequence[str]) -> str:
    """Every condition holds (each in parentheses, so precedence never leaks)."""
    return "(" + " AND ".join(f"({c})" for c in conditions) + ")" if conditions else ALWAYS


def sum_holds(whole: str, parts: Sequence[str]) -> str:
    """``whole`` = Σ ``parts`` (column references, already quoted), or every cell blank. As
    "the difference (NULL as soon as one cell is blank) is within tolerance, or, where it is
    NULL, every cell is blank" — one expression where most cells are filled, not a test per
    cell."""
    assert parts, "a sum needs at least one part"
    all_blank = " AND ".join(f"{x} IS NULL" for x in (whole, *parts))
    return f"coalesce(abs({whole} - ({' + '.join(parts)})) < {TOLERANCE_SQL}, {all_blank})"


def sums_hold(groups: Sequence[Sequence[str]], quote: Quote) -> str:
    """Each group ``[whole, part, ...]`` (column names) holds."""
    return all_of([sum_holds(quote(w), [quote(p) for p in parts]) for w, *parts in groups])


def pairs_ordered(pairs: Sequence[Sequence[str]], quote: Quote) -> str:
    """``smaller ≤ larger`` (within tolerance) wherever both are filled: the comparison is NULL
    where either is blank, and a NULL comparison holds."""
    return all_of(
        [f"coalesce({quote(s)} <= {quote(b)} + {TOLERANCE_SQL}, {ALWAYS})" for s, b in pairs]
    )


def counts(columns: Sequence[str], quote: Quote, same: str = "IS NOT DISTINCT FROM") -> str:
    """Every filled cell is a whole number ≥ 0: each cell is the same as ``abs(round(cell))``
    (a fraction or a negative figure differs: one comparison per cell, as pandas'
    ``values == round(values) >= 0``; a CAST to an integer would also call a whole figure
    beyond 2**63 wrong). ``same`` is the dialect's NULL-safe equality (``IS`` on SQLite,
    the standard's ``IS NOT DISTINCT FROM`` elsewhere): a blank cell is the same as its
    blank rounding, so it holds — one test per cell, and the first wrong cell ends the row."""
    return all_of([f"{quote(c)} {same} abs(round({quote(c)}))" for c in columns])


def same_operator(dialect_name: str) -> str:
    """The dialect's NULL-safe equality: SQLite's ``IS`` (older SQLite lacks the standard
    form), the standard ``IS NOT DISTINCT FROM`` on every other dialect."""
    return "IS" if dialect_name == "sqlite" else "IS NOT DISTINCT FROM"


def non_negative(columns: Sequence[str], quote: Quote) -> str:
    """Every filled cell is ≥ 0 (a blank cell's test is NULL)."""
    wrong = " OR ".join(f"{quote(c)} < 0" for c in columns)
    return f"(NOT coalesce({wrong}, 1 = 0))"


def totals_wrong(
    table_name: str, names: Sequence[str], years: int, years_table: str, quote: Quote
) -> str:
    """The units (``socai_unit``) of ``table_name`` where a stated total (``names``) is not
    the sum of the unit's ``years`` rows of ``years_table`` (blank is not zero). A unit's
    year figures are the by-year table's rows ``socai_unit × years + k``: one join per year
    on that table's row number."""
    totals = "socai_totals"
    joins = " ".join(
        f"JOIN {quote(years_table)} AS socai_year_{k}"
        f" ON socai_year_{k}.{UNIT_YEAR_NUMBER} = {totals}.{UNIT_NUMBER} * {years} + {k}"
        for k in range(years)
    )
    holds = [
        sum_holds(
            f"{totals}.{quote(n)}",
            [f"socai_year_{k}.{quote(by_year_column(n))}" for k in range(years)],
        )
        for n in names
    ]
    return (
        f"SELECT {totals}.{UNIT_NUMBER} FROM {quote(table_name)} AS {totals} {joins}"
        f" WHERE NOT {all_of(holds)}"
    )


def totals_hold(
    table_name: str, names: Sequence[str], years: int, years_table: str, quote: Quote
) -> str:
    """The totals table's row holds: its unit is not among :func:`totals_wrong`'s."""
    wrong = totals_wrong(table_name, names, years, years_table, quote)
    return f"({UNIT_NUMBER} NOT IN ({wrong}))"


def hierarchy_inputs(
    table_name: str, names: Sequence[str], value_columns: int, quote: Quote, *, by_row: bool
) -> str:
    """Each parent unit's own figures next to its children's count, sums and filled counts
    (one grouped pass over ``table_name``): the inputs of the hierarchy rule, per parent.
    Columns: the match columns (map, year...), ``socai_parent`` (the parent's code),
    ``socai_n``, then per value ``socai_own_i``, ``socai_total_i``, ``socai_filled_i``.

    ``by_row``: the table numbers its rows (``socai_unit_year``) and gives each row its
    parent's row, the same map and year (``socai_parent_row``, NULL where the parent is not
    in the table), as the SQL engines write the by-year table: the children are grouped by
    that one integer (an index serves the grouping) and each parent found by its row number,
    instead of grouping by the match columns and the parent code and joining on them."""
    unit, parent, *match = names[: len(names) - value_columns]
    values = names[len(names) - value_columns :]
    kids, parents, groups = "socai_children", "socai_parents", "socai_groups"
    aggregates = ["count(*) AS socai_n"] + [
        f"sum({kids}.{quote(v)}) AS socai_total_{i}, count({kids}.{quote(v)}) AS socai_filled_{i}"
        for i, v in enumerate(values)
    ]
    if by_row:
        key = f"{kids}.{PARENT_ROW}"
        grouped = (
            f"SELECT {key} AS {PARENT_ROW}, {', '.join(aggregates)}"
            f" FROM {quote(table_name)} AS {kids} WHERE {key} IS NOT NULL GROUP BY {key}"
        )
        on = f"{parents}.{UNIT_YEAR_NUMBER} = {groups}.{PARENT_ROW}"
        first = [f"{parents}.{quote(m)} AS {quote(m)}" for m in match]
        first.append(f"{parents}.{quote(unit)} AS socai_parent")
    else:
        keys = [f"{kids}.{quote(m)}" for m in match] + [f"{kids}.{quote(parent)}"]
        labels = [f"{kids}.{quote(m)} AS {quote(m)}" for m in match]
        labels.append(f"{kids}.{quote(parent)} AS socai_parent")
        grouped = (
            f"SELECT {', '.join([*labels, *aggregates])} FROM {quote(table_name)} AS {kids}"
            f" WHERE {kids}.{quote(parent)} IS NOT NULL GROUP BY {', '.join(keys)}"
        )
        on = " AND ".join(
            [
                f"{parents}.{quote(unit)} = {groups}.socai_parent",
                *(f"{parents}.{quote(m)} = {groups}.{quote(m)}" for m in match),
            ]
        )
        first = [f"{groups}.{quote(m)} AS {quote(m)}" for m in match]
        first.append(f"{groups}.socai_parent AS socai_parent")
    figures = [
        f"{parents}.{quote(v)} AS socai_own_{i}, {groups}.socai_total_{i} AS socai_total_{i},"
        f" {groups}.socai_filled_{i} AS socai_filled_{i}"
        for i, v in enumerate(values)
    ]
    return (
        f"SELECT {', '.join([*first, f'{groups}.socai_n AS socai_n', *figures])}"
        f" FROM ({grouped}) AS {groups}"
        f" JOIN {quote(table_name)} AS {parents} ON {on}"
    )


def parent_equals_children(
    names: Sequence[str],
    value_columns: int,
    quote: Quote,
    *,
    table_name: str,
    children_table: str | None,
) -> str:
    """The hierarchy rule on a row of ``table_name``: the row is not a parent whose figures
    disagree with its children's in any value column (blank is not zero: a blank parent over
    blank children, or a filled parent over filled children summing to it). The inputs are
    read from ``children_table`` when the run materialised them (once per run instead of once
    per query GX sends), or computed inline (:func:`hierarchy_inputs`)."""
    unit, _parent, *match = names[: len(names) - value_columns]
    source = "socai_in"
    if children_table is None:
        inline = hierarchy_inputs(table_name, names, value_columns, quote, by_row=False)
        inputs = f"({inline}) AS {source}"
    else:
        inputs = f"{quote(children_table)} AS {source}"
    agrees = []
    for i in range(value_columns):
        own, total = f"{source}.socai_own_{i}", f"{source}.socai_total_{i}"
        filled = f"{source}.socai_filled_{i}"
        agrees.append(
            f"({own} IS NULL AND {filled} = 0) OR ({own} IS NOT NULL"
            f" AND {filled} = {source}.socai_n AND abs({own} - {total}) < {TOLERANCE_SQL})"
        )
    keys = ", ".join([*(quote(m) for m in match), quote(unit)])
    wrong = ", ".join([*(f"{source}.{quote(m)}" for m in match), f"{source}.socai_parent"])
    return f"(({keys}) NOT IN (SELECT {wrong} FROM {inputs} WHERE NOT {all_of(agrees)}))"


__all__ = [
    "ALWAYS",
    "TOLERANCE_SQL",
    "Quote",
    "all_of",
    "counts",
    "hierarchy_inputs",
    "non_negative",
    "pairs_ordered",
    "parent_equals_children",
    "same_operator",
    "sum_holds",
    "sums_hold",
    "totals_hold",
    "totals_wrong",
]
