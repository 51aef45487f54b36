"""Public contracts of funding events (kinh phí) on ``socai.funding-events.v1``.

A programme (chương trình, đề án) is one aggregate and one ledger; every event is keyed by the
programme id (a UUID derived from the programme code), so a programme's transactions stay in
order in one partition — what the funding projection needs to pair a payment with its
commitment and a reversal with what it reverses.

What leaves: amounts in whole đồng, accounts moved, codes of programmes, sources, lines,
allocations and administrative units, a unit's name (from the reference directory), and the
purpose of a payment: a case's support is named only by the pseudonymous case id and the
version of its ``SupportProvided`` event; an activity by its kind. Free text an officer types —
a void's or reversal's reason, a programme's or line's title, a donor's name — is withheld
(published empty), as a correction's reason is: an officer may write anything there.

What never leaves: the free-text ``description`` of a commitment or payment. An officer may
write anything there — about a case payment, possibly whom it helped — and no projection
reads it, so it stays in the store (the rebuilt domain event has none).

Each field is listed explicitly: a field added to an internal event does not leave until a
contract names it.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain.funding.aggregate import Programme
from streams.contracts.envelope import envelope_fields, plain_contracts, unit_fields
from streams.contracts.model import (
    DATE,
    INTEGER,
    INTEGER_OR_NULL,
    STRING,
    STRING_OR_NULL,
    Contract,
    FieldSpec,
)
from streams.topics import FUNDING_EVENTS

#: Prefix of the public types of funding events.
FUNDING_TYPE_PREFIX = "vn.socai.funding."
#: Internal fields that never leave (free text no projection needs; see the module doc).
WITHHELD_FIELDS = ("description",)

UUID_OR_NULL: dict[str, Any] = {"type": ["string", "null"], "format": "uuid"}

COMMON = envelope_fields(
    "programme_id",
    "Programme id (mã chương trình); the message key.",
    version="Position of the event in the programme's ledger (1 = est.).",
    kind="Kind of event, e.g. Paid.",
    occurred_on="Business date (ngày chứng từ).",
    legal_basis="Decision or voucher number (số quyết định).",
)

_TRANSFER_TAIL = (
    FieldSpec("amount_vnd", INTEGER, "Amount moved, whole đồng (> 0)."),
    FieldSpec("debit_account", STRING, "Account debited, e.g. allocation:A1."),
    FieldSpec("credit_account", STRING, "Account credited, e.g. expense:A1."),
)
_TID = FieldSpec("transaction_id", STRING, "Transaction id (idempotency key), e.g. QD-123/2006.")
_LINE = FieldSpec("line", STRING, "Budget line code.")
_SOURCE = FieldSpec("source", STRING, "Source code.")
_PURPOSE = (
    FieldSpec("purpose_kind", STRING, "case_support | activity."),
    FieldSpec("case_id", UUID_OR_NULL, "Pseudonymous case id of a case support payment."),
    FieldSpec("support_version", INTEGER_OR_NULL, "Version of the case's SupportProvided."),
    FieldSpec("activity", STRING_OR_NULL, "Activity kind of an activity payment."),
)

SPECIFIC: dict[str, tuple[FieldSpec, ...]] = {
    "Established": (
        FieldSpec("code", STRING, "Programme code, e.g. DA-2005-2010."),
        FieldSpec("title", STRING, "Programme title."),
        FieldSpec("starts_on", DATE, "First day of the programme."),
        FieldSpec("ends_on", DATE, "Last day of the programme."),
    ),
    "SourcePledged": (
        _TID,
        _SOURCE,
        FieldSpec("source_kind", STRING, "central | local | aid."),
        FieldSpec("donor", STRING_OR_NULL, "Donor organisation of an aid source."),
        *_TRANSFER_TAIL,
    ),
    "LineBudgeted": (
        _TID,
        _LINE,
        FieldSpec("line_title", STRING, "Budget line title."),
        FieldSpec("source", STRING, "Source the line's money comes from."),
        *_TRANSFER_TAIL,
    ),
    "Allocated": (
        _TID,
        _LINE,
        _SOURCE,
        *unit_fields("Administrative unit given the money."),
        FieldSpec("unit_level", STRING, "Level of the unit (province, district, commune)."),
        FieldSpec("unit_name", STRING, "Name of the unit (a place)."),
        FieldSpec("province_code", STRING_OR_NULL, "Province of the unit."),
        FieldSpec("period", STRING, "Period: 2016, 2016-H1, 2016-03 or 2006/2010."),
        *_TRANSFER_TAIL,
    ),
    "Committed": (
        _TID,
        FieldSpec("allocation", STRING, "Allocation the money is reserved from."),
        *_PURPOSE,
        *_TRANSFER_TAIL,
    ),
    "Paid": (
        _TID,
        FieldSpec("commitment", STRING_OR_NULL, "Commitment paid; null for a direct payment."),
        FieldSpec("allocation", STRING, "Allocation paid from."),
        *_PURPOSE,
        *_TRANSFER_TAIL,
    ),
    "Voided": (
        _TID,
        FieldSpec("commitment", STRING, "Commitment released."),
        FieldSpec("allocation", STRING, "Its allocation."),
        FieldSpec("reason", STRING, "Why it was released (never whom it concerns)."),
        *_TRANSFER_TAIL,
    ),
    "Reversed": (
        _TID,
        FieldSpec("reverses", STRING, "Transaction moved back."),
        FieldSpec("reverses_kind", STRING, "Kind of the transaction moved back."),
        FieldSpec("reason", STRING, "Why it was reversed (never whom it concerns)."),
        *_TRANSFER_TAIL,
    ),
}


#: Fields of this contract that an officer writes freely — a void's or reversal's reason, a
#: programme's or budget line's title, a donor's name — are withheld (published empty): codes
#: (programme, line, source, allocation) name the same things without free text.
FREE_TEXT = frozenset({"reason", "title", "line_title", "donor"})


assert not {f.name for own in SPECIFIC.values() for f in own} & set(WITHHELD_FIELDS)


_DATE_FIELDS = ("starts_on", "ends_on")


def _domain_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name in _DATE_FIELDS:
        return date.fromisoformat(value)
    if name == "case_id":
        return UUID(value)
    return value


def funding_contracts() -> list[Contract]:
    return plain_contracts(
        Programme,
        SPECIFIC,
        "programme_id",
        common=COMMON,
        type_prefix=FUNDING_TYPE_PREFIX,
        stream=FUNDING_EVENTS,
        describe=lambda kind: f"A programme's funding event: {kind}. Whole đồng; no personal data.",
        free_text=FREE_TEXT,
        convert=_domain_value,
        withheld=WITHHELD_FIELDS,
    )
