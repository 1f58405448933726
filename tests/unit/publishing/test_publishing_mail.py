"""The e-mails: structure, headers, German content, escaping, and lint_message itself."""
from __future__ import annotations

import email
import email.policy
from dataclasses import replace
from datetime import timedelta
from email.message import EmailMessage

import pytest

from services.publishing.domain import create_enquiry, create_newsletter, decision_notice
from services.publishing.mail import (
    PersonalisedNewsletter,
    confirmation_message,
    enquiry_ack_message,
    lint_message,
    newsletter_message,
    notice_message,
)

from .publishing_helpers import BASE_URL, NOW, SENDER, UNSUBSCRIBE_URL


@pytest.fixture
def newsletter(selection_pub, workshop_pub):
    return create_newsletter(
        subject="Netzwerk vor Ort: Ergebnisse aus Wassenberg",
        intro="die erste Strategiewerkstatt in Wassenberg ist abgeschlossen.\n\nHier lesen Sie die Ergebnisse.",
        publication_ids=[workshop_pub.id, selection_pub.id],
        segment={"type": "all_members"},
        publications=[selection_pub, workshop_pub],
        now=NOW,
        newsletter_id="nl-2018-10",
    )


@pytest.fixture
def newsletter_mail(newsletter, selection_pub, workshop_pub):
    return newsletter_message(newsletter, [selection_pub, workshop_pub], "erika.musterfrau@wassenberg.example",
                              "Erika Musterfrau", UNSUBSCRIBE_URL, SENDER, base_url=BASE_URL, now=NOW)


def _parts(msg) -> dict[str, EmailMessage]:
    return {part.get_content_type(): part for part in msg.walk() if not part.is_multipart()}


def _all_messages(newsletter_mail):
    enquiry = create_enquiry(name="Jonas Test", email="jonas@example.org", organisation="Stadt Hamm",
                             message="Wie können wir teilnehmen?", now=NOW)
    subject, text = decision_notice("not_selected", "Hamm", "Lena Probe", "Smart City",
                                    selected_municipalities=["Wassenberg", "Arnsberg", "Siegen"])
    return {
        "newsletter": newsletter_mail,
        "confirmation": confirmation_message("neu@example.org", f"{BASE_URL}/confirm?token=abc", SENDER,
                                             topics=["Smart City"], valid_for=timedelta(days=7), now=NOW),
        "enquiry_ack": enquiry_ack_message(enquiry, SENDER, now=NOW),
        "notice": notice_message("lena.probe@hamm.example", "Lena Probe", subject, text, SENDER, now=NOW),
    }


@pytest.mark.parametrize("kind", ["newsletter", "confirmation", "enquiry_ack", "notice"])
def test_mails_are_multipart_with_utf8_text_and_html_and_pass_lint(newsletter_mail, kind):
    msg = _all_messages(newsletter_mail)[kind]
    assert msg.get_content_type() == "multipart/alternative"
    parts = _parts(msg)
    assert set(parts) == {"text/plain", "text/html"}
    assert all(p.get_content_charset() == "utf-8" for p in parts.values())
    assert lint_message(msg) == []
    # What arrives at the other end (bytes, parsed again) is just as clean.
    assert lint_message(email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)) == []


@pytest.mark.parametrize("kind", ["newsletter", "confirmation", "enquiry_ack", "notice"])
def test_headers_are_ascii_on_the_wire_even_with_umlauts(newsletter_mail, kind):
    msg = _all_messages(newsletter_mail)[kind]
    head = msg.as_bytes().split(b"\n\n", 1)[0]
    head.decode("ascii")  # raises if anything non-ASCII were left unencoded
    assert str(msg["From"]) == f"Netzwerk Innenstadt NRW <{SENDER}>"


def test_newsletter_carries_one_click_unsubscribe(newsletter_mail):
    assert newsletter_mail["List-Unsubscribe"] == f"<{UNSUBSCRIBE_URL}>"
    assert newsletter_mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert UNSUBSCRIBE_URL in _parts(newsletter_mail)["text/plain"].get_content()


def test_newsletter_is_addressed_and_dated(newsletter_mail):
    assert newsletter_mail["To"] == "Erika Musterfrau <erika.musterfrau@wassenberg.example>"
    assert newsletter_mail["Subject"] == "Netzwerk vor Ort: Ergebnisse aus Wassenberg"
    assert newsletter_mail["Date"].datetime == NOW


def test_newsletter_contains_the_results_in_german_with_links(newsletter_mail, workshop_pub):
    text = _parts(newsletter_mail)["text/plain"].get_content()
    html = _parts(newsletter_mail)["text/html"].get_content()
    assert text.startswith("Guten Tag Erika Musterfrau,")
    assert "Ergebnisse der 1. Strategiewerkstatt in Wassenberg" in text
    assert "Mobilstationen am Roßtorplatz (Handlungsfeld Mobilität)" in text
    assert f"{BASE_URL}/results/{workshop_pub.id}" in text
    assert f'href="{BASE_URL}/results/{workshop_pub.id}"' in html
    assert '<html lang="de">' in html
    # Newest publication first, as listed in the newsletter.
    assert text.index("Strategiewerkstatt in Wassenberg") < text.index("Ausgewählte Kommunen")


