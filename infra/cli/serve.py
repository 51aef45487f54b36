"""``socai serve``: the web pages for inspectors, finance departments and statisticians.

Listens on 127.0.0.1 by default (put a TLS-terminating proxy in front to serve others, and
pass ``--secure-cookies``); the port is configurable. The server's access log is off: paths
can carry case ids and searches, and nothing about who asked what belongs anywhere but the
ledger's own access log (docs/WEB.md).
"""

from __future__ import annotations

import typer

from infra.cli.commands import cli_command
from infra.cli.context import console, state
from infra.cli.extras import require


@cli_command
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8765, "--port", min=1, max=65535, help="Port to listen on."),
    secure_cookies: bool = typer.Option(
        False,
        "--secure-cookies",
        envvar="SOCAI_SECURE_COOKIES",
        help="Mark cookies Secure (when a proxy serves the pages over https).",
    ),
    behind_proxy: bool = typer.Option(
        False,
        "--behind-proxy",
        help="Trust X-Forwarded-For from a proxy on 127.0.0.1 (the login limit then counts"
        " each client, not the proxy).",
    ),
) -> None:
    """Serve the web pages (Vietnamese; English by the switch) until interrupted."""
    require("starlette", "socai serve")
    require("uvicorn", "socai serve")
    import uvicorn

    from infra.web.app import create_app

    cli = state(ctx)
    application = create_app(cli.app(), cli.settings(), secure_cookies=secure_cookies)
    console.print(
        f"socai web on http://{host}:{port}/ (Ctrl+C stops it)", markup=False, soft_wrap=True
    )
    uvicorn.run(
        application, host=host, port=port, access_log=False, log_level="warning",
        server_header=False, proxy_headers=behind_proxy, forwarded_allow_ips="127.0.0.1",
    )  # fmt: skip
