"""The registry of event specs: type, version, topic, schema, summary and golden example."""
from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema

from shared.events.catalogue.schemas import (
    TOPIC_APPLICATIONS,
    TOPIC_IDENTITY,
    TOPIC_PRIVACY,
    TOPIC_PUBLISHING,
    TOPIC_SELECTION,
    TOPIC_WORKSHOPS,
    AccessRevokedV1,
    ApplicationNotSelectedV1,
    ApplicationSelectedV1,
    ApplicationSubmittedV1,
    ApplicationUpdatedV1,
    ApplicationWithdrawnV1,
    CallClosedV1,
    CallDeadlinesChangedV1,
    CallOpenedV1,
    ClientRegisteredV1,
    DecisionAmendedV1,
    NewsletterSentV1,
    OrganisationRegisteredV1,
    PersonalDataErasedV1,
    PersonalDataErasureRequestedV1,
    PersonRegisteredV1,
    PlaceVacatedV1,
    ResultsPublishedV1,
    SelectionCompletedV1,
    SelectionCompletedV2,
    WorkshopCancelledV1,
    WorkshopCompletedV1,
    WorkshopPlannedV1,
    WorkshopRescheduledV1,
    WorkshopScheduledV1,
)


# --- the registry --------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventSpec:
    type: str
    version: int
    topic: str
    schema: builtins.type[Schema]  # `type` alone names the field above
    summary: str
    example: dict[str, Any]
    subject_field: str


_A = "c0a8e2f4-3b1d-4e5f-9a6b-7c8d9e0f1a2b"
_APP = "5f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
_WS = "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b"
_ORG = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"
_PERSON = "1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e"
_MUN = {"ags": "05370040", "name": "Wassenberg", "population": 18500, "size_class": "small"}

