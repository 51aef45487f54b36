"""Checking a principal reads the store's cached user without copying it (every request
does); a user taken to be changed is still a private copy, so a change that is not saved
changes no later check, and every saved change is seen by the next check."""

from __future__ import annotations

import pytest

from domain.access.policy import Action
from domain.access.roles import Role
from infra.auth.tokens import NotAuthenticated
from infra.scenario.staff import Staff
from infra.services.socai import Socai


def test_a_user_taken_to_change_is_a_copy_and_checks_see_only_saved_changes(
    app: Socai, team: Staff
) -> None:
    stat = team.user(Role.STATISTICIAN, "VN", "TK-01")
    for _ in range(3):  # checks and authentications read the cached user, unchanged
        assert app.access.check(stat, Action.REPORT_READ).username == "TK-01"
    unsaved = app.access.user("TK-01")
    unsaved.suspend("inquiry", team.admin.username, app.store.now())
    assert unsaved.suspended
    assert app.access.check(stat, Action.REPORT_READ)  # never saved: not in force
    assert not app.access.user("TK-01").suspended
    app.access.suspend(team.admin, "TK-01", "inquiry")  # saved: the next check sees it
    with pytest.raises(NotAuthenticated, match="suspended"):
        app.access.check(stat, Action.REPORT_READ)
