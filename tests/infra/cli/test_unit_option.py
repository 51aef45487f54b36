"""``--unit`` of a recorded step and of an allocation: one spelling, read on the right map.

A step is recorded on the map in force on its business date (the old map before 1 July 2025,
the 2025 map from then); its ``--unit`` takes ``MAP:CODE``, a code of that map, or a name
with or without accents. A unit of the other map, an ambiguous name and a missing unit are
refused with a hint, never guessed.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from domain.errors import InvalidInput
from domain.reference.units import AdminMap
from infra.cli.main import app
from infra.cli.unit_option import chosen_unit, unit_on, unit_with_map
from infra.scenario.builders import OFFICER, open_app
from infra.scenario.staff import worker_token

runner = CliRunner()

OLD_DAY = date(2024, 5, 1)
NEW_DAY = date(2025, 8, 1)


@pytest.mark.parametrize(
    ("text", "day", "code"),
    [
        ("old:870", OLD_DAY, "870"),
        ("870", OLD_DAY, "870"),
        ("old:29956", OLD_DAY, "29956"),
        ("2025:29955", NEW_DAY, "29955"),
        ("Phuong Hong Ngu", NEW_DAY, "29955"),
        ("Phường Hồng Ngự", NEW_DAY, "29955"),
        ("Dong Thap", NEW_DAY, "82"),  # names the province on both maps: the one in force
        ("Tinh Dong Thap", OLD_DAY, "87"),
    ],
)
def test_a_step_unit_is_read_on_the_map_in_force(text: str, day: date, code: str) -> None:
    assert unit_on(text, day) == code


@pytest.mark.parametrize(
    ("text", "day", "says"),
    [
        ("2025:82", OLD_DAY, "the old map is in force"),
        ("old:87", NEW_DAY, "the 2025 map is in force"),
        ("Huyen Hong Ngu", NEW_DAY, "the 2025 map is in force"),
        ("Hong Ngu", OLD_DAY, "names 3 units"),
        ("nowhere at all", OLD_DAY, "not a unit code or name"),
        ("mars:1", OLD_DAY, "mars"),
        (None, OLD_DAY, "is missing"),
        ("  ", OLD_DAY, "is missing"),
    ],
)
def test_a_unit_of_the_other_map_or_no_one_unit_is_refused(
    text: str | None, day: date, says: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        unit_on(text, day)
    assert says in refused.value.message and refused.value.hint


def test_a_code_not_on_the_map_is_left_for_the_domain_to_refuse() -> None:
    assert unit_on("99999", OLD_DAY) == "99999"


@pytest.mark.parametrize(
    ("text", "admin_map", "day", "expected"),
    [
        ("22", "old", NEW_DAY, ("old", "22")),  # the old spelling --map old --unit 22
        ("old:22", None, NEW_DAY, ("old", "22")),  # an allocation names its map
        ("22", None, date(2007, 1, 1), ("old", "22")),  # else the map in force that day
    ],
)
def test_an_allocations_unit_keeps_the_map_it_names(
    text: str, admin_map: str | None, day: date, expected: tuple[str, str]
) -> None:
    assert unit_with_map(text, admin_map, day) == expected


def test_a_report_defaults_to_the_nation_on_its_reporting_map() -> None:
    assert chosen_unit(None, None, AdminMap.OLD) == (AdminMap.OLD, "VN")
    assert chosen_unit("VN", None, AdminMap.NEW) == (AdminMap.NEW, "VN")
    assert chosen_unit("old:870", None, AdminMap.NEW) == (AdminMap.OLD, "870")
    assert chosen_unit("870", "old", AdminMap.NEW) == (AdminMap.OLD, "870")  # old spelling


def test_a_reception_takes_map_code_and_refuses_the_other_map_writing_nothing(
    tmp_path: Path,
) -> None:
    with open_app(tmp_path) as application:
        token = worker_token(application, OFFICER)
    url = f"sqlite:///{tmp_path / 'socai.db'}"

    def receive(unit: str) -> Result:
        args = ["--store", url, "case", "receive", "--on", "2024-05-01", "--form", "rescued"]
        return runner.invoke(app, [*args, "--unit", unit, "--record", "BB-1"],
                             env={"SOCAI_TOKEN": token})  # fmt: skip

    def head() -> int:
        with open_app(tmp_path) as application:
            return application.log.head()

    before = head()
    refused = receive("2025:29955")
    assert refused.exit_code == 2 and "the old map is in force" in refused.stderr
    assert "hint:" in refused.stderr and head() == before
    received = receive("old:29956")
    assert received.exit_code == 0, received.stderr
    assert head() > before
