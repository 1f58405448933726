"""Integration events the applications service listens to: only erasure requests (GDPR)."""
from __future__ import annotations

from sqlalchemy import insert, select

from services.applications.db import privacy_erasures
from shared.events.catalogue import TOPIC_PRIVACY
from shared.events.envelope import utcnow
from shared.privacy import ERASED_NAME, erased_email, erased_event
from shared.worker import ConsumerSpec


def erase_personal_data(event, data, uow) -> None:
    """Anonymise the contact person of every application with that address; the application stays,
    because the municipality's expression of interest is not personal data."""
    if uow.session.execute(select(privacy_erasures.c.request_id).where(
            privacy_erasures.c.request_id == data["request_id"])).first():
        return
    applications = uow.applications.by_contact_digest(data["email_sha256"])
    for application in applications:
        application.contact_name = ERASED_NAME
        application.contact_email = erased_email(application.id)
        application.contact_phone = None
    uow.session.execute(insert(privacy_erasures).values(
        request_id=data["request_id"], records=len(applications), requested_by=data["requested_by"],
        erased_at=utcnow()))
    uow.emit(erased_event(data["request_id"], "applications", len(applications)))


CONSUMERS = [ConsumerSpec(group_id="applications.privacy", topics=[TOPIC_PRIVACY],
                          handlers={"PersonalDataErasureRequested": erase_personal_data})]
