"""Integration events the webhooks service listens to.

Fan-out (`webhooks.fanout`, every public topic): each public event becomes one delivery per endpoint that
subscribed to its type and whose organisation may see it (domain.may_see), written in the same transaction
as the consumer's processed record. A redelivered event is a no-op, and the unique index on
(endpoint, event) holds even against a consumer that crashed between its database and offset commits.
The body is the event as it travelled on Kafka: a structured CloudEvent, which carries no personal data.

Privacy (`webhooks.privacy`): an endpoint's contact address is personal data; export and erasure.
"""
from __future__ import annotations

import json

from services.webhooks.domain import PUBLIC_EVENT_TYPES, Delivery, may_see
from shared.events.catalogue import TOPIC_APPLICATIONS, TOPIC_PUBLISHING, TOPIC_SELECTION, TOPIC_WORKSHOPS
from shared.events.envelope import utcnow
from shared.privacy import email_digest, erased_email, privacy_consumer
from shared.revocation import revocation_consumer
from shared.worker import ConsumerSpec

FANOUT_GROUP = "webhooks.fanout"
PUBLIC_TOPICS = [TOPIC_APPLICATIONS, TOPIC_SELECTION, TOPIC_WORKSHOPS, TOPIC_PUBLISHING]


def fan_out_handler(panel_members):
    """The handler for every public event type; `panel_members(call_id)` is asked for steering endpoints."""
    def fan_out(event, data, uow) -> None:
        now = utcnow()
        body = json.dumps(event.to_cloudevent(), ensure_ascii=False, separators=(",", ":"))
        for endpoint in uow.endpoints.subscribed():
            if endpoint.wants(event.type) and may_see(endpoint.owner, event.type, event.data, panel_members):
                uow.deliveries.add(Delivery.of(endpoint, event.id, event.type, body, now))
        uow.session.flush()
    return fan_out


def fanout_consumer(panel_members) -> ConsumerSpec:
    handler = fan_out_handler(panel_members)
    return ConsumerSpec("webhooks", "fanout", topics=PUBLIC_TOPICS,
                        handlers=dict.fromkeys(PUBLIC_EVENT_TYPES, handler))


def _contacts(uow, digest: str):
    return [e for e in uow.endpoints.every() if email_digest(e.contact_email) == digest]


def export_personal_data(uow, digest: str) -> list[dict]:
    return [{"kind": "webhook_endpoint_contact", "endpoint_id": e.id, "url": e.url, "email": e.contact_email}
            for e in _contacts(uow, digest)]


def erase_personal_data(uow, digest: str) -> int:
    found = _contacts(uow, digest)
    for endpoint in found:
        endpoint.contact_email = erased_email(endpoint.id)
    uow.notices.erase_recipient(digest)
    return len(found)


def consumers(panel_members) -> list[ConsumerSpec]:
    return [fanout_consumer(panel_members), privacy_consumer("webhooks", erase_personal_data),
            revocation_consumer("webhooks")]
