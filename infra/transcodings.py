"""How domain value types are written into stored events (JSON inside the AES envelope)."""

from __future__ import annotations

from datetime import date

from eventsourcing.persistence import Transcoding

from domain.case.values import PersonalData


class DateAsISO(Transcoding):
    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class PersonalDataAsDict(Transcoding):
    """Personal data goes into the (encrypted) event state as a plain object."""

    type = PersonalData
    name = "personal_data"

    def encode(self, obj: PersonalData) -> dict[str, str | None]:
        return obj.as_dict()

    def decode(self, data: dict[str, str | None]) -> PersonalData:
        return PersonalData(**data)


ALL = (DateAsISO, PersonalDataAsDict)
