"""``socai case``: record the steps of a case and read its history.

Every recording command takes the actor (``--officer`` and ``--agency``, or SOCAI_OFFICER and
SOCAI_AGENCY), the business date (``--on``, default today in Viet Nam), an optional legal
basis (``--basis``: a decision or record number), and either flags or ``--from-json FILE``
holding the same fields by name (flags win). A refused step prints why and writes nothing.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import typer

from domain.access.roles import Purpose
from domain.case.commands import COMMANDS, Command, Receive
from domain.case.history import case_history_rows, labelled, status_summary
from domain.case.values import parse_case_id
from domain.errors import InvalidInput
from domain.time import business_date, parse_date, parse_instant
from infra.cli.commands import command
from infra.cli.context import console, language, state
from infra.cli.declare import Opt, Run, declare, option
from infra.cli.files import read_json_file
from infra.cli.options import AS_OF, BASIS, FROM_JSON, KNOWN_AT, ON, STEP_UNIT
from infra.cli.output import Column, Reply, Report
from infra.cli.unit_option import unit_on
from infra.services.cases import PERSONAL_PARTS

if TYPE_CHECKING:
    from infra.services.cases import CaseView
    from infra.services.socai import Socai


app = typer.Typer(no_args_is_help=True)


def _case_id(text: str) -> UUID:
    return parse_case_id(text, "CASE_ID", hint="use the full id from `socai case list`")


def _load_json(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    data = read_json_file(path, "--from-json")
    if not isinstance(data, dict):
        raise InvalidInput("--from-json", f"{path} must hold one JSON object of named fields")
    return data


CASE_ID = Opt("case_id", typer.Argument(..., help="The case id (from `socai case list`)."))
#: When the step happened and on what basis; every recording command takes them. Who recorded
#: it is the logged-in user (``socai login``), never an option.
STEP = (
    Opt("occurred_on", ON),
    Opt("legal_basis", BASIS),
)
WHO = (
    option("protected", "--who", help="victim | relative"),
    option("relationship", "--relationship", help="For a relative: e.g. mother"),
)
JSON = Opt("from_json", FROM_JSON, Path)


def _record(command_name: str) -> Run:
    """The service call behind a recording command: flags win over ``--from-json`` fields."""

    def run(ctx: typer.Context, values: dict[str, Any]) -> None:
        case_id = values.pop("case_id", None)
        fields = _load_json(values.pop("from_json"))
        fields.update({k: v for k, v in values.items() if v is not None})
        application = state(ctx).app()
        fields.setdefault("occurred_on", business_date(application.now()).isoformat())
        if "unit_code" in fields:
            on = parse_date(str(fields["occurred_on"]), "--on")
            fields["unit_code"] = unit_on(str(fields["unit_code"]), on)
        command: Command = COMMANDS[command_name].parse(fields)
        if case_id is None:
            assert isinstance(command, Receive), "only a reception opens a case"
            new_id = application.cases.receive(command, state(ctx).principal())
            console.print(f"received: case {new_id}")
        else:
            principal = state(ctx).principal()
            version = application.cases.execute(_case_id(case_id), command, principal)
            console.print(f"recorded {command.EVENT} as version {version} of case {case_id}")

    return run


def step(name: str, doc: str, *opts: Opt, run: Run | None = None) -> None:
    """Declare the recording command ``name`` of one step of an open case: the case id, the
    step's date and basis (:data:`STEP`), ``opts``, then ``--from-json``; recorded by
    ``run`` (default: the domain command of the same name, ``-`` read as ``_``)."""
    recorded = run or _record(name.replace("-", "_"))
    declare(app, name, doc, (CASE_ID, *STEP, *opts, JSON), recorded)


def _verify(ctx: typer.Context, values: dict[str, Any]) -> None:
    """``--request`` records the request (to ``--by``), otherwise the outcome (by ``--by``)."""
    body = values.pop("deciding_body")
    if values.pop("request"):
        _record("request_verification")(ctx, {**values, "body": body})
    else:
        _record("verify")(ctx, {**values, "deciding_body": body})


def _shelter(ctx: typer.Context, values: dict[str, Any]) -> None:
    action = values.pop("action")
    if action not in ("admit", "discharge"):
        raise InvalidInput("ACTION", f"{action!r} is not admit or discharge")
    facility = values.pop("facility")
    if action == "admit":
        values["facility"] = facility
    _record(f"{action}_shelter")(ctx, values)


def _support(ctx: typer.Context, values: dict[str, Any]) -> None:
    values["provider_agency"] = values["provider_agency"] or state(ctx).principal().agency
    _record("support")(ctx, values)


declare(
    app,
    "receive",
    'Receive a person (tiếp nhận). Personal data only via --from-json (field "person").',
    (
        *STEP[:1],
        option("legal_basis", "--record", help="Reception record number (biên bản)."),
        option("reception_form", "--form", help="self_returned | rescued | bilateral_handover"),
        Opt("unit_code", STEP_UNIT),
        option("belongings_checked", "--belongings-checked/--no-belongings-check", type_=bool),
        option("interview_held", "--interview/--no-interview", type_=bool),
        JSON,
    ),
    _record("receive"),
)
step(
    "demographics",
    "Record sex, age and ethnicity (nhân khẩu học).",
    option("sex", "--sex", help="male | female"),
    option("birth_year", "--birth-year", type_=int),
    option("age_band", "--age-band", help="under_16 | 16_17 | adult"),
    option("ethnicity", "--ethnicity", help="kinh | other"),
    option("nationality", "--nationality", help="ISO 3166 code, default VN"),
)
step(
    "trafficking",
    "Record the form of trafficking (hình thức mua bán).",
    option("scope", "--scope", help="domestic | abroad"),
    option("destination_country", "--destination", help="ISO country, when abroad"),
)
step(
    "verify",
    "Request verification (--request) or record its outcome (xác minh, xác định).",
    Opt(
        "request",
        typer.Option(False, "--request", help="Record the request, not the outcome."),
        bool,
    ),
    option("deciding_body", "--by", help="Body that verifies / decided, e.g. police"),
    option("outcome", "--outcome", help="victim | not_victim | suspected_victim"),
    run=_verify,
)
step(
    "route",
    "Route the person after classification (chuyển giao).",
    option(
        "destination",
        "--to",
        help="prosecution | treatment_centre | social_protection_centre | returned_home",
    ),
)
step(
    "request-protection",
    "Record that the victim or a relative needs protection (đề nghị bảo vệ): they asked for it,"
    " or the agency found a threat. `socai kpi` measures protection against it.",
    *WHO,
    option("source", "--source", help="victim_request | relative_request | agency_assessment"),
)
step(
    "protect",
    "Apply protection to the victim or a relative (bảo vệ). A relative's personal data only"
    ' via --from-json (field "relative").',
    *WHO,
    option(
        "measure",
        "--measure",
        help="confidentiality | safe_accommodation | personal_safety | escort"
        " | dignity_and_property",
    ),
)
step(
    "support",
    "Record support given (hỗ trợ).",
    option("support_type", "--type", help="essential_needs, medical_care, legal_aid, loan, ..."),
    option("amount_vnd", "--amount", help="Whole đồng, e.g. 500000 or 500.000"),
    option("period_days", "--days", help="Days covered (essential needs)", type_=int),
    option("provider_agency", "--provider", help="Providing agency (default: your own agency)"),
    run=_support,
)
step(
    "shelter",
    "Temporary shelter (lưu trú tạm thời): admission and discharge.",
    Opt("action", typer.Argument(..., help="admit | discharge")),  # after the case id
    option("facility", "--facility", help="Shelter facility (on admission)"),
    run=_shelter,
)
step("reintegrate", "Record reintegration into the community (hòa nhập cộng đồng).")
step(
    "close",
    "Close the managed file (đóng hồ sơ).",
    option("reason", "--reason", help="reintegrated, not_a_victim, transferred, ..."),
)
step(
    "reopen",
    "Reopen a closed case (mở lại hồ sơ): the closure was wrong, or the person needs the"
    " programme again. The closure stays in the history.",
    option("reason", "--reason", help="Why (free text; it stays in the encrypted store)"),
)


def _correct(ctx: typer.Context, values: dict[str, Any]) -> None:
    """``--field``/``--old``/``--new`` repeat, one of each per field of the same event (an
    empty ``--old ""`` or no ``--old`` at all: the field was recorded empty); all the fields
    are checked together and recorded together or not at all."""
    names: list[str] = values.pop("field") or []
    olds: list[str] = values.pop("old_value") or []
    news: list[str] = values.pop("new_value") or []
    if names:
        if len(news) != len(names) or (olds and len(olds) != len(names)):
            raise InvalidInput(
                "--field",
                f"{len(names)} --field, {len(olds)} --old and {len(news)} --new given",
                hint="give one --new per --field, and one --old per --field (or none when"
                " every field was recorded empty), in the same order",
            )
        changes = [
            {"field": name, "old_value": (olds[n] if olds else "") or None,
             "new_value": news[n] or None}
            for n, name in enumerate(names)
        ]  # fmt: skip
        first, *more = changes
        values.update(first, more=more or None)
    _record("correct")(ctx, values)


step(
    "correct",
    "Correct fields of an earlier event (đính chính). The original stays in history.",
    option("corrects_version", "--event", help="Version of the event to correct", type_=int),
    option(
        "field",
        "--field",
        help="Field to correct, e.g. birth_year (repeatable)",
        type_=list[str],
    ),
    option("old_value", "--old", help='The value recorded now ("" when empty)', type_=list[str]),
    option("new_value", "--new", help="The right value", type_=list[str]),
    option("reason", "--reason", help="Why (e.g. the birth certificate)"),
    run=_correct,
)


@command(app)
def history(
    ctx: typer.Context,
    reply: Reply,
    case_id: str,
    as_of: str = AS_OF,
    known_at: str = KNOWN_AT,
) -> None:
    """A case's full history: every event with actor, legal basis, business and record time
    (personal data shown as withheld: `socai case person` reads it, for a purpose)."""
    cid = _case_id(case_id)
    cli = state(ctx)
    day = parse_date(as_of, "--as-of") if as_of else None
    instant = parse_instant(known_at, "--known-at") if known_at else None
    view = cli.app().cases.read(cli.principal(), cid, day, instant)
    report = history_report(cli.app(), view, as_of=as_of, known_at=known_at)
    reply.answer(cli, report, "case history", case_id)


def history_report(
    application: Socai, view: CaseView, *, as_of: str | None = None, known_at: str | None = None
) -> Report:
    """A case's history (its events, in JSON under ``events``, each event's fields as
    fields) and its derived status; shared by `case history` and the demo. Kinds and agencies
    carry their Vietnamese labels, record times are Viet Nam time (``SOCAI_LANG=en``: codes)."""
    lang = language()
    day = parse_date(as_of, "--as-of") if as_of else None
    erased = application.privacy.notices(view.case_id, view.steps)
    rows = case_history_rows(view.steps, lang, erased)
    for row in rows:
        row["agency_label"] = labelled("provider_agency", row["agency"], lang)
    summary = status_summary(view.status, day or business_date(application.now()))
    columns = (
        Column("version", "v", "right"),
        Column("occurred_on", "ngày (on)"),
        Column("kind", "event"),
        Column("kind_label", "bước (step)"),
        Column("recorded_at", "ghi nhận lúc (recorded, Viet Nam time)"),
        Column("officer_id", "by"),
        Column("agency", "agency"),
        Column("agency_label", "cơ quan"),
        Column("legal_basis", "căn cứ (basis)"),
        Column("fields", "fields"),
        Column("details", "nội dung (details)"),
    )
    meta = {"case_id": view.case_id, "as_of": as_of, "known_at": known_at, "status": summary}
    return Report(columns, rows, f"Case {view.case_id} ({len(rows)} events)", meta, "events")


@command(app, "list")
def list_(
    ctx: typer.Context,
    reply: Reply,
    limit: int = typer.Option(50, "--limit", min=1, max=100_000),
) -> None:
    """Cases in the order received (pseudonymous ids only): those your grants cover."""
    cli = state(ctx)
    application = cli.app()
    rows = []
    for cid in itertools.islice(application.cases.readable_ids(cli.principal()), limit):
        status = application.cases.get(cid).status
        rows.append(
            {
                "case_id": cid,
                "received_on": status.received_on,
                "unit": f"{status.unit_map}:{status.unit_code}",
                "stage": status.stage,
            }
        )
    columns = (
        Column("case_id", "case id"),
        Column("received_on", "received"),
        Column("unit", "unit"),
        Column("stage", "stage"),
    )
    reply.answer(cli, Report(columns, rows), "case list", "cases in scope")


PURPOSES = " | ".join(p.value for p in Purpose)
PERSON_FIELDS = typer.Option(
    None,
    "--field",
    help="Only these parts: full_name, id_number, address, phone (repeat; default all).",
)


@command(app, "person")
def person(
    ctx: typer.Context,
    reply: Reply,
    case_id: str,
    purpose: str = typer.Option(..., "--purpose", help=f"Why you read it (mục đích): {PURPOSES}"),
    fields: list[str] = PERSON_FIELDS,
) -> None:
    """Read the personal data of a case's people (đọc dữ liệu cá nhân): needs a role that
    reads it in the case's unit, a login with a one-time code, and a purpose. The read (who,
    case, fields, purpose, when) is written to the access log before anything is shown."""
    cli = state(ctx)
    chosen = Purpose.parse(purpose, "--purpose")
    assert isinstance(chosen, Purpose)
    parts = tuple(fields) if fields else PERSONAL_PARTS
    cid = _case_id(case_id)
    application = cli.app()
    erased = application.privacy.notices(cid, list(application.cases.get(cid).steps.values()))
    found = application.cases.personal_data(cli.principal(), cid, chosen, parts, erased)
    rows = [{"field": key, "value": value} for key, value in found.items()]
    meta = {"case": case_id, "purpose": chosen.value}
    report = Report((Column("field", "field"), Column("value", "value")), rows, meta=meta)
    reply.answer(cli, report, "case person", case_id)
