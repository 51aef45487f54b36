"""ISO 3166-1 countries (quốc gia), from ``pycountry``.

Events store the alpha-2 code (``"CN"``); names are looked up for people, in Vietnamese where
pycountry ships a translation.
"""

from __future__ import annotations

import gettext
from functools import cache

import pycountry

from domain.errors import InvalidInput

VIET_NAM = "VN"


@cache
def _vi() -> gettext.NullTranslations:
    return gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["vi"], fallback=True)


def require_country(code: object, field: str = "country") -> str:
    """The ISO 3166-1 alpha-2 code for ``code`` (alpha-2 or alpha-3), or InvalidInput."""
    text = str(code or "").strip().upper()
    country = None
    if len(text) in (2, 3) and text.isalpha():
        country = (
            pycountry.countries.get(alpha_2=text)
            if len(text) == 2
            else (pycountry.countries.get(alpha_3=text))
        )
    if country is None:
        raise InvalidInput(
            field,
            f"{code!r} is not an ISO 3166-1 country code",
            hint="use the two-letter code, e.g. CN for China, KH for Cambodia, VN for Viet Nam",
        )
    return str(country.alpha_2)


def country_name(alpha_2: str, *, vietnamese: bool = True) -> str:
    country = pycountry.countries.get(alpha_2=alpha_2)
    if country is None:
        return alpha_2
    name = str(country.name)
    return _vi().gettext(name) if vietnamese else name
