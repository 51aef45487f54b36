"""Inspectors' pages (thanh tra): the case list, a case's timeline with its log positions
and inclusion proofs, its people's data behind a purpose, and its access log.

Every page is one checked service call: ``cases.read`` (the case's unit in the user's scope;
personal data redacted), ``cases.personal_data`` (a role that reads it, a login with a
one-time code, a purpose; the read is written to the access log before anything is shown),
``access_log.for_case``. Personal data is never put in a URL: the purpose is posted, and the
data comes back in that response only (not cached: every response is ``no-store``).
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from starlette.responses import Response

from domain.access.policy import Action
from domain.access.roles import Purpose
from domain.access.scope import UnitRef
from domain.case.history import case_history_rows, status_summary
from domain.errors import InvalidInput, NotFound
from domain.reference.units import AdminMap
from domain.time import business_date
from infra.services.cases import PERSONAL_PARTS
from infra.web import inputs, ledger, tables
from infra.web.context import Ctx, Routes, download, page
from projections.case_search import CaseQuery, find_cases
from projections.rollup import resolve_unit

ROUTES = Routes()

#: The stages a case list can filter on (:attr:`domain.case.steps.CaseStatus.stage`).
STAGES = (
    "received", "under_verification", "verified:victim", "verified:not_victim",
    "verified:suspected_victim", "supported", "reintegrated", "closed",
)  # fmt: skip
LIST_LIMIT = 200


@ROUTES.get("/cases")
@page()
def case_list(ctx: Ctx) -> Response:
    """Cases of a unit: stage, overdue procedures, reception dates, the beginning of an id."""
    admin_map, code = inputs.unit(ctx.arg("unit"), ctx.user, Action.CASE_READ, AdminMap.NEW)
    ctx.socai.access.check(ctx.user, Action.CASE_READ, UnitRef(admin_map.value, code), "cases")
    stage = ctx.arg("stage")
    if stage is not None and stage not in STAGES:
        raise InvalidInput("stage", f"{stage!r} is not a stage", hint=", ".join(STAGES))
    query = CaseQuery(
        stage=stage,
        overdue=ctx.arg("overdue") is not None,
        received_from=inputs.day(ctx.arg("from"), "received from"),
        received_to=inputs.day(ctx.arg("to"), "received until"),
        id_prefix=inputs.id_prefix(ctx.arg("id")),
        limit=LIST_LIMIT,
    )
    today = business_date(ctx.socai.now())
    target = resolve_unit(admin_map, code)
    rows = find_cases(tables.projections(ctx.web), admin_map, target, query, today)
    return ctx.page(
        "cases.html", rows=rows, stages=STAGES, unit=f"{admin_map.value}:{code}",
        unit_name=target.name, query=query, stage_chosen=stage or "", today=today,
        limit=LIST_LIMIT, text={k: ctx.arg(k) or "" for k in ("unit", "from", "to", "id")},
    )  # fmt: skip


def _case_id(ctx: Ctx) -> UUID:
    """The case the address names (``/cases/{case_id}/…``), refused when malformed."""
    return inputs.case_id(ctx.request.path_params["case_id"])


def _positions(ctx: Ctx, case_id: UUID) -> dict[int, int]:
    """Version → position in the one log, of the case's events."""
    return ctx.socai.log.positions_of(case_id)


