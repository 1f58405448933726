"""The publishing service's tables, their mapping to the domain, repositories and unit of work.

The domain objects are frozen dataclasses (a state change returns a new object), so they are not mapped
by the ORM: each is declared once as a `shared.db.RowMapping` (mapping.py) and read and written by its
`shared.db.RowRepository` with SQLAlchemy Core on the unit of work's session, which keeps every write in
the one transaction that also holds the outbox rows. Every read returns domain objects, never rows.

Sending mail is a queue per kind: `deliveries` (one row per newsletter recipient) and `mails` (single
transactional mails: confirmations, acknowledgements, decision notices, test sends). Both carry the
same claim columns; see services/publishing/delivery for the protocol.
"""
# The package re-exports every name of its modules: callers import from the package, as before.
from __future__ import annotations

from services.publishing.db.mapping import (
    CALLS,
    DELIVERIES,
    ENQUIRIES,
    MAILS,
    MEMBERS,
    NEWSLETTERS,
    NOTICE_TEMPLATES,
    NOTICES,
    PUBLICATIONS,
    SUBSCRIBERS,
    email_key,
)
from services.publishing.db.privacy import (
    PrivacyRepository,
    _iso,
)
from services.publishing.db.repositories import (
    AudienceRepository,
    EnquiryRepository,
    MailRepository,
    MemberRepository,
    NewsletterRepository,
    NoticeRepository,
    PublicationRepository,
    SubscriberRepository,
    SuppressionRepository,
    TemplateRepository,
)
from services.publishing.db.tables import (
    _claim_columns,
    calls,
    decisions,
    deliveries,
    enquiries,
    mails,
    members,
    metadata,
    newsletters,
    notice_templates,
    notices,
    privacy_erasures,
    publications,
    revoked_access,
    subscribers,
    suppressions,
    workshop_participants,
)
from services.publishing.db.uow import (
    PublishingUnitOfWork,
)
