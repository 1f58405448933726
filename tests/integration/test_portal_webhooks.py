"""The portal's webhooks pages (issue 14) against the real webhooks service (its app served over HTTP on
PostgreSQL, its real fan-out consumer and dispatcher) and a real receiver: an organisation registers,
pauses, resumes, rotates and deletes its own endpoints, reads each endpoint's delivery log and replays one
delivery or every failed one since a time; another organisation never sees them. Everything goes through
the webhooks API with the signed-in person's own token."""
from __future__ import annotations

import re
import threading
import uuid
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from portal_support import Clock, post_form
from services.webhooks.domain import RetryPolicy
from shared.events.catalogue import make_event
from shared.pages import BERLIN
from support import settings
from webhooks_support import STAFF, Receiver, dispatcher, drain, fan_out, now, options, webhooks_app

pytestmark = pytest.mark.integration

WASSENBERG, ARNSBERG = "05370040", "05958004"
LONG_ANSWER = "x" * 3000


@pytest.fixture
def receiver():
    """Answers 500 with a long body until `receiver.healthy = True`."""
    running = Receiver()
    running.healthy = False
    running.respond = lambda item, count: (200, {}, "ok") if running.healthy else (500, {}, LONG_ANSWER)
    running.start()
    yield running
    running.stop()


