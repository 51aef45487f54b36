"""The audit page (kiểm toán): the last verification of the whole ledger, the signed
checkpoints with their cosignatures, and the unsigned tail (events after the newest
checkpoint). Any logged-in user may see it: it shows hashes only, as ``socai audit`` does for
anyone with the database (docs/ACCESS.md)."""

from __future__ import annotations

from starlette.responses import Response

from infra.web import ledger
from infra.web.context import Ctx, Routes, page

ROUTES = Routes()


def _page(ctx: Ctx) -> Response:
    rows = ledger.checkpoints(ctx.web.settings)
    head = ctx.socai.log.head()
    covered = rows[-1].last_position if rows else 0
    tail = sum(1 for _ in ctx.socai.log.entries(after=covered)) if head > covered else 0
    return ctx.page("audit.html", checkpoints=list(reversed(rows)), head=head, covered=covered,
                    tail=tail, last=ctx.web.last_verify)  # fmt: skip


@ROUTES.get("/audit")
@page()
def audit(ctx: Ctx) -> Response:
    return _page(ctx)


@ROUTES.post("/audit/verify")
@page()
def verify(ctx: Ctx) -> Response:
    """Run the whole verification now (it reads every row; minutes on a large store)."""
    result = ledger.verify_all(ctx.web.settings)
    result["at"] = ctx.socai.now()
    result["by"] = ctx.user.username
    ctx.web.last_verify = result
    return _page(ctx)
