"""Integration events identity listens to: its own revocations (the deny list every service keeps) and
erasure requests (GDPR) for the names and addresses of the people it registered."""
from __future__ import annotations

from shared.privacy import ERASED_NAME, erased_email, privacy_consumer
from shared.revocation import revocation_consumer


def export_personal_data(uow, digest: str) -> list[dict]:
    return [{"kind": "person", "person_id": p.id, "organisation_id": p.organisation_id, "name": p.name,
             "email": p.email, "role": p.role, "created_at": p.created_at.isoformat()}
            for p in uow.people.by_contact_digest(digest)]


def erase_personal_data(uow, digest: str) -> int:
    """Anonymise the person; their id, role and revocation stay, because access control needs them."""
    people = uow.people.by_contact_digest(digest)
    for person in people:
        person.name = ERASED_NAME
        person.email = erased_email(person.id)
    return len(people)


CONSUMERS = [privacy_consumer("identity", erase_personal_data), revocation_consumer("identity")]
