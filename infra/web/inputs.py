"""What a page's form fields mean (đầu vào): ids, dates, record times and units, each
refused with what is wrong and how to write it (nothing is done with a refused input)."""

from __future__ import annotations

import re
from datetime import date, datetime
from uuid import UUID

from domain.access.policy import Action, roles_allowed
from domain.access.principal import Principal
from domain.case.values import parse_case_id
from domain.errors import InvalidInput
from domain.reference.units import NATIONAL_CODE, AdminMap
from domain.time import parse_date, parse_instant
from infra.cli.unit_option import chosen_unit

_ID_PREFIX = re.compile(r"[0-9a-fA-F-]{1,36}")


def case_id(text: str) -> UUID:
    return parse_case_id(text, "case id", hint="open the case from the case list")


def id_prefix(text: str | None) -> str | None:
    if text is None:
        return None
    if not _ID_PREFIX.fullmatch(text):
        raise InvalidInput(
            "case id", f"{text!r} is not the beginning of a case id",
            hint="case ids are hexadecimal digits and dashes; search by name is not offered",
        )  # fmt: skip
    return text


def day(text: str | None, field: str) -> date | None:
    return None if text is None else parse_date(text, field)


def moment(text: str | None, field: str) -> datetime | None:
    """A record time from a ``datetime-local`` field (Viet Nam time), or ISO with an offset;
    a date alone is the end of that day in Viet Nam."""
    return None if text is None else parse_instant(text, field, local=True)


def unit(text: str | None, principal: Principal, action: Action, national_map: AdminMap
         ) -> tuple[AdminMap, str]:  # fmt: skip
    """The unit a report or list is about: as written, else the scope of the user's first
    grant that allows ``action`` (the nation for a national grant)."""
    if text is None:
        grant = next((g for g in principal.grants if g.role in roles_allowed(action)), None)
        if grant is None or grant.scope.is_national:
            return national_map, NATIONAL_CODE
        return AdminMap(grant.scope.map), grant.scope.code
    return chosen_unit(text, None, national_map)
