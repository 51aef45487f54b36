"""The web of socai (``socai serve``): server-rendered pages over the same services as the
command line, for inspectors, finance departments and statisticians (docs/WEB.md).

Modules: :mod:`~infra.web.app` (the application), :mod:`~infra.web.context` (one request:
session, CSRF, refusals as pages), :mod:`~infra.web.session`, :mod:`~infra.web.security`,
:mod:`~infra.web.i18n` (Vietnamese labels and formats), :mod:`~infra.web.inputs`,
:mod:`~infra.web.tables` (read models caught up), :mod:`~infra.web.ledger`,
:mod:`~infra.web.charts`, :mod:`~infra.web.render`, and one module per area in ``pages/``.
"""
