"""Publishing's mails in the reader's language, the platform's way (shared.mail_templates, as the portal's):
German by default, English for whoever chose English; one template folder per language with the same files
and placeholders; the HTML's `lang` and the Content-Language header are the mail's. What the office writes
(a newsletter's subject and intro, the publications, a decision notice) stays as written."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from services.publishing import domain
from services.publishing.domain import create_enquiry, create_newsletter, decision_notice
from services.publishing.mail import (MAIL_TEMPLATES, NOTICE_LANGUAGE, TEMPLATES, confirmation_message,
                                      enquiry_ack_message, newsletter_message, notice_message)
from shared.errors import InvalidInput
from shared.mail_templates import LANGUAGES, language_mismatches, placeholders

from .publishing_helpers import BASE_URL, NOW, SENDER, UNSUBSCRIBE_URL


def parts(message) -> tuple[str, str]:
    return (message.get_body(preferencelist=("plain",)).get_content(),
            message.get_body(preferencelist=("html",)).get_content())


def test_every_german_mail_template_has_an_english_counterpart_with_the_same_placeholders():
    german = sorted(path.name for path in (MAIL_TEMPLATES / "de").iterdir())
    english = sorted(path.name for path in (MAIL_TEMPLATES / "en").iterdir())
    assert german == english and {"newsletter.txt", "confirmation.html", "enquiry_ack.txt", "notice.html"} <= set(german)
    for filename in german:
        assert placeholders(MAIL_TEMPLATES / "en" / filename) == placeholders(MAIL_TEMPLATES / "de" / filename), filename
    assert language_mismatches(MAIL_TEMPLATES) == []
    assert TEMPLATES.names() == ["confirmation", "enquiry_ack", "newsletter", "notice"]


def test_the_parity_check_names_a_missing_translation_and_a_placeholder_that_differs(tmp_path):
    for language in LANGUAGES:
        (tmp_path / language).mkdir()
    (tmp_path / "de" / "a.txt").write_text("Betreff: x\n{{ name }} {{ link }}", encoding="utf-8")
    (tmp_path / "en" / "a.txt").write_text("Subject: x\n{{ name }}", encoding="utf-8")
    (tmp_path / "de" / "b.txt").write_text("Betreff: y", encoding="utf-8")
    problems = language_mismatches(tmp_path)
    assert any("b.txt" in problem for problem in problems)
    assert any("en/a.txt" in problem and "link" in problem for problem in problems)


def test_the_domain_writes_the_platforms_mail_languages():
    assert domain.MAIL_LANGUAGES == LANGUAGES


def test_a_confirmation_in_english_for_a_subscriber_who_chose_english_and_german_otherwise():
    link = f"{BASE_URL}/confirm?token=abc"
    english = confirmation_message("neu@example.org", link, SENDER, topics=["Smart City", "Mobilität"],
                                   valid_for=timedelta(days=7), now=NOW, language="en")
    assert english["Subject"] == "Netzwerk vor Ort: Please confirm your subscription"
    assert english["Content-Language"] == "en"
    text, html = parts(english)
    assert text.startswith("Hello,") and "“Smart City” and “Mobilität”" in text and "valid for 7 days" in text
    assert link in text and f'href="{link}"' in html and '<html lang="en">' in html and "Confirm subscription" in html
    german = confirmation_message("neu@example.org", link, SENDER, topics=["Smart City"], now=NOW)
    assert german["Subject"] == "Netzwerk vor Ort: Bitte bestätigen Sie Ihre Anmeldung"
    assert german["Content-Language"] == "de" and '<html lang="de">' in parts(german)[1]
    one_hour = confirmation_message("neu@example.org", link, SENDER, valid_for=timedelta(minutes=30), now=NOW,
                                    language="en")
    assert "The link is valid for one hour." in parts(one_hour)[0]


def test_an_enquiry_from_an_english_page_is_acknowledged_in_english():
    enquiry = create_enquiry(name="Jonas Test", email="jonas@example.org", organisation="", message="Hallo", now=NOW)
    english = enquiry_ack_message(enquiry, SENDER, now=NOW, language="en")
    assert english["Subject"] == "Your enquiry to Netzwerk Innenstadt NRW"
    assert english["Content-Language"] == "en"
    text, html = parts(english)
    assert text.startswith("Dear Jonas Test,")
    assert "on 1 October 2018 at 11:00 (Berlin time)" in text and "The office of Netzwerk Innenstadt NRW" in html
    assert '<html lang="en">' in html
    german = enquiry_ack_message(enquiry, SENDER, now=NOW)
    assert german["Subject"] == "Ihre Anfrage an das Netzwerk Innenstadt NRW" and german["Content-Language"] == "de"


@pytest.mark.parametrize("segment", [{"type": "all_members"}, {"type": "subscribers", "topic": "Smart City"}])
def test_a_newsletter_in_english_has_an_english_frame_around_the_offices_german_texts(
        selection_pub, workshop_pub, segment):
    newsletter = create_newsletter(subject="Netzwerk vor Ort: Ergebnisse aus Wassenberg",
                                   intro="die erste Strategiewerkstatt ist abgeschlossen.",
                                   publication_ids=[workshop_pub.id], segment=segment, publications=[workshop_pub],
                                   now=NOW)
    english = newsletter_message(newsletter, [workshop_pub], "kim@example.org", "Kim Beispiel", UNSUBSCRIBE_URL,
                                 SENDER, base_url=BASE_URL, now=NOW, language="en")
    german = newsletter_message(newsletter, [workshop_pub], "kim@example.org", "Kim Beispiel", UNSUBSCRIBE_URL,
                                SENDER, base_url=BASE_URL, now=NOW)
    assert english["Subject"] == german["Subject"] == "Netzwerk vor Ort: Ergebnisse aus Wassenberg"  # the office's
    assert (english["Content-Language"], german["Content-Language"]) == ("en", "de")
    text, html = parts(english)
    assert text.startswith("Dear Kim Beispiel,\n\nThe results are published in German.")
    assert "die erste Strategiewerkstatt ist abgeschlossen." in text  # the office's intro, as written
    assert "Ergebnisse der 1. Strategiewerkstatt in Wassenberg" in text  # the publication, as written
    assert f"Read the results online: {BASE_URL}/results/{workshop_pub.id}" in text
    assert f"Unsubscribe from this newsletter: {UNSUBSCRIBE_URL}" in text
    reason = ("because you subscribed to the results on the topic “Smart City”" if segment["type"] == "subscribers"
              else "as a member of Netzwerk Innenstadt NRW")
    assert reason in text and reason in html
    assert '<html lang="en">' in html and "Unsubscribe from this newsletter</a>" in html
    for word in ("Guten Tag", "abbestellen", "Ergebnisse online lesen", "Sie erhalten"):
        assert word not in text and word not in html
    german_text, german_html = parts(german)
    assert german_text.startswith("Guten Tag Kim Beispiel,") and "Newsletter abbestellen" in german_text
    assert "The results are published in German." not in german_text and '<html lang="de">' in german_html


def test_a_newsletter_without_a_name_greets_in_its_language(selection_pub, workshop_pub):
    newsletter = create_newsletter(subject="Neu", intro="", publication_ids=[workshop_pub.id],
                                   segment={"type": "all_members"}, publications=[workshop_pub], now=NOW)
    english = newsletter_message(newsletter, [workshop_pub], "a@example.org", None, UNSUBSCRIBE_URL, SENDER, now=NOW,
                                 language="en")
    assert parts(english)[0].startswith("Hello,\n")


def test_a_decision_notice_is_german_as_the_office_approved_it():
    assert NOTICE_LANGUAGE == "de"
    subject, text = decision_notice("selected", "Siegen", "Max Beispiel", "Smart City")
    message = notice_message("max.beispiel@siegen.example", "Max Beispiel", subject, text, SENDER, now=NOW)
    assert message["Content-Language"] == "de" and '<html lang="de">' in parts(message)[1]
    assert "Geschäftsstelle Netzwerk Innenstadt NRW" in parts(message)[1]


def test_without_a_known_language_a_mail_is_german():
    link = f"{BASE_URL}/confirm?token=abc"
    unknown = confirmation_message("neu@example.org", link, SENDER, now=NOW, language="fr")
    assert unknown["Subject"] == "Netzwerk vor Ort: Bitte bestätigen Sie Ihre Anmeldung"
    assert unknown["Content-Language"] == "de"


def test_a_subscriber_keeps_the_language_of_the_page_and_subscribing_again_from_another_page_changes_it():
    first = domain.subscribe("kim@example.org", ["Smart City"], NOW, language="en")
    assert first.language == "en"
    assert domain.subscribe("kim@example.org", ["Smart City"], NOW).language == "de"
    confirmed = domain.confirm_subscription(first, NOW)
    again = domain.subscribe("kim@example.org", ["Smart City"], NOW, language="de")
    changed, to_confirm = domain.subscribe_again(confirmed, again, language="de")
    assert (changed.language, to_confirm, changed.status) == ("de", (), "confirmed")
    kept, _ = domain.subscribe_again(confirmed, again)  # a request naming no language keeps the subscriber's
    assert kept.language == "en"
    unsubscribed = replace(domain.unsubscribe(confirmed, NOW))
    fresh, topics = domain.subscribe_again(unsubscribed, again, language="de")
    assert (fresh.language, fresh.status, topics) == ("de", "pending", ("Smart City",))
    with pytest.raises(InvalidInput) as refused:
        domain.subscribe("kim@example.org", ["Smart City"], NOW, language="fr")
    assert refused.value.field == "language"
