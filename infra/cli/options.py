"""Options every recording command shares, declared once.

A recorded step's actor (người thực hiện) is the logged-in user (``socai login``; the token
proves who it is), never an option. A step names its business date (ngày nghiệp vụ: ``--on``,
default today in Viet Nam) and optionally its legal basis (căn cứ pháp lý: ``--basis``); case
and activity commands also read their fields from ``--from-json``. The store and key (``--store``,
``--key-file``) are global options of ``socai`` itself (:mod:`infra.cli.main`).
"""

from __future__ import annotations

import typer

ON = typer.Option(None, "--on", help="Business date YYYY-MM-DD (default: today in Viet Nam).")
BASIS = typer.Option(
    None, "--basis", help="Legal basis: decision, record or voucher number (số quyết định)."
)
FROM_JSON = typer.Option(None, "--from-json", help="JSON file with the fields by name.")
FORMAT = typer.Option("text", "--format", help="text | json")

#: The one period syntax of every report (domain.period): a year, a half, a quarter, a month,
#: years or days.
PERIOD = typer.Option(
    None, "--period", help="2024, 2024-H1, 2024-Q3, 2024-03, 2016/2020 or 2024-01-01/2024-06-30"
)
#: Số liệu tính đến ngày …: facts dated after it are not counted.
UNTIL = typer.Option(None, "--until", help="Cut-off date YYYY-MM-DD: count facts up to it.")
