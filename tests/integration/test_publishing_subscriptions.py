"""Double opt-in and unsubscribing, end to end through a real SMTP server: an unconfirmed subscriber receives
nothing, an unsubscribed one nothing more, and a forged or expired link is refused."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from publishing_support import (BASE_URL, SECRET, SENDER, STAFF, link_in, mail_sink, path_of, published_draft,
                                text_part)
from services.publishing.app import build_dispatcher, create_app
from services.publishing.domain import make_token
from services.publishing.mail import lint_message
from services.publishing.settings import PublishingSettings
from support import eventually, settings

pytestmark = pytest.mark.integration

TOPIC = "Smart City"
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


@pytest.fixture
def sink():
    with mail_sink() as server:
        yield server


@pytest.fixture
def app(pg_database, sink):
    options = PublishingSettings(smtp_url=sink.url, base_url=BASE_URL, secret=SECRET, sender=SENDER,
                                 smtp_rate_per_second=0, smtp_retry_base_s=0.05)
    return create_app(settings("publishing", pg_database("publishing"), "127.0.0.1:1"), options=options)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def dispatcher(app):
    dispatcher = build_dispatcher(app.extensions["vorort"], directory=object())
    yield dispatcher
    dispatcher.close()


def subscribe(client, email, topics=(TOPIC,)):
    response = client.post("/v1/subscriptions", json={"email": email, "topics": list(topics)})
    assert response.status_code == 202, response.json


def mails_to(sink, dispatcher, email, count=1):
    eventually(lambda: dispatcher.run_mails() or len(sink.to(email)) >= count, message=f"mail to {email}")
    return sink.to(email)


def confirm(client, sink, dispatcher, email):
    confirmation = mails_to(sink, dispatcher, email)[-1]
    response = client.get(path_of(link_in(confirmation, "/v1/subscriptions/confirm")))
    assert response.status_code == 200, response.json
    return response


def send_newsletter(client, dispatcher, publication_id, subject, segment):
    created = client.post("/v1/newsletters", headers=STAFF, json={
        "subject": subject, "intro": "", "publication_ids": [publication_id], "segment": segment})
    assert created.status_code == 201, created.json
    newsletter_id = created.json["id"]
    assert client.post(f"/v1/newsletters/{newsletter_id}/send", headers=STAFF, json={}).status_code == 202

    def sent():
        dispatcher.run_newsletters()
        return client.get(f"/v1/newsletters/{newsletter_id}", headers=STAFF).json["status"] == "sent"

    eventually(sent, message=f"newsletter {subject} sent")
    return client.get(f"/v1/newsletters/{newsletter_id}?recipients=true", headers=STAFF).json


def test_a_subscriber_gets_only_a_confirmation_until_confirming_and_nothing_after_unsubscribing(
        client, app, sink, dispatcher):
    ctx = app.extensions["vorort"]
    publication = published_draft(client, ctx)
    for email in ("unbestaetigt@example.org", "erika.musterfrau@example.org", "max.beispiel@example.org"):
        subscribe(client, email)

    confirmation = mails_to(sink, dispatcher, "erika.musterfrau@example.org")[0]
    assert str(confirmation["Subject"]) == "Netzwerk vor Ort: Bitte bestätigen Sie Ihre Anmeldung"
    assert "„Smart City“" in text_part(confirmation)
    assert lint_message(confirmation) == []
    confirmed = confirm(client, sink, dispatcher, "erika.musterfrau@example.org")
    assert confirmed.json == {"email": "erika.musterfrau@example.org", "status": "confirmed", "topics": [TOPIC]}
    page = client.get(path_of(link_in(confirmation, "/v1/subscriptions/confirm")), headers=BROWSER)
    assert page.status_code == 200 and "Anmeldung ist bestätigt" in page.get_data(as_text=True)  # twice is fine
    confirm(client, sink, dispatcher, "max.beispiel@example.org")

    segment = {"type": "subscribers", "topic": TOPIC}
    first = send_newsletter(client, dispatcher, publication["id"], "Erste Ergebnisse", segment)
    assert sorted(r["email"] for r in first["recipients"]) == ["erika.musterfrau@example.org",
                                                              "max.beispiel@example.org"]
    assert [str(m["Subject"]) for m in sink.to("unbestaetigt@example.org")] == [
        "Netzwerk vor Ort: Bitte bestätigen Sie Ihre Anmeldung"]  # the confirmation and nothing else

    newsletter_mail = sink.with_subject("Erste Ergebnisse")
    erikas = next(m for m in newsletter_mail if "erika" in str(m["To"]))
    assert lint_message(erikas) == []
    one_click = erikas["List-Unsubscribe"].strip("<>")
    assert one_click == link_in(erikas, "/v1/subscriptions/unsubscribe")
    landing = client.get(path_of(one_click), headers=BROWSER)  # a GET (a scanner, or the reader) changes nothing
    assert landing.status_code == 200 and "Jetzt abbestellen" in landing.get_data(as_text=True)
    confirmed_now = client.get("/v1/subscriptions?status=confirmed", headers=STAFF).json
    assert "erika.musterfrau@example.org" in [s["email"] for s in confirmed_now]
    response = client.post(path_of(one_click), data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and response.json["status"] == "unsubscribed"
    assert client.post(path_of(one_click), data="List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded").status_code == 200  # idempotent

    second = send_newsletter(client, dispatcher, publication["id"], "Zweite Ergebnisse", segment)
    assert [r["email"] for r in second["recipients"]] == ["max.beispiel@example.org"]
    assert [str(m["Subject"]) for m in sink.to("erika.musterfrau@example.org")] == [
        "Netzwerk vor Ort: Bitte bestätigen Sie Ihre Anmeldung", "Erste Ergebnisse"]
    assert len(sink.with_subject("Zweite Ergebnisse")) == 1


def test_a_member_who_unsubscribes_gets_no_more_newsletters(client, app, sink, dispatcher):
    ctx = app.extensions["vorort"]
    publication = published_draft(client, ctx)
    for name, email in (("IHK NRW", "jonas.test@ihk-nrw.example"), ("TU Dortmund", "mia@tu-dortmund.example")):
        assert client.post("/v1/members", headers=STAFF, json={
            "name": name, "kind": "partner", "email": email}).status_code == 201
    send_newsletter(client, dispatcher, publication["id"], "Für alle Mitglieder", {"type": "all_members"})
    mail = sink.to("jonas.test@ihk-nrw.example")[0]
    assert client.post(path_of(mail["List-Unsubscribe"].strip("<>")),
                       data="List-Unsubscribe=One-Click",
                       content_type="application/x-www-form-urlencoded").status_code == 200
    recipients = client.get("/v1/newsletters?page_size=1", headers=STAFF).json[0]
    second = send_newsletter(client, dispatcher, publication["id"], "Noch einmal für alle", {"type": "all_members"})
    assert [r["email"] for r in second["recipients"]] == ["mia@tu-dortmund.example"]
    assert recipients["progress"]["total"] == 2
    assert len(sink.to("jonas.test@ihk-nrw.example")) == 1


def test_someone_who_unsubscribed_can_subscribe_again_with_a_new_confirmation(client, sink, dispatcher):
    subscribe(client, "erika.musterfrau@example.org")
    confirm(client, sink, dispatcher, "erika.musterfrau@example.org")
    now = datetime.now(timezone.utc)
    token = make_token(SECRET, "unsubscribe", "erika.musterfrau@example.org", now)
    assert client.post(f"/v1/subscriptions/unsubscribe?token={token}").status_code == 200
    subscribe(client, "erika.musterfrau@example.org", ["Handel"])
    # Asking again within ten minutes sends no second confirmation: the form cannot be used to flood a stranger.
    assert len(mails_to(sink, dispatcher, "erika.musterfrau@example.org")) == 1
    fresh = make_token(SECRET, "confirm", "erika.musterfrau@example.org", now)
    confirmed = client.get(f"/v1/subscriptions/confirm?token={fresh}")
    assert confirmed.status_code == 200 and confirmed.json["topics"] == ["Handel"]
    listing = client.get("/v1/subscriptions?status=confirmed", headers=STAFF).json
    assert [(s["email"], s["topics"]) for s in listing] == [("erika.musterfrau@example.org", ["Handel"])]


def _forged(token: str) -> str:
    payload, signature = token.split(".")
    return payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]


@pytest.mark.parametrize("purpose", ["confirm", "unsubscribe"])
def test_forged_expired_and_misused_links_are_refused(client, sink, dispatcher, purpose):
    subscribe(client, "erika.musterfrau@example.org")
    now = datetime.now(timezone.utc)
    path = f"/v1/subscriptions/{purpose}"
    genuine = make_token(SECRET, purpose, "erika.musterfrau@example.org", now)
    other_purpose = make_token(SECRET, "unsubscribe" if purpose == "confirm" else "confirm",
                               "erika.musterfrau@example.org", now)
    cases = {
        "forged signature": (_forged(genuine), "not valid"),
        "someone else's key": (make_token("another-secret", purpose, "erika.musterfrau@example.org", now),
                               "not valid"),
        "another action's link": (other_purpose, "different action"),
        "incomplete": (genuine.split(".")[0], "incomplete"),
        "empty": ("", "incomplete"),
    }
    if purpose == "confirm":
        cases["expired"] = (make_token(SECRET, purpose, "erika.musterfrau@example.org", now - timedelta(days=8)),
                            "expired")
    else:
        cases["expired"] = (make_token(SECRET, purpose, "erika.musterfrau@example.org",
                                       now - timedelta(days=4 * 366)), "expired")
    for case, (token, words) in cases.items():
        for method in ("get", "post") if purpose == "unsubscribe" else ("get",):
            response = getattr(client, method)(f"{path}?token={token}")
            assert 400 <= response.status_code < 500, (case, method, response.status_code)
            assert words in str(response.json), (case, response.json)
            page = getattr(client, method)(f"{path}?token={token}", headers=BROWSER)
            assert 400 <= page.status_code < 500 and page.mimetype == "text/html", case
    assert client.get("/v1/subscriptions?status=confirmed", headers=STAFF).json == []
    assert client.get("/v1/subscriptions?status=unsubscribed", headers=STAFF).json == []
