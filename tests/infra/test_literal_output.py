"""Stored text is printed literally, never as markup.

The faults: an officer id ``[/]`` made ``case history`` crash for good, a programme title
``[/]`` broke ``finance programmes`` for every programme, and ``[dự thảo]`` silently vanished
(Rich read them as markup). The class is "any stored or echoed text that reaches the screen":
legal bases, titles, facility names, error messages that repeat input. Each is written with
bracketed text and must come back exactly as written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.cli.test_cli import socai

BRACKETS = ["[/]", "[dự thảo]", "[bold red]x[/bold red]", "[link=http://x]y"]


@pytest.mark.parametrize("basis", BRACKETS)
def test_a_legal_basis_in_brackets_is_shown_as_written(tmp_path: Path, basis: str) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    assert socai(store, "keys", "init").returncode == 0
    received = socai(
        store, "case", "receive", "--on", "2024-05-01", "--form", "rescued",
        "--unit", "29956", "--record", basis,
    )  # fmt: skip
    assert received.returncode == 0, received.stderr
    case_id = received.stdout.split()[-1]
    history = socai(store, "case", "history", case_id)
    assert history.returncode == 0, history.stderr
    assert f"│ {basis} " in history.stdout  # its cell in the history's table, as written


def test_a_programme_title_in_brackets_breaks_nothing(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    assert socai(store, "keys", "init").returncode == 0
    for code, title in (("DA-1", "[/]"), ("DA-2", "Đề án [dự thảo]")):
        made = socai(
            store, "finance", "programme", "--code", code, "--title", title,
            "--starts", "2026-01-01", "--ends", "2026-12-31", "--on", "2026-01-02",
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
    listed = socai(store, "finance", "programmes", "--format", "csv")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()[1:]
    assert lines[0].endswith(",[/]") and lines[1].endswith(",Đề án [dự thảo]")
    table = socai(store, "finance", "programmes").stdout
    assert " [/] " in table and " Đề án [dự thảo] " in table
    shown = socai(store, "finance", "show", "DA-1")
    assert shown.returncode == 0 and "DA-1 [/]" in shown.stdout and "title: [/]" in shown.stdout


def test_an_error_that_repeats_input_repeats_it_literally(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 's.db'}"
    assert socai(store, "keys", "init").returncode == 0
    refused = socai(store, "case", "history", "[bold]not-a-case[/]")
    assert refused.returncode == 2
    assert "[bold]not-a-case[/]" in refused.stderr and "Traceback" not in refused.stderr
