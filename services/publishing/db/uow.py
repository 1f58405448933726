"""Publishing's unit of work, with its repositories attached."""
from __future__ import annotations

from services.publishing.db.privacy import PrivacyRepository
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
from services.publishing.db.tables import metadata
from shared.uow import UnitOfWork


class PublishingUnitOfWork(UnitOfWork):
    def __init__(self, session_factory):
        super().__init__(session_factory, metadata)

    def start(self) -> None:
        self.publications = PublicationRepository(self.session)
        self.members = MemberRepository(self.session)
        self.subscribers = SubscriberRepository(self.session)
        self.suppressions = SuppressionRepository(self.session)
        self.audience = AudienceRepository(self.session)
        self.newsletters = NewsletterRepository(self.session)
        self.mails = MailRepository(self.session)
        self.notices = NoticeRepository(self.session)
        self.templates = TemplateRepository(self.session)
        self.enquiries = EnquiryRepository(self.session)
        self.privacy = PrivacyRepository(self.session)
