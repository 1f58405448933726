"""The catalogue of integration events: one schema per event type and version, defined once.

Rules (see docs/events.md):
- An event is a past-tense fact. Its `(type, version)` names one schema here and one golden example.
- Within a version only optional fields are added; a breaking change is a new version, published beside
  the old until every consumer has moved.
- Consumers ignore unknown fields (schemas load with EXCLUDE); APIs, in contrast, reject them.
- Fields that carry personal data are marked with `metadata={"x-personal-data": True}`; the AsyncAPI
  document shows the mark. The platform keeps personal data out of events: consumers that need a contact
  ask the owning service's API, so that an erasure never has to chase copies through Kafka's log.
"""
from __future__ import annotations

import builtins
from dataclasses import dataclass
from functools import cache

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from shared.events.envelope import Event

TOPIC_APPLICATIONS = "vorort.applications"
TOPIC_SELECTION = "vorort.selection"
TOPIC_WORKSHOPS = "vorort.workshops"
TOPIC_PUBLISHING = "vorort.publishing"
TOPIC_PRIVACY = "vorort.privacy"
TOPIC_IDENTITY = "vorort.identity"
TOPICS = (TOPIC_APPLICATIONS, TOPIC_SELECTION, TOPIC_WORKSHOPS, TOPIC_PUBLISHING, TOPIC_PRIVACY, TOPIC_IDENTITY)

SIZE_CLASSES = ("rural", "small", "medium", "large")


def dead_letter_topic(consumer_group: str) -> str:
    return f"{consumer_group}.dlq"


class EventSchema(Schema):
    class Meta:
        unknown = EXCLUDE
        ordered = True


def _when(**kwargs):
    return fields.AwareDateTime(format="iso", **kwargs)


# --- shared shapes -------------------------------------------------------------------------------
class MunicipalityRefSchema(EventSchema):
    ags = fields.String(required=True, validate=validate.Regexp(r"^\d{8}$"))
    name = fields.String(required=True)
    population = fields.Integer(load_default=None, allow_none=True)
    size_class = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SIZE_CLASSES))


class SolutionApproachSchema(EventSchema):
    title = fields.String(required=True)
    description = fields.String(load_default="")
    field_of_action = fields.String(required=True)


class DocumentRefSchema(EventSchema):
    title = fields.String(required=True)
    url = fields.String(required=True)


# --- applications --------------------------------------------------------------------------------
class CallOpenedV1(EventSchema):
    call_id = fields.String(required=True)
    title = fields.String(required=True)
    topic = fields.String(required=True)
    opens_at = _when(required=True)
    closes_at = _when(required=True)
    places = fields.Integer(required=True)
    workshops_per_place = fields.Integer(required=True)


class CallClosedV1(EventSchema):
    call_id = fields.String(required=True)
    title = fields.String(required=True)
    topic = fields.String(required=True)
    closed_at = _when(required=True)
    places = fields.Integer(required=True)
    workshops_per_place = fields.Integer(required=True)
    applications = fields.Integer(load_default=None, allow_none=True)


class CallDeadlinesChangedV1(EventSchema):
    call_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(("draft", "open")))
    opens_at = _when(required=True)
    closes_at = _when(required=True)
    previous_opens_at = _when(required=True)
    previous_closes_at = _when(required=True)
    changed_at = _when(required=True)
    changed_by = fields.String(required=True)


class ApplicationSubmittedV1(EventSchema):
    application_id = fields.String(required=True)
    call_id = fields.String(required=True)
    municipality = fields.Nested(MunicipalityRefSchema, required=True)
    size_class = fields.String(required=True, validate=validate.OneOf(SIZE_CLASSES))
    focus_areas = fields.List(fields.String(), load_default=list)
    statement = fields.String(load_default="")
    partners = fields.List(fields.String(), load_default=list)
    submitted_at = _when(required=True)


class ApplicationUpdatedV1(ApplicationSubmittedV1):
    updated_at = _when(required=True)
    changed_fields = fields.List(fields.String(), load_default=list)


