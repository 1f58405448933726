"""The portal's mails in their reader's language, against the whole platform as real processes and its SMTP
sink: German by default, English for whoever chose English. A person's language is the one they last used
in the portal (asking for a link, sending a form); a guest's is the one of the page they registered on, and
every later mail about the registration follows it, also when they act later from a German page."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest
import requests

from admin_support import AdminSession
from portal_support import add_person, approve_letter, mails_to, signin_link, subject_of, subjects, text_of
from programme_support import decided_call, ok, open_call, unique_ags
from support import bearer, eventually

pytestmark = pytest.mark.integration

RUN = uuid.uuid4().hex[:6]
# As in test_portal_event_mails: Wassenberg, Arnsberg and Siegen are selected, Lemgo is not.
TOWNS = (("Wassenberg", 18_500), ("Arnsberg", 74_200), ("Siegen", 102_000), ("Lemgo", 40_700))
PEOPLE = {  # key: (name, role, town, language or None for the default)
    "wassenberg_en": ("Jane Example", "municipality", "Wassenberg", "en"),
    "wassenberg_de": ("Jana Beispiel", "municipality", "Wassenberg", None),
    "lemgo_en": ("Leo Example", "municipality", "Lemgo", "en"),
    "lemgo_de": ("Lea Muster", "municipality", "Lemgo", None),
    "partner_siegen_en": ("Sam Partner", "partner", "Siegen", "en"),
    "partner_siegen_de": ("Sina Partner", "partner", "Siegen", None),
}
ENGLISH_TIME = re.compile(r"\d{1,2} [A-Z][a-z]+ \d{4}, \d{2}:\d{2} \(Berlin time\)")
GERMAN_TIME = re.compile(r"\d{2}\.\d{2}\.\d{4}, \d{2}:\d{2} Uhr")


def staff() -> dict:
    return bearer("staff", "test:portal-mail-languages")


@pytest.fixture(scope="module")
def programme(platform):
    call = decided_call(platform.urls, towns=TOWNS)
    ags = {town: call.applications[town]["ags"] for town, _ in TOWNS}
    people = {}
    for key, (name, role, town, language) in PEOPLE.items():
        people[key] = f"{key.replace('_', '.')}-{RUN}@example.org"
        extra = {"language": language} if language else {}
        add_person(platform, people[key], name, role, ags=ags[town], **extra)
    return {"call": call, "ags": ags, "people": people}


def the_mail(platform, address: str, prefix: str):
    (message,) = eventually(lambda: [m for m in mails_to(platform.smtp, address) if subject_of(m).startswith(prefix)],
                            timeout=180, interval=0.5, message=f"{prefix!r} to {address}")
    return message


def assert_english(message, greeting: str) -> str:
    text = text_of(message)
    assert message["Content-Language"] == "en" and text.startswith(f"Dear {greeting},")
    assert '<html lang="en">' in message.get_body(preferencelist=("html",)).get_content()
    return text


def assert_german(message, greeting: str) -> str:
    text = text_of(message)
    assert message["Content-Language"] == "de" and text.startswith(f"Guten Tag {greeting},")
    assert '<html lang="de">' in message.get_body(preferencelist=("html",)).get_content()
    return text


def workshop_of(platform, programme, town: str) -> dict:
    found = eventually(lambda: [w for w in ok(requests.get(
        f"{platform.url('workshops')}/v1/workshops", headers=staff(), timeout=30,
        params={"call_id": programme["call"].call_id, "page_size": 100})) if w["municipality"]["ags"] == programme["ags"][town]],
        timeout=180, interval=0.5, message=f"{town}'s workshops planned")
    return found[0]


def schedule(platform, workshop: dict, days: int) -> dict:
    start = datetime.now(timezone.utc) + timedelta(days=days)
    return ok(requests.patch(f"{platform.url('workshops')}/v1/workshops/{workshop['id']}", headers=staff(), timeout=30,
                             json={"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=4)).isoformat(),
                                   "venue": "Rathaus", "capacity": 10,
                                   "registration_opens_at": (datetime.now(timezone.utc)
                                                             - timedelta(hours=1)).isoformat()}))


def register(platform, workshop: dict, name: str, email: str, language: str) -> None:
    guest = AdminSession(platform.url("portal"))
    guest.get(f"/language/{language}")
    answer = guest.post(f"/workshops/{workshop['id']}", {
        "name": name, "email": email, "organisation": "", "participant_type": "school", "consent": "y"})
    assert answer.status_code == 302, answer.text[:2000]


def test_a_guest_reads_every_mail_in_the_language_of_the_page_they_registered_on(programme, platform):
    workshop = schedule(platform, workshop_of(platform, programme, "Arnsberg"), days=40)
    anna, ben = f"anna.school-{RUN}@example.org", f"ben.schule-{RUN}@example.org"
    register(platform, workshop, "Anna School", anna, "en")
    register(platform, workshop, "Ben Schule", ben, "de")
    confirmed = the_mail(platform, anna, "Registration confirmed: ")
    assert subject_of(confirmed) == f"Registration confirmed: {workshop['title']}"
    text = assert_english(confirmed, "Anna School")
    assert ENGLISH_TIME.search(text) and "View or cancel your registration" in text
    assert any(part.get_content_type() == "text/calendar" for part in confirmed.iter_attachments())
    text = assert_german(the_mail(platform, ben, "Anmeldung bestätigt: "), "Ben Schule")
    assert GERMAN_TIME.search(text)

    # the workshop moves: each guest hears of it in the language of their registration
    later = datetime.now(timezone.utc) + timedelta(days=47)
    ok(requests.patch(f"{platform.url('workshops')}/v1/workshops/{workshop['id']}", headers=staff(), timeout=30,
                      json={"starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=4)).isoformat()}))
    moved = the_mail(platform, anna, "New date: ")
    assert ENGLISH_TIME.search(assert_english(moved, "Anna School"))
    assert any(part.get_content_type() == "text/calendar" for part in moved.iter_attachments())
    assert GERMAN_TIME.search(assert_german(the_mail(platform, ben, "Neuer Termin: "), "Ben Schule"))

    # Anna cancels through her personal link, opened in a browser without her language: still English
    link = re.search(r"(http\S+/registrations/\S+)", text_of(confirmed)).group(1)
    parts = urlsplit(link)
    fresh = AdminSession(platform.url("portal"))
    assert fresh.post(f"{parts.path}?{parts.query}", {}).status_code == 302
    assert_english(the_mail(platform, anna, "Cancellation confirmed: "), "Anna School")
    assert subjects(platform, anna, "Abmeldung") == [] and subjects(platform, ben, "Registration") == []


def test_people_who_chose_english_are_invited_in_english_and_the_others_in_german(programme, platform):
    people = programme["people"]
    workshop = schedule(platform, workshop_of(platform, programme, "Siegen"), days=50)
    english, german = (f"Invitation to the strategy workshop: {workshop['title']}",
                       f"Einladung zur Strategiewerkstatt: {workshop['title']}")
    text = assert_english(the_mail(platform, people["partner_siegen_en"], english), "Sam Partner")
    assert "As a partner of Siegen" in text and ENGLISH_TIME.search(text)
    assert "Als Partner von Siegen" in assert_german(the_mail(platform, people["partner_siegen_de"], german),
                                                     "Sina Partner")
    # the not selected municipality's people
    text = assert_english(the_mail(platform, people["lemgo_en"], english), "Leo Example")
    assert "As a municipality that answered the call" in text and f"/workshops/{workshop['id']}" in text
    assert_german(the_mail(platform, people["lemgo_de"], german), "Lea Muster")


def test_a_person_who_chose_english_hears_of_the_decision_letter_in_english(programme, platform):
    call, people = programme["call"], programme["people"]
    approve_letter(platform, call, "Wassenberg")
    text = assert_english(the_mail(platform, people["wassenberg_en"], "Decision letter in the portal: "),
                          "Jane Example")
    assert "Wassenberg has been selected." in text and f"/municipality/calls/{call.call_id}" in text
    assert ENGLISH_TIME.search(text)
    text = assert_german(the_mail(platform, people["wassenberg_de"], "Entscheidungsschreiben im Portal: "),
                         "Jana Beispiel")
    assert "Wassenberg wurde ausgewählt." in text and GERMAN_TIME.search(text)


def test_a_municipality_working_in_english_gets_its_sign_in_receipt_and_withdrawal_in_english(platform):
    call_id = open_call(platform.urls, title=f"Smart City Languages {RUN}")
    ags, email = unique_ags(), f"kim.example-{RUN}@olpe.example.org"
    add_person(platform, email, "Kim Example", "municipality", ags=ags, organisation="Stadt Olpe")
    kim = AdminSession(platform.url("portal"))
    kim.get("/language/en")
    assert kim.post("/signin", {"email": email}).status_code == 200
    signin = the_mail(platform, email, "Your sign-in link for the Netzwerk vor Ort portal")
    assert "valid for 15 minutes" in assert_english(signin, "Kim Example")
    assert kim.post(urlsplit(signin_link(signin)).path, {}).status_code == 302

    form = f"/municipality/calls/{call_id}/application"
    answer = kim.post(form, {"name": "Olpe", "population": "25000", "contact_name": "Kim Example",
                             "contact_email": email, "statement": "Olpe stärkt die Innenstadt digital.",
                             "action": "submit"})
    assert answer.status_code == 302, answer.text[:2000]
    received = the_mail(platform, email, "Expression of interest received: ")
    assert subject_of(received) == f"Expression of interest received: Smart City Languages {RUN}"
    text = assert_english(received, "Kim Example")
    assert ENGLISH_TIME.search(text) and f"/municipality/calls/{call_id}" in text

    assert kim.post(f"/municipality/calls/{call_id}/withdraw", {},
                    token_from=f"/municipality/calls/{call_id}").status_code == 302
    withdrawn = the_mail(platform, email, "Expression of interest withdrawn: ")
    assert "no longer part of the selection" in assert_english(withdrawn, "Kim Example")
    assert [m["Content-Language"] for m in mails_to(platform.smtp, email)] == ["en"] * 3


@pytest.mark.parametrize(("language", "confirmation", "receipt", "greeting"), [
    ("en", "Netzwerk vor Ort: Please confirm your subscription", "Your enquiry to Netzwerk Innenstadt NRW",
     "Dear Mia Guest,"),
    ("de", "Netzwerk vor Ort: Bitte bestätigen Sie Ihre Anmeldung", "Ihre Anfrage an das Netzwerk Innenstadt NRW",
     "Guten Tag Mia Guest,"),
])
def test_the_newsletter_and_contact_forms_get_publishings_mails_in_the_language_of_their_page(
        platform, language, confirmation, receipt, greeting):
    guest = AdminSession(platform.url("portal"))
    guest.get(f"/language/{language}")
    subscriber, writer = f"mia.news-{language}-{RUN}@example.org", f"mia.contact-{language}-{RUN}@example.org"
    topic = re.search(r'name="topics"[^>]*value="([^"]+)"', guest.get("/newsletter").text).group(1)
    answer = guest.post("/newsletter", {"email": subscriber, "topics": topic})
    assert answer.status_code == 200, answer.text[:2000]
    mail = the_mail(platform, subscriber, confirmation)
    assert mail["Content-Language"] == language and text_of(mail).startswith("Hello," if language == "en" else "Guten Tag,")
    answer = guest.post("/contact", {"name": "Mia Guest", "email": writer, "organisation": "",
                                     "message": "Wie können wir teilnehmen?", "website": ""})
    assert answer.status_code == 200, answer.text[:2000]
    mail = the_mail(platform, writer, receipt)
    assert mail["Content-Language"] == language and text_of(mail).startswith(greeting)
