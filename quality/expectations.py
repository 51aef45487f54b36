"""socai's custom great-expectations: the rollup checks GX does not ship, on pandas and SQL.

Importing this module registers the expectations with GX. Every entry point that builds or
runs a suite imports it (through :mod:`quality.suites`), and :func:`require_registered` checks
at run time that each class is known to GX — a suite loaded without this module would
otherwise drop these expectations silently.

**Blank is not zero.** GX's own pair and multicolumn checks treat NULL differently on pandas
and SQL; these expectations decide blanks themselves (``ignore_row_if="never"``), identically on
both engines:

* :class:`ExpectColumnToEqualSumOfColumns` — ``column_list[0]`` equals the sum of the others.
  All blank passes; some blank and some filled fails (an *incomplete* sum, e.g. a stated total
  over years left blank); otherwise the numbers must agree. With two columns it is "equal,
  blank ≠ 0" (used for reconciliation).
* :class:`ExpectParentToEqualSumOfChildUnits` — ``column_list = [unit_code, parent_code,
  *match, *values]``: each value (year) of a unit equals the sum of the same value over the
  rows whose ``parent_code`` is its ``unit_code`` and whose ``match`` columns (map, row id) are
  its own. Units without child rows pass. Blank children under a filled parent are
  incomplete. One expectation covers all years (GX's cost is per expectation).
* :class:`ExpectAmountToMatchPersons` — ``column_list = [persons, amount]``: an amount > 0
  needs persons > 0 and persons > 0 need an amount > 0 (a blank counts as "none given").
* :class:`ExpectColumnsToHoldCounts` — every filled cell of the columns is a non-negative
  whole number (blanks are skipped).
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import great_expectations.expectations as gxe
import pandas as pd
import sqlalchemy as sa
from great_expectations.execution_engine import PandasExecutionEngine, SqlAlchemyExecutionEngine
from great_expectations.expectations.expectation import MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    MulticolumnMapMetricProvider,
    multicolumn_condition_partial,
)
from great_expectations.expectations.registry import get_expectation_impl

_DOMAIN_KEYS = (
    "batch_id",
    "table",
    "column_list",
    "row_condition",
    "condition_parser",
    "ignore_row_if",
)


# -- whole = sum of parts --------------------------------------------------------------------


class _WholeEqualsSumOfParts(MulticolumnMapMetricProvider):
    condition_metric_name = "socai.whole_equals_sum_of_parts"
    condition_domain_keys = _DOMAIN_KEYS

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        whole = column_list.iloc[:, 0]
        parts = column_list.iloc[:, 1:]
        blank = column_list.isna()
        all_blank = blank.all(axis=1)
        complete = ~blank.any(axis=1)
        agrees = (whole - parts.sum(axis=1)).abs() < 1e-9
        return all_blank | (complete & agrees)

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list: list[Any], **kwargs: Any) -> Any:
        whole, *parts = column_list
        all_blank = sa.and_(*(c.is_(None) for c in column_list))
        complete = sa.and_(*(c.isnot(None) for c in column_list))
        return sa.or_(all_blank, sa.and_(complete, whole == sum(parts)))


class ExpectColumnToEqualSumOfColumns(MulticolumnMapExpectation):
    """The first column equals the sum of the others; blank is not zero."""

    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "socai.whole_equals_sum_of_parts"
    success_keys = ("mostly",)
    args_keys = ("column_list",)
    library_metadata: ClassVar[dict[str, Any]] = {"tags": ["socai"], "contributors": ["socai"]}


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
        ok = pd.Series(True, index=column_list.index)
        keys = pd.MultiIndex.from_frame(column_list[[*match, unit]])
        sums.index = filled.index = n.index = n.index.set_names([*match, unit])
        has_children = keys.isin(n.index)
        at = keys[has_children]
        count = n.reindex(at).to_numpy()
        for v in values:
            own = column_list.loc[has_children, v].to_numpy()
            got, full = sums[v].reindex(at).to_numpy(), filled[v].reindex(at).to_numpy()
            blank = pd.isna(own)
            agrees = (blank & (full == 0)) | (~blank & (full == count) & (abs(own - got) < 1e-9))
            ok.loc[has_children] &= agrees
        return ok

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls, column_list: list[Any], _table: Any, value_columns: int, **kwargs: Any
    ) -> Any:
        # The batch is ``SELECT * FROM table WHERE ...`` with no known columns, so the check
        # reads the underlying table whole (a parent's children must all be visible anyway):
        # group the children by parent once, join each group to its parent by the table's key
        # (indexed), and name the parents that disagree in any value column.
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
                    sa.and_(own.isnot(None), filled == groups.c.socai_n, own == total),
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
    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "socai.parent_equals_sum_of_children"
    success_keys = ("mostly", "value_columns")
    args_keys = ("column_list", "value_columns")
    library_metadata: ClassVar[dict[str, Any]] = {"tags": ["socai"], "contributors": ["socai"]}


# -- money goes with persons ----------------------------------------------------------------


class _AmountMatchesPersons(MulticolumnMapMetricProvider):
    condition_metric_name = "socai.amount_matches_persons"
    condition_domain_keys = _DOMAIN_KEYS

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        persons = column_list.iloc[:, 0].fillna(0) > 0
        amount = column_list.iloc[:, 1].fillna(0) > 0
        return persons == amount

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list: list[Any], **kwargs: Any) -> Any:
        persons, amount = column_list
        has_persons = sa.func.coalesce(persons, 0) > 0
        has_amount = sa.func.coalesce(amount, 0) > 0
        return sa.or_(sa.and_(has_persons, has_amount), sa.and_(~has_persons, ~has_amount))


class ExpectAmountToMatchPersons(MulticolumnMapExpectation):
    """[persons, amount]: money is paid if and only if people were counted."""

    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "socai.amount_matches_persons"
    success_keys = ("mostly",)
    args_keys = ("column_list",)
    library_metadata: ClassVar[dict[str, Any]] = {"tags": ["socai"], "contributors": ["socai"]}


# -- counts are non-negative whole numbers --------------------------------------------------


class _ValuesAreCounts(MulticolumnMapMetricProvider):
    condition_metric_name = "socai.values_are_counts"
    condition_domain_keys = _DOMAIN_KEYS

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        ok = column_list.isna() | ((column_list >= 0) & (column_list == column_list.round()))
        return ok.all(axis=1)

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list: list[Any], **kwargs: Any) -> Any:
        return sa.and_(
            *(sa.or_(c.is_(None), sa.and_(c >= 0, c == sa.func.round(c))) for c in column_list)
        )


class ExpectColumnsToHoldCounts(MulticolumnMapExpectation):
    """Every filled cell of the columns is a whole number ≥ 0 (people, sessions, items...).

    One expectation over all count columns (not one per column): GX's cost is per
    expectation, and the failing row's bad cells are found when the failure is explained.
    """

    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "socai.values_are_counts"
    success_keys = ("mostly",)
    args_keys = ("column_list",)
    library_metadata: ClassVar[dict[str, Any]] = {"tags": ["socai"], "contributors": ["socai"]}


#: Every custom expectation of socai; :func:`require_registered` checks each at run time.
CUSTOM_EXPECTATIONS: tuple[type, ...] = (
    ExpectColumnToEqualSumOfColumns,
    ExpectParentToEqualSumOfChildUnits,
    ExpectAmountToMatchPersons,
    ExpectColumnsToHoldCounts,
)

#: Built-in expectations the suites use.
BUILT_IN: tuple[type, ...] = (
    gxe.ExpectColumnPairValuesAToBeGreaterThanB,
    gxe.ExpectColumnValuesToBeBetween,
)


def require_registered() -> int:
    """Assert GX knows every custom expectation; return how many there are."""
    for cls in CUSTOM_EXPECTATIONS:
        impl = get_expectation_impl(cls.expectation_type)  # type: ignore[attr-defined]
        assert impl is cls, f"{cls.__name__} is not registered with great-expectations"
    return len(CUSTOM_EXPECTATIONS)