class ApplicationWithdrawnV1(EventSchema):
    application_id = fields.String(required=True)
    call_id = fields.String(required=True)
    ags = fields.String(required=True)
    withdrawn_at = _when(required=True)


# --- selection -----------------------------------------------------------------------------------
class ApplicationSelectedV1(EventSchema):
    call_id = fields.String(required=True)
    application_id = fields.String(required=True)
    municipality = fields.Nested(MunicipalityRefSchema, required=True)
    rank = fields.Integer(load_default=None, allow_none=True)
    score = fields.Float(load_default=None, allow_none=True)
    workshops_per_place = fields.Integer(required=True)
    decided_at = _when(required=True)
    # optional since v1: set when a decision amendment names this application successor to a vacated place
    succeeds_application_id = fields.String(load_default=None, allow_none=True)


class ApplicationNotSelectedV1(EventSchema):
    call_id = fields.String(required=True)
    application_id = fields.String(required=True)
    municipality = fields.Nested(MunicipalityRefSchema, required=True)
    rank = fields.Integer(load_default=None, allow_none=True)
    score = fields.Float(load_default=None, allow_none=True)
    may_attend_workshops = fields.Boolean(required=True)
    decided_at = _when(required=True)


class OutcomeLineSchema(EventSchema):
    """One applicant's place in the outcome (SelectionCompleted v2): no score, no count of reviews."""
    application_id = fields.String(required=True)
    ags = fields.String(required=True)
    name = fields.String(required=True)
    size_class = fields.String(required=True)
    rank = fields.Integer(required=True)
    selected = fields.Boolean(required=True)


class RankingLineSchema(OutcomeLineSchema):
    """SelectionCompleted v1's line: the outcome with the weighted score and the number of reviews."""
    score = fields.Float(load_default=None, allow_none=True)
    reviews = fields.Integer(required=True)


class _SelectionCompleted(EventSchema):
    call_id = fields.String(required=True)
    call_title = fields.String(required=True)
    topic = fields.String(required=True)
    places = fields.Integer(required=True)
    selected = fields.List(fields.String(), required=True)
    rationale = fields.String(required=True)
    deviation_reason = fields.String(load_default=None, allow_none=True)
    decided_at = _when(required=True)


class SelectionCompletedV1(_SelectionCompleted):
    ranking = fields.List(fields.Nested(RankingLineSchema), required=True)


class SelectionCompletedV2(_SelectionCompleted):
    """v1 without the scores: each `ranking` line names the applicant, its rank and whether it was selected,
    but no longer its weighted score or how many reviews it had. The scores are the steering group's
    confidential review (docs/security.md); whoever needs them reads the selection API as the office."""
    ranking = fields.List(fields.Nested(OutcomeLineSchema), required=True)


class PlaceVacatedV1(EventSchema):
    """A selected municipality withdrew after the decision: its place is vacant until an amendment fills it."""
    call_id = fields.String(required=True)
    application_id = fields.String(required=True)
    municipality = fields.Nested(MunicipalityRefSchema, required=True)
    reason = fields.String(required=True, validate=validate.OneOf(("withdrawn",)))
    vacated_at = _when(required=True)


class DecisionAmendedV1(EventSchema):
    """The steering group named a successor for a vacated place; `selected` is the selection as it now stands."""
    call_id = fields.String(required=True)
    amendment_id = fields.String(required=True)
    vacated = fields.Nested(MunicipalityRefSchema, required=True)
    vacated_application_id = fields.String(required=True)
    successor = fields.Nested(MunicipalityRefSchema, required=True)
    successor_application_id = fields.String(required=True)
    selected = fields.List(fields.String(), required=True)
    selected_municipalities = fields.List(fields.String(), required=True)
    rationale = fields.String(required=True)
    deviation_reason = fields.String(load_default=None, allow_none=True)
    decided_at = _when(required=True)