def test_message_id_is_stable_per_newsletter_and_recipient(newsletter, selection_pub, workshop_pub, newsletter_mail):
    def message_id(address, newsletter=newsletter):
        return newsletter_message(newsletter, [selection_pub, workshop_pub], address, None, UNSUBSCRIBE_URL,
                                  SENDER, now=NOW + timedelta(hours=5))["Message-ID"]

    assert message_id("Erika.Musterfrau@Wassenberg.example") == newsletter_mail["Message-ID"]
    assert message_id("lena.probe@hamm.example") != newsletter_mail["Message-ID"]
    next_issue = replace(newsletter, id="nl-2018-11")
    assert message_id("erika.musterfrau@wassenberg.example", newsletter=next_issue) != newsletter_mail["Message-ID"]
    assert "erika" not in newsletter_mail["Message-ID"]  # the address is not exposed
    assert newsletter_mail["Message-ID"].endswith("@innenstadt-nrw.example>")


def test_html_part_escapes_what_people_typed(selection_pub, workshop_pub):
    newsletter = create_newsletter(subject="Ergebnisse <script>alert(1)</script>", intro="<b>fett</b> & mehr",
                                   publication_ids=[workshop_pub.id], segment={"type": "all_members"},
                                   publications=[workshop_pub], now=NOW)
    msg = newsletter_message(newsletter, [workshop_pub], "a@example.org", "<img src=x>", UNSUBSCRIBE_URL, SENDER, now=NOW)
    html = _parts(msg)["text/html"].get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;fett&lt;/b&gt; &amp; mehr" in html
    assert "<img" not in html


def test_subscriber_newsletter_explains_why_it_arrives(selection_pub, workshop_pub):
    newsletter = create_newsletter(subject="Neu", intro="", publication_ids=[workshop_pub.id],
                                   segment={"type": "subscribers", "topic": "Smart City"},
                                   publications=[workshop_pub], now=NOW)
    msg = newsletter_message(newsletter, [workshop_pub], "a@example.org", None, UNSUBSCRIBE_URL, SENDER, now=NOW)
    text = _parts(msg)["text/plain"].get_content()
    assert text.startswith("Guten Tag,")
    assert "weil Sie die Ergebnisse zum Thema „Smart City“ abonniert haben" in text


def test_newsletter_refuses_a_non_https_unsubscribe_link_or_missing_results(newsletter, selection_pub, workshop_pub):
    with pytest.raises(ValueError):
        newsletter_message(newsletter, [selection_pub, workshop_pub], "a@example.org", None,
                           "http://insecure.example/unsubscribe", SENDER)
    with pytest.raises(ValueError):
        newsletter_message(newsletter, [selection_pub], "a@example.org", None, UNSUBSCRIBE_URL, SENDER)


def test_confirmation_mail_carries_the_double_opt_in_link():
    msg = confirmation_message("neu@example.org", f"{BASE_URL}/confirm?token=abc", SENDER,
                               topics=["Smart City", "Mobilität"], valid_for=timedelta(days=7), now=NOW)
    text = _parts(msg)["text/plain"].get_content()
    assert f"{BASE_URL}/confirm?token=abc" in text
    assert "„Smart City“ und „Mobilität“" in text and "7 Tage gültig" in text
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg.get("List-Unsubscribe") is None


def test_enquiry_acknowledgement_does_not_echo_the_message():
    enquiry = create_enquiry(name="Jonas Test", email="jonas@example.org", organisation="",
                             message="Kaufen Sie billige Uhren unter http://spam.example", now=NOW)
    msg = enquiry_ack_message(enquiry, SENDER, now=NOW)
    for part in _parts(msg).values():
        assert "spam.example" not in part.get_content()
    assert "am 1. Oktober 2018 um 11:00 Uhr" in _parts(msg)["text/plain"].get_content()


def test_notice_mail_keeps_the_letter(newsletter_mail):
    subject, text = decision_notice("selected", "Siegen", "Max Beispiel", "Smart City")
    msg = notice_message("max.beispiel@siegen.example", "Max Beispiel", subject, text, SENDER, now=NOW)
    assert msg["Subject"] == "Netzwerk vor Ort: Siegen wurde ausgewählt"
    assert _parts(msg)["text/plain"].get_content().startswith("Guten Tag Max Beispiel,\n\nwir freuen uns")
    assert "<p>Guten Tag Max Beispiel,</p>" in _parts(msg)["text/html"].get_content()


# --- lint_message finds the problems it promises to find ---------------------------------------------

def test_lint_reports_newsletter_without_list_unsubscribe(newsletter_mail):
    del newsletter_mail["List-Unsubscribe"]
    del newsletter_mail["List-Unsubscribe-Post"]
    problems = lint_message(newsletter_mail)
    assert "missing header: List-Unsubscribe" in problems
    assert any("List-Unsubscribe-Post" in p for p in problems)


