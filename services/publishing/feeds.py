"""Atom and JSON feeds of published results, for feed readers and for members' own websites.

Only published publications appear, newest first. Entry ids are ``urn:uuid:<publication id>``: the id is
derived from the source (see ``domain.publication_id``), so it never changes and readers never show an
entry twice.
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from collections.abc import Iterable

from feedgen.feed import FeedGenerator
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .domain import Publication, publication_tags, publication_text, publication_url, results_page_url

FEED_TITLE = "Netzwerk vor Ort – Ergebnisse"
FEED_DESCRIPTION = ("Ergebnisse des Formats „Netzwerk vor Ort“ des Netzwerk Innenstadt NRW: "
                    "ausgewählte Kommunen und Lösungsansätze aus den Strategiewerkstätten.")
FEED_AUTHOR = "Netzwerk Innenstadt NRW"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

_env = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",)),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


FEEDS_PATH = "/feeds"
ATOM_FEED_PATH = f"{FEEDS_PATH}/results.atom"
JSON_FEED_PATH = f"{FEEDS_PATH}/results.json"
JSON_FEED_MIMETYPE = "application/feed+json"


def atom_feed_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}{ATOM_FEED_PATH}"


def json_feed_url(base_url: str) -> str:
    return f"{base_url.rstrip('/')}{JSON_FEED_PATH}"


def publication_html(pub: Publication) -> str:
    """HTML body of a publication (summary, solution approaches, sections), the same as in newsletters."""
    return _env.get_template("partials/publication.html").render(pub=pub).strip()


def _published_newest_first(publications: Iterable[Publication]) -> list[Publication]:
    published = [p for p in publications if p.is_published and p.published_at is not None]
    # Ties broken by id so the feed is byte-for-byte stable for the same data (cache- and diff-friendly).
    return sorted(published, key=lambda p: (p.published_at, p.id), reverse=True)


def _entry_id(pub: Publication) -> str:
    return f"urn:uuid:{pub.id}"


def atom_feed(publications: Iterable[Publication], base_url: str, *, now: datetime | None = None) -> bytes:
    """Atom 1.0 document (UTF-8 bytes).

    The feed's ``updated`` is the newest publication date, not the current time, so an unchanged feed
    stays identical and readers' conditional requests work; ``now`` is only used for an empty feed.
    """
    items = _published_newest_first(publications)
    fg = FeedGenerator()
    fg.id(f"{results_page_url(base_url)}")
    fg.title(FEED_TITLE)
    fg.subtitle(FEED_DESCRIPTION)
    fg.author({"name": FEED_AUTHOR})
    fg.language("de")
    fg.link(href=atom_feed_url(base_url), rel="self", type="application/atom+xml")
    fg.link(href=results_page_url(base_url), rel="alternate", type="text/html")
    fg.updated(items[0].published_at if items else (now or datetime(2018, 1, 1, tzinfo=timezone.utc)))
    for pub in items:
        entry = fg.add_entry(order="append")
        entry.id(_entry_id(pub))
        entry.title(pub.title)
        entry.updated(pub.published_at)
        entry.published(pub.published_at)
        entry.summary(pub.summary or pub.title)
        entry.content(publication_html(pub), type="html")
        entry.link(href=publication_url(base_url, pub.id), rel="alternate", type="text/html")
        for tag in publication_tags(pub):
            entry.category(term=tag)
    return fg.atom_str(pretty=True, encoding="UTF-8")


def json_feed(publications: Iterable[Publication], base_url: str) -> dict[str, Any]:
    """JSON Feed 1.1 as a dict (serialise with ``json.dumps(..., ensure_ascii=False)``)."""
    items = []
    for pub in _published_newest_first(publications):
        item: dict[str, Any] = {
            "id": _entry_id(pub),
            "url": publication_url(base_url, pub.id),
            "title": pub.title,
            "content_html": publication_html(pub),
            "content_text": publication_text(pub),
            "date_published": pub.published_at.isoformat() if pub.published_at else None,  # always set here
            "tags": publication_tags(pub),
        }
        if pub.summary:
            item["summary"] = pub.summary
        items.append(item)
    return {
        "version": JSON_FEED_VERSION,
        "title": FEED_TITLE,
        "home_page_url": results_page_url(base_url),
        "feed_url": json_feed_url(base_url),
        "description": FEED_DESCRIPTION,
        "language": "de",
        "authors": [{"name": FEED_AUTHOR}],
        "items": items,
    }
