"""The webhooks API on PostgreSQL: each organisation manages only its own endpoints, registration refuses
what the role may not receive, pausing holds deliveries, a rotated secret keeps the old one signing for a
while, and replays send failed deliveries again with their webhook-id."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.webhooks.domain import RetryPolicy
from support import bearer
from webhooks_support import STAFF, Receiver, dispatcher, drain, fan_out, flow_2018, now, options, register, webhooks_app

pytestmark = pytest.mark.integration

IHK = bearer("partner", "ihk-siegen")
HWK = bearer("partner", "hwk-suedwestfalen")
WASSENBERG = bearer("municipality", "wassenberg-it", ags="05370040")
WASSENBERG_OTHER_PERSON = bearer("municipality", "wassenberg-buergermeisterin", ags="05370040")


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


@pytest.fixture
def app(pg_database):
    return webhooks_app(pg_database("webhooks"))


def test_an_organisation_sees_and_manages_only_its_own_endpoints(app, receiver):
    client = app.test_client()
    ihk = register(client, receiver.url, headers=IHK, event_types=["CallOpened"])
    register(client, receiver.url, headers=HWK, event_types=["CallOpened"])
    wassenberg = register(client, receiver.url, headers=WASSENBERG, event_types=["ApplicationSelected"])

    assert [e["id"] for e in client.get("/v1/endpoints", headers=IHK).json] == [ihk["id"]]
    assert len(client.get("/v1/endpoints", headers=STAFF).json) == 3
    # the endpoint belongs to the municipality (its AGS), not to the person who registered it
    assert [e["id"] for e in client.get("/v1/endpoints", headers=WASSENBERG_OTHER_PERSON).json] == [wassenberg["id"]]
    assert wassenberg["owner"] == {"role": "municipality", "organisation": "05370040"}
    for method, path, body in (("GET", "", None), ("PATCH", "", {"description": "fremd"}), ("DELETE", "", None),
                               ("POST", "/pause", None), ("POST", "/rotate-secret", None),
                               ("GET", "/deliveries", None),
                               ("POST", "/replay", {"since": "2026-01-01T00:00:00+00:00"})):
        answer = client.open(f"/v1/endpoints/{ihk['id']}{path}", method=method, headers=HWK, json=body)
        assert answer.status_code == 404, (method, path, answer.status_code)
    assert "secret" not in client.get(f"/v1/endpoints/{ihk['id']}", headers=IHK).json
    assert client.delete(f"/v1/endpoints/{ihk['id']}", headers=IHK).status_code == 204
    assert client.get(f"/v1/endpoints/{ihk['id']}", headers=STAFF).status_code == 404


def test_registration_refuses_event_types_the_role_may_not_receive_and_unknown_fields(app, receiver):
    client = app.test_client()
    body = {"url": receiver.url, "event_types": ["CallOpened", "ApplicationSubmitted"],
            "contact_email": "it@example.org"}
    refused = client.post("/v1/endpoints", headers=IHK, json=body)
    assert refused.status_code == 422 and "ApplicationSubmitted" in refused.json["errors"]["json"]["event_types"][0]
    privacy = client.post("/v1/endpoints", headers=STAFF, json=dict(body, event_types=["PersonalDataErased"]))
    assert privacy.status_code == 422 and "event_types" in privacy.json["errors"]["json"]
    unknown = client.post("/v1/endpoints", headers=STAFF, json=dict(body, secret="whsec_mine"))
    assert unknown.status_code == 422 and "secret" in unknown.json["errors"]["json"]
    bad_mail = client.post("/v1/endpoints", headers=STAFF, json=dict(body, contact_email="nein"))
    assert bad_mail.status_code == 422 and "contact_email" in bad_mail.json["errors"]["json"]
    assert client.get("/v1/endpoints", headers=STAFF).json == []  # nothing half-written


def test_a_paused_endpoint_holds_its_deliveries_until_it_is_resumed(app, receiver):
    client = app.test_client()
    endpoint = register(client, receiver.url, event_types=["CallOpened"])
    assert client.post(f"/v1/endpoints/{endpoint['id']}/pause", headers=STAFF).json["status"] == "paused"
    fan_out(app, flow_2018()[0])
    dispatch = dispatcher(app)
    dispatch.run_once()
    assert receiver.received == []
    assert client.get(f"/v1/endpoints/{endpoint['id']}/deliveries", headers=STAFF).json[0]["status"] == "pending"
    client.post(f"/v1/endpoints/{endpoint['id']}/resume", headers=STAFF)
    drain(dispatch, lambda: receiver.received, message="the held delivery")


def test_after_rotation_deliveries_verify_with_the_old_and_the_new_secret(app, receiver):
    client = app.test_client()
    endpoint = register(client, receiver.url, event_types=["CallOpened", "CallClosed"])
    rotated = client.post(f"/v1/endpoints/{endpoint['id']}/rotate-secret", headers=STAFF).json
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != endpoint["secret"]
    events = flow_2018()
    fan_out(app, events[0])
    drain(dispatcher(app), lambda: receiver.received, message="delivery after rotation")
    [item] = receiver.received
    for secret in (endpoint["secret"], rotated["secret"]):
        receiver.secrets = [secret]
        assert receiver.verify(item.body, item.headers)[0], secret
    assert item.headers["webhook-signature"].count("v1,") == 2

    # After 24 hours only the new secret signs: tests/unit/webhooks (a receiver's clock rejects a
    # timestamp a day ahead, so the expiry is proven on the domain with a fixed clock).

def test_failed_deliveries_since_a_time_are_replayed_with_their_webhook_ids(pg_database, receiver):
    app = webhooks_app(pg_database("webhooks"), options(retry=RetryPolicy(schedule=(0,))))
    client = app.test_client()
    endpoint = register(client, receiver.url, event_types=["ApplicationSubmitted"])
    receiver.respond = lambda item, count: (503, {}, "") if count == 1 else (200, {}, "")
    fan_out(app, *flow_2018()[1:4])
    dispatch = dispatcher(app)
    deliveries = f"/v1/endpoints/{endpoint['id']}/deliveries"
    drain(dispatch, lambda: len(client.get(f"{deliveries}?status=failed", headers=STAFF).json) == 3,
          message="three failed")
    first_ids = sorted(receiver.ids())
    one = client.get(deliveries, headers=STAFF).json[0]["id"]
    assert client.post(f"{deliveries}/{one}/replay", headers=STAFF).status_code == 202
    assert client.post(f"{deliveries}/{one}/replay", headers=STAFF).status_code == 409  # still being attempted
    replayed = client.post(f"/v1/endpoints/{endpoint['id']}/replay", headers=STAFF,
                           json={"since": (now() - timedelta(hours=1)).isoformat()}).json
    assert replayed == {"replayed": 2}
    drain(dispatch, lambda: len(client.get(f"{deliveries}?status=delivered", headers=STAFF).json) == 3,
          message="all delivered")
    assert sorted(receiver.ids()) == first_ids and len(receiver.received) == 6
