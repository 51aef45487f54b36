"""``socai export``: data prepared to leave the programme (xuất dữ liệu công bố).

``socai export htcds --period 2016-2020 [--k 11] -o FILE.csv [--report FILE.json]`` writes
the cases of the period as de-identified HTCDS v2.0 records (:mod:`projections.htcds`), made
k-anonymous by CTDC's method (:mod:`projections.kanon`): age bands, country instead of any
place finer, then generalisation and suppression until every combination of the
quasi-identifiers appears at least k times. What was generalised and how many records were
left out is reported (stderr, and ``--report FILE`` as JSON). A statistician with a national
grant; the export is in the access log.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import typer

from domain.access.policy import Action
from domain.errors import InvalidInput
from infra.cli.commands import command
from infra.cli.context import say, state
from infra.cli.options import OUTPUT, ReportPeriod
from infra.cli.output import UTF8_BOM
from infra.cli.projections import caught_up
from projections.htcds import FIELDS, hierarchies, htcds_records
from projections.kanon import Anonymised, k_anonymise

app = typer.Typer(no_args_is_help=True)

REPORT = typer.Option(
    None, "--report", help="Also write what was generalised and suppressed (JSON)."
)

#: CTDC's k.
DEFAULT_K = 11
MAX_K = 1000
#: At most this share of the records is left out while a column can still be generalised.
MAX_SUPPRESSED = 0.05


@command(app, "htcds")
def htcds(
    ctx: typer.Context,
    period: ReportPeriod,
    k: int = typer.Option(DEFAULT_K, "--k", help="Each combination at least k times (CTDC: 11)."),
    output: Path | None = OUTPUT,
    report: Path | None = REPORT,
) -> None:
    """De-identified case records in the HTCDS v2.0 fields, k-anonymous (CTDC's method), for
    publication: no personal field; what was generalised and suppressed is reported."""
    if not 1 <= k <= MAX_K:
        raise InvalidInput(
            "--k", f"{k} is not a group size", hint=f"1 to {MAX_K}; CTDC publishes with 11"
        )
    window = period.window()
    _check_file(output, ".csv", "-o", required=True)
    _check_file(report, ".json", "--report", required=False)
    assert output is not None
    cli = state(ctx)
    cli.allowed(Action.EXPORT_DEIDENTIFIED, subject="htcds")
    _application, engine, _ = caught_up(ctx)
    done = k_anonymise(list(htcds_records(engine, window)), hierarchies(window), k, MAX_SUPPRESSED)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(done.rows)
    summary = _summary(done, window.label)
    output.write_text(UTF8_BOM + buffer.getvalue(), encoding="utf-8")
    if report is not None:
        report.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", "utf-8")
    cli.exported(output, "htcds", f"VN {window.label} k={k}", "csv")
    for line in _lines(summary):
        say(line, err=True)


def _check_file(path: Path | None, suffix: str, flag: str, *, required: bool) -> None:
    if path is None:
        if required:
            raise InvalidInput(
                flag, "the records are written to a file", hint=f"{flag} FILE{suffix}"
            )
        return
    if path.suffix.lower() != suffix:
        raise InvalidInput(
            flag, f"{path.name!r} is not a {suffix} file", hint=f"{flag} FILE{suffix}"
        )
    if not path.parent.is_dir():
        raise InvalidInput(flag, f"folder {path.parent} does not exist", hint="create it first")


def _summary(done: Anonymised, period: str) -> dict[str, object]:
    return {
        "period": period,
        "k": done.k,
        "records": done.total,
        "published": len(done.rows),
        "suppressed": done.suppressed,
        "smallest_group": done.smallest_group(),
        "quasi_identifiers": {
            column: {"level": level, "as": done.level_names[column]}
            for column, level in done.levels.items()
        },
        "generalisation_steps": [f"{c} to level {n}" for c, n in done.steps],
    }


def _lines(summary: dict[str, object]) -> list[str]:
    levels = summary["quasi_identifiers"]
    assert isinstance(levels, dict)
    shown = ", ".join(f"{c}: {v['as']}" for c, v in levels.items())
    return [
        f"htcds {summary['period']}, k={summary['k']}: {summary['published']} of"
        f" {summary['records']} records published, {summary['suppressed']} suppressed"
        f" (smallest group {summary['smallest_group']}).",
        f"generalised: {shown}.",
    ]
