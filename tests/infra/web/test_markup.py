"""The pages' markup, checked without a browser as an accessibility checker would (axe-core
checks the rendered pages in ``test_browser.py``): every form control has a label, headings go in
order from one h1, the document says its language, tables have header cells; Vietnamese by
default, English by the switch, dates dd/mm/yyyy and numbers with "." thousands."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from domain.access.roles import Role
from infra.web import i18n
from tests.infra.web.conftest import World

pytestmark = pytest.mark.integration


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.headings: list[int] = []
        self.controls: list[dict[str, str | None]] = []
        self.labels: set[str] = set()
        self.tables = 0
        self.header_cells = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang")
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag in ("input", "select", "textarea") and found.get("type") not in ("hidden", "submit"):
            self.controls.append(found)
        if tag == "label" and found.get("for"):
            self.labels.add(str(found["for"]))
        if tag == "table":
            self.tables += 1
        if tag == "th":
            self.header_cells += 1


def _pages(world: World, lang: str = "vi") -> dict[str, str]:
    inspector, officer = world.client(Role.INSPECTOR), world.client(Role.CASE_OFFICER)
    for client in (inspector, officer):
        client.cookies.set(i18n.LANGUAGE_COOKIE, lang)
    return {
        "login": world.client().get("/login").text,
        "home": inspector.get("/").text,
        "cases": inspector.get(f"/cases?unit={world.case_unit}").text,
        "timeline": inspector.get(f"/cases/{world.case}").text,
        "access": inspector.get(f"/cases/{world.case}/access").text,
        "audit": inspector.get("/audit").text,
        "person": officer.get(f"/cases/{world.case}/person").text,
        "error": inspector.get("/cases/nope").text,
        "finance": inspector.get("/finance").text,
        "discrepancies": inspector.get("/finance/discrepancies").text,
        "rollup": inspector.get("/reports/rollup?unit=old:870&period=2016-2020").text,
        "kpi": inspector.get("/reports/kpi?unit=2025:82&list=verified").text,
        "check": inspector.get("/reports/check").text,
    }


def test_every_control_has_a_label_and_headings_go_in_order(world: World) -> None:
    for name, html in _pages(world).items():
        markup = _Markup()
        markup.feed(html)
        assert markup.lang == "vi", name
        for control in markup.controls:
            assert control.get("id") in markup.labels or control.get("aria-label"), (name, control)
        assert markup.headings and markup.headings[0] == 1, name
        assert markup.headings.count(1) == 1, name
        for before, after in zip(markup.headings, markup.headings[1:], strict=False):
            assert after <= before + 1, (name, markup.headings)
        if markup.tables:
            assert markup.header_cells >= markup.tables, name


def test_every_page_reads_in_english_too(world: World) -> None:
    for name, html in _pages(world, "en").items():
        if name == "login":
            continue  # before any cookie: Vietnamese
        assert 'lang="en"' in html, name
        assert "Log out" in html, name


def test_vietnamese_by_default_english_by_the_switch(world: World) -> None:
    client = world.client(Role.INSPECTOR)
    vi = client.get(f"/cases/{world.case}").text
    assert 'lang="vi"' in vi and "Diễn biến hồ sơ" in vi and "Tiếp nhận" in vi
    switched = client.get("/lang/en", params={"next": f"/cases/{world.case}"})
    assert switched.status_code == 303
    assert switched.headers["location"] == f"/cases/{world.case}"
    en = client.get(f"/cases/{world.case}").text
    assert 'lang="en"' in en and "Case timeline" in en and "Received" in en
    other = world.client(Role.INSPECTOR)
    other.cookies.set(i18n.LANGUAGE_COOKIE, "<script>")
    assert 'lang="vi"' in other.get("/").text, "an unknown language is not guessed"


def test_vietnamese_formats() -> None:
    from datetime import UTC, date, datetime
    from decimal import Decimal

    assert i18n.number(1234567) == "1.234.567"
    assert i18n.number(-77300000000) == "-77.300.000.000"
    assert i18n.number(12.5) == "12,5"
    assert i18n.number(3.0) == "3"
    assert i18n.number(float("nan")) == ""
    assert i18n.number(Decimal("1234.5")) == "1.234,5"
    assert i18n.number(Decimal("0")) == "0"
    assert i18n.number(Decimal("-0.25")) == "-0,25"
    assert i18n.number(Decimal("1.5"), "en") == "1.5"
    assert i18n.number(1234567, "en") == "1,234,567"
    assert i18n.day(date(2019, 3, 2)) == "02/03/2019"
    assert i18n.instant(datetime(2019, 3, 1, 20, 30, tzinfo=UTC)) == "02/03/2019 03:30:00"
    assert i18n.code("outcome", "victim") == "victim — Là nạn nhân"
    assert i18n.code("outcome", "victim", "en") == "victim"
    assert i18n.stage("verified:victim").startswith("Đã xác minh")


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    light, dark = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_text_colours_meet_the_wcag_aa_contrast() -> None:
    """Every text colour of the stylesheet on every background it is used on: at least 4.5:1
    (WCAG 2.1 AA for body text)."""
    import re

    from infra.web.render import STATIC

    css = (STATIC / "style.css").read_text(encoding="utf-8")
    var = dict(re.findall(r"--([a-z]+):\s*(#[0-9a-fA-F]{6})", css))
    backgrounds = {"page": "#ffffff", "header": "#eef3f8", "th": "#e6e6e6",
                   "correction": "#fff6d6", "wrong": var["badbg"]}  # fmt: skip
    for name, colour in backgrounds.items():
        assert colour.lower() in css.lower() or name == "page", name
    pairs = [(var["ink"], bg) for bg in backgrounds.values()]
    pairs += [(var["muted"], bg) for bg in ("#ffffff", "#eef3f8")]
    pairs += [(var["accent"], bg) for bg in ("#ffffff", "#eef3f8", "#fff6d6")]
    pairs += [(var["bad"], "#ffffff"), (var["bad"], var["badbg"]), ("#0a6a0a", "#ffffff")]
    for text, background in pairs:
        assert _contrast(text, background) >= 4.5, (text, background)
