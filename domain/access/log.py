"""The access log (nhật ký truy cập): who read whose data, who exported what, who was refused.

Each entry is a one-event :class:`AccessRecord` in the same store and hash chain as the cases
(each entry its own aggregate, so readers never contend). An entry names the user, the case (by
its pseudonymous id), the *names* of the fields read, the purpose code and the record time — and
never the data itself: no value read, no value typed into a correction, no free text a refused
user typed. Entries are written before the data is handed out, so a read that is not logged
does not happen.

Topics are explicit and stable: ``socai.access:<Name>.v1``.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.aggregate import SocaiAggregate


class AccessEvent(Aggregate.Created):
    """Base of access-log events (not stored itself): each entry is one creating event, of
    one of the kinds below, and names its user."""

    TOPIC: ClassVar[str]
    username: str


class AccessRecord(SocaiAggregate, created_topic="socai.access:AccessRecordCreated"):
    """One entry of the access log."""

    TOPIC = "socai.access:AccessRecord"

    class PersonalDataRead(AccessEvent):
        """Personal fields of a case were decrypted and shown (đọc dữ liệu cá nhân)."""

        TOPIC = "socai.access:PersonalDataRead.v1"
        case_id: UUID
        fields: list[str]
        purpose: str

    class PersonalCorrectionAttempted(AccessEvent):
        """A correction of a personal field was asked for; ``outcome`` is ``recorded`` or the
        refusal's code. The values typed are not kept here."""

        TOPIC = "socai.access:PersonalCorrectionAttempted.v1"
        case_id: UUID
        fields: list[str]
        purpose: str
        outcome: str

    class DataExported(AccessEvent):
        """A report or extract left the system as a file (xuất dữ liệu)."""

        TOPIC = "socai.access:DataExported.v1"
        what: str
        scope: str
        format: str

    class PersonalDataErased(AccessEvent):
        """A person's data key was destroyed (xóa dữ liệu cá nhân): ``subject`` is
        ``victim`` or ``relative:N``, ``basis`` the decision executed (a document code),
        ``reason`` its ground. Holds no personal data. One per person: its id follows from
        the case and the subject (:func:`erasure_id`), so a second erasure cannot be stored."""

        TOPIC = "socai.access:PersonalDataErased.v1"
        case_id: UUID
        subject: str
        basis: str
        reason: str

    class RedactionAuthorised(AccessEvent):
        """The erasure ``erasure_id`` authorises the redaction (xóa dữ liệu trong sự kiện) of
        the event at log ``position``, whose original leaf hash is ``leaf_hash`` (hex), by
        the redacted copy whose stored bytes hash (SHA-256) to ``redacted_state`` (hex).
        Recorded before any stored state is rewritten (with the erasure, or when an
        interrupted erasure is completed); its id is :func:`redaction_authorisation_id` of
        these four values, so that an inspector without the store key can check, from
        plaintext columns and the stored bytes alone, which positions an erasure redacted and
        that each holds exactly the copy it wrote (docs/PRIVACY.md). Holds no personal data."""

        TOPIC = "socai.access:RedactionAuthorised.v1"
        case_id: UUID
        erasure_id: UUID
        position: int
        leaf_hash: str
        redacted_state: str

    class AccessRefused(AccessEvent):
        """An action was refused by the policy; ``target`` is a case id, unit or name."""

        TOPIC = "socai.access:AccessRefused.v1"
        action: str
        target: str
        needed: str

    def __init__(self, username: str, **_fields: object) -> None:
        self.username = username

    @classmethod
    def personal_data_read(
        cls,
        entry_id: UUID,
        username: str,
        case_id: UUID,
        fields: list[str],
        purpose: str,
        at: datetime,
    ) -> AccessRecord:
        return cls._create(
            cls.PersonalDataRead, id=entry_id, timestamp=at, username=username,
            case_id=case_id, fields=sorted(fields), purpose=purpose,
        )  # fmt: skip

    @classmethod
    def correction_attempted(
        cls,
        entry_id: UUID,
        username: str,
        case_id: UUID,
        fields: list[str],
        outcome: str,
        at: datetime,
    ) -> AccessRecord:
        return cls._create(
            cls.PersonalCorrectionAttempted, id=entry_id, timestamp=at, username=username,
            case_id=case_id, fields=sorted(fields), purpose="correction", outcome=outcome,
        )  # fmt: skip

    @classmethod
    def exported(
        cls, entry_id: UUID, username: str, what: str, scope: str, fmt: str, at: datetime
    ) -> AccessRecord:
        return cls._create(
            cls.DataExported, id=entry_id, timestamp=at, username=username,
            what=what, scope=scope, format=fmt,
        )  # fmt: skip

    @classmethod
    def erased(
        cls, username: str, case_id: UUID, subject: str, basis: str, reason: str, at: datetime
    ) -> AccessRecord:
        return cls._create(
            cls.PersonalDataErased, id=erasure_id(case_id, subject), timestamp=at,
            username=username, case_id=case_id, subject=subject, basis=basis, reason=reason,
        )  # fmt: skip

    @classmethod
    def redaction_authorised(
        cls,
        username: str,
        case_id: UUID,
        erasure: UUID,
        position: int,
        leaf_hash_hex: str,
        redacted_state_hex: str,
        at: datetime,
    ) -> AccessRecord:
        return cls._create(
            cls.RedactionAuthorised,
            id=redaction_authorisation_id(erasure, position, leaf_hash_hex, redacted_state_hex),
            timestamp=at, username=username, case_id=case_id, erasure_id=erasure,
            position=position, leaf_hash=leaf_hash_hex, redacted_state=redacted_state_hex,
        )  # fmt: skip

    @classmethod
    def refused(
        cls, entry_id: UUID, username: str, action: str, target: str, needed: str, at: datetime
    ) -> AccessRecord:
        return cls._create(
            cls.AccessRefused, id=entry_id, timestamp=at, username=username,
            action=action, target=target, needed=needed,
        )  # fmt: skip


