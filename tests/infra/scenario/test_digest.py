"""The scenario wing records exactly what it recorded before: a pinned fingerprint.

The demo's cases, money and activities, a bulk load and a plan (see :mod:`.dump`) are
recorded into fresh stores and dumped event by event — decrypted state and ledger leaf hash —
and the dump's SHA-256 must equal the one pinned here. A refactor of the scenario wing that
changes any command, any draw of the seeded random stream, any record time or the order of
writes changes the digest. Change the pin only for a change of the scenario you mean (say so
in the commit) or an upgrade of Faker/eventsourcing (pinned in constraints.txt).
"""

from __future__ import annotations

from pathlib import Path

from tests.infra.scenario.dump import digest, small_dump

#: SHA-256 of ``small_dump``. Recorded on main before the scenario wing was cut (issue 10:
#: ccdd729c…); changed once since, on purpose: essential-needs periods no longer overlap (a day
#: is supported once, issue 12). The wing and the old generator with that change give the same
#: full dump (d0b52d2b…, 31,208 lines). Changed again on purpose by issue 13 (people): the
#: scenario acts through registered users, whose events take positions in the log (counted in
#: the dump, not listed) and whose access checks read the stepping clock; with positions, leaf
#: hashes and record times set aside, the 1,214 lines equal the previous dump's but one: a
#: support recorded by officer XH-20-11 now carries the agency the officer is registered with
#: (labour_social_affairs), no longer the one the plan declared for that step. Changed again on
#: purpose by issue 14 (per-person keys): a personal value is sealed under its person's key
#: outside the event, which holds a reference instead; with leaf hashes set aside, the 1,215
#: lines equal the previous dump's but in the 22 receptions' ``person`` and the one
#: protection's ``relative`` (a ``personal_ref`` in place of the values). The leaf hashes of
#: the events after the first reception change too: the sealing draws its nonces and keys from
#: the same counter as the store's cipher. Changed again by issue 10 (one house), not the
#: scenario: a case command declares its date and legal basis once, on its base, so the plan's
#: lines (the commands' ``repr``) show ``legal_basis`` second; with it put back in its old
#: place, all 1,216 lines equal the previous dump's (every stored line and leaf hash too).
#: Changed again on purpose (a scenario fix): a victim whose essential needs resume under the
#: 2025 law is reintegrated after they resume, not before (a closure planned before them was
#: refused: seed 1 of 600 cases); in the demo, case e393ac3d… is reintegrated on 2025-12-10
#: instead of 2025-08-10 and its closure now falls after the scenario's end, so it is not
#: recorded; the record-time draws after it shift, which moves case 08356e47…'s dates by a
#: week; in the plan, case e40f5bf6…'s reintegration moves from 2025-11-13 to 2026-01-05.
#: With positions, record times and leaf hashes set aside, nothing else differs.
SMALL_SCENARIO_SHA256 = "46efe0e335f89196ea8e678dc95837c07692856be062dba2b753ab6c86927a0c"


def test_the_small_scenario_records_the_pinned_events(tmp_path: Path) -> None:
    lines = small_dump(tmp_path)
    # every kind of write is in the dump, so the digest pins all of them
    topics = {line.split("\t")[1] for line in lines if not line.startswith(("#", "PlannedStep"))}
    assert {"socai.case:Received.v1", "socai.case:CorrectionRecorded.v1"} <= topics
    assert {"socai.funding:Paid.v1", "socai.funding:Voided.v1"} <= topics
    assert "socai.activity:DirectiveIssued.v1" in topics
    assert any(line.startswith("# bulk") for line in lines)
    assert digest(lines) == SMALL_SCENARIO_SHA256


def test_the_dump_repeats_itself_run_after_run(tmp_path: Path) -> None:
    """Nothing of chance is left in a dump: two fresh stores give the same lines."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert small_dump(tmp_path / "a") == small_dump(tmp_path / "b")
