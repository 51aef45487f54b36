"""The codes added for what the seeds name (docs/CODES.md) parse and label like every code."""

from __future__ import annotations

import pytest

from domain.reference.codes import Agency, LabelledEnum, RoutingDestination, SupportType


@pytest.mark.parametrize(
    ("code_list", "value", "label"),
    [
        (SupportType, "social_assistance", "Trợ giúp xã hội"),
        (SupportType, "child_protection_services", "Dịch vụ bảo vệ trẻ em"),
        (RoutingDestination, "victim_support_facility", "Cơ sở hỗ trợ nạn nhân"),
        (Agency, "court", "Tòa án nhân dân"),
    ],
)
def test_an_added_code_parses_and_carries_its_vietnamese_label(
    code_list: type[LabelledEnum], value: str, label: str
) -> None:
    member = code_list.parse(f"  {value.upper()} ", "field")
    assert member.value == value and member.label_vi == label


def test_a_case_records_the_added_support_and_it_counts_as_a_support() -> None:
    from tests.domain.case.test_case_rules import do, victim

    case = victim()
    do(case, "support", occurred_on="2019-03-05", support_type="child_protection_services",
       provider_agency="labour_social_affairs")  # fmt: skip
    do(case, "route", occurred_on="2019-03-06", destination="victim_support_facility")
    assert "child_protection_services" in case.status.support_types()
    assert case.status.stage == "supported"
