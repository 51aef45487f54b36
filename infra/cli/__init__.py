"""The ``socai`` command line (typer + rich). One module per command group."""
