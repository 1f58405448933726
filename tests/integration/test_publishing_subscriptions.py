"""Double opt-in and unsubscribing, end to end through a real SMTP server: an unconfirmed subscriber receives
nothing, an unsubscribed one nothing more, and a forged or expired link is refused. The mails in the reader's
language: a subscriber who subscribed from an English page gets the confirmation and every newsletter's frame
in English (the publications as the office wrote them, in German), everyone else German; subscribing again
from a page in the other language changes it; an enquiry is acknowledged in the language of the page it came
from; a language the platform does not write is refused naming the field, with nothing written. The pages:
the pages a mail's links open are in the subscriber's language (German when the link names no one we may
believe), the subscribe answer's message in the request's, and the results pages German with a switch to
English (`?lang=en`)."""
from __future__ import annotations

import re
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


def subscribe(client, email, topics=(TOPIC,), language=None):
    language_chosen = {"language": language} if language else {}
    response = client.post("/v1/subscriptions", json={"email": email, "topics": list(topics), **language_chosen})
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


# --- the language of the mails -------------------------------------------------------------------
ENGLISH = ("kim.beispiel@example.org", "tom.muster@example.org")
GERMAN = ("erika.musterfrau@example.org", "max.beispiel@example.org", "lena.probe@example.org")
SEGMENT = {"type": "subscribers", "topic": TOPIC}


