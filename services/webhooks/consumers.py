"""Integration events the webhooks service listens to.

Fan-out (`webhooks.fanout`, every public topic): each public event becomes a `FanOut` command for the bus
(shared.consumer.command_handlers); its handler (handlers.fan_out) writes one delivery per endpoint that
subscribed to its type and whose organisation may see it (domain.may_see), in the same transaction as the
consumer's processed record. A redelivered event is a no-op, and the unique index on
(endpoint, event) holds even against a consumer that crashed between its database and offset commits.
The body is the event as it travelled on Kafka: a structured CloudEvent, which carries no personal data.

Privacy (`webhooks.privacy`): an endpoint's contact address is personal data; export and erasure.
"""
from __future__ import annotations

import json

from services.webhooks.domain import PUBLIC_EVENT_TYPES
from services.webhooks.handlers import FanOut
from shared.consumer import CommandBus, command_handlers
from shared.events.catalogue import TOPIC_APPLICATIONS, TOPIC_PUBLISHING, TOPIC_SELECTION, TOPIC_WORKSHOPS
from shared.events.envelope import Event
from shared.privacy import email_digest, erased_email, privacy_consumer
from shared.revocation import revocation_consumer
from shared.worker import ConsumerSpec

NAME = "webhooks"
FANOUT_GROUP = "webhooks.fanout"
PUBLIC_TOPICS = [TOPIC_APPLICATIONS, TOPIC_SELECTION, TOPIC_WORKSHOPS, TOPIC_PUBLISHING]


def fan_out_command(event: Event, data: dict) -> FanOut:
    """The fan-out of a public event: its id, type and data, and its body as it travelled on Kafka."""
    body = json.dumps(event.to_cloudevent(), ensure_ascii=False, separators=(",", ":"))
    return FanOut(event_id=event.id, event_type=event.type, data=event.data, body=body)


def fanout_consumer(bus: CommandBus) -> ConsumerSpec:
    return ConsumerSpec(NAME, "fanout", topics=PUBLIC_TOPICS,
                        handlers=command_handlers(bus, dict.fromkeys(PUBLIC_EVENT_TYPES, fan_out_command)))


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


def consumers(bus: CommandBus) -> list[ConsumerSpec]:
    """The worker's consumers; `bus` is the worker's, which injects `panel_members` into the fan-out."""
    return [fanout_consumer(bus), privacy_consumer(NAME, erase_personal_data), revocation_consumer(NAME)]
