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

* :class:`ExpectSumsToHold` — ``groups`` = ``[[whole, part, ...], ...]`` (or, when every group
  has the same size, ``group_size`` and ``column_list`` in consecutive groups — GX copies an
  expectation's arguments many times a run, so a short configuration is a fast one): each
  group is clean
  when all its cells are blank, or all are filled and the whole equals the sum of the parts.
  Anything else (a mismatch, or some cells blank) is unexpected; whether a blank hides a
  value or is consistent with 0 is decided when the row is explained.
* :class:`ExpectTotalsToEqualSumOfYears` (SQL engines) — the same rule as the cells frame's
  ``[total, y2016, ...]`` groups, one row per unit: each stated total of the totals table
  against the sum of the unit's rows of the by-year table (the year figures are written once).
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

from quality import sql_text
from quality.checks import TOLERANCE

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


class _SocaiMetric(MulticolumnMapMetricProvider):
    """The condition metric of one of socai's expectations: a row's condition over a list of
    columns, for the whole batch (the domain keys every multicolumn map metric takes). (With
    no condition of its own, GX registers no metric for this base.)"""

    condition_domain_keys = _DOMAIN_KEYS
    condition_metric_name: ClassVar[str]  # each subclass names its metric


class _SocaiMapExpectation(MulticolumnMapExpectation):
    """socai's expectations explain their failing rows from the frames (:mod:`quality.results`),
    so when the run asks for no values (``exclude_unexpected_values``, i.e. no Data Docs to
    render them) GX need not fetch them: one query fewer per expectation on SQL. (Without a
    ``map_metric`` this base class is abstract, and GX does not register it.)

    Every one of them decides blanks itself, identically on both engines (blank is not
    zero): GX never drops a row for its blanks (``ignore_row_if="never"``)."""

    ignore_row_if: _IgnoreRowIf = "never"
    library_metadata: ClassVar[dict[str, Any]] = _META
    #: The condition metric; the expectation's arguments are its value keys.
    metric: ClassVar[type[_SocaiMetric]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.map_metric = cls.metric.condition_metric_name
        cls.success_keys = ("mostly", *cls.metric.condition_value_keys)
        cls.args_keys = ("column_list", *cls.metric.condition_value_keys)

    def get_validation_dependencies(
        self, execution_engine: Any = None, runtime_configuration: dict[str, Any] | None = None
    ) -> Any:
        dependencies = super().get_validation_dependencies(
            execution_engine=execution_engine, runtime_configuration=runtime_configuration
        )
        values = f"{self.map_metric}.unexpected_values"
        wanted = dependencies.result_format.get("exclude_unexpected_values", False)
        if wanted and dependencies.get_metric_configuration(values) is not None:
            dependencies.remove_metric_configuration(values)
        return dependencies


def _frame(column_list: pd.DataFrame) -> dict[str, np.ndarray]:
    return {str(c): column_list[c].to_numpy(dtype="float64") for c in column_list.columns}


def _sql(column_list: list[Any]) -> dict[str, Any]:
    """The columns by their names as configured. GX names SQL columns with a
    ``CaseInsensitiveString`` that hashes its case-folded form (on PostgreSQL, where the
    column list comes from reflection): a mixed-case name such as ``r_I_2`` would not find
    it in a dict, so the key is the plain string."""
    return {str(c.name): c for c in column_list}


def _quote(kwargs: dict[str, Any]) -> sql_text.Quote:
    """The batch's dialect's identifier quoting (GX passes its engine to every SQL partial)."""
    quote: sql_text.Quote = kwargs["_sqlalchemy_engine"].dialect.identifier_preparer.quote
    return quote


def _text(condition: str) -> Any:
    """A condition written as SQL text (:mod:`quality.sql_text`), as the expression GX wraps
    in its queries: embedded as it is, never re-parsed or walked."""
    return sa.literal_column(condition)


def _physical(table: Any) -> str:
    """The name of the table under GX's batch selectable (``SELECT * FROM table``)."""
    (physical,) = table.element.get_final_froms()
    return str(physical.name)


# -- wholes = sums of parts -------------------------------------------------------------------


def _groups(
    columns: list[str], groups: list[list[str]] | None, group_size: int | None
) -> list[list[str]]:
    if groups is not None:
        return groups
    assert group_size, "groups or group_size"
    assert len(columns) % group_size == 0, (len(columns), group_size)
    return [columns[i : i + group_size] for i in range(0, len(columns), group_size)]


class _SumsHold(_SocaiMetric):
    condition_metric_name = "socai.sums_hold"
    condition_value_keys = ("groups", "group_size")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        column_list: pd.DataFrame,
        groups: list[list[str]] | None = None,
        group_size: int | None = None,
        **kwargs: Any,
    ) -> Any:
        groups = _groups([str(c) for c in column_list.columns], groups, group_size)
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
    def _sqlalchemy(
        cls,
        column_list: list[Any],
        groups: list[list[str]] | None = None,
        group_size: int | None = None,
        **kwargs: Any,
    ) -> Any:
        names = list(_sql(column_list))
        return _text(sql_text.sums_hold(_groups(names, groups, group_size), _quote(kwargs)))


class ExpectSumsToHold(_SocaiMapExpectation):
    """Each group ``[whole, part, ...]`` holds: whole = sum of parts; blank is not zero."""

    groups: list[list[str]] | None = None
    group_size: int | None = None
    metric = _SumsHold


# -- a stated total = the sum of the unit's years (SQL) ---------------------------------------


class _TotalsEqualSumOfYears(_SocaiMetric):
    condition_metric_name = "socai.totals_equal_sum_of_years"
    condition_value_keys = ("years", "years_table")

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        column_list: list[Any],
        _table: Any,
        years: int,
        years_table: str,
        **kwargs: Any,
    ) -> Any:
        # The batch is the totals table (one row per unit, ``socai_unit``); a unit's year
        # figures are the by-year table's rows ``socai_unit × years + k``, one join per year
        # on that table's row number. The units where any form row's total disagrees (blank
        # is not zero: all blank, or all filled and equal) are the unexpected rows.
        names = list(_sql(column_list))
        return _text(
            sql_text.totals_hold(_physical(_table), names, years, years_table, _quote(kwargs))
        )


