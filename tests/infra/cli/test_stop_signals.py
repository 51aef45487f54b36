"""A long-running command (``socai streams relay``, ``tail``) stops cleanly on SIGTERM or
SIGINT while it runs, and leaves the process's signal handlers as it found them: a handler
that only sets a flag, left behind, made a later forked verify worker deaf to SIGTERM."""

from __future__ import annotations

import os
import signal

import pytest

from infra.cli.streams import STOP_SIGNALS, _stop_requested


def test_a_stop_signal_sets_the_flag_while_the_command_runs_and_not_after() -> None:
    before = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    for number in STOP_SIGNALS:
        with _stop_requested() as stopping:
            assert stopping == [False]
            os.kill(os.getpid(), number)  # delivered to this (main) thread at once
            assert stopping == [True]
        assert {n: signal.getsignal(n) for n in STOP_SIGNALS} == before


def test_the_handlers_are_put_back_when_the_command_fails() -> None:
    before = {number: signal.getsignal(number) for number in STOP_SIGNALS}
    with pytest.raises(RuntimeError), _stop_requested():
        raise RuntimeError("the broker went away")
    assert {n: signal.getsignal(n) for n in STOP_SIGNALS} == before
