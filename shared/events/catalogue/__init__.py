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
# The package re-exports every name of its modules: callers import from the package, as before.
from __future__ import annotations

from shared.municipalities import SIZE_CLASSES
from shared.events.catalogue.registry import (
    InvalidEventError,
    UnknownEventError,
    _jsonable,
    _schema,
    known_types,
    make_event,
    serialize_data,
    spec_for,
    topic_for,
    validate_data,
)
from shared.events.catalogue.schemas import (
    ORGANISATION_KINDS,
    ROLES,
    TOPIC_APPLICATIONS,
    TOPIC_IDENTITY,
    TOPIC_PRIVACY,
    TOPIC_PUBLISHING,
    TOPIC_SELECTION,
    TOPIC_WORKSHOPS,
    TOPICS,
    AccessRevokedV1,
    ApplicationNotSelectedV1,
    ApplicationNotSelectedV2,
    ApplicationSelectedV1,
    ApplicationSelectedV2,
    ApplicationSubmittedV1,
    ApplicationUpdatedV1,
    ApplicationWithdrawnV1,
    CallClosedV1,
    CallDeadlinesChangedV1,
    CallOpenedV1,
    ClientRegisteredV1,
    DecisionAmendedV1,
    DocumentRefSchema,
    EventSchema,
    MunicipalityRefSchema,
    NewsletterSentV1,
    OrganisationRegisteredV1,
    OutcomeLineSchema,
    PersonalDataErasedV1,
    PersonalDataErasureRequestedV1,
    PersonRegisteredV1,
    PlaceVacatedV1,
    RankingLineSchema,
    ResultsPublishedV1,
    SelectionCompletedV1,
    SelectionCompletedV2,
    SolutionApproachSchema,
    WorkshopCancelledV1,
    WorkshopCompletedV1,
    WorkshopPlannedV1,
    WorkshopRescheduledV1,
    WorkshopScheduledV1,
    _SelectionCompleted,
    _when,
    dead_letter_topic,
)
from shared.events.catalogue.specs import (
    _A,
    _APP,
    _BY_KEY,
    _LATEST,
    _MUN,
    _ORG,
    _PERSON,
    _WS,
    SPECS,
    EventSpec,
    _spec,
)

# The names callers import from the package (mypy checks that only these are re-exported).
__all__ = [
    "InvalidEventError", "UnknownEventError", "_jsonable", "_schema", "known_types", "make_event",
    "serialize_data", "spec_for", "topic_for", "validate_data", "ORGANISATION_KINDS", "ROLES", "SIZE_CLASSES",
    "TOPIC_APPLICATIONS", "TOPIC_IDENTITY", "TOPIC_PRIVACY", "TOPIC_PUBLISHING", "TOPIC_SELECTION",
    "TOPIC_WORKSHOPS", "TOPICS", "AccessRevokedV1", "ApplicationNotSelectedV1", "ApplicationNotSelectedV2",
    "ApplicationSelectedV1", "ApplicationSelectedV2",
    "ApplicationSubmittedV1", "ApplicationUpdatedV1", "ApplicationWithdrawnV1", "CallClosedV1",
    "CallDeadlinesChangedV1", "CallOpenedV1", "ClientRegisteredV1", "DecisionAmendedV1", "DocumentRefSchema",
    "EventSchema", "MunicipalityRefSchema", "NewsletterSentV1", "OrganisationRegisteredV1", "OutcomeLineSchema",
    "PersonalDataErasedV1", "PersonalDataErasureRequestedV1", "PersonRegisteredV1", "PlaceVacatedV1",
    "RankingLineSchema", "ResultsPublishedV1", "SelectionCompletedV1", "SelectionCompletedV2",
    "SolutionApproachSchema", "WorkshopCancelledV1", "WorkshopCompletedV1", "WorkshopPlannedV1",
    "WorkshopRescheduledV1", "WorkshopScheduledV1", "_SelectionCompleted", "_when", "dead_letter_topic", "_A",
    "_APP", "_BY_KEY", "_LATEST", "_MUN", "_ORG", "_PERSON", "_WS", "SPECS", "EventSpec", "_spec",
]
