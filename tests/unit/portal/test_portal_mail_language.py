"""The portal's mails in the reader's language: German by default, English for whoever chose English.
One rendering path (`mail.render(template, language=...)`) over one template folder per language; every
German template has an English counterpart with the same placeholders; the language travels with the queued
mail to its Content-Language header and the HTML's `lang`."""
from __future__ import annotations

from datetime import datetime, timezone
import pytest
from sqlalchemy import create_engine, select

from services.portal import mail
from services.portal.db import mails, metadata, people
from services.portal.people import LocalPeople, PersonError, mail_language, remember_language
from services.portal.signin import SigninLinks
from shared.mail_templates import language_mismatches, placeholders

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc)
STARTS = "2026-11-30T13:00:00+00:00"  # 14:00 in Berlin
WORKSHOP = {"id": "w-1", "title": "Strategiewerkstatt 1: Smart City in Wassenberg", "starts_at": STARTS,
            "venue": "Rathaus Wassenberg", "municipality": {"ags": "05370040", "name": "Wassenberg"}}
CALL = {"id": "c-1", "title": "Netzwerk vor Ort 2027", "closes_at": STARTS}
LETTER = {"id": "l-1", "kind": "selected", "subject": "Ihre Auswahl", "sent_at": STARTS,
          "recipient": {"name": "Kim Beispiel"}}
# A context that fills every placeholder of every mail.
CONTEXT = {"registration": {"name": "Anna Schule", "waitlist_position": 2}, "workshop": WORKSHOP,
           "link": "https://portal.example.org/the-link", "call": CALL, "contact_name": "Kim Beispiel",
           "municipality": "Wassenberg", "withdrawn_at": STARTS, "name": "Jana Beispiel", "letter": LETTER,
           "enquiry": {"name": "Lea Muster", "email": "lea@example.org", "organisation": "", "message": "Hallo"},
           "person": {"name": "Jana Beispiel"}, "minutes": 15, "organisation": "Gesamtschule Wassenberg"}
TEMPLATES = sorted({path.stem for path in (mail.TEMPLATES / "de").iterdir() if not path.stem.startswith("_")})


def test_every_german_mail_template_has_an_english_counterpart_with_the_same_placeholders():
    german = sorted(path.name for path in (mail.TEMPLATES / "de").iterdir())
    english = sorted(path.name for path in (mail.TEMPLATES / "en").iterdir())
    assert german == english, "the same mail templates in every language"
    assert len(TEMPLATES) >= 13 and "_footer.html" in german
    for filename in german:
        assert placeholders(mail.TEMPLATES / "en" / filename) == placeholders(mail.TEMPLATES / "de" / filename), filename
    assert language_mismatches(mail.TEMPLATES) == []


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_mail_renders_in_both_languages_with_the_subject_line_of_its_language(template):
    german = mail.render(template, language="de", **CONTEXT)
    english = mail.render(template, language="en", **CONTEXT)
    for language, (subject, text, html) in (("de", german), ("en", english)):
        assert subject and "Betreff" not in subject and "Subject" not in subject
        assert not text.startswith(("Betreff:", "Subject:"))
        assert f'<html lang="{language}">' in html and f"<title>{subject}</title>" in html
    assert german[0] != english[0] and german[1] != english[1]
    # the same facts and links in both
    for fact in ("https://portal.example.org/the-link", "Anna Schule", "Jana Beispiel", "Wassenberg",
                 "Netzwerk vor Ort 2027", "Lea Muster"):
        assert (fact in german[1]) == (fact in english[1]), fact


def test_an_english_mail_has_an_english_subject_body_and_time():
    subject, text, html = mail.render("registration_confirmed", language="en", **CONTEXT)
    assert subject == "Registration confirmed: Strategiewerkstatt 1: Smart City in Wassenberg"
    assert text.startswith("Dear Anna Schule,")
    assert "on 30 November 2026, 14:00 (Berlin time) is confirmed" in text
    assert "https://portal.example.org/the-link" in text and 'href="https://portal.example.org/the-link"' in html


def test_a_german_mail_is_written_as_before():
    subject, text, html = mail.render("registration_confirmed", language="de", **CONTEXT)
    assert subject == "Anmeldung bestätigt: Strategiewerkstatt 1: Smart City in Wassenberg"
    assert text.startswith("Guten Tag Anna Schule,")
    assert "am 30.11.2026, 14:00 Uhr ist bestätigt" in text
    assert '<html lang="de">' in html


def test_times_in_berlin_the_way_each_language_writes_them():
    winter, summer = "2026-11-30T13:00:00Z", "2027-06-15T07:30:00Z"
    assert mail.mail_time(winter, "de") == "30.11.2026, 14:00 Uhr"
    assert mail.mail_time(summer, "de") == "15.06.2027, 09:30 Uhr"
    assert mail.mail_time(winter, "en") == "30 November 2026, 14:00 (Berlin time)"
    assert mail.mail_time(summer, "en") == "15 June 2027, 09:30 (Berlin time)"
    assert mail.mail_time(None, "de") == "(Termin folgt)"
    assert mail.mail_time(None, "en") == "(date to follow)"


