"""HTML for people: the results pages, and the small pages behind the links in mails, in German or English.

The pages are written like the mails (shared.mail_templates): `templates/pages/<language>/<page>.html`, one
folder per language with the same files and placeholders, around one frame (`templates/pages/_layout.html`,
`<html lang>` = the page's language, the frame's words in `<language>/_words.html`). German unless the page
is asked for in English: the results pages by their address (`?lang=en`, see pages.py), a mail link's
page by the language of the subscriber it was mailed to. The office's publications stay as written (German).
"""
from __future__ import annotations

from pathlib import Path

from flask import request
from jinja2 import StrictUndefined

from services.publishing.domain import results_page_url
from services.publishing.feeds import atom_feed_url, json_feed_url
from shared.config import service_url
from shared.mail_templates import DEFAULT_LANGUAGE, MailTemplates, mail_language
from shared.pages import HERE as SHARED_PAGES
from shared.pages import LANGUAGES
from shared.web import context

PAGES = Path(__file__).parent / "templates" / "pages"
#: The language switch's macro comes from the front ends' shared templates (`_macros.html`).
TEMPLATES = MailTemplates(PAGES, SHARED_PAGES / "templates", undefined=StrictUndefined,
                          extensions=["jinja2.ext.do"])
#: The query field naming a page's language; without it a page is German.
LANGUAGE_FIELD = "lang"


def in_language(url: str, language: str) -> str:
    """`url` as the page in `language`: the German page is the plain address, another one says `?lang=`."""
    if mail_language(language) == DEFAULT_LANGUAGE:
        return url
    return f"{url}{'&' if '?' in url else '?'}{LANGUAGE_FIELD}={language}"


def language_versions(url: str) -> dict[str, str]:
    """The page at `url` in every language, by code: the language switch's links."""
    return {language: in_language(url, language) for language in LANGUAGES}


def render_page(name: str, language: str = DEFAULT_LANGUAGE, **values) -> str:
    """`pages/<language>/<name>` in its frame; `switch` (language_versions of the page) shows the language switch."""
    base_url = context().options.base_url
    values.setdefault("switch", None)
    return TEMPLATES.render_part(
        name, language=language, results_url=in_language(results_page_url(base_url), language),
        atom_url=atom_feed_url(base_url), json_url=json_feed_url(base_url), portal_url=service_url("portal"),
        **values)


def wants_html() -> bool:
    """A browser (text/html first in Accept) gets a page; API clients and tools get JSON."""
    return request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"