def html_part(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def test_a_subscriber_who_chose_english_gets_the_confirmation_and_newsletters_in_english_everyone_else_german(
        client, app, sink, dispatcher):
    publication = published_draft(client, app.extensions["vorort"])
    for email in ENGLISH:
        subscribe(client, email, language="en")
    subscribe(client, GERMAN[0], language="de")
    for email in GERMAN[1:]:
        subscribe(client, email)  # no language named: German
    for email in ENGLISH + GERMAN:
        (confirmation,) = mails_to(sink, dispatcher, email)
        english = email in ENGLISH
        assert str(confirmation["Subject"]) == ("Netzwerk vor Ort: Please confirm your subscription" if english
                                                else "Netzwerk vor Ort: Bitte bestätigen Sie Ihre Anmeldung")
        assert confirmation["Content-Language"] == ("en" if english else "de")
        assert text_part(confirmation).startswith("Hello," if english else "Guten Tag,")
        assert lint_message(confirmation) == []
        assert client.get(path_of(link_in(confirmation, "/v1/subscriptions/confirm"))).status_code == 200
    listing = client.get("/v1/subscriptions?status=confirmed", headers=STAFF).json
    assert {s["email"]: s["language"] for s in listing} == {**dict.fromkeys(ENGLISH, "en"), **dict.fromkeys(GERMAN, "de")}

    send_newsletter(client, dispatcher, publication["id"], "Netzwerk vor Ort: Ergebnisse aus Wassenberg", SEGMENT)
    newsletters = sink.with_subject("Netzwerk vor Ort: Ergebnisse aus Wassenberg")  # the office's subject for all
    assert sorted(str(m["To"]) for m in newsletters) == sorted(ENGLISH + GERMAN)
    for message in newsletters:  # each language's first in its batch built whole, the others personalised
        english = str(message["To"]) in ENGLISH
        text, html = text_part(message), html_part(message)
        assert lint_message(message) == []
        assert message["Content-Language"] == ("en" if english else "de")
        assert f'<html lang="{"en" if english else "de"}">' in html
        assert "Ergebnisse der 1. Strategiewerkstatt in Wassenberg" in text  # the publication, as written
        if english:
            assert text.startswith("Hello,\n\nThe results are published in German.")
            assert "Unsubscribe from this newsletter: " in text and "Unsubscribe from this newsletter</a>" in html
            assert "“Smart City”" in text and "abbestellen" not in text and "Guten Tag" not in html
        else:
            assert text.startswith("Guten Tag,") and "Newsletter abbestellen: " in text
            assert "The results are published in German." not in text and "Unsubscribe" not in html
        one_click = message["List-Unsubscribe"].strip("<>")
        assert one_click == link_in(message, "/v1/subscriptions/unsubscribe")


def test_subscribing_again_from_a_page_in_the_other_language_changes_the_language_of_the_mails(
        client, app, sink, dispatcher):
    publication = published_draft(client, app.extensions["vorort"])
    subscribe(client, "kim.beispiel@example.org", language="en")
    (confirmation,) = mails_to(sink, dispatcher, "kim.beispiel@example.org")
    assert client.get(path_of(link_in(confirmation, "/v1/subscriptions/confirm"))).status_code == 200
    subscribe(client, "kim.beispiel@example.org", language="de")  # the same topic from a German page: no mail, German now

    def language():
        (subscriber,) = client.get("/v1/subscriptions?status=confirmed", headers=STAFF).json
        return subscriber["language"]

    assert language() == "de"
    subscribe(client, "kim.beispiel@example.org")  # a request naming no language keeps it
    assert language() == "de"
    send_newsletter(client, dispatcher, publication["id"], "Neue Ergebnisse", SEGMENT)
    (newsletter,) = sink.with_subject("Neue Ergebnisse")
    assert newsletter["Content-Language"] == "de" and text_part(newsletter).startswith("Guten Tag,")
    subscribe(client, "kim.beispiel@example.org", (TOPIC, "Handel"), language="en")  # a new topic, from an English page
    assert language() == "en"
    send_newsletter(client, dispatcher, publication["id"], "Weitere Ergebnisse", SEGMENT)
    (newsletter,) = sink.with_subject("Weitere Ergebnisse")
    assert newsletter["Content-Language"] == "en" and text_part(newsletter).startswith("Hello,")


@pytest.mark.parametrize(("language", "subject", "greeting"), [
    ("en", "Your enquiry to Netzwerk Innenstadt NRW", "Dear Jonas Test,"),
    ("de", "Ihre Anfrage an das Netzwerk Innenstadt NRW", "Guten Tag Jonas Test,"),
    (None, "Ihre Anfrage an das Netzwerk Innenstadt NRW", "Guten Tag Jonas Test,"),
])
def test_an_enquiry_is_acknowledged_in_the_language_of_the_page_it_was_sent_from(
        client, sink, dispatcher, language, subject, greeting):
    body = {"name": "Jonas Test", "email": "jonas.test@example.org", "message": "Wie können wir teilnehmen?"}
    response = client.post("/v1/enquiries", json=body | ({"language": language} if language else {}))
    assert response.status_code == 201, response.json
    (ack,) = mails_to(sink, dispatcher, "jonas.test@example.org")
    assert str(ack["Subject"]) == subject and text_part(ack).startswith(greeting)
    assert ack["Content-Language"] == (language or "de") and lint_message(ack) == []


@pytest.mark.parametrize("language", ["fr", "EN", "", "english", 1, None])
def test_a_language_the_platform_does_not_write_is_refused_naming_the_field(client, sink, dispatcher, language):
    subscription = client.post("/v1/subscriptions", json={"email": "kim@example.org", "topics": [TOPIC],
                                                          "language": language})
    enquiry = client.post("/v1/enquiries", json={"name": "Kim", "email": "kim@example.org", "message": "Hallo",
                                                 "language": language})
    for response in (subscription, enquiry):
        assert response.status_code == 422, response.json
        assert list(response.json["errors"]["json"]) == ["language"]
    assert client.get("/v1/subscriptions", headers=STAFF).json == []
    assert client.get("/v1/enquiries", headers=STAFF).json == []
    assert dispatcher.run_mails() == 0 and sink.messages == []


def test_the_openapi_document_names_the_languages_the_mails_are_written_in(client):
    document = client.get("/openapi.json").json
    schemas = document["components"]["schemas"]
    for name in ("SubscriptionCreate", "EnquiryCreate"):
        language = schemas[name]["properties"]["language"]
        assert language["enum"] == ["de", "en"] and language["description"], name
        assert "language" not in schemas[name].get("required", []), name


# --- the language of the pages -------------------------------------------------------------------
def page_of(response) -> str:
    assert response.mimetype == "text/html", response.mimetype
    return response.get_data(as_text=True)


def test_the_subscribe_answer_is_in_the_language_the_request_names_german_without_one(client):
    answers = {language: client.post("/v1/subscriptions", json={
        "email": f"leser.{language}@example.org", "topics": [TOPIC], **({"language": language} if language else {})})
        for language in ("en", "de", None)}
    assert all(answer.status_code == 202 for answer in answers.values())
    assert answers["en"].json["message"] == ("Please confirm your subscription with the link in the email we have "
                                             "sent you.")
    german = "Bitte bestätigen Sie Ihre Anmeldung über den Link in der E-Mail, die wir Ihnen geschickt haben."
    assert answers["de"].json["message"] == german and answers[None].json["message"] == german


def test_the_links_in_an_english_subscribers_mails_open_english_pages_a_german_subscribers_german(
        client, sink, dispatcher):
    subscribe(client, "kim.beispiel@example.org", language="en")
    subscribe(client, "erika.musterfrau@example.org")
    for email, english in (("kim.beispiel@example.org", True), ("erika.musterfrau@example.org", False)):
        (confirmation,) = mails_to(sink, dispatcher, email)
        confirm_link = path_of(link_in(confirmation, "/v1/subscriptions/confirm"))
        confirmed = page_of(client.get(confirm_link, headers=BROWSER))
        unsubscribe_link = path_of(re.search(r'href="([^"]+/v1/subscriptions/unsubscribe\?token=[^"]+)"',
                                             confirmed).group(1))
        landing = client.get(unsubscribe_link, headers=BROWSER)
        action = re.search(r'<form method="post" action="([^"]+)"', page_of(landing)).group(1)
        done = client.post(path_of(action), data="List-Unsubscribe=One-Click", headers=BROWSER,
                           content_type="application/x-www-form-urlencoded")
        cancelled = client.get(confirm_link, headers=BROWSER)  # confirming after unsubscribing: refused
        assert landing.status_code == done.status_code == 200 and cancelled.status_code == 409
        pages = (confirmed, page_of(landing), page_of(done), page_of(cancelled))
        assert all(f'<html lang="{"en" if english else "de"}">' in page for page in pages), email
        if english:
            assert "<title>Subscription confirmed – Netzwerk vor Ort</title>" in confirmed
            assert "Thank you, your subscription is confirmed" in confirmed and "“<span lang=\"de\">Smart City" in confirmed
            assert "<title>Unsubscribe – Netzwerk vor Ort</title>" in pages[1] and "Unsubscribe now</button>" in pages[1]
            assert "<title>Unsubscribed – Netzwerk vor Ort</title>" in pages[2]
            assert "We will no longer send news from “Netzwerk vor Ort” to <strong>kim.beispiel@example.org" in pages[2]
            assert "<h1>Confirmation not possible</h1>" in pages[3]
            assert "This subscription was cancelled. Please subscribe again." in pages[3]
            assert not any(word in "".join(pages) for word in ("Anmeldung", "abbestellen", "Ergebnisse"))
        else:
            assert "<title>Anmeldung bestätigt – Netzwerk vor Ort</title>" in confirmed
            assert "<title>Abbestellen – Netzwerk vor Ort</title>" in pages[1] and "Jetzt abbestellen" in pages[1]
            assert "<title>Abbestellt – Netzwerk vor Ort</title>" in pages[2]
            assert "Diese Anmeldung wurde abbestellt. Bitte melden Sie sich erneut an." in pages[3]
            assert not any(word in "".join(pages) for word in ("Subscription", "Unsubscribed", "Results", "the results"))


def test_a_link_error_page_is_in_the_subscribers_language_when_the_link_is_ours_german_otherwise(
        client, sink, dispatcher):
    subscribe(client, "kim.beispiel@example.org", language="en")
    now = datetime.now(timezone.utc)
    expired = make_token(SECRET, "confirm", "kim.beispiel@example.org", now - timedelta(days=8))
    page = client.get(f"/v1/subscriptions/confirm?token={expired}", headers=BROWSER)
    assert page.status_code == 403 and '<html lang="en">' in page_of(page)
    assert "<title>Confirmation not possible – Netzwerk vor Ort</title>" in page_of(page)
    assert "This link has expired. Please subscribe again" in page_of(page)
    wrong_action = make_token(SECRET, "confirm", "kim.beispiel@example.org", now)
    page = client.get(f"/v1/subscriptions/unsubscribe?token={wrong_action}", headers=BROWSER)
    assert page.status_code == 403 and "<h1>Unsubscribing not possible</h1>" in page_of(page)
    assert "This link is not valid. Please copy the complete link from the email." in page_of(page)
    # A forged link (or another key's) names no one we may believe: German, telling nothing about the address.
    for token in (_forged(make_token(SECRET, "unsubscribe", "kim.beispiel@example.org", now)),
                  make_token("another-secret", "unsubscribe", "kim.beispiel@example.org", now)):
        page = client.get(f"/v1/subscriptions/unsubscribe?token={token}", headers=BROWSER)
        assert page.status_code == 403 and '<html lang="de">' in page_of(page)
        assert "Dieser Link ist ungültig." in page_of(page) and "Abbestellen nicht möglich" in page_of(page)


def test_the_results_pages_are_german_with_a_switch_to_english_and_english_with_lang_en(client, app):
    publication = published_draft(client, app.extensions["vorort"])
    own = f"{BASE_URL}/results/{publication['id']}"
    german = client.get("/results", headers=BROWSER)
    assert german.status_code == 200 and german.headers["Cache-Control"] == "public, max-age=60"
    page = page_of(german)
    assert '<html lang="de">' in page and "<title>Ergebnisse – Netzwerk vor Ort</title>" in page
    assert "<h1>Ergebnisse von „Netzwerk vor Ort“</h1>" in page and f'<a href="{own}">' in page
    assert f'<a href="{BASE_URL}/results?lang=en" lang="en" hreflang="en">English</a>' in page
    assert '<span aria-current="true" lang="de">Deutsch</span>' in page
    assert "The results are published in German." not in page

    english = client.get(path_of(f"{BASE_URL}/results?lang=en"), headers=BROWSER)  # the switch's link
    page = page_of(english)
    assert english.status_code == 200 and english.headers["Cache-Control"] == "public, max-age=60"
    assert '<html lang="en">' in page and "<title>Results – Netzwerk vor Ort</title>" in page
    assert "<h1>Results of “Netzwerk vor Ort”</h1>" in page and "The results are published in German." in page
    assert f'<h2 lang="de"><a href="{own}?lang=en">{publication["title"]}</a></h2>' in page  # as written
    assert f'<a href="{BASE_URL}/results" lang="de" hreflang="de">Deutsch</a>' in page
    assert "Published on " in page and "Veröffentlicht" not in page

    for language, published, note in (("de", "Veröffentlicht am ", False), ("en", "Published on ", True)):
        response = client.get(f"/results/{publication['id']}" + ("?lang=en" if language == "en" else ""),
                              headers=BROWSER)
        page = page_of(response)
        assert response.status_code == 200 and f'<html lang="{language}">' in page
        assert f"<title>{publication['title']} – Netzwerk vor Ort</title>" in page and published in page
        assert ("The results are published in German." in page) is note
        other = "de" if language == "en" else "en"
        assert f'<a href="{own}{"?lang=en" if other == "en" else ""}" lang="{other}" hreflang="{other}">' in page

    for language, title, text in (("de", "Nicht gefunden", "Dieses Ergebnis gibt es nicht"),
                                  ("en", "Not found", "This result does not exist or has not been published yet.")):
        missing = client.get(f"/results/no-such-result?lang={language}", headers=BROWSER)
        assert missing.status_code == 404 and f'<html lang="{language}">' in page_of(missing)
        assert f"<h1>{title}</h1>" in page_of(missing) and text in page_of(missing)
    refused = client.get("/results?lang=fr", headers=BROWSER)
    assert refused.status_code == 422 and list(refused.json["errors"]["query"]) == ["lang"]
