"""The sex, ethnicity and scope breakdowns: one rule in the rollup and in the suites.

A victim whose sex, ethnicity or trafficking scope was never recorded used to make the
rollup's breakdowns fall short of the identified total ("≤" in the projection) while the
suites demanded "=": ``socai quality rollups`` failed socai's own rollup. Now the person is on
the breakdown's "không rõ" line, every breakdown sums exactly, and the rollup passes.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import create_engine

from infra.scenario.builders import StepClock, open_app
from infra.scenario.histories import LABOUR, run
from projections.framework import InProcessRunner
from projections.registry import all_projections
from quality.events import computed_rollups
from quality.run import validate

DAY = date(2019, 3, 4)
COMMUNE = "29869"  # old map, in district 866 of Đồng Tháp


def test_a_victim_without_demographics_is_on_the_unknown_lines_and_the_rollup_passes(
    tmp_path: Path,
) -> None:
    clock = StepClock()
    app = open_app(tmp_path, clock)
    try:
        for recorded in (False, True):
            cid = run(
                app,
                clock,
                None,
                "receive",
                occurred_on=DAY,
                unit_code=COMMUNE,
                reception_form="rescued",
                legal_basis="BB-1",
                belongings_checked=True,
                person={"full_name": "Người Thử", "phone": "0900000001"},
            )
            if recorded:
                run(
                    app,
                    clock,
                    cid,
                    "demographics",
                    occurred_on=DAY,
                    sex="female",
                    birth_year=2001,
                    ethnicity="kinh",
                    nationality="VN",
                )
                run(
                    app,
                    clock,
                    cid,
                    "trafficking",
                    occurred_on=DAY,
                    scope="domestic",
                    destination_country=None,
                )
            run(app, clock, cid, "request_verification", occurred_on=DAY, body="police")
            run(
                app,
                clock,
                cid,
                "verify",
                occurred_on=DAY,
                outcome="victim",
                deciding_body="police",
                actor=LABOUR,
            )
        engine = create_engine(f"sqlite:///{tmp_path / 'proj.db'}")
        InProcessRunner(app.log, engine, all_projections()).run()
        table = computed_rollups(
            engine, [("old", "87"), ("old", "866"), ("old", COMMUNE)], [DAY.year]
        )
        engine.dispose()
    finally:
        app.close()
    cells = table[table["unit_code"] == COMMUNE].set_index("row_id")["y2019"]
    assert cells["I.2"] == 2
    assert (cells["I.2.a.male"], cells["I.2.a.female"], cells["I.2.a.unknown"]) == (0, 1, 1)
    assert (cells["I.2.b.kinh"], cells["I.2.b.other_ethnic"], cells["I.2.b.unknown"]) == (1, 0, 1)
    assert (cells["I.2.d.domestic"], cells["I.2.d.abroad"], cells["I.2.d.unknown"]) == (1, 0, 1)
    for engine_name in ("pandas", "sql"):
        # the units' other children have no cases: every sum holds, the breakdowns included
        assert validate(table, engine=engine_name).findings == []
