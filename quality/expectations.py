"""socai's custom great-expectations: one expectation per *rule family*, on pandas and SQL.

GX's cost is per expectation (a metric graph, and on SQL several queries each), so every rule
family of the form is one expectation whose condition is the AND of its rules: all the form's
part sums in one, all nestings in one, all bounds in one... A row is *unexpected* when any
rule of the family is not clean there; :mod:`quality.results` then names which rules fail on
that row, and how (error or warning).

Importing this module registers the expectations with GX. :func:`require_registered` checks
at run time that each class is known to GX — a suite loaded without this module would
otherwise drop these expectations silently.

**Blank is not zero** (ô trống không phải số 0). GX's own pair and multicolumn checks treat
NULL differently on pandas and SQL; these expectations decide blanks themselves
(``ignore_row_if="never"``), identically on both engines:

* :class:`ExpectSumsToHold` — ``groups`` = ``[[whole, part, ...], ...]``: each group is clean
  when all its cells are blank, or all are filled and the whole equals the sum of the parts.
  Anything else (a mismatch, or some cells blank) is unexpected; whether a blank hides a
  value or is consistent with 0 is decided when the row is explained.
* :class:`ExpectParentToEqualSumOfChildUnits` — ``column_list = [unit_code, parent_code,
  *match, *values]``: each value (year) of a unit equals the sum of the same value over the
  rows whose ``parent_code`` is its ``unit_code`` and whose ``match`` columns (map, row id) are
  its own; a blank parent over blank children is clean. Units without child rows pass.
* :class:`ExpectPairsToBeOrdered` — ``pairs`` = ``[[smaller, larger], ...]``: smaller ≤
  larger wherever both are filled.
* :class:`ExpectAmountsToMatchPersons` — ``pairs`` = ``[[persons, amount], ...]`` with
  ``limits`` = per pair ``[[year, low, high], ...]`` (million VND per person): an amount > 0
  needs persons > 0 and persons > 0 need an amount > 0 (blank counts as none), and where both
  are given the amount per person lies within the legal range of that year.
* :class:`ExpectColumnsToHoldCounts` — every filled cell is a whole number ≥ 0.
* :class:`ExpectColumnsToBeNonNegative` — every filled cell is ≥ 0.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    MulticolumnMapMetricProvider,
    multicolumn_condition_partial,
)
from great_expectations.expectations.registry import get_expectation_impl

#: Two figures agree when they differ by less than this (money is in million VND: a đồng is
#: 1e-6, so sums of amounts written to the đồng still agree; counts are whole).
TOLERANCE = 1e-7

_DOMAIN_KEYS = (
    "batch_id",
    "table",
    "column_list",
    "row_condition",
    "condition_parser",
    "ignore_row_if",
)
_IgnoreRowIf = Literal["all_values_are_missing", "any_value_is_missing", "never"]
_META: dict[str, Any] = {"tags": ["socai"], "contributors": ["socai"]}


def _frame(column_list: pd.DataFrame) -> dict[str, np.ndarray]:
    return {str(c): column_list[c].to_numpy(dtype="float64") for c in column_list.columns}


def _sql(column_list: list[Any]) -> dict[str, Any]:
    return {c.name: c for c in column_list}


# -- wholes = sums of parts -------------------------------------------------------------------


class _SumsHold(MulticolumnMapMetricProvider):
    condition_metric_name = "socai.sums_hold"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("groups",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, groups: list[list[str]], **kwargs: Any) -> Any:
        cells = _frame(column_list)
        ok = np.ones(len(column_list), dtype=bool)
        for whole, *parts in groups:
            values = np.column_stack([cells[whole], *(cells[p] for p in parts)])
            blank = np.isnan(values)
            total = np.nansum(values[:, 1:], axis=1)
            agrees = np.abs(values[:, 0] - total) < TOLERANCE
            ok &= blank.all(axis=1) | (~blank.any(axis=1) & agrees)
        return pd.Series(ok, index=column_list.index)

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list: list[Any], groups: list[list[str]], **kwargs: Any) -> Any:
        c = _sql(column_list)
        clean = []
        for group in groups:
            whole, *parts = (c[name] for name in group)
            all_blank = sa.and_(*(x.is_(None) for x in (whole, *parts)))
            complete = sa.and_(*(x.isnot(None) for x in (whole, *parts)))
            agrees = sa.func.abs(whole - sum(parts)) < TOLERANCE
            clean.append(sa.or_(all_blank, sa.and_(complete, agrees)))
        return sa.and_(*clean)


class ExpectSumsToHold(MulticolumnMapExpectation):
    """Each group ``[whole, part, ...]`` holds: whole = sum of parts; blank is not zero."""

    groups: list[list[str]]
    ignore_row_if: _IgnoreRowIf = "never"
    map_metric = "socai.sums_hold"
    success_keys = ("mostly", "groups")
    args_keys = ("column_list", "groups")
    library_metadata: ClassVar[dict[str, Any]] = _META


# -- a parent unit = the sum of its child units ---------------------------------------------


class _ParentEqualsSumOfChildren(MulticolumnMapMetricProvider):
    condition_metric_name = "socai.parent_equals_sum_of_children"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("value_columns",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, value_columns: int, **kwargs: Any) -> pd.Series:
        names = list(column_list.columns)
        unit, parent, *match = names[:-value_columns]
        values = names[-value_columns:]
        children = column_list.groupby([*match, parent], dropna=True, sort=False)[values]
        sums, filled = children.sum(min_count=1), children.count()
        n = children.size()
        keys = pd.MultiIndex.from_frame(column_list[[*match, unit]])
        sums.index = filled.index = n.index = n.index.set_names([*match, unit])
        has_children = keys.isin(n.index)
        at = keys[has_children]
        ok = np.ones(len(column_list), dtype=bool)
        good = np.ones(len(at), dtype=bool)
        for v in values:
            own = column_list[v].to_numpy(dtype="float64")[has_children]
            got = sums[v].reindex(at).to_numpy(dtype="float64")
            full = filled[v].reindex(at).to_numpy()
            blank = np.isnan(own)
            good &= (blank & (full == 0)) | (
                ~blank & (full == n.reindex(at).to_numpy()) & (np.abs(own - got) < TOLERANCE)
            )
        ok[has_children] = good
        return pd.Series(ok, index=column_list.index)

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls, column_list: list[Any], _table: Any, value_columns: int, **kwargs: Any
    ) -> Any:
        # The batch is ``SELECT * FROM table`` with no known columns, so the check reads the
        # underlying table whole (a parent's children must all be visible anyway): one
        # grouped pass over the children, joined to each parent by the table's key (indexed);
        # the parents that disagree in any value column are the unexpected rows.
        names = [c.name for c in column_list]
        unit, parent, *match = names[:-value_columns]
        values = names[-value_columns:]
        (physical,) = _table.element.get_final_froms()
        table = sa.table(physical.name, *(sa.column(c) for c in names))
        kids, parents = table.alias("socai_children"), table.alias("socai_parents")
        aggregates = []
        for i, v in enumerate(values):
            aggregates += [
                sa.func.sum(kids.c[v]).label(f"socai_total_{i}"),
                sa.func.count(kids.c[v]).label(f"socai_filled_{i}"),
            ]
        groups = (
            sa.select(
                *(kids.c[m] for m in match),
                kids.c[parent].label("socai_parent"),
                sa.func.count().label("socai_n"),
                *aggregates,
            )
            .where(kids.c[parent].isnot(None))
            .group_by(*(kids.c[m] for m in match), kids.c[parent])
            .subquery("socai_groups")
        )
        agrees = []
        for i, v in enumerate(values):
            own, total = parents.c[v], groups.c[f"socai_total_{i}"]
            filled = groups.c[f"socai_filled_{i}"]
            agrees.append(
                sa.or_(
                    sa.and_(own.is_(None), filled == 0),
                    sa.and_(
                        own.isnot(None),
                        filled == groups.c.socai_n,
                        sa.func.abs(own - total) < TOLERANCE,
                    ),
                )
            )
        on = [parents.c[unit] == groups.c.socai_parent]
        on += [parents.c[m] == groups.c[m] for m in match]
        wrong = (
            sa.select(*(parents.c[m] for m in match), parents.c[unit])
            .select_from(groups.join(parents, sa.and_(*on)))
            .where(sa.not_(sa.and_(*agrees)))
        )
        return sa.not_(sa.tuple_(*(sa.column(m) for m in match), sa.column(unit)).in_(wrong))


class ExpectParentToEqualSumOfChildUnits(MulticolumnMapExpectation):
    """[unit_code, parent_code, *match, *values]: each unit equals the sum of its children.

    The last ``value_columns`` columns are the figures (one per year); the ``match`` columns
    (map, row id) must be equal between a parent and its children.
    """

    value_columns: int = 1
    ignore_row_if: _IgnoreRowIf = "never"
    map_metric = "socai.parent_equals_sum_of_children"
    success_keys = ("mostly", "value_columns")
    args_keys = ("column_list", "value_columns")
    library_metadata: ClassVar[dict[str, Any]] = _META


# -- smaller ≤ larger -----------------------------------------------------------------------


class _PairsOrdered(MulticolumnMapMetricProvider):
    condition_metric_name = "socai.pairs_ordered"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("pairs",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, pairs: list[list[str]], **kwargs: Any) -> Any:
        cells = _frame(column_list)
        ok = np.ones(len(column_list), dtype=bool)
        for smaller, larger in pairs:
            s, big = cells[smaller], cells[larger]
            ok &= np.isnan(s) | np.isnan(big) | (s <= big + TOLERANCE)
        return pd.Series(ok, index=column_list.index)

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list: list[Any], pairs: list[list[str]], **kwargs: Any) -> Any:
        c = _sql(column_list)
        return sa.and_(
            *(sa.or_(c[s].is_(None), c[b].is_(None), c[s] <= c[b] + TOLERANCE) for s, b in pairs)
        )


class ExpectPairsToBeOrdered(MulticolumnMapExpectation):
    """Each pair ``[smaller, larger]``: smaller ≤ larger where both are filled."""

    pairs: list[list[str]]
    ignore_row_if: _IgnoreRowIf = "never"
    map_metric = "socai.pairs_ordered"
    success_keys = ("mostly", "pairs")
    args_keys = ("column_list", "pairs")
    library_metadata: ClassVar[dict[str, Any]] = _META


# -- money goes with persons, at a legal amount per person -----------------------------------


class _AmountsMatchPersons(MulticolumnMapMetricProvider):
    condition_metric_name = "socai.amounts_match_persons"
    condition_domain_keys = _DOMAIN_KEYS
    condition_value_keys = ("pairs", "limits")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        column_list: pd.DataFrame,
        pairs: list[list[str]],
        limits: list[list[list[float]]],
        **kwargs: Any,
    ) -> Any:
        cells = _frame(column_list)
        year = cells["year"]
        ok = np.ones(len(column_list), dtype=bool)
        for (persons, amount), by_year in zip(pairs, limits, strict=True):
            p, a = np.nan_to_num(cells[persons]), np.nan_to_num(cells[amount])
            ok &= (p > 0) == (a > 0)
            low = np.full(len(year), -np.inf)
            high = np.full(len(year), np.inf)
            for y, lo, hi in by_year:
                low[year == y], high[year == y] = lo, hi
            both = (p > 0) & (a > 0)
            ok &= ~both | ((a >= low * p - TOLERANCE) & (a <= high * p + TOLERANCE))
        return pd.Series(ok, index=column_list.index)

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        column_list: list[Any],
        pairs: list[list[str]],
        limits: list[list[list[float]]],
        **kwargs: Any,
    ) -> Any:
        c = _sql(column_list)
        clean = []
        for (persons, amount), by_year in zip(pairs, limits, strict=True):
            p, a = sa.func.coalesce(c[persons], 0), sa.func.coalesce(c[amount], 0)
            clean.append(sa.or_(sa.and_(p > 0, a > 0), sa.and_(p <= 0, a <= 0)))
            if by_year:
                low = sa.case(*((c["year"] == y, lo) for y, lo, _ in by_year), else_=None)
                high = sa.case(*((c["year"] == y, hi) for y, _, hi in by_year), else_=None)
                in_range = sa.and_(
                    sa.or_(low.is_(None), a >= low * p - TOLERANCE),
                    sa.or_(high.is_(None), a <= high * p + TOLERANCE),
                )
                clean.append(sa.or_(p <= 0, a <= 0, in_range))
        return sa.and_(*clean)


class ExpectAmountsToMatchPersons(MulticolumnMapExpectation):
    """[year, persons.., amounts..]: money paid if and only if people were counted, at a
    legal amount per person (``limits`` per pair: ``[[year, low, high], ...]``)."""

    pairs: list[list[str]]
    limits: list[list[list[float]]]
    ignore_row_if: _IgnoreRowIf = "never"
    map_metric = "socai.amounts_match_persons"
    success_keys = ("mostly", "pairs", "limits")
    args_keys = ("column_list", "pairs", "limits")
    library_metadata: ClassVar[dict[str, Any]] = _META


# -- counts are non-negative whole numbers; amounts are non-negative -------------------------


class _ValuesAreCounts(MulticolumnMapMetricProvider):
    condition_metric_name = "socai.values_are_counts"
    condition_domain_keys = _DOMAIN_KEYS

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> Any:
        values = column_list.to_numpy(dtype="float64")
        ok = np.isnan(values) | ((values >= 0) & (values == np.round(values)))
        return pd.Series(ok.all(axis=1), index=column_list.index)

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list: list[Any], **kwargs: Any) -> Any:
        return sa.and_(
            *(sa.or_(c.is_(None), sa.and_(c >= 0, c == sa.func.round(c))) for c in column_list)
        )


class ExpectColumnsToHoldCounts(MulticolumnMapExpectation):
    """Every filled cell of the columns is a whole number ≥ 0 (people, sessions, items...)."""

    ignore_row_if: _IgnoreRowIf = "never"
    map_metric = "socai.values_are_counts"
    success_keys = ("mostly",)
    args_keys = ("column_list",)
    library_metadata: ClassVar[dict[str, Any]] = _META


class _ValuesAreNonNegative(MulticolumnMapMetricProvider):
    condition_metric_name = "socai.values_are_non_negative"
    condition_domain_keys = _DOMAIN_KEYS

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> Any:
        values = column_list.to_numpy(dtype="float64")
        return pd.Series((np.isnan(values) | (values >= 0)).all(axis=1), index=column_list.index)

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list: list[Any], **kwargs: Any) -> Any:
        return sa.and_(*(sa.or_(c.is_(None), c >= 0) for c in column_list))


class ExpectColumnsToBeNonNegative(MulticolumnMapExpectation):
    """Every filled cell of the columns is ≥ 0 (amounts of money)."""

    ignore_row_if: _IgnoreRowIf = "never"
    map_metric = "socai.values_are_non_negative"
    success_keys = ("mostly",)
    args_keys = ("column_list",)
    library_metadata: ClassVar[dict[str, Any]] = _META


#: Every custom expectation of socai; :func:`require_registered` checks each at run time.
CUSTOM_EXPECTATIONS: tuple[type, ...] = (
    ExpectSumsToHold,
    ExpectParentToEqualSumOfChildUnits,
    ExpectPairsToBeOrdered,
    ExpectAmountsToMatchPersons,
    ExpectColumnsToHoldCounts,
    ExpectColumnsToBeNonNegative,
)


def require_registered() -> int:
    """Assert GX knows every custom expectation; return how many there are."""
    for cls in CUSTOM_EXPECTATIONS:
        impl = get_expectation_impl(cls.expectation_type)  # type: ignore[attr-defined]
        assert impl is cls, f"{cls.__name__} is not registered with great-expectations"
    return len(CUSTOM_EXPECTATIONS)
