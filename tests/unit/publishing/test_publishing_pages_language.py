"""Publishing's public pages are written in German and English alike: every page in both folders with the same
placeholders, every message of the error page in both, the subscribe answer's message in both; a page's address
names its language (`?lang=en`), German being the plain one."""
from __future__ import annotations

import shutil

import pytest
from jinja2 import UndefinedError

from services.publishing.api.subscriptions import CONFIRMATION_REQUESTED
from services.publishing.html import PAGES, TEMPLATES, in_language, language_versions
from shared.mail_templates import LANGUAGES, language_mismatches

FRAME = {"results_url": "https://ergebnisse.example.org/results", "atom_url": "a", "json_url": "j",
         "portal_url": "https://portal.example.org", "switch": None}
FAILURES = ("confirm", "unsubscribe", "not_found")
REASONS = ("expired", "cancelled", "gone", "invalid", "unpublished")


def test_every_page_is_written_in_german_and_in_english_with_the_same_placeholders():
    pages = {language: sorted(path.name for path in (PAGES / language).iterdir()) for language in LANGUAGES}
    assert pages["de"] == ["_words.html", "confirmed.html", "message.html", "publication.html", "results.html",
                           "unsubscribe.html", "unsubscribed.html"]
    assert language_mismatches(PAGES) == []


def test_the_parity_check_fails_when_a_page_lacks_its_english_version_or_reads_other_values(tmp_path):
    copy = tmp_path / "pages"
    shutil.copytree(PAGES, copy)
    (copy / "en" / "unsubscribed.html").unlink()
    (copy / "en" / "results.html").write_text('{% extends "_layout.html" %}{{ other }}', encoding="utf-8")
    problems = language_mismatches(copy)
    assert any("unsubscribed.html is not in every language" in problem for problem in problems)
    assert any(problem.startswith("en/results.html reads") for problem in problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_title_and_message_of_the_error_page_is_written_in_both_languages(language):
    for failure in FAILURES:
        for reason in REASONS:
            page = TEMPLATES.render_part("message.html", language=language, failure=failure, reason=reason, **FRAME)
            assert f'<html lang="{language}">' in page
    with pytest.raises(UndefinedError):  # a reason the page does not know is an error, not an empty paragraph
        TEMPLATES.render_part("message.html", language=language, failure="confirm", reason="unknown", **FRAME)


def test_the_error_pages_differ_by_language():
    german, english = (TEMPLATES.render_part("message.html", language=language, failure="unsubscribe",
                                             reason="expired", **FRAME) for language in ("de", "en"))
    assert "<h1>Abbestellen nicht möglich</h1>" in german and "Dieser Link ist abgelaufen." in german
    assert "<h1>Unsubscribing not possible</h1>" in english and "This link has expired." in english


def test_the_subscribe_answer_has_its_message_in_every_language():
    assert set(CONFIRMATION_REQUESTED) == set(LANGUAGES)
    assert len(set(CONFIRMATION_REQUESTED.values())) == len(LANGUAGES)


def test_a_page_in_german_is_the_plain_address_and_in_english_says_lang_en():
    url = "https://ergebnisse.example.org/results/pub-1"
    assert in_language(url, "de") == url and in_language(url, "fr") == url
    assert in_language(url, "en") == f"{url}?lang=en" and in_language(f"{url}?a=1", "en") == f"{url}?a=1&lang=en"
    assert language_versions(url) == {"de": url, "en": f"{url}?lang=en"}
