"""Every bench runs to its end at its smallest size (``make bench`` stops at the first that
fails, so one broken bench hides every figure after it).

The figures themselves are not asserted (benches are measurements, not timed tests): each run
must exit 0 and print at least one ratio. The store-based benches run on SQLite here; their
PostgreSQL paths share the same code and are measured by ``make bench``. ``bench/append.py``
once stopped with a rule violation from a scenario that planned an invalid history, unnoticed
because nothing ran it between measuring sessions.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: A markdown row of the issue-18 table (``bench._stores.row``) or a printed ratio line.
RATIO = re.compile(r"\| \d+\.\d\d \||ratio\b.*\d+\.\d\d")

pytestmark = pytest.mark.integration

BENCHES = [
    pytest.param("append.py", [], id="append"),  # its default plan: seed 1, 600 cases
    pytest.param("audit.py", ["--quick", "--backend", "sqlite", "--append", "200"], id="audit"),
    pytest.param("funding.py", ["--transfers", "2000", "--batch", "500"], id="funding"),
    pytest.param("quality.py", ["--repeat", "1"], id="quality"),
    pytest.param("rebuild.py", ["--quick", "--backend", "sqlite"], id="rebuild"),
    pytest.param(
        "relay.py",
        ["--quick", "--backend", "sqlite"],
        id="relay",
        marks=pytest.mark.skipif(
            os.environ.get("SOCAI_SKIP_KAFKA") == "1", reason="SOCAI_SKIP_KAFKA=1"
        ),
    ),
    pytest.param("replay.py", ["--sizes", "100", "400", "--repeat", "1"], id="replay"),
]


def test_every_bench_is_listed_here() -> None:
    assert {p.name for p in (ROOT / "bench").glob("[a-z]*.py")} == {p.values[0] for p in BENCHES}


@pytest.mark.parametrize(("script", "args"), BENCHES)
def test_the_bench_runs_and_prints_its_ratios(script: str, args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert RATIO.search(done.stdout), done.stdout[-3000:]
