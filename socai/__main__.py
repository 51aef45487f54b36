"""``python -m socai``: the same command line as the ``socai`` script."""

from infra.cli.main import run

if __name__ == "__main__":
    run()