# --- workshops -----------------------------------------------------------------------------------
class WorkshopPlannedV1(EventSchema):
    workshop_id = fields.String(required=True)
    call_id = fields.String(required=True)
    application_id = fields.String(required=True)
    municipality = fields.Nested(MunicipalityRefSchema, required=True)
    sequence = fields.Integer(required=True)


class WorkshopScheduledV1(EventSchema):
    workshop_id = fields.String(required=True)
    call_id = fields.String(required=True)
    municipality = fields.Nested(MunicipalityRefSchema, required=True)
    sequence = fields.Integer(required=True)
    starts_at = _when(required=True)
    ends_at = _when(required=True)
    venue = fields.String(load_default=None, allow_none=True)
    capacity = fields.Integer(load_default=None, allow_none=True)
    registration_opens_at = _when(load_default=None, allow_none=True)
    registration_closes_at = _when(load_default=None, allow_none=True)


class WorkshopRescheduledV1(WorkshopScheduledV1):
    pass


class WorkshopCancelledV1(EventSchema):
    workshop_id = fields.String(required=True)
    call_id = fields.String(required=True)
    reason = fields.String(load_default=None, allow_none=True)
    cancelled_at = _when(required=True)
    # optional since v1: what the registrants' notices need (ids only: the people stay in the workshops service)
    application_id = fields.String(load_default=None, allow_none=True)
    municipality = fields.Nested(MunicipalityRefSchema, load_default=None, allow_none=True)
    sequence = fields.Integer(load_default=None, allow_none=True)
    starts_at = _when(load_default=None, allow_none=True)
    registration_ids = fields.List(fields.String(), load_default=list)


class WorkshopCompletedV1(EventSchema):
    workshop_id = fields.String(required=True)
    call_id = fields.String(required=True)
    application_id = fields.String(required=True)
    municipality = fields.Nested(MunicipalityRefSchema, required=True)
    sequence = fields.Integer(required=True)
    starts_at = _when(load_default=None, allow_none=True)
    ends_at = _when(load_default=None, allow_none=True)
    summary = fields.String(required=True)
    solution_approaches = fields.List(fields.Nested(SolutionApproachSchema), required=True)
    documents = fields.List(fields.Nested(DocumentRefSchema), load_default=list)
    attendance = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    participant_organisations = fields.List(fields.String(), load_default=list)
    completed_at = _when(required=True)
    topic = fields.String(load_default=None, allow_none=True)  # optional since v1: the call's topic


# --- publishing ----------------------------------------------------------------------------------
class ResultsPublishedV1(EventSchema):
    publication_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(("selection_result", "workshop_result")))
    source_id = fields.String(required=True)
    title = fields.String(required=True)
    url = fields.String(load_default=None, allow_none=True)
    published_at = _when(required=True)


class NewsletterSentV1(EventSchema):
    newsletter_id = fields.String(required=True)
    subject = fields.String(required=True)
    segment = fields.Dict(required=True)
    total = fields.Integer(required=True)
    sent = fields.Integer(required=True)
    failed = fields.Integer(required=True)
    completed_at = _when(required=True)


# --- privacy (GDPR) -----------------------------------------------------------------------------
class PersonalDataErasureRequestedV1(EventSchema):
    """Carries a hash of the address, never the address: the request itself must not spread it."""
    request_id = fields.String(required=True)
    email_sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    requested_at = _when(required=True)
    requested_by = fields.String(required=True)


class PersonalDataErasedV1(EventSchema):
    request_id = fields.String(required=True)
    service = fields.String(required=True)
    records = fields.Integer(required=True)
    erased_at = _when(required=True)


# --- identity ------------------------------------------------------------------------------------
# Ids and roles only: names and e-mail addresses of people stay in the identity service.
ROLES = ("staff", "steering", "municipality", "partner")
ORGANISATION_KINDS = ("municipality", "steering_institution", "partner", "office")


class OrganisationRegisteredV1(EventSchema):
    organisation_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(ORGANISATION_KINDS))
    ags = fields.String(load_default=None, allow_none=True)
    registered_at = _when(required=True)


