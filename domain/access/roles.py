"""Roles (vai trò) and purpose codes (mã mục đích xử lý).

A role says what kind of work a user does; a grant pairs a role with a scope (phạm vi: the
whole country, a province or a commune) and the decision that assigned it (căn cứ phân công).
What each role may do is written once, in :mod:`domain.access.policy`.

A purpose code says why personal data is read (Law 91/2025/QH15 on personal data protection:
processing is limited to a stated purpose). Reading a person's data without one is refused.
"""

from __future__ import annotations

from domain.reference.codes import LabelledEnum


class Role(LabelledEnum):
    """The roles of the programme. Stored by value in grant events: never rename a value."""

    CASE_OFFICER = "case_officer", "Cán bộ quản lý hồ sơ"
    SUPERVISOR = "supervisor", "Lãnh đạo phê duyệt"
    INSPECTOR = "inspector", "Thanh tra"
    FINANCE_OFFICER = "finance_officer", "Cán bộ tài chính"
    STATISTICIAN = "statistician", "Cán bộ thống kê"
    DATA_PROTECTION_OFFICER = "data_protection_officer", "Cán bộ bảo vệ dữ liệu cá nhân"
    ADMINISTRATOR = "administrator", "Quản trị người dùng"
    STREAM_SERVICE = "stream_service", "Tài khoản dịch vụ (relay, worker)"


class Purpose(LabelledEnum):
    """Why a person's data is read (mục đích). Stored in access-log events by value."""

    CASE_MANAGEMENT = "case_management", "Quản lý hồ sơ, liên hệ nạn nhân"
    SUPPORT_DELIVERY = "support_delivery", "Thực hiện chế độ hỗ trợ"
    PROTECTION = "protection", "Bảo vệ nạn nhân, người thân"
    VERIFICATION = "verification", "Xác minh, xác định nạn nhân"
    LEGAL_PROCEEDINGS = "legal_proceedings", "Tố tụng, trợ giúp pháp lý"
    CORRECTION = "correction", "Đính chính thông tin"
    SUBJECT_REQUEST = "subject_request", "Yêu cầu của chủ thể dữ liệu"


class ErasureReason(LabelledEnum):
    """Why a person's data is erased (lý do xóa dữ liệu cá nhân, Law 91/2025/QH15): the
    ground the decision names. Stored in the erasure event by value."""

    SUBJECT_REQUEST = "subject_request", "Theo yêu cầu của chủ thể dữ liệu"
    CONSENT_WITHDRAWN = "consent_withdrawn", "Chủ thể dữ liệu rút lại sự đồng ý"
    PURPOSE_ENDED = "purpose_ended", "Đã hoàn thành mục đích xử lý"
    RETENTION_EXPIRED = "retention_expired", "Hết thời hạn lưu trữ"
    UNLAWFUL_PROCESSING = "unlawful_processing", "Xử lý dữ liệu không đúng quy định"
    AUTHORITY_ORDER = "authority_order", "Theo yêu cầu của cơ quan có thẩm quyền"
