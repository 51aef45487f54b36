"""The SQL engine's throw-away database (cơ sở dữ liệu tạm): in memory, one per run.

Without a database named, a run writes its tables into an SQLite database in memory, named
for that run alone and freed when the run ends. Two runs in one process must each read their
own tables — a shared name would let one run validate the other's rollup — and a run leaves
nothing behind, on disk or in memory.
"""

from __future__ import annotations

import sqlite3
import tempfile
import uuid
from contextlib import closing
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from domain.reference.units import AdminMap
from quality.generate import generate_rollup
from quality.run import _scratch_sqlite, validate


def _province(code: str, seed: int) -> pd.DataFrame:
    return generate_rollup(
        years=(2019, 2020), maps=(AdminMap.OLD,), provinces={AdminMap.OLD: [code]}, seed=seed
    )


def test_each_run_has_its_own_database_and_it_is_gone_after() -> None:
    """Two scratch databases open at once (two runs in one process) do not see each other's
    tables, and a closed one is gone: opening its name again finds an empty database."""
    with _scratch_sqlite() as (url_a, a), _scratch_sqlite() as (url_b, b):
        assert url_a != url_b
        a.execute("CREATE TABLE socai_quality_cells (x)")
        a.execute("INSERT INTO socai_quality_cells VALUES (1)")
        a.commit()
        engine = sa.create_engine(url_a)
        with engine.connect() as reader:  # as GX reads it: through SQLAlchemy, by URL
            assert reader.execute(sa.text("SELECT x FROM socai_quality_cells")).all() == [(1,)]
        engine.dispose()
        assert _tables(b) == []
    again = sqlite3.connect(url_a.removeprefix("sqlite:///").removesuffix("&uri=true"), uri=True)
    assert _tables(again) == []
    again.close()


def _tables(connection: sqlite3.Connection) -> list[str]:
    return [r[0] for r in connection.execute("SELECT name FROM sqlite_master")]


def test_two_runs_one_after_the_other_each_validate_their_own_rollup() -> None:
    clean = _province("87", 1)
    wrong = _province("89", 2)
    at = (wrong["unit_code"] == "89") & (wrong["row_id"] == "II.1")
    wrong.loc[at, "y2020"] += 1
    expected = validate(wrong).findings
    assert expected, "the planted error is found on pandas"
    reports = [validate(t, engine="sql") for t in (clean, wrong, clean)]
    assert [r.findings for r in reports] == [[], expected, []]


def test_a_run_writes_nothing_to_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        monkeypatch.setattr(tempfile, "tempdir", scratch)
        monkeypatch.chdir(scratch)
        assert validate(_province("87", 1), engine="sql").findings == []
        assert list(Path(scratch).iterdir()) == []


def test_a_run_leaves_no_database_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """GX keeps its connections past the run; the run closes them, so its memory database
    is freed (~20 MB for the nation) instead of living as long as the process."""
    import quality.run

    fixed = uuid.UUID(int=18)
    monkeypatch.setattr(quality.run.uuid, "uuid4", lambda: fixed)
    assert validate(_province("87", 1), engine="sql").findings == []
    again = sqlite3.connect(f"file:/socai-quality-{fixed.hex}?vfs=memdb", uri=True)
    assert _tables(again) == []
    again.close()


def test_a_named_sqlite_file_gets_the_tables_and_the_same_findings(tmp_path: Path) -> None:
    wrong = _province("87", 3)
    wrong.loc[(wrong["unit_code"] == "87") & (wrong["row_id"] == "II.1"), "total_stated"] += 1
    path = tmp_path / "rollups.db"
    on_file = validate(wrong, engine="sql", sql_url=f"sqlite:///{path}")
    assert on_file.findings == validate(wrong).findings != []
    with closing(sqlite3.connect(path)) as written:
        assert {"socai_quality_totals", "socai_quality_by_year"} <= set(_tables(written))


@pytest.mark.parametrize("years", [(), (2020,), (2016, 2018, 2020)])
def test_the_sql_tables_hold_any_number_of_years_and_units(years: tuple[int, ...]) -> None:
    """The SQL engine finds a unit's years and parent by row number (the by-year table's rows
    are numbered unit × years + k): with no unit at all, one year, or years with gaps, it finds
    exactly what pandas finds — a wrong total, a wrong parent, a unit whose parent is not in
    the file (the province's parent, the nation, is not)."""
    from quality.table import empty_rollup

    if not years:
        table = empty_rollup([2020])
        assert validate(table, engine="sql").findings == validate(table).findings == []
        return
    table = generate_rollup(
        years=years, maps=(AdminMap.NEW,), provinces={AdminMap.NEW: ["82"]}, seed=3
    )
    table = table[table["unit_code"] != "VN"].reset_index(drop=True)
    last = f"y{years[-1]}"
    table.loc[(table["unit_code"] == "82") & (table["row_id"] == "II.1"), last] += 2
    expected = validate(table).findings
    rules = {f.rule for f in expected}
    assert {"children_sum_to_parent", "total_equals_sum_of_years"} <= rules, rules
    assert validate(table, engine="sql").findings == expected
