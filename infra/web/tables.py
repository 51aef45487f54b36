"""The read models a page reads (bảng đọc), brought up to date with the log first — as the
command line's reading commands do — or built as known at a record time.

The web keeps one projections engine for its life; the in-process runner applies whatever the
log holds beyond the tables' positions before each read.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from infra.projection_db import projections_engine, runner_for
from infra.web.context import Web
from projections import asof
from projections.framework import InProcessRunner
from projections.funding_sql import FundingProjection, FundingQueries


def _engine(web: Web) -> Engine:
    if web.engine is None:
        web.engine = projections_engine(web.settings)
    assert isinstance(web.engine, Engine)
    return web.engine


def projections(web: Web, known_at: datetime | None = None) -> Engine:
    """Every registered projection, caught up (or as known at ``known_at``)."""
    if known_at is not None:
        return asof.known_at(web.socai.log, known_at)
    engine = _engine(web)
    runner_for(web.socai.log, engine).run()
    return engine


def funding(web: Web, known_at: datetime | None = None) -> FundingQueries:
    """The funding tables, caught up (or as known at ``known_at``), as ``socai finance``."""
    if known_at is not None:
        return FundingQueries(asof.known_at(web.socai.log, known_at, [FundingProjection()]))
    engine = _engine(web)
    InProcessRunner(web.socai.log, engine, [FundingProjection()]).run()
    return FundingQueries(engine)
