"""``socai case``: record the steps of a case and read its history.

Every recording command takes the actor (``--officer`` and ``--agency``, or SOCAI_OFFICER and
SOCAI_AGENCY), the business date (``--on``, default today in Viet Nam), an optional legal
basis (``--basis``: a decision or record number), and either flags or ``--from-json FILE``
holding the same fields by name (flags win). A refused step prints why and writes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from uuid import UUID

import typer
from rich.table import Table

from domain.case.commands import COMMANDS, Command, Receive
from domain.case.history import case_history_rows, status_summary
from domain.case.values import Actor
from domain.errors import InvalidInput
from domain.time import business_date, parse_date, parse_instant
from infra.cli.context import console, refusing, say, state
from infra.cli.files import read_json_file
from infra.cli.options import AGENCY, BASIS, FORMAT, FROM_JSON, OFFICER, ON

if TYPE_CHECKING:
    from infra.services.socai import Socai


app = typer.Typer(no_args_is_help=True)


def _case_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise InvalidInput(
            "CASE_ID", f"{text!r} is not a case id", hint="use the full id from `socai case list`"
        ) from None


def _load_json(path: Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    data = read_json_file(path, "--from-json")
    if not isinstance(data, dict):
        raise InvalidInput("--from-json", f"{path} must hold one JSON object of named fields")
    return data


def _record(
    ctx: typer.Context,
    name: str,
    case_id: str | None,
    officer: str,
    agency: str,
    from_json: Path | None,
    flags: dict[str, Any],
) -> None:
    fields = _load_json(from_json)
    fields.update({k: v for k, v in flags.items() if v is not None})
    application = state(ctx).app()
    fields.setdefault("occurred_on", business_date(application.now()).isoformat())
    command: Command = COMMANDS[name].parse(fields)
    actor = Actor(officer, agency)
    if case_id is None:
        assert isinstance(command, Receive), "only a reception opens a case"
        new_id = application.cases.receive(command, actor)
        console.print(f"received: case {new_id}")
    else:
        version = application.cases.execute(_case_id(case_id), command, actor)
        console.print(f"recorded {command.EVENT} as version {version} of case {case_id}")


@app.command()
@refusing
def receive(
    ctx: typer.Context,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = typer.Option(None, "--record", help="Reception record number (biên bản)."),
    form: str = typer.Option(None, "--form", help="self_returned | rescued | bilateral_handover"),
    unit: str = typer.Option(
        None, "--unit", help="Unit code where received (old map before 1 Jul 2025)."
    ),
    belongings_checked: bool = typer.Option(None, "--belongings-checked/--no-belongings-check"),
    interview_held: bool = typer.Option(None, "--interview/--no-interview"),
    from_json: Path = FROM_JSON,
) -> None:
    """Receive a person (tiếp nhận). Personal data only via --from-json (field "person")."""
    _record(
        ctx,
        "receive",
        None,
        officer,
        agency,
        from_json,
        {
            "occurred_on": on,
            "legal_basis": basis,
            "reception_form": form,
            "unit_code": unit,
            "belongings_checked": belongings_checked,
            "interview_held": interview_held,
        },
    )


@app.command()
@refusing
def demographics(
    ctx: typer.Context,
    case_id: str,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
    sex: str = typer.Option(None, "--sex", help="male | female"),
    birth_year: int = typer.Option(None, "--birth-year"),
    age_band: str = typer.Option(None, "--age-band", help="under_16 | 16_17 | adult"),
    ethnicity: str = typer.Option(None, "--ethnicity", help="kinh | other"),
    nationality: str = typer.Option(None, "--nationality", help="ISO 3166 code, default VN"),
    from_json: Path = FROM_JSON,
) -> None:
    """Record sex, age and ethnicity (nhân khẩu học)."""
    _record(
        ctx,
        "demographics",
        case_id,
        officer,
        agency,
        from_json,
        {
            "occurred_on": on,
            "legal_basis": basis,
            "sex": sex,
            "birth_year": birth_year,
            "age_band": age_band,
            "ethnicity": ethnicity,
            "nationality": nationality,
        },
    )


@app.command()
@refusing
def trafficking(
    ctx: typer.Context,
    case_id: str,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
    scope: str = typer.Option(None, "--scope", help="domestic | abroad"),
    destination: str = typer.Option(None, "--destination", help="ISO country, when abroad"),
    from_json: Path = FROM_JSON,
) -> None:
    """Record the form of trafficking (hình thức mua bán)."""
    _record(
        ctx,
        "trafficking",
        case_id,
        officer,
        agency,
        from_json,
        {
            "occurred_on": on,
            "legal_basis": basis,
            "scope": scope,
            "destination_country": destination,
        },
    )


@app.command()
@refusing
def verify(
    ctx: typer.Context,
    case_id: str,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
    request: bool = typer.Option(False, "--request", help="Record the request, not the outcome."),
    body: str = typer.Option(None, "--by", help="Body that verifies / decided, e.g. police"),
    outcome: str = typer.Option(None, "--outcome", help="victim | not_victim | suspected_victim"),
    from_json: Path = FROM_JSON,
) -> None:
    """Request verification (--request) or record its outcome (xác minh, xác định)."""
    if request:
        _record(
            ctx,
            "request_verification",
            case_id,
            officer,
            agency,
            from_json,
            {"occurred_on": on, "legal_basis": basis, "body": body},
        )
    else:
        _record(
            ctx,
            "verify",
            case_id,
            officer,
            agency,
            from_json,
            {
                "occurred_on": on,
                "legal_basis": basis,
                "outcome": outcome,
                "deciding_body": body,
            },
        )


@app.command()
@refusing
def route(
    ctx: typer.Context,
    case_id: str,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
    to: str = typer.Option(
        None,
        "--to",
        help="prosecution | treatment_centre | social_protection_centre | returned_home",
    ),
    from_json: Path = FROM_JSON,
) -> None:
    """Route the person after classification (chuyển giao)."""
    _record(
        ctx,
        "route",
        case_id,
        officer,
        agency,
        from_json,
        {"occurred_on": on, "legal_basis": basis, "destination": to},
    )


@app.command("request-protection")
@refusing
def request_protection(
    ctx: typer.Context,
    case_id: str,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
    who: str = typer.Option(None, "--who", help="victim | relative"),
    relationship: str = typer.Option(None, "--relationship", help="For a relative: e.g. mother"),
    source: str = typer.Option(
        None, "--source", help="victim_request | relative_request | agency_assessment"
    ),
    from_json: Path = FROM_JSON,
) -> None:
    """Record that the victim or a relative needs protection (đề nghị bảo vệ): they asked
    for it, or the agency found a threat. `socai kpi` measures protection against it."""
    _record(
        ctx,
        "request_protection",
        case_id,
        officer,
        agency,
        from_json,
        {
            "occurred_on": on,
            "legal_basis": basis,
            "protected": who,
            "relationship": relationship,
            "source": source,
        },
    )


@app.command()
@refusing
def protect(
    ctx: typer.Context,
    case_id: str,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
    who: str = typer.Option(None, "--who", help="victim | relative"),
    relationship: str = typer.Option(None, "--relationship", help="For a relative: e.g. mother"),
    measure: str = typer.Option(
        None,
        "--measure",
        help="confidentiality | safe_accommodation | personal_safety | escort"
        " | dignity_and_property",
    ),
    from_json: Path = FROM_JSON,
) -> None:
    """Apply protection to the victim or a relative (bảo vệ). A relative's personal data
    only via --from-json (field "relative")."""
    _record(
        ctx,
        "protect",
        case_id,
        officer,
        agency,
        from_json,
        {
            "occurred_on": on,
            "legal_basis": basis,
            "protected": who,
            "relationship": relationship,
            "measure": measure,
        },
    )


@app.command()
@refusing
def support(
    ctx: typer.Context,
    case_id: str,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
    type_: str = typer.Option(
        None, "--type", help="essential_needs, medical_care, legal_aid, loan, ..."
    ),
    amount: str = typer.Option(None, "--amount", help="Whole đồng, e.g. 500000 or 500.000"),
    days: int = typer.Option(None, "--days", help="Days covered (essential needs)"),
    provider: str = typer.Option(None, "--provider", help="Providing agency (default: --agency)"),
    from_json: Path = FROM_JSON,
) -> None:
    """Record support given (hỗ trợ)."""
    _record(
        ctx,
        "support",
        case_id,
        officer,
        agency,
        from_json,
        {
            "occurred_on": on,
            "legal_basis": basis,
            "support_type": type_,
            "amount_vnd": amount,
            "period_days": days,
            "provider_agency": provider or agency,
        },
    )


@app.command()
@refusing
def shelter(
    ctx: typer.Context,
    case_id: str,
    action: str = typer.Argument(..., help="admit | discharge"),
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
    facility: str = typer.Option(None, "--facility", help="Shelter facility (on admission)"),
    from_json: Path = FROM_JSON,
) -> None:
    """Temporary shelter (lưu trú tạm thời): admission and discharge."""
    if action not in ("admit", "discharge"):
        raise InvalidInput("ACTION", f"{action!r} is not admit or discharge")
    flags: dict[str, Any] = {"occurred_on": on, "legal_basis": basis}
    if action == "admit":
        flags["facility"] = facility
    _record(ctx, f"{action}_shelter", case_id, officer, agency, from_json, flags)


@app.command()
@refusing
def reintegrate(
    ctx: typer.Context,
    case_id: str,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
    from_json: Path = FROM_JSON,
) -> None:
    """Record reintegration into the community (hòa nhập cộng đồng)."""
    _record(
        ctx,
        "reintegrate",
        case_id,
        officer,
        agency,
        from_json,
        {"occurred_on": on, "legal_basis": basis},
    )


@app.command()
@refusing
def close(
    ctx: typer.Context,
    case_id: str,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
    reason: str = typer.Option(
        None, "--reason", help="reintegrated, not_a_victim, transferred, ..."
    ),
    from_json: Path = FROM_JSON,
) -> None:
    """Close the managed file (đóng hồ sơ)."""
    _record(
        ctx,
        "close",
        case_id,
        officer,
        agency,
        from_json,
        {"occurred_on": on, "legal_basis": basis, "reason": reason},
    )


@app.command()
@refusing
def correct(
    ctx: typer.Context,
    case_id: str,
    officer: str = OFFICER,
    agency: str = AGENCY,
    on: str = ON,
    basis: str = BASIS,
    version: int = typer.Option(None, "--event", help="Version of the event to correct"),
    field: str = typer.Option(None, "--field", help="Field to correct, e.g. birth_year"),
    old: str = typer.Option(None, "--old", help="The value recorded now"),
    new: str = typer.Option(None, "--new", help="The right value"),
    reason: str = typer.Option(None, "--reason", help="Why (e.g. the birth certificate)"),
    from_json: Path = FROM_JSON,
) -> None:
    """Correct one field of an earlier event (đính chính). The original stays in history."""
    _record(
        ctx,
        "correct",
        case_id,
        officer,
        agency,
        from_json,
        {
            "occurred_on": on,
            "legal_basis": basis,
            "corrects_version": version,
            "field": field,
            "old_value": old,
            "new_value": new,
            "reason": reason,
        },
    )


@app.command()
@refusing
def history(
    ctx: typer.Context,
    case_id: str,
    as_of: str = typer.Option(
        None, "--as-of", help="Business date: only steps that had happened by then."
    ),
    known_at: str = typer.Option(
        None, "--known-at", help="Record time: only what was recorded by then."
    ),
    format_: str = FORMAT,
) -> None:
    """A case's full history: every event with actor, legal basis, business and record time."""
    cid = _case_id(case_id)
    render_history(state(ctx).app(), cid, as_of=as_of, known_at=known_at, format_=format_)


