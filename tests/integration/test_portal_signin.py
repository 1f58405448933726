"""Sign-in links of the portal: mailed in German with a plain-text part, single use, valid 15 minutes,
and the same answer for an unknown address as for a known one. The clock is injected; nobody sleeps."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from portal_support import Clock, mails_to, post_form, signin_link, text_of
from support import SmtpSink, settings

pytestmark = pytest.mark.integration

KNOWN = "jana.beispiel@wassenberg.example.org"


@pytest.fixture
def portal(pg_database):
    from services.portal.app import PortalSettings, create_app
    from services.portal.mail import MailSender

    smtp = SmtpSink().start()
    clock = Clock()
    portal_settings = PortalSettings(base_url="http://portal.test", smtp_url=smtp.url,
                                     sender="Portal <portal@example.org>", office_email="office@example.org")
    app = create_app(settings("portal", pg_database("portal"), "127.0.0.1:9"), clock=clock, portal=portal_settings)
    app.config["TESTING"] = True
    ctx = app.extensions["vorort-portal"]
    ctx.people.add(email=KNOWN, name="Jana Beispiel", role="municipality", ags="05370040", now=clock(),
                   organisation="Stadt Wassenberg")
    sender = MailSender(ctx.engine, smtp.url, portal_settings.sender, clock)

    class Portal:
        pass

    handle = Portal()
    handle.app, handle.clock, handle.smtp, handle.send = app, clock, smtp, sender.send_pending
    yield handle
    smtp.stop()


def ask_for_link(client, address: str):
    return post_form(client, "/signin", {"email": address})


def local(url: str) -> str:
    return urlsplit(url).path


def test_a_known_address_gets_a_german_mail_with_a_link_that_signs_in(portal):
    client = portal.app.test_client()
    answer = ask_for_link(client, KNOWN)
    assert answer.status_code == 200
    assert portal.send() == 1
    (message,) = mails_to(portal.smtp, KNOWN)
    assert message["Subject"] == "Ihr Anmeldelink für das Portal Netzwerk vor Ort"
    assert "15 Minuten" in text_of(message)
    assert message.get_body(preferencelist=("html",)) is not None
    link = local(signin_link(message))
    assert client.get(link).status_code == 200  # the confirmation page does not use the link up
    signed_in = post_form(client, link, {})
    assert signed_in.status_code == 302
    home = client.get("/").get_data(as_text=True)
    assert "Jana Beispiel" in home


def test_a_link_works_only_once(portal):
    client = portal.app.test_client()
    ask_for_link(client, KNOWN)
    portal.send()
    link = local(signin_link(mails_to(portal.smtp, KNOWN)[0]))
    assert post_form(client, link, {}).status_code == 302
    other = portal.app.test_client()
    again = post_form(other, link, {}, token_from="/signin")
    assert again.status_code == 400
    assert "Jana Beispiel" not in other.get("/").get_data(as_text=True)


def test_a_link_expires_after_fifteen_minutes(portal):
    client = portal.app.test_client()
    ask_for_link(client, KNOWN)
    portal.send()
    link = local(signin_link(mails_to(portal.smtp, KNOWN)[0]))
    portal.clock.advance(minutes=14, seconds=59)
    assert client.get(link).status_code == 200
    portal.clock.advance(seconds=2)
    assert client.get(link).status_code == 400
    assert post_form(client, link, {}, token_from="/signin").status_code == 400
    assert "Jana Beispiel" not in client.get("/").get_data(as_text=True)


def test_an_unknown_address_gets_the_same_answer_and_no_mail(portal):
    known = ask_for_link(portal.app.test_client(), KNOWN)
    unknown = ask_for_link(portal.app.test_client(), "niemand@example.org")
    assert known.status_code == unknown.status_code == 200
    normalise = lambda response, address: response.get_data(as_text=True).replace(address, "ADDRESS")  # noqa: E731
    assert normalise(known, KNOWN) == normalise(unknown, "niemand@example.org")
    assert sorted(known.headers.keys()) == sorted(unknown.headers.keys())
    portal.send()
    assert mails_to(portal.smtp, "niemand@example.org") == []
    assert len(mails_to(portal.smtp, KNOWN)) == 1


def test_too_many_requests_for_one_address_are_refused_alike_for_known_and_unknown(portal):
    for address in (KNOWN, "niemand@example.org"):
        client = portal.app.test_client()
        answers = [ask_for_link(client, address).status_code for _ in range(6)]
        assert answers == [200] * 5 + [429]
    portal.send()
    assert len(mails_to(portal.smtp, KNOWN)) == 5
    portal.clock.advance(minutes=16)
    assert ask_for_link(portal.app.test_client(), KNOWN).status_code == 200


def test_the_database_keeps_only_the_hash_of_a_link(portal):
    from sqlalchemy import select

    from services.portal.db import signin_links

    client = portal.app.test_client()
    ask_for_link(client, KNOWN)
    portal.send()
    token = signin_link(mails_to(portal.smtp, KNOWN)[0]).rsplit("/", 1)[1]
    with portal.app.extensions["vorort-portal"].engine.connect() as connection:
        stored = [row.token_hash for row in connection.execute(select(signin_links))]
    assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


def person_language(portal, email: str) -> str:
    return portal.app.extensions["vorort-portal"].people.by_email(email).language


def test_a_link_asked_for_on_an_english_page_comes_in_english_and_the_person_keeps_english(portal):
    client = portal.app.test_client()
    client.get("/language/en")
    assert ask_for_link(client, KNOWN).status_code == 200
    assert portal.send() == 1
    (message,) = mails_to(portal.smtp, KNOWN)
    assert message["Subject"] == "Your sign-in link for the Netzwerk vor Ort portal"
    assert message["Content-Language"] == "en"
    assert text_of(message).startswith("Dear Jana Beispiel,") and "valid for 15 minutes" in text_of(message)
    assert '<html lang="en">' in message.get_body(preferencelist=("html",)).get_content()
    assert person_language(portal, KNOWN) == "en"
    assert post_form(client, local(signin_link(message)), {}).status_code == 302
    # the next link, asked for on a German page (another browser, German by default), comes in German again
    ask_for_link(portal.app.test_client(), KNOWN)
    portal.send()
    assert [m["Subject"] for m in mails_to(portal.smtp, KNOWN)][1] == "Ihr Anmeldelink für das Portal Netzwerk vor Ort"
    assert person_language(portal, KNOWN) == "de"


def test_a_signed_in_person_who_switches_the_language_or_sends_a_form_in_it_gets_mails_in_it(portal):
    client = portal.app.test_client()
    ask_for_link(client, KNOWN)
    portal.send()
    post_form(client, local(signin_link(mails_to(portal.smtp, KNOWN)[0])), {})
    assert person_language(portal, KNOWN) == "de"
    client.get("/language/en")  # switching while signed in
    assert person_language(portal, KNOWN) == "en"

    from services.portal.db import people
    from services.portal.people import remember_language

    with portal.app.extensions["vorort-portal"].engine.begin() as connection:
        person_id = connection.execute(people.select().where(people.c.email == KNOWN)).first().id
        remember_language(connection, person_id, "de")
    # a form sent from an English page (here: signing out) makes English the language of the person's mails
    assert post_form(client, "/signout", {}, token_from="/").status_code == 200
    assert person_language(portal, KNOWN) == "en"