class PersonRegisteredV1(EventSchema):
    person_id = fields.String(required=True)
    organisation_id = fields.String(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    subject = fields.String(required=True)
    ags = fields.String(load_default=None, allow_none=True)
    panel_call_ids = fields.List(fields.String(), load_default=list)
    registered_at = _when(required=True)


class ClientRegisteredV1(EventSchema):
    client_id = fields.String(required=True)
    organisation_id = fields.String(load_default=None, allow_none=True)
    person_id = fields.String(load_default=None, allow_none=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    subject = fields.String(required=True)
    ags = fields.String(load_default=None, allow_none=True)
    scopes = fields.List(fields.String(), required=True)
    auth_method = fields.String(required=True)
    expires_at = _when(load_default=None, allow_none=True)
    registered_at = _when(required=True)
    delegate_roles = fields.List(fields.String(validate=validate.OneOf(ROLES)), load_default=list)


class AccessRevokedV1(EventSchema):
    """A client or a person lost access. Services deny tokens whose `client_id` or `sub` matches."""
    kind = fields.String(required=True, validate=validate.OneOf(("client", "person")))
    id = fields.String(required=True)
    client_id = fields.String(load_default=None, allow_none=True)
    subject = fields.String(load_default=None, allow_none=True)
    revoked_at = _when(required=True)


# --- the registry --------------------------------------------------------------------------------
@dataclass(frozen=True)
class EventSpec:
    type: str
    version: int
    topic: str
    schema: builtins.type[Schema]  # `type` alone names the field above
    summary: str
    example: dict
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


class UnknownEventError(LookupError):
    """No schema for this (type, version) in the catalogue."""


class InvalidEventError(ValueError):
    """The event's data does not match its schema."""

    def __init__(self, event_type: str, version: int, messages: dict | list):
        super().__init__(f"{event_type} v{version} is invalid: {messages}")
        self.messages = messages


def spec_for(event_type: str, version: int | None = None) -> EventSpec:
    try:
        return _LATEST[event_type] if version is None else _BY_KEY[(event_type, version)]
    except KeyError:
        raise UnknownEventError(f"no event {event_type} v{version} in the catalogue") from None


def topic_for(event_type: str) -> str:
    return spec_for(event_type).topic


def known_types() -> list[str]:
    return sorted(_LATEST)


@cache
def _schema(event_type: str, version: int) -> Schema:
    """One schema instance per event version: building marshmallow schemas is costly, using them is not."""
    return spec_for(event_type, version).schema()


def serialize_data(event_type: str, data: dict, version: int | None = None) -> dict:
    """Validate outgoing data against the schema and return its JSON form (datetimes as ISO strings)."""
    spec = spec_for(event_type, version)
    schema = _schema(spec.type, spec.version)
    try:
        return schema.dump(schema.load(_jsonable(data)))
    except ValidationError as error:
        raise InvalidEventError(event_type, spec.version, error.messages) from None


def validate_data(event_type: str, data: dict, version: int) -> dict:
    """Load incoming data with the catalogue's schema; unknown fields are dropped, errors raised."""
    spec = spec_for(event_type, version)
    try:
        return _schema(spec.type, spec.version).load(data)
    except ValidationError as error:
        raise InvalidEventError(event_type, version, error.messages) from None


def make_event(event_type: str, data: dict, *, source: str, correlation_id: str | None = None,
               version: int | None = None) -> Event:
    """Build an event whose data has been checked against the catalogue; key = the aggregate id."""
    spec = spec_for(event_type, version)
    payload = serialize_data(event_type, data, spec.version)
    return Event(type=event_type, version=spec.version, subject=str(payload[spec.subject_field]),
                 data=payload, source=source, correlation_id=correlation_id)


def _jsonable(data: dict) -> dict:
    """Accept datetimes as objects or ISO strings on the way in."""
    from datetime import datetime

    def convert(value):
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        return value

    return convert(data)