@ROUTES.get("/cases/{case_id}")
@page()
def timeline(ctx: Ctx) -> Response:
    """A case's steps: actor, legal basis, business date, record time, log position;
    corrections beside what they correct; as it stood on a date, as known at a time."""
    cid = _case_id(ctx)
    on = inputs.day(ctx.arg("as_of"), "as it stood on")
    known_at = inputs.moment(ctx.arg("known_at"), "as known at")
    view = ctx.socai.cases.read(ctx.user, cid, on, known_at)
    erased = ctx.socai.privacy.notices(cid, view.steps)
    rows = case_history_rows(view.steps, ctx.lang, erased)
    positions = _positions(ctx, cid)
    by_version = {row["version"]: row for row in rows}
    for row in rows:
        row["position"] = positions.get(row["version"])
        row["corrected_by"] = []
        row["corrects"] = None
    for row in rows:  # a correction is shown beside the step it corrects, and vice versa
        if row["kind"] == "CorrectionRecorded":
            target = int(row["fields"]["corrects_version"])
            row["corrects"] = target
            if target in by_version:
                by_version[target]["corrected_by"].append((row["version"], row["details"]))
    summary = status_summary(view.status, on or business_date(ctx.socai.now()))
    return ctx.page(
        "timeline.html", case_id=str(cid), rows=rows, summary=summary,
        as_of=ctx.arg("as_of") or "", known_at=ctx.arg("known_at") or "",
        may_read_personal=ctx.may("person.read"), may_read_log=ctx.may("access_log.read"),
        checkpoint=ledger.latest_checkpoint(ctx.web.settings),
    )  # fmt: skip


def _proof(ctx: Ctx) -> tuple[UUID, int, dict[str, Any]]:
    cid = _case_id(ctx)
    position = ctx.request.path_params["position"]
    ctx.socai.cases.read(ctx.user, cid)
    if position not in _positions(ctx, cid).values():
        raise NotFound(
            f"position {position} is not an event of case {cid}",
            hint="open the proof from the case's timeline",
        )
    return cid, position, ledger.inclusion(ctx.web.settings, position)


@ROUTES.get("/cases/{case_id}/proof/{position:int}")
@page()
def proof_download(ctx: Ctx) -> Response:
    """The inclusion proof of one step (JSON; `socai audit verify-proof` checks it offline)."""
    _, position, document = _proof(ctx)
    body = json.dumps(document, indent=2, sort_keys=True) + "\n"
    return download(body.encode(), "application/json", f"proof-{position}.json")


@ROUTES.get("/cases/{case_id}/proof/{position:int}/check")
@page()
def proof_check(ctx: Ctx) -> Response:
    """The proof's verification against the operator's public key (a fragment for htmx)."""
    cid, position, document = _proof(ctx)
    holds, summary = ledger.check(ctx.web.settings, document)
    template = "proof_result.html" if ctx.request.headers.get("hx-request") else "proof_page.html"
    return ctx.page(template, case_id=str(cid), position=position, holds=holds, summary=summary)


def _person_page(
    ctx: Ctx, cid: UUID, found: dict[str, str] | None, purpose: Purpose | None
) -> Response:
    """The person page: the purposes to choose from, and what was read for ``purpose``."""
    return ctx.page("person.html", case_id=str(cid), purposes=list(Purpose), found=found,
                    purpose=purpose)  # fmt: skip


@ROUTES.get("/cases/{case_id}/person")
@page()
def person_form(ctx: Ctx) -> Response:
    """Ask for the purpose before any personal data is read."""
    cid = _case_id(ctx)
    ctx.socai.access.check(ctx.user, Action.PERSON_READ, ctx.socai.cases.unit_of(cid), cid)
    return _person_page(ctx, cid, None, None)


@ROUTES.post("/cases/{case_id}/person")
@page()
def person_read(ctx: Ctx) -> Response:
    """Read the case's people's data for the chosen purpose (logged by the service)."""
    cid = _case_id(ctx)
    chosen = Purpose.parse(ctx.arg("purpose") or "", "purpose")
    assert isinstance(chosen, Purpose)
    steps = list(ctx.socai.cases.get(cid).steps.values())
    erased = ctx.socai.privacy.notices(cid, steps)
    found = ctx.socai.cases.personal_data(ctx.user, cid, chosen, PERSONAL_PARTS, erased)
    return _person_page(ctx, cid, found, chosen)


@ROUTES.get("/cases/{case_id}/access")
@page()
def access_log(ctx: Ctx) -> Response:
    """Who read this case's people's data, with which purpose; exports; refusals."""
    cid = _case_id(ctx)
    entries = ctx.socai.access_log.for_case(ctx.user, cid)
    return ctx.page("access_log.html", case_id=str(cid), entries=entries)
