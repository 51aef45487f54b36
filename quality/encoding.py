"""The text encoding (bảng mã) of a submitted CSV: detected, converted to NFC, and named.

Provincial files come in every encoding Vietnamese offices have used:

* **UTF-8**, with or without the byte-order mark Excel writes (``utf-8-sig``);
* **UTF-16** (Excel's "Unicode text"), little or big endian, with its BOM;
* **Windows-1258** (``cp1258``, "Vietnamese Windows"): tones are often *combining* marks after
  the vowel (``a`` + ``\\u0301``), so the text is normalised to NFC (``á``) after decoding;
* **TCVN3 (ABC)** and **VNI**, the legacy font encodings (``.VnTime``, ``VNI-Times``): each
  byte is drawn as a Vietnamese letter by a special font. They are converted with the
  charmaps of `viparse <https://pypi.org/project/viparse/>`_ (maintained, MIT, no
  dependencies), chosen by its content detector, which declines rather than guesses.

Detection order: a BOM decides; else valid UTF-8 is UTF-8 (Vietnamese text in a legacy
8-bit encoding is practically never valid UTF-8); else the bytes are read as Windows-1258
and, if the result does not look like Vietnamese, tried as TCVN3 and VNI. What cannot be
read is refused with a hint (:class:`UnreadableEncoding`), never decoded into mojibake.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

from domain.errors import SocaiError

UTF8, UTF8_BOM, UTF16, CP1258, TCVN3, VNI = (
    "UTF-8",
    "UTF-8 with BOM",
    "UTF-16",
    "Windows-1258",
    "TCVN3 (ABC)",
    "VNI",
)
_HINT = "save the file as 'CSV UTF-8' (Excel: File › Save As › CSV UTF-8), or as XLSX"

#: Letters of the Vietnamese alphabet beyond ASCII, NFC (lower and upper case).
_VIETNAMESE = frozenset(
    "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ"
)
#: Non-ASCII characters an honest Vietnamese spreadsheet also holds (dashes, quotes, ², …).
_PUNCTUATION = frozenset("–—‘’“”…•²³°±×·\u00a0")
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


class UnreadableEncoding(SocaiError):
    """The file's bytes are in no encoding socai can read reliably."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """The file's text (NFC) and the encoding it was detected to be in."""

    text: str
    encoding: str


def vietnamese_share(text: str) -> float:
    """The share of non-ASCII characters of ``text`` that are Vietnamese letters or the usual
    punctuation — near 1 for Vietnamese, low for mojibake (``Tæng sè`` is TCVN3 read as
    Windows-1258). 1.0 for pure ASCII."""
    others = [c for c in text if ord(c) > 127]
    if not others:
        return 1.0
    good = sum(1 for c in others if c in _VIETNAMESE or c in _PUNCTUATION)
    return good / len(others)


#: Words every rollup form holds: a conversion that yields them is the right one.
_FORM_WORDS = ("người", "năm", "tổng", "số", "nạn nhân", "đơn vị")


def legacy_conversion(surface: str) -> tuple[str, str] | None:
    """(encoding, text in NFC) if ``surface`` — legacy bytes as cp1252 shows them — is TCVN3
    or VNI, else None. viparse's content detector decides; where it declines (a form is short
    and full of digits), the one charmap whose conversion reads as Vietnamese *and* yields the
    form's own words (người, năm, tổng...) is taken; two candidates, or none, decline."""
    from viparse.normalize.detector import detect_encoding_by_content
    from viparse.normalize.encodings import AUTO_DETECT_CHARMAPS
    from viparse.normalize.tables import convert

    names = {"tcvn3": TCVN3, "vni": VNI}
    verdict = detect_encoding_by_content(surface, AUTO_DETECT_CHARMAPS)
    if verdict.encoding in names:
        text = unicodedata.normalize(
            "NFC", convert(surface, AUTO_DETECT_CHARMAPS[verdict.encoding])
        )
        if vietnamese_share(text) >= 0.9:
            return names[verdict.encoding], text
    fitting = []
    for key, label in names.items():
        text = unicodedata.normalize("NFC", convert(surface, AUTO_DETECT_CHARMAPS[key]))
        words = sum(1 for w in _FORM_WORDS if w in text.lower())
        if vietnamese_share(text) >= 0.95 and words >= 3:
            fitting.append((label, text))
    return fitting[0] if len(fitting) == 1 else None


def _legacy(data: bytes, name: str) -> Decoded:
    """TCVN3 or VNI (see :func:`legacy_conversion`), or a refusal."""
    found = legacy_conversion(data.decode("cp1252", errors="replace"))
    if found is not None:
        return Decoded(found[1], found[0])
    raise UnreadableEncoding(
        f"{name} is not UTF-8, UTF-16 or Windows-1258, and is not recognisably TCVN3 or VNI",
        hint=_HINT + "; a legacy-font file can be converted with Unikey's converter first",
    )


def decode(data: bytes, name: str = "the file") -> Decoded:
    """Detect the encoding of ``data`` and return its text in NFC."""
    if data.startswith(codecs.BOM_UTF8):
        return Decoded(unicodedata.normalize("NFC", data[3:].decode("utf-8", "strict")), UTF8_BOM)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(unicodedata.normalize("NFC", data.decode("utf-16")), UTF16)
        except UnicodeDecodeError:
            raise UnreadableEncoding(
                f"{name} starts as UTF-16 but is not valid UTF-16", hint=_HINT
            ) from None
    if b"\x00" in data[:4096]:
        raise UnreadableEncoding(
            f"{name} holds NUL bytes without a UTF-16 byte-order mark (a binary file?)",
            hint=_HINT,
        )
    try:
        return Decoded(unicodedata.normalize("NFC", data.decode("utf-8", "strict")), UTF8)
    except UnicodeDecodeError:
        pass
    try:
        text = unicodedata.normalize("NFC", data.decode("cp1258", "strict"))
    except UnicodeDecodeError:
        return _legacy(data, name)
    if vietnamese_share(text) >= 0.9:
        return Decoded(text, CP1258)
    return _legacy(data, name)
