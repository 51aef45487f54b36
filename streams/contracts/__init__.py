"""Public event contracts: what leaves the core, in which shape, under which JSON Schema.

A contract maps one internal event type (by its stored TOPIC) to one public CloudEvents type.
Only fields a contract names leave; an internal event type without a contract never leaves.
Victims' identifying data (họ tên, số định danh, địa chỉ, số điện thoại) has no public field.
"""

from streams.contracts.model import Contract, FieldSpec, PublicMessage
from streams.contracts.registry import (
    CONTRACTS,
    contract_for_internal,
    contract_for_type,
    to_public,
)

__all__ = [
    "CONTRACTS",
    "Contract",
    "FieldSpec",
    "PublicMessage",
    "contract_for_internal",
    "contract_for_type",
    "to_public",
]
