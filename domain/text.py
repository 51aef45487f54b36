"""Text as it may enter the record (văn bản nhập vào): one form, no hidden characters.

Every piece of free text a person types — a legal basis, a relationship, a facility, a
correction's value, an officer id, a personal field — passes through :func:`clean_text` before
it is stored. The rule is the same everywhere:

- it is normalised to Unicode NFC, so "Nguyễn" typed with combining tone marks (NFD, as some
  keyboards and old Windows files produce) and "Nguyễn" precomposed are one and the same text
  — for equality, search, grouping and hashing;
- it may not contain control characters (C0/C1, including newline and tab), line or paragraph
  separators, or invisible format characters (bidirectional overrides, zero-width spaces):
  such characters can forge a line in a printed history or in a Kafka consumer's log, reorder
  what a reader sees, or make two different values look identical. They are refused, with
  the position of the first one, never silently dropped;
- surrounding spaces are removed (a newline or tab, even at the end, is refused); the
  result is non-empty and at most ``max_chars`` long.

A refusal never echoes the value (it might be personal data): it names the field and the
position of the offending character.
"""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidInput

#: Unicode general categories refused inside stored text: control (Cc), format (Cf: bidi
#: overrides, zero-width characters, soft hyphen), line (Zl) and paragraph (Zp) separators,
#: surrogates (Cs), private use (Co) and unassigned (Cn) code points.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def clean_text(value: object, field: str, max_chars: int) -> str:
    """``value`` as stored text (NFC, stripped), or :class:`InvalidInput` saying what is wrong."""
    assert max_chars > 0
    if not isinstance(value, str):
        raise InvalidInput(field, "must be text", hint="give the value as a string")
    text = unicodedata.normalize("NFC", value)
    for position, char in enumerate(text, start=1):
        category = unicodedata.category(char)
        if category in REFUSED_CATEGORIES:
            raise InvalidInput(
                field,
                f"character {position} is an invisible or control character"
                f" (U+{ord(char):04X}, category {category})",
                hint="retype the value on one line, without pasted formatting",
            )
    text = text.strip()  # only spaces are left to strip: every other kind was refused above
    if not text:
        raise InvalidInput(field, "must be non-empty text")
    if len(text) > max_chars:
        raise InvalidInput(field, f"is longer than {max_chars} characters")
    return text


def is_ascii_digits(text: str) -> bool:
    """Whether ``text`` is one or more ASCII digits 0–9. ``str.isdigit`` also accepts "²" and
    full-width or other scripts' digits, which ``int`` then misreads or refuses."""
    return text.isascii() and text.isdigit()


def search_key(text: str) -> str:
    """The form two names are compared in when a person searches (tìm không dấu): NFC, tone
    marks and other diacritics removed, đ/Đ as d, case folded, runs of spaces as one. So
    "Hong Ngu", "hồng  ngự" and "HỒNG NGỰ" find "Hồng Ngự"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())
