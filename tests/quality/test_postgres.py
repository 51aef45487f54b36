"""The SQL engine on PostgreSQL: the planted errors of every kind, the same findings as pandas.

The SQL engine writes the frames through SQLAlchemy there (not ``sqlite3``), materialises the
hierarchy's inputs with the server's own SQL, and validates without a statement cache; every
kind of planted error must still be named at its cell, exactly as the pandas engine names it.
"""

from __future__ import annotations

import pandas as pd
import pytest

from quality.run import validate
from tests.quality.test_planted import Table, key, plant

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def test_planted_errors_on_postgresql_match_pandas(rollup: pd.DataFrame, pg_url: str) -> None:
    table = Table(rollup)
    expected = plant(table)
    on_pandas = validate(table.frame)
    on_postgres = validate(table.frame, engine="sql", sql_url=pg_url)
    assert {key(f) for f in on_postgres.failures} == expected
    assert on_postgres.failures == on_pandas.failures


def test_a_clean_rollup_passes_on_postgresql(clean_rollup: pd.DataFrame, pg_url: str) -> None:
    report = validate(clean_rollup, engine="sql", sql_url=pg_url)
    assert report.failures == []
    assert report.results == sum(report.expectations.values()) == 8
