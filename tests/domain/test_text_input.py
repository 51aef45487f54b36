"""Text and numbers as people type them: one form, nothing hidden, no misread digits.

The faults: a newline or control character in a legal basis or officer id forged lines in the
printed history and travelled to Kafka; "BORDER_GUARD" was stored as typed; "²" in an amount
crashed with a traceback; "   " was accepted as an officer. The class behind them is "any text
or number a person types", so every free-text parser of every command is tried with every kind
of hidden character, and every number parser with digits that are not ASCII.
"""

from __future__ import annotations

import unicodedata

import pytest

from domain.case.commands import FIELD_PARSERS
from domain.case.values import Actor, PersonalData
from domain.errors import InvalidInput
from domain.funding.values import require_text
from domain.money import require_amount_vnd
from domain.text import REFUSED_CATEGORIES, clean_text

#: One character of each refused kind, as they arrive by paste or by a hostile script.
HIDDEN = {
    "newline": "\n",
    "carriage return": "\r",
    "tab": "\t",
    "NUL": "\x00",
    "escape (terminal colours)": "\x1b",
    "C1 next line": "\x85",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "right-to-left override": "\u202e",
    "first strong isolate": "\u2068",
    "zero-width space": "\u200b",
    "zero-width joiner": "\u200d",
    "soft hyphen": "\u00ad",
    "byte order mark": "\ufeff",
    "private use": "\ue000",
    "unassigned": "\u0378",
}

NFD_NAME = unicodedata.normalize("NFD", "Quyết định số 12/QĐ-UBND")

#: Every free-text field of a case command (the parsers that take text, not codes).
TEXT_FIELDS = sorted(
    name
    for name, parse in FIELD_PARSERS.items()
    if name in {"legal_basis", "facility", "field", "note"} or "." in name
)


def test_the_hidden_kinds_cover_every_refused_category() -> None:
    assert {unicodedata.category(c) for c in HIDDEN.values()} == set(REFUSED_CATEGORIES) - {"Cs"}


@pytest.mark.parametrize("kind", sorted(HIDDEN))
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_clean_text_refuses_each_hidden_character_anywhere(kind: str, where: str) -> None:
    char = HIDDEN[kind]
    value = {"start": f"{char}BB-1", "middle": f"BB{char}-1", "end": f"BB-1{char}x"}[where]
    with pytest.raises(InvalidInput, match="invisible or control character") as refused:
        clean_text(value, "legal_basis", 120)
    assert "BB" not in refused.value.message  # the value itself is never echoed


@pytest.mark.parametrize("field", TEXT_FIELDS)
@pytest.mark.parametrize("kind", ["newline", "escape (terminal colours)", "right-to-left override"])
def test_every_case_text_field_refuses_hidden_characters(field: str, kind: str) -> None:
    with pytest.raises(InvalidInput):
        FIELD_PARSERS[field](f"a{HIDDEN[kind]}b", field)


@pytest.mark.parametrize("field", TEXT_FIELDS)
def test_every_case_text_field_stores_nfc(field: str) -> None:
    stored = FIELD_PARSERS[field](f"  {NFD_NAME[:50]} ", field)
    assert stored == unicodedata.normalize("NFC", NFD_NAME[:50]).strip()
    assert unicodedata.is_normalized("NFC", stored)


def test_funding_and_personal_text_follow_the_same_rule() -> None:
    with pytest.raises(InvalidInput):
        require_text("Đề án\n2026", "title")
    assert require_text(NFD_NAME, "title") == unicodedata.normalize("NFC", NFD_NAME)
    with pytest.raises(InvalidInput, match=r"person\.full_name"):
        PersonalData(full_name="Nguyễn\u202eA")
    person = PersonalData(full_name=unicodedata.normalize("NFD", "Nguyễn Thị Kín"))
    assert person.full_name == "Nguyễn Thị Kín"


@pytest.mark.parametrize(
    "officer", ["", "   ", "BP-87-01\n", "[/]", "BP 87 01", "-BP", "x" * 65, "BP-87-01\u200b"]
)
def test_an_officer_id_is_an_identifier_not_free_text(officer: str) -> None:
    with pytest.raises(InvalidInput, match="officer"):
        Actor(officer, "border_guard")


@pytest.mark.parametrize("spelling", ["BORDER_GUARD", "Border_Guard", " border_guard "])
def test_an_agency_code_is_stored_in_its_one_spelling(spelling: str) -> None:
    assert Actor("BP-87-01", spelling).agency == "border_guard"


@pytest.mark.parametrize("amount", ["1²", "５００", "١٢٣", "1.000.00²", "²"])
def test_digits_that_are_not_ascii_are_not_an_amount(amount: str) -> None:
    with pytest.raises(InvalidInput, match="not a whole number"):
        require_amount_vnd(amount, "amount_vnd")


@pytest.mark.parametrize("parser", ["birth_year", "period_days", "corrects_version", "unit_code"])
@pytest.mark.parametrize("text", ["²", "２０１６", "1²"])
def test_every_whole_number_field_refuses_non_ascii_digits(parser: str, text: str) -> None:
    with pytest.raises(InvalidInput):
        FIELD_PARSERS[parser](text, parser)
