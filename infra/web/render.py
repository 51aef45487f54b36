"""Templates (Jinja2, autoescape on): every stored or typed value is HTML-escaped, so a case
id or a search text holding markup or script is shown as text, never run."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from infra.web import i18n

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        number=i18n.number, day=i18n.day, instant=i18n.instant, code=i18n.code,
        stage=i18n.stage,
    )  # fmt: skip
    return env


def render(template: str, lang: str, **data: Any) -> str:
    def t(key: str) -> str:
        return i18n.word(key, lang)

    return environment().get_template(template).render(lang=lang, t=t, **data)
