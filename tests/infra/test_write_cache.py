"""An aggregate just saved is kept as the store's cached copy (the next write on it reads only
what others added since): it must be exactly what replaying its stored events gives, down to
the type of every value, or a rule could judge the next step on a state no reader sees."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.access.user import User
from domain.case.aggregate import Case
from domain.case.commands import COMMANDS
from infra.scenario import ScenarioConfig, run_scenario
from infra.scenario.staff import worker
from infra.services.socai import Socai
from tests.conftest import BORDER_GUARD, reception

pytestmark = pytest.mark.integration


def shape(value: Any, depth: int = 0) -> Any:
    """``value`` as nested plain data that names the type of everything in it (a tuple is
    not a list, a fixed UTC offset is not a zone), so two states compare equal only when
    they are the same values of the same types."""
    assert depth < 60, "a cycle"
    kind = type(value).__qualname__
    if value is None or isinstance(value, bool | int | float | str | bytes | UUID | Enum):
        return (kind, value)
    if isinstance(value, datetime):
        return (kind, value.isoformat(), repr(value.tzinfo))
    if isinstance(value, date):
        return (kind, value.isoformat())
    if isinstance(value, dict):
        return (kind, [(shape(k, depth + 1), shape(v, depth + 1)) for k, v in value.items()])
    if isinstance(value, list | tuple | frozenset | set):
        items = [shape(v, depth + 1) for v in value]
        return (kind, sorted(items, key=repr) if isinstance(value, set | frozenset) else items)
    if is_dataclass(value):
        return (kind, [(f.name, shape(getattr(value, f.name), depth + 1)) for f in fields(value)])
    state = dict(getattr(value, "__dict__", {}))
    for name in getattr(type(value), "__slots__", ()):
        if hasattr(value, name):
            state[name] = getattr(value, name)
    assert state, f"no state to compare in a {kind}"
    return (kind, shape(state, depth + 1))


def test_every_case_and_user_kept_after_its_save_is_its_replayed_state(
    make_app: Callable[..., Socai], tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'cache.db'}"
    app = make_app(url)
    run_scenario(app, ScenarioConfig(cases=150, seed=1))
    cases = list(app.cases.ids())
    users = [app.access.user(name).id for name in app.access.usernames()]
    repository = app.store.repository
    assert repository.cache is not None
    compared = 0
    for aggregate_id in [*cases, *users]:
        kept = repository.cache.get(aggregate_id)  # what the last save left, not re-read
        replayed = repository.get(aggregate_id, version=kept.version)  # from the events
        assert isinstance(kept, Case | User)
        assert shape(kept) == shape(replayed), aggregate_id
        compared += 1
    assert compared == len(cases) + len(users) > 150
    # what the rules see on the next write: the case as another process replays it
    other = make_app(url)
    for case_id in cases[:20]:
        assert shape(app.cases.get(case_id)) == shape(other.cases.get(case_id))


def test_a_case_saved_here_and_changed_by_another_process_is_read_with_that_change(
    make_app: Callable[..., Socai], tmp_path: Path
) -> None:
    """The kept copy is still fast-forwarded from the store before every use: a step another
    process recorded after this one's save is seen by the next load and the next write."""
    url = f"sqlite:///{tmp_path / 'two.db'}"
    here, there = make_app(url), make_app(url)
    case_id = here.cases.receive(COMMANDS["receive"].parse(reception()), worker(here, BORDER_GUARD))
    verify = {"occurred_on": "2019-03-05", "outcome": "victim", "deciding_body": "police"}
    assert (
        there.cases.execute(case_id, COMMANDS["verify"].parse(verify), worker(there, BORDER_GUARD))
        == 2
    )
    assert here.cases.get(case_id).status.verification_outcome == "victim"
    route = {"occurred_on": "2019-03-06", "destination": "returned_home"}
    assert (
        here.cases.execute(case_id, COMMANDS["route"].parse(route), worker(here, BORDER_GUARD)) == 3
    )
    assert shape(here.cases.get(case_id)) == shape(there.cases.get(case_id))
