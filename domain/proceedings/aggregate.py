"""The ``Proceedings`` aggregate: one criminal case of trafficking (vụ án mua bán người).

The seeds' targets (seed 004) measure the state's response to trafficking, not only the support
of victims: of the cases opened (khởi tố vụ án), over 90% investigated and solved (điều tra làm
rõ), 95% of those prosecuted (truy tố) and 90% of those tried (xét xử), each year. A
proceedings record follows one criminal case through those stages, each an immutable event with
its deciding body, business date and document number (quyết định khởi tố, kết luận điều tra,
cáo trạng, bản án). It links the victims' case ids (pseudonymous); defendants are *counted*,
never named — socai holds no data on them at all.

Invariants (checked before any event is triggered; nothing is stored when one fails):

- opened first, then solved, prosecuted and tried, in that order, each at most once, with
  business dates that never go back and are never in the future;
- a suspended case (tạm đình chỉ) records nothing further;
- every stage names its document number and the body that decided it (police or border guard
  for opening and investigation, the procuracy for prosecution, a court for the trial);
- defendant counts are whole numbers, 1 to :data:`MAX_DEFENDANTS`; never more prosecuted than
  investigated, never more tried than prosecuted.

Topics are explicit and stable: ``socai.proceedings:<Name>.v1``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.aggregate import SocaiAggregate
from domain.case.values import Actor, recording
from domain.errors import RuleViolation
from domain.proceedings.commands import (
    INVESTIGATING_BODIES,
    Open,
    Prosecute,
    Solve,
    StageCommand,
    Suspend,
    Try,
)
from domain.reference.codes import Agency
from domain.reference.units import AdminMap, unit_directory
from domain.time import business_date

#: The stages in order, by the event that records each.
STAGES = ("Opened", "Solved", "Prosecuted", "Tried")


class ProceedingsEvent(Aggregate.Event):
    """Base of proceedings events (not stored itself)."""

    #: The stable stored topic, ``socai.proceedings:<Name>.v1`` (each concrete class).
    TOPIC: ClassVar[str]

    occurred_on: date
    officer_id: str
    agency: str
    legal_basis: str
    deciding_body: str


class StageReached(ProceedingsEvent):
    """Base of a later stage's event (not stored itself): the stage its class names (one of
    :data:`STAGES`) is reached on the event's business date, with its count of defendants."""

    defendants: int

    def apply(self, aggregate: Proceedings) -> None:
        aggregate._reach(type(self).__name__, self.occurred_on, self.defendants)


