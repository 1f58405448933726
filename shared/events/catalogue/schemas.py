"""Topics and one marshmallow schema per integration event type and version."""
from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.municipalities import AGS_PATTERN, SIZE_CLASSES

TOPIC_APPLICATIONS = "vorort.applications"
TOPIC_SELECTION = "vorort.selection"
TOPIC_WORKSHOPS = "vorort.workshops"
TOPIC_PUBLISHING = "vorort.publishing"
TOPIC_PRIVACY = "vorort.privacy"
TOPIC_IDENTITY = "vorort.identity"
TOPICS = (TOPIC_APPLICATIONS, TOPIC_SELECTION, TOPIC_WORKSHOPS, TOPIC_PUBLISHING, TOPIC_PRIVACY, TOPIC_IDENTITY)



def dead_letter_topic(consumer_group: str) -> str:
    return f"{consumer_group}.dlq"


class EventSchema(Schema):
    class Meta:
        unknown = EXCLUDE
        ordered = True


def _when(**kwargs: Any) -> fields.AwareDateTime:
    return fields.AwareDateTime(format="iso", **kwargs)


# --- shared shapes -------------------------------------------------------------------------------
class MunicipalityRefSchema(EventSchema):
    ags = fields.String(required=True, validate=validate.Regexp(AGS_PATTERN))
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
class _Decided(EventSchema):
    call_id = fields.String(required=True)
    application_id = fields.String(required=True)
    municipality = fields.Nested(MunicipalityRefSchema, required=True)
    rank = fields.Integer(load_default=None, allow_none=True)


class _WithScore(EventSchema):
    """v1 of the two decision events: the application's weighted score, which v2 no longer carries."""
    score = fields.Float(load_default=None, allow_none=True)


class ApplicationSelectedV2(_Decided):
    """The steering group selected this application: its rank, but not its score (as SelectionCompleted v2;
    the scores are the steering group's confidential review, docs/security.md)."""
    workshops_per_place = fields.Integer(required=True)
    decided_at = _when(required=True)
    # optional since v1: set when a decision amendment names this application successor to a vacated place
    succeeds_application_id = fields.String(load_default=None, allow_none=True)


class ApplicationSelectedV1(ApplicationSelectedV2, _WithScore):
    pass


class ApplicationNotSelectedV2(_Decided):
    """The steering group did not select this application: its rank, but not its score."""
    may_attend_workshops = fields.Boolean(required=True)
    decided_at = _when(required=True)


class ApplicationNotSelectedV1(ApplicationNotSelectedV2, _WithScore):
    pass


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
