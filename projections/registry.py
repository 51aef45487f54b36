"""Every projection socai maintains, by name (what ``socai projections`` rebuilds)."""

from __future__ import annotations

from domain.errors import InvalidInput
from projections.activity import ActivityProjection
from projections.case_status import CaseStatusProjection
from projections.framework import Projection
from projections.funding_sql import FundingProjection
from projections.proceedings import ProceedingsProjection


def all_projections() -> list[Projection]:
    return [
        CaseStatusProjection(),
        ActivityProjection(),
        FundingProjection(),
        ProceedingsProjection(),
    ]


def by_name(name: str) -> Projection:
    for projection in all_projections():
        if projection.name == name:
            return projection
    names = ", ".join(p.name for p in all_projections())
    raise InvalidInput("projection", f"{name!r} is not a projection", hint=f"one of: {names}")
