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
* :class:`ExpectParentToEqualSumOfChildUnits` — ``column_list = [value, unit_code,
  parent_code, *match]``: a unit's value equals the sum of the values of the rows whose
  ``parent_code`` is its ``unit_code`` and whose ``match`` columns (map, row id) are its own.
  Units without child rows pass. Blank children under a filled parent are incomplete.
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

_DOMAIN_KEYS = ("batch_id", "table", "column_list", "row_condition", "condition_parser",
                "ignore_row_if")


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

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        value, unit, parent, *match = list(column_list.columns)
        children = column_list.groupby([*match, parent], dropna=True, sort=False)[value]
        stats = pd.DataFrame(
            {"total": children.sum(min_count=1), "filled": children.count(), "n": children.size()}
        )
        stats.index = stats.index.set_names([*match, unit])
        joined = column_list[[*match, unit, value]].join(stats, on=[*match, unit])
        no_children = joined["n"].isna()
        parent_blank = joined[value].isna()
        all_blank = parent_blank & (joined["filled"] == 0)
        complete = ~parent_blank & (joined["filled"] == joined["n"])
        agrees = (joined[value] - joined["total"]).abs() < 1e-9
        return no_children | all_blank | (complete & agrees)

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list: list[Any], _table: Any, **kwargs: Any) -> Any:
        # The batch is a subquery (``SELECT * FROM table WHERE ...``) without known columns:
        # group its rows by parent once, join the parents, and name the parents that disagree.
        value, unit, parent, *match = (c.name for c in column_list)
        source = _table.element
        kids = source.subquery("socai_children")
        parents = source.subquery("socai_parents")

        def col(alias: str, name: str) -> Any:
            return sa.literal_column(f'{alias}."{name}"')

        k = [col("socai_children", m) for m in match]
        groups = (
            sa.select(
                *(c.label(m) for c, m in zip(k, match, strict=True)),
                col("socai_children", parent).label("socai_parent"),
                sa.func.sum(col("socai_children", value)).label("socai_total"),
                sa.func.count(col("socai_children", value)).label("socai_filled"),
                sa.func.count().label("socai_n"),
            )
            .select_from(kids)
            .where(col("socai_children", parent).isnot(None))
            .group_by(*k, col("socai_children", parent))
            .subquery("socai_groups")
        )
        own = col("socai_parents", value)
        agrees = sa.or_(
            sa.and_(own.is_(None), groups.c.socai_filled == 0),
            sa.and_(
                own.isnot(None),
                groups.c.socai_filled == groups.c.socai_n,
                own == groups.c.socai_total,
            ),
        )
        on = [groups.c.socai_parent == col("socai_parents", unit)]
        on += [groups.c[m] == col("socai_parents", m) for m in match]
        wrong = (
            sa.select(*(col("socai_parents", m) for m in match), col("socai_parents", unit))
            .select_from(parents.join(groups, sa.and_(*on)))
            .where(sa.not_(agrees))
        )
        return sa.not_(sa.tuple_(*(sa.column(m) for m in match), sa.column(unit)).in_(wrong))


class ExpectParentToEqualSumOfChildUnits(MulticolumnMapExpectation):
    """[value, unit_code, parent_code, *match]: each unit equals the sum of its children."""

    ignore_row_if: Literal["all_values_are_missing", "any_value_is_missing", "never"] = "never"
    map_metric = "socai.parent_equals_sum_of_children"
    success_keys = ("mostly",)
    args_keys = ("column_list",)
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
        return sa.and_(*(
            sa.or_(c.is_(None), sa.and_(c >= 0, c == sa.func.round(c))) for c in column_list
        ))


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
