"""Rules of the webhooks domain: who sees which event, the retry schedule, signatures and rotation."""
from __future__ import annotations

import base64
import random
from datetime import datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.webhooks.domain import (PUBLIC_EVENT_TYPES, AttemptResult, Delivery, Endpoint, Owner, RetryPolicy,
                                      may_see)
from services.webhooks.signing import ed25519_keypair, webhook_headers
from shared.errors import InvalidInput
from shared.events.catalogue import SPECS

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
EXAMPLES = {spec.type: spec.example for spec in SPECS}


def endpoint(role="staff", organisation="office", event_types=PUBLIC_EVENT_TYPES, asymmetric=False):
    return Endpoint.register(owner=Owner(role, organisation), url="https://hooks.example.org/x", description="",
                             event_types=list(event_types), contact_email="it@example.org", asymmetric=asymmetric,
                             created_by="test", now=NOW, keypair=ed25519_keypair)


def test_no_privacy_or_newsletter_event_is_public():
    assert not {"PersonalDataErasureRequested", "PersonalDataErased", "NewsletterSent"} & set(PUBLIC_EVENT_TYPES)


def test_a_municipality_sees_only_events_of_its_own_ags():
    wassenberg, siegen = Owner("municipality", "05370040"), Owner("municipality", "05970040")
    for event_type in ("ApplicationSubmitted", "ApplicationSelected", "WorkshopScheduled", "ApplicationWithdrawn"):
        assert may_see(wassenberg, event_type, EXAMPLES[event_type])
        assert not may_see(siegen, event_type, EXAMPLES[event_type])
    assert not may_see(wassenberg, "SelectionCompleted", EXAMPLES["SelectionCompleted"])  # names every applicant
    assert not may_see(wassenberg, "CallOpened", EXAMPLES["CallOpened"])


def test_a_steering_member_sees_only_the_calls_of_its_panel():
    panels = {EXAMPLES["CallOpened"]["call_id"]: frozenset({"m-ruhr"})}
    lookup = lambda call_id: panels.get(call_id, frozenset())  # noqa: E731
    assert may_see(Owner("steering", "m-ruhr"), "ApplicationSubmitted", EXAMPLES["ApplicationSubmitted"], lookup)
    assert not may_see(Owner("steering", "m-other"), "ApplicationSubmitted", EXAMPLES["ApplicationSubmitted"], lookup)
    assert not may_see(Owner("steering", "m-ruhr"), "ResultsPublished", EXAMPLES["ResultsPublished"], lookup)


def test_a_partner_sees_what_is_announced_publicly_and_may_not_subscribe_to_more():
    partner = Owner("partner", "ihk-siegen")
    assert may_see(partner, "WorkshopScheduled", EXAMPLES["WorkshopScheduled"])
    assert not may_see(partner, "ApplicationSubmitted", EXAMPLES["ApplicationSubmitted"])
    with pytest.raises(InvalidInput) as refused:
        endpoint("partner", "ihk-siegen", ["CallOpened", "ApplicationSubmitted"])
    assert refused.value.field == "event_types" and "ApplicationSubmitted" in refused.value.message


def test_the_schedule_is_the_specifications_with_jitter_and_retry_after_wins_when_longer():
    policy = RetryPolicy()
    rng = random.Random(7)
    assert policy.schedule == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    delays = [policy.delay_after(n, None, rng) for n in range(1, 8)]
    for delay, planned in zip(delays, policy.schedule[1:]):
        assert planned * 0.9 <= delay <= planned * 1.1
    assert policy.delay_after(8, None, rng) is None
    assert policy.delay_after(1, 600, rng) == 600
    assert policy.delay_after(3, 5, rng) >= 1800 * 0.9


def test_a_failed_delivery_runs_down_the_schedule_and_a_replay_starts_it_again():
    policy = RetryPolicy(schedule=(0, 1, 1), jitter=0)
    delivery = Delivery.of(endpoint(), "e1", "CallOpened", "{}", NOW)
    for _ in range(3):
        delivery.record(AttemptResult(500, 10, "x" * 5000), NOW, policy, random.Random())
    assert delivery.status == "failed" and delivery.attempts == 3 and len(delivery.response_body) == 1024
    delivery.replay(NOW)
    delivery.record(AttemptResult(None, 15000, error="timed out"), NOW, policy, random.Random())
    assert delivery.status == "pending" and delivery.attempts == 4
    delivery.record(AttemptResult(204, 3), NOW, policy, random.Random())
    assert delivery.status == "delivered"


def test_after_rotation_both_secrets_verify_for_24_hours_then_only_the_new_one():
    subject = endpoint()
    old = subject.secret
    new = subject.rotate_secret(NOW, timedelta(hours=24))
    body = '{"specversion":"1.0"}'
    now_ts = int(datetime.now(timezone.utc).timestamp())
    headers = webhook_headers(message_id="msg_1", timestamp=now_ts, body=body,
                              secrets=subject.signing_secrets(NOW + timedelta(hours=23)))
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)
    later = webhook_headers(message_id="msg_1", timestamp=now_ts, body=body,
                            secrets=subject.signing_secrets(NOW + timedelta(hours=25)))
    Webhook(new).verify(body, later)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(body, later)


def test_an_asymmetric_endpoint_also_signs_v1a_with_its_published_ed25519_key():
    subject = endpoint(asymmetric=True)
    body = '{"type":"CallOpened"}'
    headers = webhook_headers(message_id="msg_2", timestamp=1764493200, body=body, secrets=[subject.secret],
                              signing_key=subject.signing_key)
    [signature] = [s.split(",", 1)[1] for s in headers["webhook-signature"].split() if s.startswith("v1a,")]
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(subject.public_key.removeprefix("whpk_")))
    key.verify(base64.b64decode(signature), b"msg_2.1764493200." + body.encode())
