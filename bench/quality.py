"""Rollup quality: time to validate the nation on the 2025 map, loading included.

34 provinces + 3,321 communes (+ the nation) × 5 years, generated clean and written to a CSV
file as a submission would be. Each variant starts from that file:

* baseline — load the CSV into the rollup table (what any check must pay);
* pandas   — load + validate in memory with great-expectations;
* sql      — load + write the validated tables into SQLite + validate there.

GX's import (3–4 s) is paid once before timing and reported on its own. A planted error is
checked to be found in the same run, so the figures are of suites that work.

    python bench/quality.py [--years 5] [--repeat 1]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from domain.reference.units import AdminMap
from quality.frames import by_year_frame
from quality.generate import generate_rollup
from quality.importer import read_rollup
from quality.table import value_columns


def timed(label: str, func, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<34} {best:7.2f} s")
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    years = tuple(range(2025 - args.years + 1, 2026))

    start = time.perf_counter()
    import great_expectations  # noqa: F401

    import quality.expectations  # noqa: F401
    from quality.run import validate

    print(f"{'import great-expectations':<34} {time.perf_counter() - start:7.2f} s (once)")

    table = generate_rollup(years=years, maps=(AdminMap.NEW,), seed=1)
    by_year = by_year_frame(table)
    units = table[["unit_map", "unit_code"]].drop_duplicates()
    print(
        f"units {len(units):,} × years {len(years)}: {len(table):,} cells rows,"
        f" {len(by_year):,} unit-year rows × {by_year.shape[1]} columns"
    )

    with tempfile.TemporaryDirectory(prefix="socai-bench-") as scratch:
        path = Path(scratch) / "national_2025.csv"
        table.astype({c: "Int64" for c in value_columns(table)}).to_csv(path, index=False)

        def load():  # type: ignore[no-untyped-def]
            return read_rollup(path)

        def pandas_run():  # type: ignore[no-untyped-def]
            return validate(read_rollup(path), engine="pandas")

        def sql_run():  # type: ignore[no-untyped-def]
            db = Path(scratch) / "quality.db"
            db.unlink(missing_ok=True)
            return validate(read_rollup(path), engine="sql", sql_url=f"sqlite:///{db}")

        base, loaded = timed("baseline: load CSV", load, args.repeat)
        pandas_s, pandas_report = timed("pandas: load + validate", pandas_run, args.repeat)
        sql_s, sql_report = timed("sql (SQLite): load + validate", sql_run, args.repeat)

    assert pandas_report.success, "the clean rollup must pass on pandas"
    assert sql_report.success, "the clean rollup must pass on SQL"
    checks = sum(pandas_report.expectations.values())
    print(f"expectations per run: {checks}")
    print(
        f"ratio pandas / load: {pandas_s / base:5.1f}×   sql / load: {sql_s / base:5.1f}×"
        f"   sql / pandas: {sql_s / pandas_s:4.1f}×"
    )

    planted = loaded.copy()
    planted.loc[(planted["unit_code"] == "82") & (planted["row_id"] == "II.1"), "y2025"] += 1
    start = time.perf_counter()
    found = validate(planted).failures
    print(
        f"planted one wrong cell: {len(found)} failures named in"
        f" {time.perf_counter() - start:.2f} s:"
    )
    for failure in found:
        print("  " + failure.line())
    assert {(f.unit_code, f.row_id, f.year) for f in found} >= {("82", "II.1", "2025")}


if __name__ == "__main__":
    main()
