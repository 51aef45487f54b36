"""The composition root (gốc lắp ráp): one event store and the services over it.

:class:`Socai` opens the store once and hands the same store and log to every service, so
cases, programmes, activities and criminal proceedings land in one notification log. Readers
(the projection runner, the Kafka relay) take :attr:`Socai.log`, the
:class:`~projections.eventlog.EventLog` port; writers call a service.
"""

from __future__ import annotations

from datetime import datetime
from types import TracebackType

from domain.time import utc_now
from infra.application import Clock, EventStore
from infra.auth.passwords import Passwords
from infra.services.access import AccessService
from infra.services.access_log import AccessLogService
from infra.services.activities import ActivityService
from infra.services.cases import CaseService
from infra.services.eventlog import StoreEventLog
from infra.services.funding import FundingService
from infra.services.privacy import PrivacyService
from infra.services.proceedings import ProceedingsService
from infra.services.retention import RetentionService
from infra.services.subject_access import SubjectAccessService
from infra.settings import Settings


class Socai:
    """socai on one store: ``access``, ``cases``, ``funding``, ``activities``, ``proceedings``
    (criminal cases), ``privacy`` (erasure of a person's data), ``subject_access`` (a
    person's own file), ``retention``, the ``access_log`` and the ``log``."""

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock = utc_now,
        extra_env: dict[str, str] | None = None,
        passwords: Passwords | None = None,
    ) -> None:
        self.settings = settings
        self.store = EventStore(settings, clock=clock, extra_env=extra_env)
        self.log = StoreEventLog(self.store)
        self.access = AccessService(self.store, self.log, passwords)
        self.cases = CaseService(self.store, self.log, self.access)
        self.funding = FundingService(self.store, self.log, self.cases)
        self.activities = ActivityService(self.store, self.access)
        self.access_log = AccessLogService(self.access, self.cases)
        self.proceedings = ProceedingsService(self.store, self.cases)
        self.privacy = PrivacyService(self.store, self.access, self.cases)
        self.subject_access = SubjectAccessService(self.access, self.cases, self.privacy)
        self.retention = RetentionService(self.store, self.access, self.cases, self.privacy)

    def now(self) -> datetime:
        """The store's record time now (timezone-aware)."""
        return self.store.now()

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Socai:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
