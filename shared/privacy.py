"""Personal data across services (GDPR): how one person is identified, and the erasure consumer.

A person is identified by the SHA-256 of their lower-cased, trimmed e-mail address, so that the erasure
request travelling through Kafka does not itself spread the address. Each service that holds personal
data provides:
- `GET /v1/personal-data?email=` (staff): every record it holds about that address (export);
- an erasure handler for `PersonalDataErasureRequested` that anonymises or deletes those records, keeps
  an audit row without the personal data, and emits `PersonalDataErased` with the count.
"""
from __future__ import annotations

import hashlib
import uuid

from shared.events.catalogue import TOPIC_PRIVACY, make_event
from shared.events.envelope import utcnow

ERASED_NAME = "[gelöscht]"


def email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def erased_email(record_id: str) -> str:
    """A placeholder that keeps NOT NULL and format constraints, and can never be delivered."""
    return f"erased-{record_id[:12]}@invalid.invalid"


def erasure_request(email: str, requested_by: str, source: str = "/vorort/gdpr"):
    return make_event("PersonalDataErasureRequested", {
        "request_id": str(uuid.uuid4()), "email_sha256": email_digest(email), "requested_at": utcnow(),
        "requested_by": requested_by}, source=source)


def erased_event(request_id: str, service: str, records: int):
    return make_event("PersonalDataErased", {"request_id": request_id, "service": service, "records": records,
                                              "erased_at": utcnow()}, source=f"/services/{service}")


__all__ = ["TOPIC_PRIVACY", "email_digest", "erased_email", "erasure_request", "erased_event", "ERASED_NAME"]
