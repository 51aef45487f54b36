"""The programme's own code lists, as enums with Vietnamese labels.

Values are stable machine names stored in events: never rename a value; add a new one and map
the old one in an upcaster if the vocabulary changes.
"""

from __future__ import annotations

from enum import StrEnum

from domain.errors import InvalidInput


class LabelledEnum(StrEnum):
    """A ``StrEnum`` whose members carry a Vietnamese label (``label_vi``)."""

    label_vi: str

    def __new__(cls, value: str, label_vi: str) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_vi = label_vi
        return member

    @classmethod
    def parse(cls, value: object, field: str) -> LabelledEnum:
        """The member named ``value``, or an :class:`InvalidInput` listing the valid names."""
        wanted = str(value).strip().lower()
        for member in cls:
            if member.value == wanted:
                return member
        names = ", ".join(member.value for member in cls)
        raise InvalidInput(
            field, f"{value!r} is not one of the known values", hint=f"use one of: {names}"
        )


class Agency(LabelledEnum):
    """Agencies that act on a case (cơ quan, đơn vị)."""

    BORDER_GUARD = "border_guard", "Bộ đội Biên phòng"
    POLICE = "police", "Công an"
    SOCIAL_ASSISTANCE_FACILITY = "social_assistance_facility", "Cơ sở trợ giúp xã hội"
    VICTIM_SUPPORT_FACILITY = "victim_support_facility", "Cơ sở hỗ trợ nạn nhân"
    COMMUNE_COMMITTEE = "commune_committee", "Ủy ban nhân dân cấp xã"
    LABOUR_SOCIAL_AFFAIRS = "labour_social_affairs", "Lao động - Thương binh và Xã hội"
    HEALTH_DEPARTMENT = "health_department", "Sở Y tế"
    WOMENS_UNION = "womens_union", "Hội Liên hiệp Phụ nữ"
    SOCIAL_POLICY_BANK = "social_policy_bank", "Ngân hàng Chính sách xã hội"
    LEGAL_AID_CENTRE = "legal_aid_centre", "Trung tâm Trợ giúp pháp lý"
    PROCURACY = "procuracy", "Viện kiểm sát"
    COURT = "court", "Tòa án nhân dân"
    FOREIGN_AFFAIRS = "foreign_affairs", "Cơ quan ngoại vụ"


class ReceptionForm(LabelledEnum):
    """How the person came to be received (hình thức tiếp nhận)."""

    SELF_RETURNED = "self_returned", "Tự trở về"
    RESCUED = "rescued", "Được giải cứu"
    BILATERAL_HANDOVER = "bilateral_handover", "Trao trả song phương"


class VerificationOutcome(LabelledEnum):
    """The result of verification / identification (kết quả xác minh, xác định)."""

    VICTIM = "victim", "Là nạn nhân"
    NOT_VICTIM = "not_victim", "Không phải nạn nhân"
    SUSPECTED_VICTIM = "suspected_victim", "Người nghi là nạn nhân"


class RoutingDestination(LabelledEnum):
    """Where a person is sent after classification (chuyển giao, chuyển tuyến)."""

    PROSECUTION = "prosecution", "Chuyển cơ quan điều tra / Viện kiểm sát"
    TREATMENT_CENTRE = "treatment_centre", "Trung tâm chữa bệnh - giáo dục - lao động xã hội"
    SOCIAL_PROTECTION_CENTRE = "social_protection_centre", "Trung tâm bảo trợ xã hội"
    RETURNED_HOME = "returned_home", "Đưa về nơi cư trú"
    VICTIM_SUPPORT_FACILITY = "victim_support_facility", "Cơ sở hỗ trợ nạn nhân"


class SupportType(LabelledEnum):
    """Kinds of support (các chế độ hỗ trợ). Shelter is recorded as admission/discharge."""

    ESSENTIAL_NEEDS = "essential_needs", "Hỗ trợ nhu cầu thiết yếu và chi phí đi lại"
    MEDICAL_CARE = "medical_care", "Chăm sóc y tế"
    PSYCHOLOGICAL_COUNSELLING = "psychological_counselling", "Tư vấn tâm lý"
    LEGAL_AID = "legal_aid", "Trợ giúp pháp lý"
    SCHOOLING = "schooling", "Hỗ trợ học văn hóa"
    VOCATIONAL_TRAINING = "vocational_training", "Hỗ trợ học nghề"
    JOB_FINDING = "job_finding", "Hỗ trợ tìm việc làm"
    LOAN = "loan", "Hỗ trợ vay vốn"
    HARDSHIP_ALLOWANCE = "hardship_allowance", "Trợ cấp khó khăn ban đầu"
    IDENTITY_PAPERS = "identity_papers", "Hỗ trợ làm giấy tờ tùy thân"
    HEALTH_INSURANCE = "health_insurance", "Hỗ trợ bảo hiểm y tế"
    SOCIAL_ASSISTANCE = "social_assistance", "Trợ giúp xã hội"
    CHILD_PROTECTION_SERVICES = "child_protection_services", "Dịch vụ bảo vệ trẻ em"

    @property
    def requires_amount(self) -> bool:
        """Loans and the initial hardship allowance are reported with their amounts."""
        return self in (SupportType.LOAN, SupportType.HARDSHIP_ALLOWANCE)


