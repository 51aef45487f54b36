"""Finance departments' pages (tài chính): the reconciliation as ``socai finance reconcile``
shows it — grouped by programme, line, source, unit, period; budget, allocated, committed,
disbursed, remaining — with a cut-off date, the transactions behind each figure down to the
case step they pay for, the discrepancies, charts, and the same XLSX workbook.

Every page reads through ``FundingService.view`` (the money the user's grants cover; refused
and logged without any), on the funding tables brought up to date first; a workbook download
is recorded in the access log as an export, as on the command line.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from starlette.responses import Response

from domain.errors import InvalidInput
from domain.time import VIETNAM_TZ, business_date
from infra.services.funding_view import FundingView
from infra.web import charts, inputs, tables
from infra.web.context import Ctx, Routes, download, page
from projections.funding import DIMENSIONS, MEASURES, Row, legs_behind, totals
from projections.funding_export import (
    DIMENSION_HEADERS,
    DISCREPANCY_LABELS,
    MEASURE_HEADERS,
    WorkbookContext,
    group_label,
    write_reconciliation_xlsx,
)
from projections.funding_sql import FundingQueries

ROUTES = Routes()

DEFAULT_BY = "programme,line,source"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _dims(text: str | None) -> tuple[str, ...]:
    dims = tuple(d.strip() for d in (text or DEFAULT_BY).split(",") if d.strip())
    unknown = [d for d in dims if d not in DIMENSIONS]
    if not dims or unknown:
        raise InvalidInput("group by", f"{', '.join(unknown) or 'nothing'} is not a grouping",
                           hint="any of: " + ", ".join(DIMENSIONS))  # fmt: skip
    return dims


def _view(ctx: Ctx, subject: str) -> tuple[FundingView, date | None, str | None]:
    day = inputs.day(ctx.arg("as_of"), "cut-off date")
    known_text = ctx.arg("known_at")
    known_at = inputs.moment(known_text, "as known at")

    def queries() -> FundingQueries:
        return tables.funding(ctx.web, known_at)

    return ctx.socai.funding.view(ctx.user, queries, subject), day, known_text


@dataclass(frozen=True, slots=True)
class Asked:
    """A reconciliation as asked: grouping, programme, cut-off, "as known at", its rows."""

    dims: tuple[str, ...]
    programme: str | None
    view: FundingView
    day: date | None
    known_at: str | None
    rows: list[Row]


def _asked(ctx: Ctx) -> Asked:
    dims = _dims(ctx.arg("by"))
    programme = ctx.arg("programme")
    view, day, known_text = _view(ctx, "reconcile")
    return Asked(dims, programme, view, day, known_text, view.reconcile(dims, programme, day))


@ROUTES.get("/finance")
@page()
def reconcile(ctx: Ctx) -> Response:
    asked = _asked(ctx)
    dims, programme, view, day = asked.dims, asked.programme, asked.view, asked.day
    rows = asked.rows
    by_line = view.reconcile(("line",), programme, day)
    by_province = view.reconcile(("province", "year"), programme, day)
    chart_lines = charts.bars(
        "budget vs disbursed",
        [(group_label("line", r.key[0]), (r.budget, r.disbursed)) for r in by_line],
        (("budget", MEASURE_HEADERS["budget"]), ("disbursed", MEASURE_HEADERS["disbursed"])),
        ctx.lang,
    )
    chart_units = charts.bars(
        "disbursed by province and year",
        [(f"{group_label('province', r.key[0])} — {r.key[1]}", (r.disbursed,))
         for r in by_province if r.disbursed],
        (("disbursed", MEASURE_HEADERS["disbursed"]),),
        ctx.lang,
    )  # fmt: skip
    return ctx.page(
        "finance.html", dims=dims, rows=rows, total=totals(rows), measures=MEASURES,
        measure_headers=MEASURE_HEADERS, dimension_headers=DIMENSION_HEADERS,
        group_label=group_label, dimensions=DIMENSIONS, scope=view.scope,
        programmes=ctx.socai.funding.readable_codes(ctx.user), programme=programme or "",
        by=",".join(dims), as_of=ctx.arg("as_of") or "", known_at=ctx.arg("known_at") or "",
        cut_off=day or business_date(ctx.socai.now()), discrepancies=len(view.discrepancies()),
        chart_lines=chart_lines, chart_units=chart_units,
    )  # fmt: skip


@ROUTES.get("/finance/behind")
@page()
def behind(ctx: Ctx) -> Response:
    """The transactions behind one figure, with the case step each pays for."""
    dims = _dims(ctx.arg("by"))
    key = tuple(k.strip() for k in (ctx.arg("key") or "").split("|"))
    measure = ctx.arg("measure")
    if measure is not None and measure not in MEASURES:
        raise InvalidInput("measure", f"{measure!r} is not a figure", hint=", ".join(MEASURES))
    view, day, _ = _view(ctx, "behind")
    legs = list(legs_behind(view.legs(ctx.arg("programme"), day), dims, key, measure))
    return ctx.page("finance_behind.html", legs=legs, dims=dims, key=key, measure=measure,
                    measures=MEASURES, measure_headers=MEASURE_HEADERS)  # fmt: skip


@ROUTES.get("/finance/discrepancies")
@page()
def discrepancies(ctx: Ctx) -> Response:
    view, _, _ = _view(ctx, "discrepancies")
    return ctx.page("finance_discrepancies.html", found=view.discrepancies(),
                    labels=DISCREPANCY_LABELS)  # fmt: skip


@ROUTES.get("/finance/reconcile.xlsx")
@page()
def workbook(ctx: Ctx) -> Response:
    """The XLSX of ``socai finance reconcile --xlsx`` (the same function, the same sheets)."""
    asked = _asked(ctx)
    view, day = asked.view, asked.day
    now = ctx.socai.now()
    context = WorkbookContext.of(view.queries.engine, now.astimezone(VIETNAM_TZ),
                                 day or business_date(now), asked.known_at)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="socai-web-") as folder:
        path = Path(folder) / "doi-chieu-kinh-phi.xlsx"
        legs = list(view.legs(asked.programme, day))
        write_reconciliation_xlsx(path, asked.dims, asked.rows, totals(asked.rows), legs=legs,
                                  found=view.discrepancies(), context=context)  # fmt: skip
        body = path.read_bytes()
    about = f"{asked.programme or 'all programmes'} in {view.scope}"
    ctx.socai.access.record_export(ctx.user, "finance reconcile", about, "xlsx")
    return download(body, XLSX_TYPE, "doi-chieu-kinh-phi.xlsx")