def render_history(
    application: Socai,
    cid: UUID,
    *,
    as_of: str | None = None,
    known_at: str | None = None,
    format_: str = "text",
) -> None:
    """Print a case's history and derived status (shared by `case history` and the demo)."""
    if format_ not in ("text", "json"):
        raise InvalidInput("--format", f"{format_!r} is not text or json")
    day = parse_date(as_of, "--as-of") if as_of else None
    instant = parse_instant(known_at, "--known-at") if known_at else None
    view = application.cases.as_it_stood(cid, day, instant)
    rows = case_history_rows(view.steps)
    summary = status_summary(view.status, day or business_date(application.now()))
    if format_ == "json":
        console.print_json(
            json.dumps(
                {
                    "case_id": str(cid),
                    "as_of": as_of,
                    "known_at": known_at,
                    "events": rows,
                    "status": summary,
                },
                default=str,
            )
        )
        return
    say((f"Case {cid}", "bold"), f"  ({len(rows)} events)")
    for row in rows:
        basis = f"; basis {row['legal_basis']}" if row["legal_basis"] else ""
        say(
            f"  v{row['version']:<3} {row['occurred_on']}  ",
            (str(row["kind"]), "bold"),
            f"  (recorded {row['recorded_at'][:16]}Z by {row['officer_id']},"
            f" {row['agency']}{basis})",
        )
        console.print(f"        {row['details']}", markup=False, soft_wrap=True, highlight=False)
    say(("Status", "bold"))
    for key, value in summary.items():
        console.print(f"  {key}: {value}")


@app.command("list")
@refusing
def list_(ctx: typer.Context, limit: int = typer.Option(50, "--limit", min=1, max=100_000)) -> None:
    """Cases in the order received (pseudonymous ids only)."""
    application = state(ctx).app()
    table = Table()
    for column in ("case id", "received", "unit", "stage"):
        table.add_column(column)
    for n, cid in enumerate(application.cases.ids()):
        if n >= limit:
            break
        status = application.cases.get(cid).status
        table.add_row(
            str(cid),
            str(status.received_on),
            f"{status.unit_code} ({status.unit_map})",
            status.stage,
        )
    console.print(table)
