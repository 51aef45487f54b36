"""Writing test files in the encodings provinces really use (the reverse of quality.encoding)."""

from __future__ import annotations

import unicodedata

#: The five tone marks, which Windows-1258 writes as combining characters after the letter.
TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")


def to_cp1258(text: str) -> bytes:
    """Vietnamese Windows: precomposed base letters (â, ơ, ư, đ…), tones as combining marks."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
        tones = "".join(c for c in parts if c in TONES)
        out += (base + tones).encode("cp1258")
    return bytes(out)


def to_legacy(text: str, name: str) -> bytes:
    """TCVN3 (``tcvn3``) or VNI (``vni``) bytes, by reversing viparse's charmaps."""
    from viparse.normalize.encodings import CHARMAPS

    reverse = {unicode: legacy for legacy, unicode in CHARMAPS[name].pairs}
    nfc = unicodedata.normalize("NFC", text)
    out = []
    for c in nfc:
        if c not in reverse and ord(c) > 127 and c.lower() in reverse:
            c = c.lower()  # TCVN3 has no capital toned letters: headings use an "H" font
        out.append(reverse.get(c, c))
    return "".join(out).encode("cp1252")