class Proceedings(SocaiAggregate, created_topic="socai.proceedings:Created"):
    """Vụ án: one criminal case of trafficking, from opening to trial."""

    TOPIC = "socai.proceedings:Proceedings"

    class Opened(ProceedingsEvent, Aggregate.Created):
        """Khởi tố vụ án: the case is opened in a unit, for these victims' cases (the creating
        event, its first and only one of its kind)."""

        TOPIC = "socai.proceedings:Opened.v1"
        unit_map: str
        unit_code: str
        victim_case_ids: list[str]
        defendants: int

    class Solved(StageReached):
        """Điều tra làm rõ: the investigation concluded and the case is solved."""

        TOPIC = "socai.proceedings:Solved.v1"

    class Prosecuted(StageReached):
        """Truy tố: the procuracy indicts."""

        TOPIC = "socai.proceedings:Prosecuted.v1"

    class Tried(StageReached):
        """Xét xử: a court judged the case (sơ thẩm)."""

        TOPIC = "socai.proceedings:Tried.v1"

    class Suspended(ProceedingsEvent):
        """Tạm đình chỉ: the case is suspended (e.g. the accused not found); reason coded."""

        TOPIC = "socai.proceedings:Suspended.v1"
        reason: str

        def apply(self, aggregate: Proceedings) -> None:
            aggregate.suspended_on = self.occurred_on

    def __init__(
        self, occurred_on: date, unit_map: str, unit_code: str, victim_case_ids: list[str],
        defendants: int,
    ) -> None:  # fmt: skip
        self.unit_map, self.unit_code = unit_map, unit_code
        self.victim_case_ids = tuple(victim_case_ids)
        self.reached: dict[str, date] = {"Opened": occurred_on}
        self.defendants: dict[str, int] = {"Opened": defendants}
        self.suspended_on: date | None = None

    def _reach(self, stage: str, day: date, defendants: int) -> None:
        self.reached[stage] = day
        self.defendants[stage] = defendants

    @property
    def stage(self) -> str:
        """The furthest stage reached (giai đoạn tố tụng)."""
        return max(self.reached, key=STAGES.index)

    # -- commands ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls, proceedings_id: UUID, command: Open, actor: Actor, recorded_at: datetime
    ) -> Proceedings:
        _check_date(command.occurred_on, None, recorded_at)
        _check_body(command, INVESTIGATING_BODIES)
        admin_map = AdminMap.in_force_on(command.occurred_on)
        unit_directory().require(admin_map, command.unit_code, "unit_code")
        return cls._create(
            cls.Opened,
            id=proceedings_id,
            **recording(command, actor, recorded_at),
            deciding_body=command.deciding_body,
            unit_map=admin_map.value,
            unit_code=command.unit_code,
            victim_case_ids=[str(c) for c in command.victim_case_ids],
            defendants=command.defendants,
        )

    def advance(self, command: StageCommand, actor: Actor, recorded_at: datetime) -> None:
        """Record the next stage, or a suspension; refuse anything out of order."""
        if self.suspended_on is not None:
            raise RuleViolation(
                "suspended",
                f"proceedings {self.id} were suspended on {self.suspended_on}",
                hint="a suspended case records nothing further",
            )
        latest = max(self.reached.values())
        _check_date(command.occurred_on, latest, recorded_at)
        common = {**recording(command, actor, recorded_at), "deciding_body": command.deciding_body}
        if isinstance(command, Suspend):
            _check_body(command, INVESTIGATING_BODIES | {Agency.PROCURACY, Agency.COURT})
            self.trigger_event(self.Suspended, reason=command.reason, **common)
            return
        stage = command.STAGE
        previous = STAGES[STAGES.index(stage) - 1]
        if stage in self.reached or previous not in self.reached:
            raise RuleViolation(
                "out_of_order",
                f"proceedings {self.id} are at stage {self.stage}; {stage} follows {previous}",
                hint="record the stages in order: opened, solved, prosecuted, tried",
            )
        _check_body(command, command.BODIES)
        if command.defendants > self.defendants[previous]:
            raise RuleViolation(
                "more_defendants",
                f"{command.defendants} defendants at {stage}, more than the"
                f" {self.defendants[previous]} at {previous}",
                hint="a later stage counts at most the defendants of the one before",
            )
        self.trigger_event(getattr(self, stage), defendants=command.defendants, **common)


def _check_date(day: date, not_before: date | None, recorded_at: datetime) -> None:
    today = business_date(recorded_at)
    if day > today:
        raise RuleViolation(
            "future_date", f"{day} is after today ({today} in Viet Nam)", hint="check the date"
        )
    if not_before is not None and day < not_before:
        raise RuleViolation(
            "before_previous_stage",
            f"{day} is before the previous stage ({not_before})",
            hint="stages of a criminal case are dated in order",
        )


def _check_body(command: Open | StageCommand, allowed: frozenset[Agency] | set[Agency]) -> None:
    if command.deciding_body not in allowed:
        names = ", ".join(sorted(a.value for a in allowed))
        raise RuleViolation(
            "wrong_body",
            f"{command.deciding_body} does not decide this stage",
            hint=f"the deciding body is one of: {names}",
        )


# Solve, Prosecute and Try are the stage commands; imported for their STAGE names.
assert {Solve.STAGE, Prosecute.STAGE, Try.STAGE} == set(STAGES[1:])
