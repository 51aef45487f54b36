"""Application services (dịch vụ ứng dụng) over the one event store.

:class:`~infra.services.socai.Socai` composes them: a :class:`CaseService` (hồ sơ), a
:class:`FundingService` (kinh phí), an :class:`ActivityService` (hoạt động) and the
:class:`StoreEventLog` readers follow, all over one :class:`~infra.application.EventStore`,
so there is one notification log.
"""