@pytest.fixture
def world(pg_database, monkeypatch):
    from services.portal.app import PortalSettings, create_app

    hooks = webhooks_app(pg_database("webhooks"), options(retry=RetryPolicy(schedule=(0, 0.1), jitter=0.0)))
    server = make_server("127.0.0.1", 0, hooks, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("WEBHOOKS_URL", f"http://127.0.0.1:{server.server_port}")
    clock = Clock()
    portal = create_app(settings("portal", pg_database("portal"), "127.0.0.1:9"), clock=clock, portal=PortalSettings(
        base_url="http://portal.test", smtp_url="smtp://127.0.0.1:9", sender="Portal <portal@example.org>",
        office_email="office@example.org"))
    people = portal.extensions["vorort-portal"].people
    persons = {
        "jana": people.add(email="jana.beispiel@wassenberg.example.org", name="Jana Beispiel", role="municipality",
                           ags=WASSENBERG, now=clock(), organisation="Stadt Wassenberg"),
        "kai": people.add(email="kai.beispiel@wassenberg.example.org", name="Kai Beispiel", role="municipality",
                          ags=WASSENBERG, now=clock(), organisation="Stadt Wassenberg"),
        "tom": people.add(email="tom.muster@arnsberg.example.org", name="Tom Muster", role="municipality",
                          ags=ARNSBERG, now=clock(), organisation="Stadt Arnsberg"),
        "paula": people.add(email="paula.partner@ihk.example.org", name="Paula Partner", role="partner",
                            now=clock(), organisation="IHK Siegen"),
    }

    class World:
        pass

    handle = World()
    handle.hooks, handle.portal, handle.persons = hooks, portal, persons
    yield handle
    server.shutdown()
    thread.join(timeout=10)


def browser(world, who: str):
    """A signed-in person's session (signing in itself is tested in test_portal_signin)."""
    client = world.portal.test_client()
    with client.session_transaction() as session:
        session["person_id"] = world.persons[who].id
    return client


def register(client, url: str, event_types=("ApplicationSelected",)):
    return post_form(client, "/webhooks", {"url": url, "event_types": list(event_types),
                                           "contact_email": "it@wassenberg.example.org",
                                           "description": "Fachverfahren der Stadt"})


def endpoints_as_staff(world) -> list:
    return world.hooks.test_client().get("/v1/endpoints", headers=STAFF).json


def selected(ags: str, name: str):
    return make_event("ApplicationSelected", {
        "call_id": str(uuid.uuid4()), "application_id": str(uuid.uuid4()),
        "municipality": {"ags": ags, "name": name, "population": 18_500, "size_class": "small"},
        "rank": 1, "score": 4.5, "workshops_per_place": 2, "decided_at": now()}, source="/services/selection")


def test_an_organisation_registers_an_endpoint_and_sees_its_secret_once(world, receiver):
    jana = browser(world, "jana")
    page = jana.get("/webhooks")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Einen Endpunkt registrieren" in html and 'lang="de"' in html
    assert "ApplicationSelected" in html and "CallOpened" not in html  # what a municipality may receive

    answer = register(jana, receiver.url)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert "Endpunkt registriert" in html and "nur dieses eine Mal" in html
    secret = re.search(r"(whsec_[A-Za-z0-9+/=]+)", html).group(1)
    (endpoint,) = endpoints_as_staff(world)
    assert endpoint["owner"] == {"role": "municipality", "organisation": WASSENBERG}
    assert endpoint["url"] == receiver.url and endpoint["description"] == "Fachverfahren der Stadt"
    # the list and the endpoint's page never show the secret again
    assert receiver.url in jana.get("/webhooks").get_data(as_text=True)
    assert secret not in jana.get(f"/webhooks/{endpoint['id']}").get_data(as_text=True)
    # another clerk of the same town sees the town's endpoint
    assert receiver.url in browser(world, "kai").get("/webhooks").get_data(as_text=True)
    # only plain ids reach the API's paths ("?" would turn the item into the list)
    assert jana.get("/webhooks/%3F").status_code == 404
    assert jana.get(f"/webhooks/{endpoint['id']}/deliveries/..").status_code == 404
    # English on request
    jana.set_cookie("vorort_portal_lang", "en")
    assert "<h1>Webhook endpoint</h1>" in jana.get(f"/webhooks/{endpoint['id']}").get_data(as_text=True)


def test_a_refused_address_is_shown_at_the_field_and_nothing_is_registered(world):
    jana = browser(world, "jana")
    answer = register(jana, "http://10.20.30.40/hooks")  # a private address: refused by the webhooks service
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "Bitte prüfen Sie Ihre Eingaben" in html
    missing = post_form(jana, "/webhooks", {"url": "", "contact_email": ""}, token_from="/webhooks")
    assert missing.status_code == 400
    assert endpoints_as_staff(world) == []


def test_another_organisation_never_sees_or_changes_the_endpoint(world, receiver):
    register(browser(world, "jana"), receiver.url)
    (endpoint,) = endpoints_as_staff(world)
    fan_out(world.hooks, selected(WASSENBERG, "Wassenberg"))
    dispatch = dispatcher(world.hooks)
    drain(dispatch, lambda: len(receiver.received) >= 1, message="a first attempt")
    delivery = world.hooks.test_client().get(f"/v1/endpoints/{endpoint['id']}/deliveries", headers=STAFF).json[0]
    for who in ("tom", "paula"):
        other = browser(world, who)
        assert receiver.url not in other.get("/webhooks").get_data(as_text=True)
        assert other.get(f"/webhooks/{endpoint['id']}").status_code == 404
        assert other.get(f"/webhooks/{endpoint['id']}/deliveries/{delivery['id']}").status_code == 404
        for path, data in (("/pause", {}), ("/rotate-secret", {}), ("/delete", {"confirm": "y"}),
                           (f"/deliveries/{delivery['id']}/replay", {}),
                           ("/replay", {"since": "2026-01-01T00:00"})):
            answer = post_form(other, f"/webhooks/{endpoint['id']}{path}", data, token_from="/webhooks")
            assert answer.status_code == 404, (who, path, answer.status_code)
    (still,) = endpoints_as_staff(world)
    assert still["status"] == "active" and still["previous_secret_expires_at"] is None


def test_an_organisation_pauses_resumes_rotates_and_deletes_its_endpoint(world, receiver):
    jana = browser(world, "jana")
    register(jana, receiver.url)
    (endpoint,) = endpoints_as_staff(world)
    path = f"/webhooks/{endpoint['id']}"
    paused = post_form(jana, f"{path}/pause", {}, token_from=path, follow_redirects=True)
    assert "angehalten" in paused.get_data(as_text=True) and endpoints_as_staff(world)[0]["status"] == "paused"
    post_form(jana, f"{path}/resume", {}, token_from=path)
    assert endpoints_as_staff(world)[0]["status"] == "active"
    rotated = post_form(jana, f"{path}/rotate-secret", {}, token_from=path)
    assert rotated.status_code == 200 and "whsec_" in rotated.get_data(as_text=True)
    assert endpoints_as_staff(world)[0]["previous_secret_expires_at"] is not None
    unconfirmed = post_form(jana, f"{path}/delete", {}, token_from=path, follow_redirects=True)
    assert "Bitte bestätigen Sie" in unconfirmed.get_data(as_text=True) and len(endpoints_as_staff(world)) == 1
    deleted = post_form(jana, f"{path}/delete", {"confirm": "y"}, token_from=path, follow_redirects=True)
    assert "gelöscht" in deleted.get_data(as_text=True)
    assert endpoints_as_staff(world) == []


def test_the_delivery_log_shows_each_attempt_and_replays_one_or_every_failed_one(world, receiver):
    jana = browser(world, "jana")
    register(jana, receiver.url)
    (endpoint,) = endpoints_as_staff(world)
    path = f"/webhooks/{endpoint['id']}"
    # two decisions about Wassenberg fail at the receiver (500); Arnsberg's is not for this endpoint
    fan_out(world.hooks, selected(WASSENBERG, "Wassenberg"), selected(ARNSBERG, "Arnsberg"),
            selected(WASSENBERG, "Wassenberg"))
    api = world.hooks.test_client()

    def deliveries():
        return api.get(f"/v1/endpoints/{endpoint['id']}/deliveries", headers=STAFF).json
    dispatch = dispatcher(world.hooks)
    drain(dispatch, lambda: [d["status"] for d in deliveries()] == ["failed", "failed"], message="both failed")

    log = jana.get(path).get_data(as_text=True)
    assert log.count("fehlgeschlagen") >= 2 and ">500<" in log and " ms" in log
    first, second = deliveries()
    detail = jana.get(f"{path}/deliveries/{first['id']}").get_data(as_text=True)
    assert "Versuche" in detail and first["id"] in detail and "ApplicationSelected" in detail
    assert "x" * 1000 in detail and "x" * 1025 not in detail  # no more than 1 KiB of a response is kept

    receiver.healthy = True
    replayed = post_form(jana, f"{path}/deliveries/{first['id']}/replay", {}, token_from=path, follow_redirects=True)
    assert "derselben webhook-id" in replayed.get_data(as_text=True)
    drain(dispatch, lambda: {d["id"]: d["status"] for d in deliveries()}[first["id"]] == "delivered",
          message="the replayed delivery delivered")
    assert {d["id"]: d["status"] for d in deliveries()}[second["id"]] == "failed"

    since = (now() - timedelta(hours=1)).astimezone(BERLIN)  # what a person types: Berlin wall time
    answer = post_form(jana, f"{path}/replay", {"since": since.strftime("%Y-%m-%dT%H:%M")}, token_from=path,
                       follow_redirects=True)
    assert "1 fehlgeschlagene Zustellungen werden erneut gesendet" in answer.get_data(as_text=True)
    drain(dispatch, lambda: [d["status"] for d in deliveries()] == ["delivered", "delivered"],
          message="every failed one delivered")
    ids = [r.webhook_id for r in receiver.received]
    assert ids.count(first["id"]) >= 2 and ids.count(second["id"]) >= 2  # the same webhook-id on every attempt
    assert "zugestellt" in jana.get(path).get_data(as_text=True)
