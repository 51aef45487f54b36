"""The one number parser (quality.numbers) and the encodings (quality.encoding)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quality.encoding import CP1258, TCVN3, UTF8, UTF8_BOM, UTF16, VNI, UnreadableEncoding, decode
from quality.numbers import AMBIGUOUS, MACHINE, NOT_A_NUMBER, OK, parse_texts, read_text
from tests.quality.encodings import to_cp1258, to_legacy


def vietnamese(number: int, decimals: str = "") -> str:
    grouped = f"{number:,}".replace(",", ".")
    return f"{grouped},{decimals}" if decimals else grouped


@pytest.mark.property
@settings(max_examples=300)
@given(
    st.integers(0, 10**12),
    st.one_of(st.just(""), st.from_regex(r"\d{1,2}|\d{4,5}", fullmatch=True)),
)
def test_every_vietnamese_number_reads_back_exactly(number: int, decimals: str) -> None:
    reading = read_text(vietnamese(number, decimals))
    assert reading.outcome == OK
    assert reading.value == float(f"{number}.{decimals}" if decimals else number)


@pytest.mark.property
@given(st.integers(1, 999), st.integers(0, 999))
def test_a_comma_before_three_digits_is_ambiguous_never_guessed(head: int, tail: int) -> None:
    text = f"{head},{tail:03d}"
    reading = read_text(text)
    assert reading.outcome == AMBIGUOUS
    assert reading.readings == f"{float(f'{head}.{tail:03d}'):g} or {head * 1000 + tail}"


@pytest.mark.parametrize(
    ("text", "machine", "vietnamese"),
    [("1.200", 1.2, 1200.0), ("1.5", 1.5, None), ("1200", 1200.0, 1200.0)],
)
def test_the_machine_convention_applies_only_where_declared(
    text: str, machine: float, vietnamese: float | None
) -> None:
    assert read_text(text, MACHINE).value == machine
    reading = read_text(text)
    assert (reading.value if reading.outcome == OK else None) == vietnamese


def test_a_column_is_read_once_per_distinct_text_and_names_each_bad_cell() -> None:
    column = parse_texts(["1.200", "x", "", "1.200", "2,5", "x"])
    assert column.values[0] == column.values[3] == 1200 and column.values[4] == 2.5
    assert [(p, t, r.outcome) for p, t, r in column.problems] == [
        (1, "x", NOT_A_NUMBER),
        (5, "x", NOT_A_NUMBER),
    ]


TEXT = "STT,Nội dung,Năm 2016\n1,Tổng số người được tiếp nhận,3\n2,Số người tham gia,4\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), UTF8),
        (TEXT.encode("utf-8-sig"), UTF8_BOM),
        (TEXT.encode("utf-16"), UTF16),
        (to_cp1258(unicodedata.normalize("NFD", TEXT)), CP1258),
        (to_legacy(TEXT, "tcvn3"), TCVN3),
        (to_legacy(TEXT, "vni"), VNI),
    ],
)
def test_each_encoding_is_detected_and_read_as_nfc(data: bytes, encoding: str) -> None:
    decoded = decode(data)
    assert decoded.encoding == encoding
    assert decoded.text == TEXT
    assert unicodedata.is_normalized("NFC", decoded.text)


def test_bytes_in_no_known_encoding_are_refused_with_a_hint() -> None:
    with pytest.raises(UnreadableEncoding, match="not recognisably TCVN3 or VNI") as caught:
        decode(bytes(range(128, 256)) * 4, "x.csv")
    assert "CSV UTF-8" in caught.value.hint