def test_lint_reports_missing_parts_and_headers():
    msg = EmailMessage()
    msg["Subject"] = "Nur Text"
    msg.set_content("Hallo")
    problems = lint_message(msg, bulk=True)
    for expected in ("missing header: From", "missing header: To", "missing header: Date",
                     "missing header: Message-ID", "no html part (text/html)", "missing header: List-Unsubscribe"):
        assert expected in problems
    assert any(p.startswith("not multipart/alternative") for p in problems)


def test_lint_reports_html_only_mail():
    msg = EmailMessage()
    msg.set_content("<p>Hallo</p>", subtype="html")
    assert "no text part (text/plain)" in lint_message(msg)


def test_lint_reports_unencoded_non_ascii_header():
    msg = EmailMessage(policy=email.policy.default.clone(utf8=True))
    msg["Subject"] = "Grüße aus Wassenberg"
    msg.set_content("Hallo")
    assert "header Subject contains non-ASCII characters that are not encoded" in lint_message(msg)


def test_lint_reports_unrendered_template_syntax(newsletter_mail):
    broken = EmailMessage()
    for name in ("From", "To", "Subject", "Date", "Message-ID"):
        broken[name] = newsletter_mail[name]
    broken.set_content("Guten Tag {{ name }},")
    broken.add_alternative("<p>Guten Tag</p>", subtype="html")
    assert lint_message(broken) == ["text/plain part contains unrendered template syntax"]


@pytest.mark.parametrize("name", ["Erika Musterfrau", None, "Jürgen Müller, Äbtissin", "<img src=x> & \"Co\"",
                                  "Zoë " + "Langname" * 12, "{{ kein Template }}", "Dr. Anna Beispiel",
                                  "Kim O'Neil-Beispiel", "Max  Doppelraum", "Ein " + "Name " * 13 + "Lang"])
@pytest.mark.parametrize("unsubscribe", [UNSUBSCRIBE_URL, UNSUBSCRIBE_URL + "&x=<1>" + "y" * 90])
@pytest.mark.parametrize("language", ["de", "en"])
def test_a_newsletter_rendered_once_and_personalised_is_the_mail_rendered_for_the_recipient(
        newsletter, selection_pub, workshop_pub, name, unsubscribe, language):
    address = "erika.musterfrau@wassenberg.example"
    expected = newsletter_message(newsletter, [selection_pub, workshop_pub], address, name, unsubscribe, SENDER,
                                  base_url=BASE_URL, now=NOW, language=language)
    once = PersonalisedNewsletter(newsletter, [selection_pub, workshop_pub], SENDER, base_url=BASE_URL,
                                  language=language)
    raw, message_id = once.message(address, name, unsubscribe, NOW)
    got = email.message_from_string(raw, policy=email.policy.default)
    assert message_id == str(expected["Message-ID"])
    wire = expected.as_string()
    expected = email.message_from_string(wire, policy=email.policy.default)  # as the server receives it
    assert got.keys() == expected.keys()
    assert [(k, str(v)) for k, v in got.items() if k != "Content-Type"] == \
        [(k, str(v)) for k, v in expected.items() if k != "Content-Type"]
    # The same header text on the wire (the multipart boundary aside), and the same decoded parts.
    head = lambda text: [line for line in text.split("\n\n", 1)[0].splitlines() if "boundary=" not in line]  # noqa: E731
    assert head(raw) == head(wire)
    assert [(p.get_content_type(), p["Content-Transfer-Encoding"], p.get_content()) for p in _parts(got).values()] == \
        [(p.get_content_type(), p["Content-Transfer-Encoding"], p.get_content()) for p in _parts(expected).values()]
    problems = PersonalisedNewsletter.problems(raw, name)
    assert lint_message(got) == lint_message(expected) or problems
    assert bool(problems) == bool(lint_message(expected))


def test_a_personalised_newsletter_refuses_a_non_https_unsubscribe_link(newsletter, selection_pub, workshop_pub):
    once = PersonalisedNewsletter(newsletter, [selection_pub, workshop_pub], SENDER, base_url=BASE_URL)
    with pytest.raises(ValueError):
        once.message("a@example.org", None, "http://vorort.example/unsubscribe", NOW)


def test_a_long_personal_unsubscribe_link_stands_in_list_unsubscribe_as_written(newsletter, selection_pub,
                                                                                   workshop_pub):
    """Mail clients read List-Unsubscribe (RFC 2369/8058) only as written: a link longer than a folded line
    must not become encoded words (the email package's way with a long line), on either sending path."""
    link = UNSUBSCRIBE_URL + "&token=" + "eyJhbGciOiJFUzI1NiJ9" * 6
    ordinary = newsletter_message(newsletter, [selection_pub, workshop_pub], "a@example.org", "Erika", link, SENDER,
                                  base_url=BASE_URL, now=NOW).as_string()
    once = PersonalisedNewsletter(newsletter, [selection_pub, workshop_pub], SENDER, base_url=BASE_URL)
    personalised, _ = once.message("a@example.org", "Erika", link, NOW)
    for raw in (ordinary, personalised):
        head = raw.split("\n\n", 1)[0]
        assert f"\nList-Unsubscribe: <{link}>\n" in head and "=?utf-8?" not in head
