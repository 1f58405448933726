"""Webhooks: every partner's endpoint, its delivery log and each delivery's attempts, pausing and
resuming, rotating and deleting, replays (the shared pages of shared/webhook_pages.py, as staff through
the webhooks API), and the consumer lag of the webhooks worker's groups."""
from __future__ import annotations


from services.admin.context import admin_context
from services.admin.kafka_ops import KafkaUnavailable
from services.admin.views.common import services
from shared.webhook_pages import webhook_pages


def _webhooks_lag() -> dict:
    """The consumer lag of the webhooks worker's groups (the same figures as on the operations page)."""
    try:
        groups = admin_context().kafka.consumer_lag()
    except KafkaUnavailable:
        return {"lag": []}
    return {"lag": [g for g in groups if g.group_id.startswith("webhooks.")]}


bp = webhook_pages(lambda: services().webhooks, index_extra=_webhooks_lag)
