"""Run the rollup suites with great-expectations on pandas or SQL, and collect the failures.

One ephemeral GX context per run (never a ``gx/`` folder: ``mode="ephemeral"`` is explicit),
progress bars off. Each validated frame (:mod:`quality.frames`) gets its own suite, validation
definition and checkpoint, because a checkpoint's ``unexpected_index_column_names`` must exist
in every table it validates and the frames have different identities.

On SQL the frames are written as tables (with the indexes the hierarchy check needs) into the
given database, or a throw-away SQLite file, and validated there.

Invariant checked on every run: each suite still holds every expectation it was built with,
by type, and each produced exactly one result (nothing silently dropped).
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from quality.frames import (
    BY_YEAR,
    CELLS,
    FRAME_KEYS,
    RECONCILIATION,
    by_year_frame,
    cells_frame,
    reconciliation_frame,
)
from quality.table import year_columns

if TYPE_CHECKING:  # GX is imported when a validation runs (it takes seconds to import)
    from great_expectations.core.batch_definition import BatchDefinition
    from great_expectations.datasource.fluent import PandasDatasource, SQLDatasource

ENGINES = ("pandas", "sql")


@dataclass
class Report:
    """The outcome of one validation run."""

    failures: list[Any] = field(default_factory=list)  # quality.results.Failure
    expectations: Counter[str] = field(default_factory=Counter)  # by type, all suites
    results: int = 0
    checkpoints: list[dict[str, Any]] = field(default_factory=list)  # GX JSON, per frame

    @property
    def success(self) -> bool:
        return not self.failures


def _frames(table: pd.DataFrame, computed: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    frames = {CELLS: cells_frame(table), BY_YEAR: by_year_frame(table)}
    if computed is not None:
        frames[RECONCILIATION] = reconciliation_frame(table, computed)
    return frames


def _checks(table: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> dict[str, list[Any]]:
    from quality.suites import by_year_checks, cells_checks, reconciliation_checks

    years = year_columns(table)
    plan = {CELLS: cells_checks(years), BY_YEAR: by_year_checks()}
    if RECONCILIATION in frames:
        plan[RECONCILIATION] = reconciliation_checks(years)
    return plan


def _write_sql(frames: dict[str, pd.DataFrame], url: str) -> Any:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        for name, frame in frames.items():
            table = f"socai_quality_{name}"
            frame.to_sql(table, connection, if_exists="replace", index=False, chunksize=5000)
            if name == CELLS:  # the hierarchy check groups by parent and joins by unit
                connection.execute(
                    sa.text(
                        f'CREATE INDEX "ix_{table}_parent" ON "{table}"'
                        " (unit_map, row_id, parent_code)"
                    )
                )
                connection.execute(
                    sa.text(
                        f'CREATE UNIQUE INDEX "ix_{table}_unit" ON "{table}"'
                        " (unit_map, row_id, unit_code)"
                    )
                )
    return engine


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


def validate(
    table: pd.DataFrame,
    *,
    engine: str = "pandas",
    sql_url: str | None = None,
    computed: pd.DataFrame | None = None,
    docs_dir: Path | None = None,
) -> Report:
    """Validate a rollup table (and its reconciliation with ``computed``, if given)."""
    assert engine in ENGINES, engine
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.data_context.types.base import ProgressBarsConfig

    import quality.expectations as qx
    from quality.results import Explainer
    from quality.suites import Check, build_suite, require_complete

    qx.require_registered()
    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)  # GX sets INFO on the latter
    frames = _frames(table, computed)
    plan = _checks(table, frames)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        _docs_site(context, docs_dir)

    with tempfile.TemporaryDirectory(prefix="socai-quality-") as scratch:
        source: PandasDatasource | SQLDatasource
        if engine == "pandas":
            source = context.data_sources.add_pandas("rollups")
        else:
            url = sql_url or f"sqlite:///{Path(scratch) / 'rollups.db'}"
            _write_sql(frames, url).dispose()
            if url.startswith("sqlite"):
                source = context.data_sources.add_sqlite("rollups", connection_string=url)
            elif url.startswith("postgresql"):
                source = context.data_sources.add_postgres("rollups", connection_string=url)
            else:
                source = context.data_sources.add_sql("rollups", connection_string=url)

        report = Report()
        explainer = Explainer(frames)
        for name, checks in plan.items():
            suite = context.suites.add(build_suite(f"socai.rollup.{name}", checks))
            batch, parameters = _batch(source, name, frames[name])
            definition = context.validation_definitions.add(
                gx.ValidationDefinition(name=f"socai.rollup.{name}", data=batch, suite=suite)
            )
            checkpoint = context.checkpoints.add(
                gx.Checkpoint(
                    name=f"socai.rollup.{name}",
                    validation_definitions=[definition],
                    actions=[UpdateDataDocsAction(name="docs")] if docs_dir is not None else [],
                    result_format={
                        "result_format": "COMPLETE",
                        "unexpected_index_column_names": list(FRAME_KEYS[name]),
                        "return_unexpected_index_query": False,
                    },
                )
            )
            outcome = checkpoint.run(batch_parameters=parameters)
            report.expectations += require_complete(suite, checks)
            for validation in outcome.run_results.values():
                report.checkpoints.append(validation.to_json_dict())
                assert len(validation.results) == len(checks), (
                    f"{name}: {len(checks)} checks but {len(validation.results)} results"
                )
                report.results += len(validation.results)
                for result in validation.results:
                    config = result.expectation_config
                    assert config is not None, "every result names its expectation"
                    check = Check.from_meta(config.meta)
                    problem = _raised(result.exception_info)
                    if problem is not None:
                        raise RuntimeError(f"check {check.rule} on {name} could not run: {problem}")
                    if result.success:
                        continue
                    for key in result.result.get("unexpected_index_list") or []:
                        report.failures.extend(explainer.explain(check, key))
    report.failures.sort(key=lambda f: (f.unit_map, f.unit_code, f.row_id, f.year, f.rule))
    if docs_dir is not None:
        from quality.docs import make_offline

        make_offline(docs_dir)
    return report


def _batch(
    source: PandasDatasource | SQLDatasource, name: str, frame: pd.DataFrame
) -> tuple[BatchDefinition[Any], dict[str, Any]]:
    """The batch one frame is validated as: the frame itself (pandas), or the table of that
    name that ``_write_sql`` wrote (SQL engines), with the parameters its run needs."""
    from great_expectations.datasource.fluent import PandasDatasource

    if isinstance(source, PandasDatasource):
        frame_asset = source.add_dataframe_asset(name)
        return frame_asset.add_batch_definition_whole_dataframe(name), {"dataframe": frame}
    table_asset = source.add_table_asset(name, table_name=f"socai_quality_{name}")
    return table_asset.add_batch_definition_whole_table(name), {}


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


def write_results_json(report: Report, path: Path) -> None:
    """The GX validation results of every checkpoint, plus socai's failure lines, as JSON."""
    document = {
        "success": report.success,
        "expectations": dict(report.expectations),
        "failures": [f.as_dict() for f in report.failures],
        "validations": report.checkpoints,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1, default=str), "utf-8")
