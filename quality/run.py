"""Run the rollup suites with great-expectations on pandas or SQL, and collect the findings.

One ephemeral GX context per run (never a ``gx/`` folder: ``mode="ephemeral"`` is explicit),
progress bars off. Each validated frame (:mod:`quality.frames`) gets its own suite, validation
definition and checkpoint, because a checkpoint's ``unexpected_index_column_names`` must exist
in every table it validates and the frames have different identities.

On SQL the frames are written as tables (and the hierarchy check's inputs materialised) into the
given database, or a throw-away SQLite database in memory (written through ``sqlite3`` directly:
pandas' ``to_sql`` through SQLAlchemy costs more than the validation), and validated there. Each
year figure is written once, in the by-year table: the SQL engines check the total rule per
unit (the totals table: the stated totals alone) against it, where pandas checks it on the
cells frame; the findings are the same, explained from the same cells.

**Every failing row is listed.** GX lists at most ``partial_unexpected_count`` failing rows
(20 by default) on SQL even with ``result_format="COMPLETE"``; the run asks for all of them
(as many as the table has rows) and compares the rows listed with ``unexpected_count`` for
every expectation: a shortfall is a finding of its own (``rows_not_listed``) saying how many
could not be listed — never a silent drop.

Invariants checked on every run: each suite still holds every expectation it was built with,
by type, and each produced exactly one result (nothing silently dropped).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from quality.checks import CHILDREN_TABLE
from quality.frames import (
    BY_YEAR,
    CELLS,
    FRAME_KEYS,
    PARENT_ROW,
    RECONCILIATION,
    TOTALS,
    UNIT_NUMBER,
    UNIT_YEAR_NUMBER,
    by_year_frame,
    cells_frame,
    complete_grid,
    reconciliation_frame,
    sql_table,
    totals_frame,
)
from quality.results import ERROR, WARNING, Finding
from quality.structure import Structural, group, rows_missing
from quality.table import year_columns, years_of

if TYPE_CHECKING:  # GX is imported when a validation runs (it takes seconds to import)
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.datasource.fluent import PandasDatasource, SQLDatasource

ENGINES = ("pandas", "sql")


@dataclass
class Report:
    """The outcome of one validation run."""

    findings: list[Finding] = field(default_factory=list)  # top level, consequences inside
    expectations: Counter[str] = field(default_factory=Counter)  # by type, all suites
    rules: int = 0  # rules checked (a family expectation holds several)
    results: int = 0
    checkpoints: list[dict[str, Any]] = field(default_factory=list)  # GX JSON, per frame

    @property
    def failures(self) -> list[Finding]:
        """Every top-level finding, errors and warnings (the earlier name)."""
        return self.findings

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def success(self) -> bool:
        return not self.errors

    def wrong_cells(self) -> int:
        """Findings counted with their consequences."""
        return sum(1 + len(f.consequences) for f in self.findings)


def _frames(grid: Any, computed: pd.DataFrame | None, engine: str) -> dict[str, pd.DataFrame]:
    """The frames validated: on pandas the cells frame, on SQL the totals frame (the total
    rule per unit, against the by-year table: the year figures are written once)."""
    first = {CELLS: cells_frame(grid)} if engine == "pandas" else {TOTALS: totals_frame(grid)}
    frames = {**first, BY_YEAR: by_year_frame(grid)}
    if computed is not None:
        frames[RECONCILIATION] = reconciliation_frame(grid.table, computed)
    return frames


def _checks(table: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> dict[str, list[Any]]:
    from quality.checks import by_year_checks, cells_checks, reconciliation_checks, totals_checks

    years = year_columns(table)
    first = {CELLS: cells_checks(years)} if CELLS in frames else {}
    if TOTALS in frames:
        first = {TOTALS: totals_checks(years_of(table))}
    plan = {**first, BY_YEAR: by_year_checks(years_of(table))}
    if RECONCILIATION in frames:
        plan[RECONCILIATION] = reconciliation_checks(years)
    return plan


def _sql_type(series: pd.Series) -> str:
    if series.name in (UNIT_NUMBER, UNIT_YEAR_NUMBER):
        return "INTEGER PRIMARY KEY"  # SQLite: the rowid itself, no index to build
    if series.name == PARENT_ROW:
        return "INTEGER"  # whole numbers and NULL (an object column)
    if pd.api.types.is_integer_dtype(series):
        return "INTEGER"
    if pd.api.types.is_float_dtype(series):
        # no declared type: BLOB affinity keeps each figure as the double bound (REAL
        # affinity would store a whole figure as an integer and convert it back on every
        # read — the checks read each figure several times); NaN binds as NULL all the same
        return ""
    return "TEXT"


def sqlite_dialect() -> Any:
    from sqlalchemy.dialects import sqlite

    return sqlite.dialect()


def _write_sqlite(frames: dict[str, pd.DataFrame], connection: sqlite3.Connection) -> None:
    """The frames as tables, through sqlite3 (NaN binds as NULL: blank stays blank)."""
    # a scratch database, rewritten whole each run: no journal, no fsync
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    with connection:
        for name, frame in frames.items():
            table = sql_table(name)
            columns = ", ".join(f'"{c}" {_sql_type(frame[c])}' for c in frame.columns)
            connection.execute(f'DROP TABLE IF EXISTS "{table}"')
            connection.execute(f'CREATE TABLE "{table}" ({columns})')
            marks = ", ".join("?" for _ in frame.columns)
            data = zip(*(frame[c].tolist() for c in frame.columns), strict=True)
            connection.executemany(f'INSERT INTO "{table}" VALUES ({marks})', data)
        _index(connection.execute, _children_sql(sqlite_dialect()))


@contextmanager
def _scratch_sqlite() -> Iterator[tuple[str, sqlite3.Connection]]:
    """A throw-away SQLite database in memory, named for this run alone, with the connection
    that keeps it alive: SQLite frees a memory database when its last connection closes, so
    the run's own connection (which writes the tables) stays open while GX's connections
    read them. Nothing reaches the disk: no file to write, read back through the system, or
    delete."""
    # SQLite's memdb VFS: a name starting with "/" is one database for every connection of
    # this process that opens it (without shared-cache table locks)
    name = f"/socai-quality-{uuid.uuid4().hex}"
    keeper = sqlite3.connect(f"file:{name}?vfs=memdb", uri=True)
    try:
        yield f"sqlite:///file:{name}?vfs=memdb&uri=true", keeper
    finally:
        keeper.close()


def _index(execute: Any, children: str) -> None:
    """The hierarchy check's inputs — each parent's figures next to its children's sums —
    materialised once by the database (one grouped pass, in the order of an index on each
    row's parent row, built after the load) for the queries GX sends."""
    table = sql_table(BY_YEAR)
    execute(f'CREATE INDEX "{table}_parent" ON "{table}" ("{PARENT_ROW}")')
    execute(f'DROP TABLE IF EXISTS "{CHILDREN_TABLE}"')
    execute(f'CREATE TABLE "{CHILDREN_TABLE}" AS {children}')


def _children_sql(dialect: Any) -> str:
    from quality.checks import hierarchy_check
    from quality.sql_text import hierarchy_inputs

    ((_rule, columns),) = hierarchy_check().members
    values = len(columns) - 4  # unit_code, parent_code, unit_map, year, then the form rows
    quote = dialect.identifier_preparer.quote
    return hierarchy_inputs(sql_table(BY_YEAR), list(columns), values, quote, by_row=True)


def _sql_frames(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The frames as the SQL tables hold them: no check reads a unit's level; the by-year
    table's rows are numbered ``socai_unit_year`` = unit number × years + the year's position,
    so the total rule finds a unit's years by row number (one lookup per year)."""
    out = {}
    for name, frame in frames.items():
        table = frame.drop(columns=["unit_level"]) if "unit_level" in frame else frame
        if name == BY_YEAR:
            table.insert(0, UNIT_YEAR_NUMBER, np.arange(len(frame), dtype="int64"))
            table[PARENT_ROW] = _parent_rows(frame)
        out[name] = table
    return out


def _parent_rows(by_year: pd.DataFrame) -> np.ndarray:
    """Each by-year row's parent row (its parent unit, the same year), None where the parent
    unit is not in the table. The by-year frame holds each unit's years consecutively, in
    the same order for every unit (:func:`quality.frames.by_year_frame`)."""
    if by_year.empty:  # no unit: no parent
        return np.empty(0, dtype=object)
    years = int(by_year["year"].nunique())
    assert len(by_year) % years == 0, "every unit has every year"
    first = by_year.iloc[::years]
    year_order = by_year["year"].to_numpy()
    assert (year_order == np.tile(year_order[:years], len(first))).all(), "years in one order"
    # as Python lists first: iterating a pandas string column calls __getitem__ per element
    maps = first["unit_map"].tolist()
    units = zip(maps, first["unit_code"].tolist(), strict=True)
    number = {unit: i for i, unit in enumerate(units)}
    parents = zip(maps, first["parent_code"].tolist(), strict=True)
    parent = [number.get(unit, -1) for unit in parents]
    rows = np.repeat(np.array(parent, dtype="int64"), years)
    year = np.tile(np.arange(years, dtype="int64"), len(first))
    numbers = (rows * years + year).astype(object)  # Python ints, and None: NULL
    numbers[rows < 0] = None
    return numbers


def _write_sql(frames: dict[str, pd.DataFrame], url: str) -> None:
    import sqlalchemy as sa

    frames = _sql_frames(frames)
    if url.startswith("sqlite:///"):
        database = sqlite3.connect(Path(url.removeprefix("sqlite:///")))
        try:
            _write_sqlite(frames, database)
        finally:
            database.close()
        return
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            for name, frame in frames.items():
                frame.to_sql(
                    sql_table(name),
                    connection,
                    if_exists="replace",
                    index=False,
                    chunksize=5000,
                )
            _index(
                lambda sql: connection.execute(sa.text(sql)),
                _children_sql(engine.dialect),
            )
    finally:
        engine.dispose()


def _disconnect(source: SQLDatasource) -> None:
    """Close GX's connections to the run's database when the run ends. GX keeps them open
    for as long as its context lives (past the run); a memory database lives as long as a
    connection to it, so a scratch database would otherwise outlive its run."""
    source.get_execution_engine().engine.dispose()
    source.get_engine().dispose()


def _docs_site(context: Any, docs_dir: Path) -> None:
    context.add_data_docs_site(
        site_name="socai",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(docs_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )


def _not_listed(engine: str, check: Any, frame: str, count: int, listed: int) -> Finding:
    return Finding(
        "",
        "",
        "",
        "",
        "rows_not_listed",
        f"all {count} failing rows of {check.kind} on {frame} listed",
        f"{listed} listed by the {engine} engine; {count - listed} could not be listed",
        ERROR,
    )


def validate(
    table: pd.DataFrame,
    *,
    engine: str = "pandas",
    sql_url: str | None = None,
    computed: pd.DataFrame | None = None,
    docs_dir: Path | None = None,
    structural: Sequence[Structural] = (),
) -> Report:
    """Validate a rollup table (and its reconciliation with ``computed``, if given).

    ``structural`` are the faults the importer found (missing columns, unreadable cells);
    the findings they cause are grouped under them.
    """
    assert engine in ENGINES, engine
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    import quality.expectations as qx
    from quality.results import Explainer
    from quality.suites import rules_checked

    qx.require_registered()
    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)  # GX sets INFO on the latter
    grid = complete_grid(table)
    frames = _frames(grid, computed, engine)
    plan = _checks(table, frames)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        _docs_site(context, docs_dir)

    found: list[Finding] = []
    report = Report()
    with ExitStack() as scratch:
        source: PandasDatasource | SQLDatasource
        if engine == "pandas":
            source = context.data_sources.add_pandas("rollups")
        else:
            # every statement GX sends is compiled once per run and never reused: no
            # statement cache, so SQLAlchemy skips walking each (large) query for its key
            # (passed as ``kwargs`` to ``create_engine``; GX's typed signatures omit the field)
            options: dict[str, Any] = {"kwargs": {"query_cache_size": 0}}
            if sql_url is None:
                url, keeper = scratch.enter_context(_scratch_sqlite())
                _write_sqlite(_sql_frames(frames), keeper)
            else:
                url = sql_url
                _write_sql(frames, url)
            if url.startswith("sqlite"):
                source = context.data_sources.add_sqlite(
                    "rollups", connection_string=url, **options
                )
            elif url.startswith("postgresql"):
                source = context.data_sources.add_postgres(
                    "rollups", connection_string=url, **options
                )
            else:
                source = context.data_sources.add_sql("rollups", connection_string=url, **options)
            # closed before the scratch database (ExitStack: last in, first out)
            scratch.callback(_disconnect, source)

        # a failing unit of the totals frame is explained from its cells (the grid in form
        # order: the cells frame without its row numbers)
        explainer = Explainer({CELLS: grid.table, **frames})
        for name, checks in plan.items():
            batch, parameters = _batch(source, name, frames[name])

            # Pass 1 checks every family (on SQL one query each: the count of failing rows);
            # pass 2 lists the failing rows of the families that failed, and only those. A
            # clean rollup — the common case — pays one pass. With Data Docs to build, the
            # one pass lists too (the docs show the failing rows).
            listing = docs_dir is not None
            listed_format = _result_format(name, engine, frames[name], docs_dir)
            expectations, validation = _run_suite(
                context,
                f"socai.rollup.{name}",
                checks,
                batch,
                parameters,
                listed_format if listing else {"result_format": "BOOLEAN_ONLY"},
                docs=listing,
            )
            report.expectations += expectations
            report.rules += rules_checked(checks)
            report.results += len(validation.results)
            document = validation.to_json_dict()
            failing = [
                (i, check)
                for i, (check, result) in enumerate(zip(checks, validation.results, strict=True))
                if not result.success
            ]
            if failing and not listing:
                _kinds, listed = _run_suite(
                    context,
                    f"socai.rollup.{name}.failing",
                    [c for _i, c in failing],
                    batch,
                    parameters,
                    listed_format,
                    docs=False,
                )
                results = list(listed.results)
                # the JSON of the frame: each failing expectation's result as listed
                listed_json = listed.to_json_dict()["results"]
                for (i, _check), result_json in zip(failing, listed_json, strict=True):
                    document["results"][i] = result_json
            else:
                results = [validation.results[i] for i, _check in failing]
            report.checkpoints.append(document)
            for (_i, check), result in zip(failing, results, strict=True):
                if result.success:
                    raise AssertionError(
                        f"check {check.kind} on {name} failed, then passed when its rows were"
                        " listed: the data changed under the run"
                    )
                keys = _index_keys(result.result.get("unexpected_index_list"))
                count = int(result.result.get("unexpected_count") or 0)
                if len(keys) < count:
                    found.append(_not_listed(engine, check, name, count, len(keys)))
                for key in keys:
                    found.extend(explainer.explain(check, key))
    present = set(zip(grid.units["unit_map"], grid.units["unit_code"], strict=True))
    report.findings = group(found, [*structural, *rows_missing(grid)], present)
    if docs_dir is not None:
        from quality.docs import make_offline

        make_offline(docs_dir)
    return report


def _run_suite(
    context: Any,
    name: str,
    checks: list[Any],
    batch: Any,
    parameters: dict[str, Any],
    result_format: dict[str, Any],
    *,
    docs: bool,
) -> tuple[Counter[str], Any]:
    """Validate ``batch`` with a suite of ``checks`` through its own checkpoint; return the
    suite's expectations by type and GX's validation result, every invariant checked."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    from quality.suites import build_suite, require_complete

    suite = context.suites.add(build_suite(name, checks))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(
            name=name,
            validation_definitions=[definition],
            actions=[UpdateDataDocsAction(name="docs")] if docs else [],
            result_format=result_format,
        )
    )
    outcome = checkpoint.run(batch_parameters=parameters)
    (validation,) = outcome.run_results.values()
    assert len(validation.results) == len(checks), (
        f"{name}: {len(checks)} checks but {len(validation.results)} results"
    )
    for result in validation.results:
        # an expectation that could not run is named first (by its own meta): GX may list
        # its result out of order, which would otherwise hide the cause behind the order
        # check below
        problem = _raised(result.exception_info)
        if problem is not None:
            meta = (result.expectation_config.meta or {}) if result.expectation_config else {}
            kind = meta.get("socai_check", {}).get("kind", "?")
            raise RuntimeError(f"check {kind} on {name} could not run: {problem}")
    for check, result in zip(checks, validation.results, strict=True):
        config = result.expectation_config
        assert config is not None, "every result names its expectation"
        assert check.is_described_by(config.meta), "results out of the suite's order"
    return require_complete(suite, checks), validation


def _result_format(
    name: str, engine: str, frame: pd.DataFrame, docs_dir: Path | None
) -> dict[str, Any]:
    """What a listing pass asks GX for: every failing row, named by the frame's keys."""
    return {
        "result_format": "COMPLETE",
        "unexpected_index_column_names": _index_columns(name, engine),
        # GX cuts every list at this count, on SQL even when COMPLETE
        "partial_unexpected_count": len(frame) + 1,
        "return_unexpected_index_query": False,
        # the findings are explained from the frames, not from GX's values; Data Docs show
        # them, so they are fetched only for the docs
        "exclude_unexpected_values": docs_dir is None,
    }


def _batch(
    source: PandasDatasource | SQLDatasource, name: str, frame: pd.DataFrame
) -> tuple[BatchDefinition[Any], dict[str, Any]]:
    """The batch one frame is validated as: the frame itself (pandas), or the table of that
    name that ``_write_sql`` wrote (SQL engines), with the parameters its run needs."""
    from great_expectations.datasource.fluent import PandasDatasource

    if isinstance(source, PandasDatasource):
        frame_asset = source.add_dataframe_asset(name)
        return frame_asset.add_batch_definition_whole_dataframe(name), {"dataframe": frame}
    table_asset = source.add_table_asset(name, table_name=sql_table(name))
    return table_asset.add_batch_definition_whole_table(name), {}


def _index_columns(frame: str, engine: str) -> list[str]:
    """The columns naming a failing row: the frame's keys, and on pandas (where the cells
    frame still holds them) the unit and row id of a cells row, for Data Docs to show."""
    keys = list(FRAME_KEYS[frame])
    if engine == "pandas" and frame == CELLS:
        keys += ["unit_map", "unit_code", "row_id"]
    return keys


def _index_keys(listed: Any) -> list[dict[str, Any]]:
    """GX's ``unexpected_index_list`` as one dict per failing row. Without the values GX
    gives pandas' list as columns (``{"unit_code": [...], ...}``), SQL's as rows."""
    out: list[dict[str, Any]] = []
    for item in listed or []:
        columns = list(item.values())
        if columns and isinstance(columns[0], list):
            out.extend(
                dict(zip(item, values, strict=True)) for values in zip(*columns, strict=True)
            )
        else:
            out.append(item)
    return out


def _raised(info: Any) -> str | None:
    """The message of an exception GX caught while running an expectation, if any."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message"))
    for value in info.values():
        found = _raised(value)
        if found is not None:
            return found
    return None


def write_results_json(report: Report, path: Path, about: dict[str, Any] | None = None) -> None:
    """The GX validation results of every checkpoint, plus socai's findings, as JSON."""
    document = {
        "success": report.success,
        **(about or {}),
        "expectations": dict(report.expectations),
        "rules": report.rules,
        "failures": [f.as_dict() for f in report.findings],
        "validations": report.checkpoints,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1, default=str), "utf-8")
