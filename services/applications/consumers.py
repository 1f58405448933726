"""Integration events the applications service listens to: only erasure requests (GDPR)."""
from __future__ import annotations

from shared.privacy import ERASED_NAME, erased_email, privacy_consumer
from shared.revocation import revocation_consumer


def export_personal_data(uow, digest: str) -> list[dict]:
    return [{"kind": "application_contact", "application_id": a.id, "call_id": a.call_id,
             "municipality": a.municipality_name, "name": a.contact_name, "email": a.contact_email,
             "phone": a.contact_phone, "submitted_at": a.submitted_at.isoformat()}
            for a in uow.applications.by_contact_digest(digest)]


def erase_personal_data(uow, digest: str) -> int:
    """Anonymise the contact person of every application with that address; the application stays,
    because a municipality's expression of interest is not personal data."""
    applications = uow.applications.by_contact_digest(digest)
    for application in applications:
        application.contact_name = ERASED_NAME
        application.contact_email = erased_email(application.id)
        application.contact_phone = None
    return len(applications)


CONSUMERS = [privacy_consumer("applications", erase_personal_data), revocation_consumer("applications")]