class Sex(LabelledEnum):
    MALE = "male", "Nam"
    FEMALE = "female", "Nữ"


class Ethnicity(LabelledEnum):
    KINH = "kinh", "Kinh"
    OTHER = "other", "Dân tộc khác"


class TraffickingScope(LabelledEnum):
    """Trafficked within Viet Nam or abroad (mua bán trong nước / ra nước ngoài)."""

    DOMESTIC = "domestic", "Bị mua bán trong nước"
    ABROAD = "abroad", "Bị mua bán ra nước ngoài"


class ProtectedPerson(LabelledEnum):
    """Protection covers the victim and their relatives (người thân thích)."""

    VICTIM = "victim", "Nạn nhân"
    RELATIVE = "relative", "Người thân thích"


class ProtectionRequestSource(LabelledEnum):
    """Who established that a person needs protection (đề nghị / đánh giá nhu cầu bảo vệ): the
    victim or a relative asked for it, or the competent agency found a threat to them. A code
    list, like the measures: the request's circumstances stay in the case file."""

    VICTIM_REQUEST = "victim_request", "Nạn nhân đề nghị"
    RELATIVE_REQUEST = "relative_request", "Người thân thích đề nghị"
    AGENCY_ASSESSMENT = "agency_assessment", "Cơ quan có thẩm quyền xác định có nguy cơ"


class Relationship(LabelledEnum):
    """Quan hệ với nạn nhân: how a protected relative (người thân thích) is related to the
    victim. Relatives are named by relationship only, never by name, outside the encrypted
    personal data; a code list, so that nothing typed here can carry a name or a number."""

    MOTHER = "mother", "Mẹ"
    FATHER = "father", "Bố"
    CHILD = "child", "Con"
    SPOUSE = "spouse", "Vợ hoặc chồng"
    SIBLING = "sibling", "Anh, chị, em ruột"
    GRANDPARENT = "grandparent", "Ông, bà"
    GRANDCHILD = "grandchild", "Cháu"
    GUARDIAN = "guardian", "Người giám hộ"
    OTHER_RELATIVE = "other_relative", "Người thân thích khác"


class ProtectionMeasure(LabelledEnum):
    """Protection measures (biện pháp bảo vệ) for victims and their relatives. A code list,
    not free text: what leaves the core must never be able to carry a name."""

    CONFIDENTIALITY = "confidentiality", "Giữ bí mật thông tin"
    SAFE_ACCOMMODATION = "safe_accommodation", "Bố trí nơi tạm lánh, giữ bí mật nơi ở"
    PERSONAL_SAFETY = "personal_safety", "Bảo vệ an toàn tính mạng, sức khỏe"
    ESCORT = "escort", "Bảo vệ khi di chuyển, hộ tống"
    DIGNITY_AND_PROPERTY = "dignity_and_property", "Bảo vệ danh dự, nhân phẩm, tài sản"


class AgeBand(LabelledEnum):
    """Age band when no birth year is known (the form nests under 16 ⊂ under 18)."""

    UNDER_16 = "under_16", "Dưới 16 tuổi"
    FROM_16_TO_17 = "16_17", "Từ 16 đến dưới 18 tuổi"
    ADULT = "adult", "Từ 18 tuổi trở lên"


class ClosureReason(LabelledEnum):
    """Why a managed file (hồ sơ quản lý) is closed."""

    REINTEGRATED = "reintegrated", "Đã hòa nhập cộng đồng"
    NOT_A_VICTIM = "not_a_victim", "Không phải nạn nhân"
    TRANSFERRED = "transferred", "Chuyển địa bàn quản lý"
    DECEASED = "deceased", "Đã chết"
    LOST_CONTACT = "lost_contact", "Mất liên lạc"
    DECLINED_SUPPORT = "declined_support", "Từ chối hỗ trợ"