class ExpectTotalsToEqualSumOfYears(_SocaiMapExpectation):
    """SQL engines only: each column of the totals table (a unit's stated total of one form
    row, ``t_…``) equals the sum of that row's figures (``r_…``) over the unit's ``years``
    rows of ``years_table``; blank is not zero. The pandas engine checks the same rule on
    the cells frame (:class:`ExpectSumsToHold`), where the years sit beside each total."""

    years: int
    years_table: str
    metric = _TotalsEqualSumOfYears


# -- a parent unit = the sum of its child units ---------------------------------------------


class _ParentEqualsSumOfChildren(_SocaiMetric):
    condition_metric_name = "socai.parent_equals_sum_of_children"
    condition_value_keys = ("value_columns", "children_table")

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(
        cls,
        column_list: pd.DataFrame,
        value_columns: int,
        children_table: str | None = None,
        **kwargs: Any,
    ) -> pd.Series:
        # Vectorised: units and parents share one code space; each row's key is (match
        # columns, unit), its children's key (match columns, parent); sums by bincount.
        names = list(column_list.columns)
        unit, parent, *match = names[:-value_columns]
        values = names[-value_columns:]
        size = len(column_list)
        both = np.concatenate(
            [column_list[unit].to_numpy(dtype=object), column_list[parent].to_numpy(dtype=object)]
        )
        codes, uniques = pd.factorize(both)
        own_unit, parent_unit = codes[:size], codes[size:]
        group = np.zeros(size, dtype="int64")
        for m in match:
            m_codes, m_uniques = pd.factorize(column_list[m])
            group = group * (len(m_uniques) + 1) + m_codes
        group = pd.factorize(group)[0]
        width = len(uniques) + 1
        key = group * width + own_unit
        has_parent = parent_unit >= 0
        parent_key = group[has_parent] * width + parent_unit[has_parent]
        slots = (int(group.max(initial=0)) + 1) * width
        n = np.bincount(parent_key, minlength=slots)[key]
        good = np.ones(size, dtype=bool)
        for v in values:
            own = column_list[v].to_numpy(dtype="float64")
            kids = own[has_parent]
            filled_kids = ~np.isnan(kids)
            total = np.bincount(
                parent_key[filled_kids], weights=kids[filled_kids], minlength=slots
            )[key]
            filled = np.bincount(parent_key[filled_kids], minlength=slots)[key]
            blank = np.isnan(own)
            good &= (
                (n == 0)
                | (blank & (filled == 0))
                | (~blank & (filled == n) & (np.abs(own - total) < TOLERANCE))
            )
        return pd.Series(good, index=column_list.index)

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(
        cls,
        column_list: list[Any],
        _table: Any,
        value_columns: int,
        children_table: str | None = None,
        **kwargs: Any,
    ) -> Any:
        # The batch is ``SELECT * FROM table`` with no known columns, so the check reads the
        # underlying table whole (a parent's children must all be visible anyway); the
        # parents that disagree in any value column are the unexpected rows
        # (:func:`quality.sql_text.parent_equals_children`).
        names = list(_sql(column_list))
        return _text(
            sql_text.parent_equals_children(
                names,
                value_columns,
                _quote(kwargs),
                table_name=_physical(_table),
                children_table=children_table,
            )
        )


