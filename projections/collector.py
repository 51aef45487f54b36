"""The garbage collector's pace while projections catch up with the log (issue 18).

A catch-up (a rebuild from zero, or a runner far behind) allocates several container objects
per event — the decoded event, its step, its rows — that die within the batch, while it holds
a large long-lived state: the case-status cache of up to 20,000 cases with their steps and
folds, the SQLAlchemy metadata, the unit directory. CPython's default thresholds
(700, 10, 10) run a young collection every 700 allocations and, every hundred of those,
consider a full one that walks every tracked object, the long-lived state included: a third
of a 50,000-event rebuild went into the collector, against almost nothing for a plain read of
the log (which holds nothing).

:func:`catch_up_pace` raises the thresholds for the duration of a catch-up and restores them
afterwards. Reference counting still frees every acyclic object at once, which is nearly all
of a batch; cycles (SQLAlchemy's sessions and results) are still collected by the young
generations, and a full collection still happens, only after
``YOUNG_THRESHOLD × MIDDLE_THRESHOLD × OLD_THRESHOLD`` net allocations instead of 70,000 —
memory stays bounded (``tests/infra/test_bounded_memory.py``).

Inside a batch the collector does not run at all (:func:`collector_paused`): even at the
raised pace, its young collections walked each batch's working set (the page of decoded
events, the rows being built) while it was still alive, then again in the middle
generation, and a full collection walked the long-lived state: 1.5 s of a 9.3 s rebuild of
200,000 events (``gc.callbacks``, eighth round) that found about 200 objects to free. The
batch's objects are freed by reference counting when the batch ends; whatever cycles it made
are collected by the first young collection after it, so what is left for the collector is
bounded by one batch.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Net allocations between young collections while catching up (default 700).
YOUNG_THRESHOLD = 10_000
#: Young collections between collections of the middle generation (default 10).
MIDDLE_THRESHOLD = 50
#: Middle-generation collections before a full one is considered (default 10).
OLD_THRESHOLD = 50


@contextmanager
def catch_up_pace() -> Iterator[None]:
    """Collect less often inside the block; the previous thresholds are restored on exit,
    also when the block raises. Nested use keeps the outer block's pace."""
    previous = gc.get_threshold()
    gc.set_threshold(
        max(previous[0], YOUNG_THRESHOLD),
        max(previous[1], MIDDLE_THRESHOLD),
        max(previous[2], OLD_THRESHOLD),
    )
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block (one batch of a catch-up); the collector is
    enabled again on exit, also when the block raises, if it was enabled before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