def test_without_a_known_language_a_mail_is_german():
    assert mail.render("signin", language="fr", **CONTEXT) == mail.render("signin", language="de", **CONTEXT)
    assert mail.mail_language(None) == "de" and mail.mail_language("en") == "en"


@pytest.fixture
def engine():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def queued(engine) -> list:
    with engine.connect() as connection:
        return list(connection.execute(select(mails).order_by(mails.c.id)))


def test_a_queued_english_mail_is_sent_with_content_language_en_and_everything_else_it_had(engine):
    with engine.begin() as connection:
        assert mail.queue(connection, key="registration:r-1:confirmed", kind="registration_confirmed",
                          recipient="anna@example.org", template="registration_confirmed", now=NOW, language="en",
                          attachment=mail.Attachment("strategiewerkstatt.ics", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),
                          **CONTEXT)
        # the same key again (a retried request, a redelivered event) queues nothing, in any language
        assert not mail.queue(connection, key="registration:r-1:confirmed", kind="registration_confirmed",
                              recipient="anna@example.org", template="registration_confirmed", now=NOW,
                              language="de", **CONTEXT)
    (row,) = queued(engine)
    assert row.language == "en"
    sent = mail.message_of(row, mail.default_sender())
    assert sent["Content-Language"] == "en"
    assert sent["Subject"] == "Registration confirmed: Strategiewerkstatt 1: Smart City in Wassenberg"
    assert sent["To"] == "anna@example.org" and sent["Message-ID"]
    assert sent.get_body(preferencelist=("plain",)).get_content().startswith("Dear Anna Schule,")
    assert '<html lang="en">' in sent.get_body(preferencelist=("html",)).get_content()
    assert [part.get_filename() for part in sent.iter_attachments()] == ["strategiewerkstatt.ics"]


def test_a_persons_mails_follow_their_language_and_everyone_else_reads_german(engine):
    directory = LocalPeople(engine)
    jana = directory.add(email="Jana.Beispiel@wassenberg.example.org", name="Jana Beispiel", role="municipality",
                         ags="05370040", now=NOW)
    assert jana.language == "de"
    with engine.begin() as connection:
        remember_language(connection, jana.id, "en")
    assert directory.get(jana.id).language == "en"
    with engine.connect() as connection:
        assert mail_language(connection, "jana.beispiel@wassenberg.example.org") == "en"
        assert mail_language(connection, "niemand@example.org") == "de"
    with engine.begin() as connection:
        remember_language(connection, jana.id, "xx")  # not a language of the portal: nothing changes
    assert directory.get(jana.id).language == "en"
    # the office adding the person again keeps their choice unless it names one
    assert directory.add(email=jana.email, name="Jana Beispiel", role="municipality", ags="05370040",
                         now=NOW).language == "en"
    assert directory.add(email=jana.email, name="Jana Beispiel", role="municipality", ags="05370040",
                         now=NOW, language="de").language == "de"
    with pytest.raises(PersonError):
        directory.add(email="tom@example.org", name="Tom", role="partner", now=NOW, language="fr")


@pytest.mark.parametrize(("page_language", "subject", "minutes"), [
    ("en", "Your sign-in link for the Netzwerk vor Ort portal", "15 minutes"),
    ("de", "Ihr Anmeldelink für das Portal Netzwerk vor Ort", "15 Minuten"),
])
def test_a_sign_in_link_is_mailed_in_the_language_it_was_asked_in_which_the_person_keeps(
        engine, page_language, subject, minutes):
    directory = LocalPeople(engine)
    person = directory.add(email="jana@example.org", name="Jana Beispiel", role="partner", now=NOW,
                           language="en" if page_language == "de" else "de")
    links = SigninLinks(engine, directory, lambda: NOW, "https://portal.example.org")
    links.request("jana@example.org", "192.0.2.1", language=page_language)
    (row,) = queued(engine)
    assert (row.subject, row.language) == (subject, page_language)
    assert minutes in row.text_body and f'<html lang="{page_language}">' in row.html_body
    assert directory.get(person.id).language == page_language
    with engine.connect() as connection:
        assert connection.execute(select(people.c.language)).scalar() == page_language


def test_the_office_reads_an_enquiry_in_german():
    assert mail.OFFICE_LANGUAGE == "de"
    subject, text, _html = mail.render("office_enquiry", language=mail.OFFICE_LANGUAGE, **CONTEXT)
    assert subject == "Neue Anfrage über das Portal von Lea Muster" and text.startswith("Guten Tag,")
