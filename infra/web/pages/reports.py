"""Statisticians' pages (thống kê): the rollup form per unit and period as the official form
(STT, Vietnamese labels, a column per year, money rows in million đồng), its XLSX, the KPIs
against their targets with the list of cases behind each figure, and the check of a submitted
rollup (CSV or XLSX) with each wrong cell highlighted beside its rule and an annotated XLSX.

Reads check ``report.read`` over the unit (statisticians, supervisors, inspectors, finance),
as ``socai rollup`` and ``socai kpi`` do, on the read models brought up to date first. A
submitted file is checked by the same functions as ``socai quality check``; like that
command, checking a file reads nothing of the store, so any logged-in user may.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

from starlette.responses import Response

from domain.access.policy import Action
from domain.access.scope import UnitRef
from domain.errors import InvalidInput, SocaiError
from domain.period import Period
from domain.reference.units import AdminMap
from domain.time import business_date
from infra.web import inputs, tables
from infra.web.context import Ctx, Routes, download, page
from projections.kpi import compute_kpis
from projections.proceedings import prosecution_kpis
from projections.rollup import Rollup, compute_rollup, reporting_period
from projections.rollup_export import money, title_lines, to_xlsx

ROUTES = Routes()

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_PERIOD = "2016-2020"


def _rollup(ctx: Ctx) -> tuple[Rollup, str]:
    admin_map, code = inputs.unit(ctx.arg("unit"), ctx.user, Action.REPORT_READ, AdminMap.OLD)
    ctx.socai.access.check(ctx.user, Action.REPORT_READ, UnitRef(admin_map.value, code), "rollup")
    window = reporting_period(ctx.arg("period") or DEFAULT_PERIOD, None, "period")
    years = window.year_numbers
    whole = window == Period.years(years[0], years[-1])
    engine = tables.projections(ctx.web)
    result = compute_rollup(engine, admin_map, code, years, None if whole else window)
    return result, f"{admin_map.value}:{code}"


@ROUTES.get("/reports/rollup")
@page()
def rollup(ctx: Ctx) -> Response:
    result, scope = _rollup(ctx)
    rows = [
        {"row_id": row.row_id, "stt": row.stt, "label_vi": row.label_vi, "unit": row.unit,
         "values": [money(row, v) for v in values], "total": money(row, total)}
        for row, values, total in result.rows()
    ]  # fmt: skip
    return ctx.page("rollup.html", result=result, rows=rows, lines=title_lines(result, None),
                    scope=scope, period=ctx.arg("period") or DEFAULT_PERIOD,
                    unit=ctx.arg("unit") or "")  # fmt: skip


@ROUTES.get("/reports/rollup.xlsx")
@page()
def rollup_xlsx(ctx: Ctx) -> Response:
    """The printable form for Excel (``socai rollup --xlsx``), recorded as an export."""
    result, scope = _rollup(ctx)
    with tempfile.TemporaryDirectory(prefix="socai-web-") as folder:
        path = Path(folder) / "bieu-tong-hop.xlsx"
        to_xlsx(result, path)
        body = path.read_bytes()
    ctx.socai.access.record_export(ctx.user, "rollup", scope, "xlsx")
    return download(body, XLSX_TYPE, "bieu-tong-hop.xlsx")


@ROUTES.get("/reports/kpi")
@page()
def kpi(ctx: Ctx) -> Response:
    """KPIs against their targets; ``list=KEY`` shows the cases behind one figure."""
    admin_map, code = inputs.unit(ctx.arg("unit"), ctx.user, Action.REPORT_READ, AdminMap.NEW)
    ctx.socai.access.check(ctx.user, Action.REPORT_READ, UnitRef(admin_map.value, code), "kpi")
    engine = tables.projections(ctx.web)
    today = business_date(ctx.socai.now())
    cut_off = inputs.day(ctx.arg("until"), "cut-off date")
    if cut_off is not None and cut_off > today:
        raise InvalidInput("cut-off date", f"{cut_off} is after today ({today})")
    text = ctx.arg("period")
    window: Period | None = reporting_period(text, cut_off, "period") if text else None
    if window is None and cut_off is not None:
        window = Period(date(2012, 1, 1), cut_off)
    judged_on = cut_off or today
    kpis = compute_kpis(engine, admin_map, code, judged_on, window)
    kpis += prosecution_kpis(engine, admin_map, code, judged_on, window)
    listed = ctx.arg("list")
    chosen = next((k for k in kpis if k.key == listed), None) if listed else None
    if listed and chosen is None:
        raise InvalidInput("list", f"{listed!r} is not an indicator",
                           hint=", ".join(k.key for k in kpis))  # fmt: skip
    return ctx.page("kpi.html", kpis=kpis, chosen=chosen, scope=f"{admin_map.value}:{code}",
                    judged_on=judged_on, period=text or "", until=ctx.arg("until") or "",
                    unit=ctx.arg("unit") or "")  # fmt: skip


@ROUTES.get("/reports/check")
@page()
def check_form(ctx: Ctx) -> Response:
    return ctx.page("check.html", checked=None, unit=ctx.arg("unit") or "")


@ROUTES.post("/reports/check")
@page()
def check(ctx: Ctx) -> Response:
    """Check an uploaded rollup; ``annotated`` in the form returns the annotated XLSX."""
    from quality.annotate import annotated_xlsx, cell_findings, columns_of
    from quality.importer import read_submission
    from quality.run import validate

    upload = ctx.upload("file")
    if upload is None or not upload.filename:
        raise InvalidInput("file", "no file was sent", hint="choose a .csv or .xlsx rollup")
    name = Path(upload.filename).name
    suffix = Path(name).suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xlsm"):
        raise InvalidInput("file", f"{name} is not a .csv or .xlsx file",
                           hint="export the form as CSV or XLSX")  # fmt: skip
    unit_text = ctx.arg("unit")
    unit = None
    if unit_text is not None:
        admin_map, code = inputs.unit(unit_text, ctx.user, Action.REPORT_READ, AdminMap.NEW)
        unit = f"{admin_map.value}:{code}"
    with tempfile.TemporaryDirectory(prefix="socai-web-") as folder:
        path = Path(folder) / f"submitted{suffix}"
        path.write_bytes(upload.file.read())
        try:
            submission = read_submission(path, unit)
        except SocaiError as refused:
            raise type(refused)(refused.message.replace(str(path), name),
                                hint=refused.hint) from None  # fmt: skip
        report = validate(submission.table, engine="pandas", structural=submission.structural)
        if ctx.arg("annotated") is not None:
            body = annotated_xlsx(submission.table, report.findings)
            stem = Path(name).stem[:60] or "rollup"
            return download(body, XLSX_TYPE, f"{_safe(stem)}-kiem-tra.xlsx")
    wrong = cell_findings(report.findings)
    table = submission.table
    return ctx.page("check.html", checked=name, records=table.to_dict("records"),
                    columns=columns_of(table), report=report,
                    wrong=wrong, unit=unit_text or "", described=submission.describe())  # fmt: skip


def _safe(text: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in text)
