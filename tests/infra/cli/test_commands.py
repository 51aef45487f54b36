"""Option sets (:mod:`infra.cli.commands`): a command takes ``--format``/``-o``,
``--unit``/``--map`` or ``--period``/``--years`` as one typed parameter, and typer still sees
each option's one declaration under its usual name. Checked on a scratch Typer app, no store
needed."""

from __future__ import annotations

import inspect
from dataclasses import dataclass

import pytest
import typer
from typer.main import get_command

from infra.cli import options
from infra.cli.commands import cli_command, command
from infra.cli.options import OptionSet, ReportPeriod
from infra.cli.output import Reply
from infra.cli.unit_option import ReportUnit
from tests.cli_runner import CliRunnerOnce

runner = CliRunnerOnce()


def _app() -> tuple[typer.Typer, list[object]]:
    """A scratch app whose ``show`` command records what it received."""
    app = typer.Typer()
    seen: list[object] = []

    @app.callback()
    def main() -> None:
        """A group, so that ``show`` is named on the command line."""

    @command(app, "show")
    def show(
        where: ReportUnit,
        period: ReportPeriod,
        reply: Reply,
        limit: int = typer.Option(3, "--limit"),
    ) -> None:
        """Record the sets."""
        seen.extend([where, period, reply, limit])

    return app, seen


def test_the_sets_options_stand_in_their_place_under_their_usual_names() -> None:
    app, _seen = _app()
    shown = get_command(app).commands["show"]  # type: ignore[attr-defined]
    declared = {n: p.default for n, p in inspect.signature(shown.callback).parameters.items()}
    assert declared == {
        "unit": options.UNIT,
        "admin_map": options.MAP,
        "period": options.PERIOD,
        "years": options.YEARS,
        "format_": options.FORMAT,
        "output": options.OUTPUT,
        "limit": declared["limit"],
    }
    flags = {flag for param in shown.params for flag in param.opts}
    assert {"--unit", "--map", "--period", "--years", "--format", "-f", "--output", "-o"} <= flags


def test_the_command_receives_each_set_as_its_typed_object() -> None:
    app, seen = _app()
    result = runner.invoke(
        app, ["show", "--unit", "old:870", "--years", "2016-2020", "--format", "text"]
    )
    assert result.exit_code == 0, result.output
    assert seen == [
        ReportUnit("old:870", None),
        ReportPeriod(None, "2016-2020"),
        Reply("table", None),  # the old spelling read as the one it means (checked)
        3,
    ]


def test_a_format_it_does_not_speak_is_refused_before_the_command_runs() -> None:
    app, seen = _app()
    result = runner.invoke(app, ["show", "--format", "xml"])
    assert result.exit_code == 2
    assert "error: --format: 'xml' is not a format" in result.output
    assert seen == []


@pytest.mark.parametrize(
    ("given", "flag"),
    [((None, None), "--period"), (("2020", "2016-2020"), "--period")],
)
def test_a_period_is_given_exactly_once(given: tuple[str | None, str | None], flag: str) -> None:
    from domain.errors import InvalidInput

    with pytest.raises(InvalidInput) as refused:
        ReportPeriod(*given).window()
    assert refused.value.field == flag


def test_the_old_years_spelling_gives_the_same_window_as_period() -> None:
    assert ReportPeriod(None, "2016-2020").window() == ReportPeriod("2016-2020").window()
    assert ReportPeriod("2016-2020").window("2018-06-30").ends_on.isoformat() == "2018-06-30"


@dataclass(frozen=True)
class Clashing(OptionSet):
    """A set that claims ``--unit`` again."""

    unit: str | None = options.option(options.UNIT)


def test_an_option_claimed_twice_is_refused_when_the_command_is_declared() -> None:
    def report(where: ReportUnit, again: Clashing) -> None:
        """Two sets that both claim --unit."""

    with pytest.raises(TypeError, match=r"options \['unit'\] are declared twice"):
        cli_command(report)


def test_a_command_without_sets_is_registered_as_written() -> None:
    def plain(limit: int = 1) -> None:
        """No option set."""

    assert cli_command(plain).__wrapped__ is plain  # type: ignore[attr-defined]