#: Names the erasure entries: one id per (case, subject).
ERASURE_NAMESPACE = UUID("6f1d2a4e-3c1b-5e8f-9a07-2b4c6d8e0f13")


def erasure_id(case_id: UUID, subject: str) -> UUID:
    """The id of the erasure of ``subject``'s data in case ``case_id``."""
    return uuid5(ERASURE_NAMESPACE, f"{case_id}/{subject}")


#: Names the redaction authorisations: one id per (erasure, position, original leaf hash,
#: redacted copy).
REDACTION_NAMESPACE = UUID("b3e7c1d2-8a45-5f60-9c1e-4d2a7b6f0e85")


def redaction_authorisation_id(
    erasure: UUID, position: int, leaf_hash_hex: str, redacted_state_hex: str
) -> UUID:
    """The id of the authorisation, by the erasure ``erasure``, of the redaction of the event
    at ``position`` whose original leaf hash is ``leaf_hash_hex``, by the copy whose stored
    bytes hash to ``redacted_state_hex``: the ledger computes the same id
    (:class:`infra.ledger.redactions.ErasureAuthority`) to bind a redaction to its erasure."""
    return uuid5(REDACTION_NAMESPACE, f"{erasure}/{position}/{leaf_hash_hex}/{redacted_state_hex}")


#: Every access-log event's stored topic.
#: Every topic of the users' and the access log's events starts with this: none is public.
ACCESS_TOPIC_PREFIX = "socai.access:"

ACCESS_TOPICS: tuple[str, ...] = (
    AccessRecord.PersonalDataRead.TOPIC,
    AccessRecord.PersonalCorrectionAttempted.TOPIC,
    AccessRecord.DataExported.TOPIC,
    AccessRecord.PersonalDataErased.TOPIC,
    AccessRecord.RedactionAuthorised.TOPIC,
    AccessRecord.AccessRefused.TOPIC,
)

assert all(topic.startswith(ACCESS_TOPIC_PREFIX) for topic in ACCESS_TOPICS)
