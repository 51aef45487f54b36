"""Make GX Data Docs render offline (trang kết quả kiểm tra, xem không cần mạng).

GX writes pages that load Bootstrap, jQuery, Vega, Font Awesome from CDNs and its logo from a
remote bucket; a provincial office may be offline, and a report must not call out to third
parties. After GX builds the site, :func:`make_offline` rewrites every page:

* removes ``<script src=http(s)…>`` and ``<link href=http(s)…>`` (the CDN assets);
* points remote images (the logo) at the copy GX already puts in ``static/images``;
* links a small local stylesheet (``static/styles/socai_offline.css``) for tables and badges;
* adds to ``index.html`` a plain list of every validation and suite page (GX renders that list
  with a CDN script, so without it the index would be empty).

Invariant (asserted): no ``src``/``href`` of a script, stylesheet or image, and no CSS
``url()``, refers to http(s) afterwards. Plain hyperlinks to GX's documentation stay: they load
nothing.
"""

from __future__ import annotations

import html
import os
import re
from pathlib import Path

_REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.I)
_REMOTE_LINK = re.compile(r"<link[^>]*\bhref=[\"']https?://[^>]*>", re.I)
_REMOTE_IMG_SRC = re.compile(r"(<img[^>]*\bsrc=)[\"']https?://[^\"']*[\"']", re.I)
_REMOTE_CSS_URL = re.compile(r"url\(\s*['\"]?https?://[^)]*\)", re.I)
_LOADS_REMOTE = re.compile(
    r"<(?:script|img|link|iframe|source)[^>]*\b(?:src|href)=[\"']https?://|url\(\s*['\"]?https?://",
    re.I,
)

OFFLINE_CSS = """
body { font-family: sans-serif; margin: 1.5rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0; }
td, th { border: 1px solid #ccc; padding: 0.25rem 0.5rem; vertical-align: top; }
.text-danger, .fa-times { color: #b00020; }
.text-success, .fa-check-circle { color: #1b7f3b; }
.socai-offline-index { border: 1px solid #ccc; padding: 0.5rem 1rem; margin-bottom: 1rem; }
.cooltip .top { display: none; }
"""


def _relative_root(page: Path, root: Path) -> str:
    up = os.path.relpath(root, page.parent)
    return "." if up == "." else up.replace(os.sep, "/")


def _index_list(root: Path) -> str:
    pages = sorted(p for p in root.rglob("*.html") if p.name != "index.html")
    items = "\n".join(
        f'<li><a href="{html.escape(p.relative_to(root).as_posix())}">'
        f"{html.escape(p.relative_to(root).as_posix())}</a></li>"
        for p in pages
    )
    return (
        '<nav class="socai-offline-index"><h2>Kết quả kiểm tra / validation pages</h2>'
        f"<ul>\n{items}\n</ul></nav>"
    )


def make_offline(root: Path) -> int:
    """Rewrite the Data Docs site under ``root`` to load nothing remote; return pages done."""
    styles = root / "static" / "styles"
    styles.mkdir(parents=True, exist_ok=True)
    (styles / "socai_offline.css").write_text(OFFLINE_CSS, "utf-8")
    for css in styles.glob("*.css"):
        text = _REMOTE_CSS_URL.sub("url('../images/logo-long.png')", css.read_text("utf-8"))
        css.write_text(text, "utf-8")
        assert not _LOADS_REMOTE.search(text), f"{css} still loads a remote asset"
    pages = 0
    for page in root.rglob("*.html"):
        up = _relative_root(page, root)
        text = page.read_text("utf-8")
        text = _REMOTE_SCRIPT.sub("", text)
        text = _REMOTE_LINK.sub("", text)
        text = _REMOTE_IMG_SRC.sub(rf'\1"{up}/static/images/logo-long.png"', text)
        text = _REMOTE_CSS_URL.sub(f"url('{up}/static/images/logo-long.png')", text)
        local_css = f'<link rel="stylesheet" href="{up}/static/styles/socai_offline.css">'
        text = text.replace("</head>", f"{local_css}\n</head>", 1)
        if page.parent == root and page.name == "index.html":
            text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + _index_list(root), text, count=1)
        remaining = _LOADS_REMOTE.search(text)
        assert remaining is None, f"{page} still loads {remaining.group(0)!r}"
        page.write_text(text, "utf-8")
        pages += 1
    return pages