class ExpectParentToEqualSumOfChildUnits(_SocaiMapExpectation):
    """[unit_code, parent_code, *match, *values]: each unit equals the sum of its children.

    The last ``value_columns`` columns are the figures (one per year); the ``match`` columns
    (map, row id) must be equal between a parent and its children.
    """

    value_columns: int = 1
    children_table: str | None = None
    metric = _ParentEqualsSumOfChildren


# -- smaller ≤ larger -----------------------------------------------------------------------


class _PairsOrdered(_SocaiMetric):
    condition_metric_name = "socai.pairs_ordered"
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
        return _text(sql_text.pairs_ordered(pairs, _quote(kwargs)))


class ExpectPairsToBeOrdered(_SocaiMapExpectation):
    """Each pair ``[smaller, larger]``: smaller ≤ larger where both are filled."""

    pairs: list[list[str]]
    metric = _PairsOrdered


# -- money goes with persons, at a legal amount per person -----------------------------------


class _AmountsMatchPersons(_SocaiMetric):
    condition_metric_name = "socai.amounts_match_persons"
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


class ExpectAmountsToMatchPersons(_SocaiMapExpectation):
    """[year, persons.., amounts..]: money paid if and only if people were counted, at a
    legal amount per person (``limits`` per pair: ``[[year, low, high], ...]``)."""

    pairs: list[list[str]]
    limits: list[list[list[float]]]
    metric = _AmountsMatchPersons


# -- counts are non-negative whole numbers; amounts are non-negative -------------------------


class _ValuesAreCounts(_SocaiMetric):
    condition_metric_name = "socai.values_are_counts"

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> Any:
        values = column_list.to_numpy(dtype="float64")
        ok = np.isnan(values) | ((values >= 0) & (values == np.round(values)))
        return pd.Series(ok.all(axis=1), index=column_list.index)

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list: list[Any], **kwargs: Any) -> Any:
        same = sql_text.same_operator(kwargs["_sqlalchemy_engine"].dialect.name)
        return _text(sql_text.counts(list(_sql(column_list)), _quote(kwargs), same))


class ExpectColumnsToHoldCounts(_SocaiMapExpectation):
    """Every filled cell of the columns is a whole number ≥ 0 (people, sessions, items...)."""

    metric = _ValuesAreCounts


class _ValuesAreNonNegative(_SocaiMetric):
    condition_metric_name = "socai.values_are_non_negative"

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> Any:
        values = column_list.to_numpy(dtype="float64")
        return pd.Series((np.isnan(values) | (values >= 0)).all(axis=1), index=column_list.index)

    @multicolumn_condition_partial(engine=SqlAlchemyExecutionEngine)
    def _sqlalchemy(cls, column_list: list[Any], **kwargs: Any) -> Any:
        return _text(sql_text.non_negative(list(_sql(column_list)), _quote(kwargs)))


class ExpectColumnsToBeNonNegative(_SocaiMapExpectation):
    """Every filled cell of the columns is ≥ 0 (amounts of money)."""

    metric = _ValuesAreNonNegative


#: Every custom expectation of socai; :func:`require_registered` checks each at run time.
CUSTOM_EXPECTATIONS: tuple[type, ...] = (
    ExpectSumsToHold,
    ExpectTotalsToEqualSumOfYears,
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
