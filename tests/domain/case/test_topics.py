"""Stored events name explicit, stable topics. This list is a contract: changing a topic
string breaks every stored history, so the test fails until an upcaster or
``register_topic(old, cls)`` says how old events are read."""

from __future__ import annotations

from domain.case.aggregate import Case
from tests.domain.topics import registered_topics

CASE_TOPICS = {
    "socai.case:Case",
    "socai.case:Created",
    "socai.case:Received.v1",
    "socai.case:DemographicsRecorded.v1",
    "socai.case:TraffickingFormRecorded.v1",
    "socai.case:VerificationRequested.v1",
    "socai.case:VerificationConcluded.v1",
    "socai.case:Routed.v1",
    "socai.case:ProtectionRequested.v1",
    "socai.case:ProtectionApplied.v1",
    "socai.case:SupportProvided.v1",
    "socai.case:ShelterAdmitted.v1",
    "socai.case:ShelterDischarged.v1",
    "socai.case:Reintegrated.v1",
    "socai.case:Closed.v1",
    "socai.case:Reopened.v1",
    "socai.case:CorrectionRecorded.v1",
}


def test_every_case_class_has_its_registered_stable_topic() -> None:
    assert registered_topics(Case) == CASE_TOPICS