SPECS: tuple[EventSpec, ...] = (
    EventSpec("CallOpened", 1, TOPIC_APPLICATIONS, CallOpenedV1, "A call for expressions of interest opened.",
              {"call_id": _A, "title": "Netzwerk vor Ort 2018", "topic": "Smart City",
               "opens_at": "2018-04-02T08:00:00+00:00", "closes_at": "2018-05-31T22:00:00+00:00",
               "places": 3, "workshops_per_place": 2}, "call_id"),
    EventSpec("CallClosed", 1, TOPIC_APPLICATIONS, CallClosedV1, "A call closed; review may begin.",
              {"call_id": _A, "title": "Netzwerk vor Ort 2018", "topic": "Smart City",
               "closed_at": "2018-05-31T22:00:00+00:00", "places": 3, "workshops_per_place": 2,
               "applications": 11}, "call_id"),
    EventSpec("CallDeadlinesChanged", 1, TOPIC_APPLICATIONS, CallDeadlinesChangedV1,
              "The office corrected or extended a call's opening or closing time while it was a draft or open.",
              {"call_id": _A, "status": "open", "opens_at": "2018-04-02T08:00:00+00:00",
               "closes_at": "2018-06-08T22:00:00+00:00", "previous_opens_at": "2018-04-02T08:00:00+00:00",
               "previous_closes_at": "2018-05-31T22:00:00+00:00", "changed_at": "2018-05-28T09:00:00+00:00",
               "changed_by": "staff:erika.office"}, "call_id"),
    EventSpec("ApplicationSubmitted", 1, TOPIC_APPLICATIONS, ApplicationSubmittedV1,
              "A municipality submitted its expression of interest.",
              {"application_id": _APP, "call_id": _A, "municipality": _MUN, "size_class": "small",
               "focus_areas": ["mobility", "participation"], "statement": "Smart-City-Strategie mit Innenstadt",
               "partners": ["Stadtwerke"], "submitted_at": "2018-05-02T10:00:00+00:00"}, "application_id"),
    EventSpec("ApplicationUpdated", 1, TOPIC_APPLICATIONS, ApplicationUpdatedV1,
              "An application changed while its call was open; carries the whole new state.",
              {"application_id": _APP, "call_id": _A, "municipality": _MUN, "size_class": "small",
               "focus_areas": ["mobility"], "statement": "Überarbeitete Fassung", "partners": [],
               "submitted_at": "2018-05-02T10:00:00+00:00", "updated_at": "2018-05-03T10:00:00+00:00",
               "changed_fields": ["statement", "focus_areas", "partners"]}, "application_id"),
    EventSpec("ApplicationWithdrawn", 1, TOPIC_APPLICATIONS, ApplicationWithdrawnV1,
              "A municipality withdrew its application; it is no candidate any more.",
              {"application_id": _APP, "call_id": _A, "ags": "05370040",
               "withdrawn_at": "2018-05-04T10:00:00+00:00"}, "application_id"),
    EventSpec("ApplicationSelected", 1, TOPIC_SELECTION, ApplicationSelectedV1,
              "The steering group selected this application for a place.",
              {"call_id": _A, "application_id": _APP, "municipality": _MUN, "rank": 2, "score": 4.2,
               "workshops_per_place": 2, "decided_at": "2018-06-15T12:00:00+00:00"}, "application_id"),
    EventSpec("ApplicationNotSelected", 1, TOPIC_SELECTION, ApplicationNotSelectedV1,
              "The steering group did not select this application; it may attend the workshops.",
              {"call_id": _A, "application_id": _APP, "municipality": _MUN, "rank": 5, "score": 3.1,
               "may_attend_workshops": True, "decided_at": "2018-06-15T12:00:00+00:00"}, "application_id"),
    EventSpec("SelectionCompleted", 1, TOPIC_SELECTION, SelectionCompletedV1,
              "The decision on a call is final; carries the ranking summary.",
              {"call_id": _A, "call_title": "Netzwerk vor Ort 2018", "topic": "Smart City", "places": 3,
               "selected": [_APP],
               "ranking": [{"application_id": _APP, "ags": "05370040", "name": "Wassenberg",
                            "size_class": "small", "rank": 1, "score": 4.2, "reviews": 7, "selected": True}],
               "rationale": "Je eine Klein-, Mittel- und Großstadt mit tragfähigem Konzept.",
               "deviation_reason": None, "decided_at": "2018-06-15T12:00:00+00:00"}, "call_id"),
    EventSpec("SelectionCompleted", 2, TOPIC_SELECTION, SelectionCompletedV2,
              "The decision on a call is final; names the applicants in rank order, without their scores.",
              {"call_id": _A, "call_title": "Netzwerk vor Ort 2018", "topic": "Smart City", "places": 3,
               "selected": [_APP],
               "ranking": [{"application_id": _APP, "ags": "05370040", "name": "Wassenberg",
                            "size_class": "small", "rank": 1, "selected": True}],
               "rationale": "Je eine Klein-, Mittel- und Großstadt mit tragfähigem Konzept.",
               "deviation_reason": None, "decided_at": "2018-06-15T12:00:00+00:00"}, "call_id"),
    EventSpec("PlaceVacated", 1, TOPIC_SELECTION, PlaceVacatedV1,
              "A selected municipality withdrew after the decision; its place is vacant.",
              {"call_id": _A, "application_id": _APP, "municipality": _MUN, "reason": "withdrawn",
               "vacated_at": "2018-07-02T09:00:00+00:00"}, "application_id"),
    EventSpec("DecisionAmended", 1, TOPIC_SELECTION, DecisionAmendedV1,
              "The steering group named a successor for a vacated place; the selection as it now stands.",
              {"call_id": _A, "amendment_id": "7b6a5f4e-3d2c-4b1a-9f8e-7d6c5b4a3f2e", "vacated": _MUN,
               "vacated_application_id": _APP,
               "successor": {"ags": "05970004", "name": "Bad Berleburg", "population": 19400, "size_class": "small"},
               "successor_application_id": "6e5d4c3b-2a1f-4e0d-9c8b-7a6f5e4d3c2b",
               "selected": ["6e5d4c3b-2a1f-4e0d-9c8b-7a6f5e4d3c2b"], "selected_municipalities": ["Bad Berleburg"],
               "rationale": "Wassenberg hat zurückgezogen; Bad Berleburg ist die bestplatzierte Kleinstadt.",
               "deviation_reason": None, "decided_at": "2018-07-10T12:00:00+00:00"}, "call_id"),
    EventSpec("WorkshopPlanned", 1, TOPIC_WORKSHOPS, WorkshopPlannedV1,
              "A strategy workshop was planned for a selected municipality.",
              {"workshop_id": _WS, "call_id": _A, "application_id": _APP, "municipality": _MUN,
               "sequence": 1}, "workshop_id"),
    EventSpec("WorkshopScheduled", 1, TOPIC_WORKSHOPS, WorkshopScheduledV1,
              "A workshop got its date and venue for the first time.",
              {"workshop_id": _WS, "call_id": _A, "municipality": _MUN, "sequence": 1,
               "starts_at": "2018-09-20T07:00:00+00:00", "ends_at": "2018-09-20T14:00:00+00:00",
               "venue": "Rathaus Wassenberg", "capacity": 40,
               "registration_opens_at": "2018-08-01T07:00:00+00:00",
               "registration_closes_at": "2018-09-18T22:00:00+00:00"}, "workshop_id"),
    EventSpec("WorkshopRescheduled", 1, TOPIC_WORKSHOPS, WorkshopRescheduledV1,
              "A scheduled workshop changed its date, venue or capacity.",
              {"workshop_id": _WS, "call_id": _A, "municipality": _MUN, "sequence": 1,
               "starts_at": "2018-09-27T07:00:00+00:00", "ends_at": "2018-09-27T14:00:00+00:00",
               "venue": "Rathaus Wassenberg", "capacity": 50,
               "registration_opens_at": "2018-08-01T07:00:00+00:00",
               "registration_closes_at": "2018-09-25T22:00:00+00:00"}, "workshop_id"),
    EventSpec("WorkshopCancelled", 1, TOPIC_WORKSHOPS, WorkshopCancelledV1, "A workshop was cancelled.",
              {"workshop_id": _WS, "call_id": _A, "reason": "Raum nicht verfügbar",
               "cancelled_at": "2018-09-01T07:00:00+00:00", "application_id": _APP, "municipality": _MUN,
               "sequence": 1, "starts_at": "2018-09-20T07:00:00+00:00",
               "registration_ids": ["2c1b0a9f-8e7d-4c6b-9a5f-4e3d2c1b0a9f"]}, "workshop_id"),
    EventSpec("WorkshopCompleted", 1, TOPIC_WORKSHOPS, WorkshopCompletedV1,
              "A workshop took place; carries its results and attendance by type, no personal data.",
              {"workshop_id": _WS, "call_id": _A, "application_id": _APP, "municipality": _MUN, "sequence": 1,
               "starts_at": "2018-09-20T07:00:00+00:00", "ends_at": "2018-09-20T14:00:00+00:00",
               "summary": "Leitbild für die digitale Innenstadt erarbeitet.",
               "solution_approaches": [{"title": "Mobilitätsstationen", "description": "Sharing am Markt",
                                        "field_of_action": "mobility"}],
               "documents": [{"title": "Protokoll", "url": "https://example.org/protokoll.pdf"}],
               "attendance": {"steering_partner": 5, "local_actor": 12, "municipality": 3},
               "participant_organisations": ["Stadtwerke Wassenberg"],
               "completed_at": "2018-09-21T07:00:00+00:00"}, "workshop_id"),
    EventSpec("PersonalDataErasureRequested", 1, TOPIC_PRIVACY, PersonalDataErasureRequestedV1,
              "The office asked every service to erase one person's data (identified by the SHA-256 of the "
              "lower-cased e-mail address).",
              {"request_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a",
               "email_sha256": "4f6e0cbdbb1a66b8d1f5c85f7fbcb4c5b0a8f2a9f0f0e2c7c3c5e0a1b2c3d4e5",
               "requested_at": "2026-11-26T09:00:00+00:00", "requested_by": "staff:datenschutz"}, "request_id"),
    EventSpec("PersonalDataErased", 1, TOPIC_PRIVACY, PersonalDataErasedV1,
              "A service erased or anonymised the records of an erasure request; an audit fact without the data.",
              {"request_id": "3c2b1a09-8f7e-4d6c-9b5a-4f3e2d1c0b9a", "service": "applications", "records": 1,
               "erased_at": "2026-11-26T09:00:01+00:00"}, "request_id"),
    EventSpec("OrganisationRegistered", 1, TOPIC_IDENTITY, OrganisationRegisteredV1,
              "The office registered an organisation (a municipality, a steering-group institution, a partner).",
              {"organisation_id": _ORG, "kind": "municipality", "ags": "05370040",
               "registered_at": "2026-11-29T09:00:00+00:00"}, "organisation_id"),
    EventSpec("PersonRegistered", 1, TOPIC_IDENTITY, PersonRegisteredV1,
              "The office registered a person who acts for an organisation (no name, no address).",
              {"person_id": _PERSON, "organisation_id": _ORG, "role": "municipality", "subject": _PERSON,
               "ags": "05370040", "panel_call_ids": [], "registered_at": "2026-11-29T09:01:00+00:00"}, "person_id"),
    EventSpec("ClientRegistered", 1, TOPIC_IDENTITY, ClientRegisteredV1,
              "The office created an API client for a partner system.",
              {"client_id": "vc_Wassenberg0123456789", "organisation_id": _ORG, "person_id": None,
               "role": "municipality", "subject": "municipality:05370040", "ags": "05370040",
               "scopes": ["applications:read", "applications:write"], "auth_method": "client_secret_basic",
               "expires_at": None, "registered_at": "2026-11-29T09:02:00+00:00"}, "client_id"),
    EventSpec("AccessRevoked", 1, TOPIC_IDENTITY, AccessRevokedV1,
              "A client or a person lost access; every service denies its tokens from now on.",
              {"kind": "client", "id": "vc_Wassenberg0123456789", "client_id": "vc_Wassenberg0123456789",
               "subject": None, "revoked_at": "2026-11-29T10:00:00+00:00"}, "id"),
    EventSpec("ResultsPublished", 1, TOPIC_PUBLISHING, ResultsPublishedV1,
              "Results were published to the members of the network.",
              {"publication_id": "0d9c8b7a-6f5e-4d3c-9b2a-1f0e9d8c7b6a", "kind": "workshop_result",
               "source_id": _WS, "title": "Ergebnisse der 1. Strategiewerkstatt in Wassenberg",
               "url": "http://127.0.0.1:8004/results/0d9c8b7a-6f5e-4d3c-9b2a-1f0e9d8c7b6a",
               "published_at": "2018-09-25T07:00:00+00:00"}, "publication_id"),
    EventSpec("NewsletterSent", 1, TOPIC_PUBLISHING, NewsletterSentV1,
              "Sending a newsletter to its segment finished; `sent` and `failed` count the deliveries "
              "(with failures the newsletter's status is partly_failed, or failed when none was sent).",
              {"newsletter_id": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d", "subject": "Netzwerk vor Ort: Ergebnisse",
               "segment": {"type": "all_members"}, "total": 120, "sent": 120, "failed": 0,
               "completed_at": "2018-10-01T07:00:00+00:00"}, "newsletter_id"),
)

_BY_KEY = {(spec.type, spec.version): spec for spec in SPECS}
_LATEST: dict[str, EventSpec] = {}
for _spec in SPECS:
    if _spec.version >= _LATEST.get(_spec.type, _spec).version:
        _LATEST[_spec.type] = _spec
