"""The scenario wing (kịch bản): every made-up but realistic history socai is shown or tested
with, written once.

- the synthetic generator (:mod:`.generator`), one planner per stage of the procedure:
  :mod:`.reception` (tiếp nhận), :mod:`.verification` (xác minh, chuyển giao),
  :mod:`.protection` (bảo vệ), :mod:`.support` (hỗ trợ), :mod:`.closure` (tái hòa nhập,
  đóng hồ sơ, đính chính), over a case's :mod:`.plan`, its :mod:`.places` and :mod:`.people`;
  :mod:`.recording` records it into a store;
- the demo's money (:mod:`.funding`, :mod:`.funding_2005`, :mod:`.case_payments`) and
  activities (:mod:`.activities`);
- what tests and benchmarks build on: a store, clocks, a small programme, a case with a
  support (:mod:`.builders`), and random but plausible case histories (:mod:`.histories`).
  These two import the application at run time, so this package does not re-export them.

Everything is deterministic: the same seed records the same commands.
"""

from infra.scenario.activities import seed_activities
from infra.scenario.funding import seed_funding
from infra.scenario.funding_batches import FundingDemo
from infra.scenario.generator import ScenarioGenerator
from infra.scenario.places import BORDER_PROVINCES_OLD, HONG_NGU_DISTRICT_OLD
from infra.scenario.plan import PlannedStep, ScenarioConfig, case_id_for
from infra.scenario.proceedings import seed_proceedings
from infra.scenario.recording import SimulatedClock, bulk_load, run_scenario

__all__ = [
    "BORDER_PROVINCES_OLD",
    "HONG_NGU_DISTRICT_OLD",
    "FundingDemo",
    "PlannedStep",
    "ScenarioConfig",
    "ScenarioGenerator",
    "SimulatedClock",
    "bulk_load",
    "case_id_for",
    "run_scenario",
    "seed_activities",
    "seed_funding",
    "seed_proceedings",
]
