"""The dispatcher against a real HTTP receiver on a real PostgreSQL database: retries keep the
webhook-id, 410 disables, Retry-After is honoured, redirects are not followed, a name that turns private
is refused at delivery time, and an endpoint that fails for days is disabled and its contact told."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.webhooks.db import endpoint_notices
from services.webhooks.domain import RetryPolicy
from services.webhooks.egress import EgressPolicy
from webhooks_support import (LOCAL, STAFF, Receiver, dispatcher, drain, fan_out, flow_2018, now, options, register,
                              webhooks_app)

pytestmark = pytest.mark.integration


@pytest.fixture
def receiver():
    running = Receiver().start()
    yield running
    running.stop()


def _delivery(client, endpoint_id, status=None):
    query = f"?status={status}" if status else ""
    return client.get(f"/v1/endpoints/{endpoint_id}/deliveries{query}", headers=STAFF).json


def test_three_500s_then_200_send_the_same_webhook_id_four_times_and_mark_it_delivered(pg_database, receiver):
    app = webhooks_app(pg_database("webhooks"))
    client = app.test_client()
    endpoint = register(client, receiver.url, event_types=["CallOpened"])
    receiver.secrets = [endpoint["secret"]]
    receiver.respond = lambda item, count: (500, {}, "kaputt") if count <= 3 else (200, {}, "danke")
    fan_out(app, flow_2018()[0])

    drain(dispatcher(app), lambda: _delivery(client, endpoint["id"], "delivered"), message="delivered")

    assert len(receiver.received) == 4
    assert len(receiver.ids()) == 1
    assert all(r.verified for r in receiver.received), [r.error for r in receiver.received]
    [delivery] = _delivery(client, endpoint["id"])
    assert delivery["id"] == receiver.received[0].webhook_id
    assert delivery["status"] == "delivered" and delivery["attempts"] == 4 and delivery["response_code"] == 200
    detail = client.get(f"/v1/endpoints/{endpoint['id']}/deliveries/{delivery['id']}", headers=STAFF).json
    assert [a["response_code"] for a in detail["attempt_log"]] == [500, 500, 500, 200]
    assert detail["attempt_log"][0]["response_body"] == "kaputt"


def test_410_disables_the_endpoint_and_tells_its_contact(pg_database, receiver):
    db_url = pg_database("webhooks")
    app = webhooks_app(db_url)
    client = app.test_client()
    endpoint = register(client, receiver.url, event_types=["CallOpened", "CallClosed"])
    receiver.respond = lambda item, count: (410, {}, "weg")
    events = flow_2018()
    fan_out(app, events[0])

    drain(dispatcher(app), lambda: client.get(f"/v1/endpoints/{endpoint['id']}", headers=STAFF)
          .json["status"] == "disabled", message="disabled")

    assert len(receiver.received) == 1
    state = client.get(f"/v1/endpoints/{endpoint['id']}", headers=STAFF).json
    assert "410" in state["disabled_reason"]
    assert _delivery(client, endpoint["id"])[0]["status"] == "failed"
    with app.extensions["vorort"].engine.connect() as connection:
        [notice] = connection.execute(select(endpoint_notices)).mappings().all()
    assert notice["recipient"] == "it-betrieb@example.org" and "deaktiviert" in notice["subject"]
    fan_out(app, events[12])  # CallClosed: a disabled endpoint takes no new deliveries
    assert len(_delivery(client, endpoint["id"])) == 1


def test_retry_after_is_honoured_before_the_next_attempt(pg_database, receiver):
    app = webhooks_app(pg_database("webhooks"))
    client = app.test_client()
    endpoint = register(client, receiver.url, event_types=["CallOpened"])
    receiver.respond = lambda item, count: (429, {"Retry-After": "120"}, "") if count == 1 else (200, {}, "")
    fan_out(app, flow_2018()[0])
    dispatcher(app).run_once()

    [delivery] = _delivery(client, endpoint["id"])
    assert delivery["status"] == "pending" and delivery["response_code"] == 429
    wait = (_parse(delivery["next_attempt_at"]) - _parse(delivery["last_attempt_at"])).total_seconds()
    assert 119 <= wait <= 121  # the schedule says 0.2 s; the receiver asked for two minutes


def test_a_redirect_is_not_followed(pg_database, receiver):
    target = Receiver().start()  # 127.0.0.2 is loopback and not allowed: the redirect must not reach it
    try:
        app = webhooks_app(pg_database("webhooks"), options(retry=RetryPolicy(schedule=(0,))))
        client = app.test_client()
        endpoint = register(client, receiver.url, event_types=["CallOpened"])
        port = target.server.server_address[1]
        receiver.respond = lambda item, count: (302, {"Location": f"http://169.254.169.254:{port}/latest/"}, "")
        fan_out(app, flow_2018()[0])
        drain(dispatcher(app), lambda: _delivery(client, endpoint["id"], "failed"), message="failed")
        [delivery] = _delivery(client, endpoint["id"])
        assert delivery["response_code"] == 302 and "not followed" in delivery["last_error"]
        assert target.received == [] and len(receiver.received) == 1
    finally:
        target.stop()


def test_a_name_that_resolves_to_a_private_address_at_delivery_time_is_refused(pg_database, receiver):
    answers = {"hooks.partner.example": ["127.0.0.1"]}
    egress = EgressPolicy(allowed_networks=LOCAL, require_https=False,
                          resolver=lambda host, port: answers[host])
    app = webhooks_app(pg_database("webhooks"), options(egress=egress, retry=RetryPolicy(schedule=(0,))))
    client = app.test_client()
    port = receiver.server.server_address[1]
    endpoint = register(client, f"http://hooks.partner.example:{port}/hooks", event_types=["CallOpened"])
    answers["hooks.partner.example"] = ["10.20.30.40"]  # DNS rebinding after registration
    fan_out(app, flow_2018()[0])
    drain(dispatcher(app), lambda: _delivery(client, endpoint["id"], "failed"), message="refused")
    [delivery] = _delivery(client, endpoint["id"])
    assert delivery["response_code"] is None and "10.20.30.40" in delivery["last_error"]
    assert "private" in delivery["last_error"] and receiver.received == []


def test_an_endpoint_failing_everything_for_five_days_is_disabled_and_its_contact_mailed(pg_database, receiver):
    from support import SmtpSink

    from services.webhooks.delivery import send_notices

    smtp = SmtpSink().start()
    try:
        clock = _Clock(now() + timedelta(seconds=5))  # the bus clock: it stamps the deliveries too
        opts = options(retry=RetryPolicy(schedule=(0, 3600, 3600), jitter=0), smtp_url=smtp.url)
        app = webhooks_app(pg_database("webhooks"), opts, clock=clock)
        client = app.test_client()
        endpoint = register(client, receiver.url, event_types=["ApplicationSubmitted"])
        receiver.respond = lambda item, count: (503, {}, "Wartung")
        dispatch = dispatcher(app, clock)
        for day, event in enumerate(flow_2018()[1:8]):
            fan_out(app, event)
            dispatch.run_once()
            status = client.get(f"/v1/endpoints/{endpoint['id']}", headers=STAFF).json["status"]
            assert status == ("disabled" if day >= 5 else "active"), (day, status)
            clock.advance(timedelta(days=1))
        assert send_notices(app.extensions["vorort"].uow_factory, opts) == 1
        [mail] = smtp.messages
        assert mail["to"] == ["it-betrieb@example.org"] and b"deaktiviert" in mail["data"]
        assert client.post(f"/v1/endpoints/{endpoint['id']}/resume", headers=STAFF).json["status"] == "active"
    finally:
        smtp.stop()


class _Clock:
    def __init__(self, start):
        self.now = start

    def __call__(self):
        return self.now

    def advance(self, delta):
        self.now += delta


def _parse(text):
    from datetime import datetime

    return datetime.fromisoformat(text)


def test_a_cookie_a_receiver_sets_never_rides_along_to_a_later_delivery(pg_database, receiver):
    """Webhooks carry no state: a receiver's Set-Cookie is not kept and not sent back, neither to it nor to
    another organisation's endpoint on the same host."""
    app = webhooks_app(pg_database("webhooks"))
    client = app.test_client()
    endpoint = register(client, receiver.url, event_types=["CallOpened", "CallClosed"])
    receiver.secrets = [endpoint["secret"]]
    receiver.respond = lambda item, count: (200, {"Set-Cookie": "session=geheim; Path=/"}, "danke")
    opened, closed = flow_2018()[0], next(e for e in flow_2018() if e.type == "CallClosed")
    fan_out(app, opened)
    sender = dispatcher(app)
    drain(sender, lambda: len(receiver.received) >= 1, message="first delivery")
    fan_out(app, closed)
    drain(sender, lambda: len(receiver.received) >= 2, message="second delivery")
    assert all("cookie" not in item.headers for item in receiver.received), [i.headers for i in receiver.received]
