"""Atom and JSON feeds of published results."""
from __future__ import annotations

import json

import feedparser
import jsonschema
import pytest

from jsonfeed_schema import JSON_FEED_1_1_SCHEMA
from services.publishing.domain import edit, publish
from services.publishing.feeds import atom_feed, json_feed

from .publishing_helpers import BASE_URL, NOW


@pytest.fixture
def publications(selection_pub, workshop_pub, draft_pub):
    return [selection_pub, draft_pub, workshop_pub]


def test_atom_feed_parses_without_errors_and_lists_published_results_newest_first(publications, workshop_pub,
                                                                                  selection_pub):
    parsed = feedparser.parse(atom_feed(publications, BASE_URL))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "Netzwerk vor Ort – Ergebnisse"
    assert parsed.feed.id == f"{BASE_URL}/results"
    assert {"rel": "self", "href": f"{BASE_URL}/feeds/results.atom"}.items() <= next(
        link for link in parsed.feed.links if link.rel == "self").items()
    assert [e.id for e in parsed.entries] == [f"urn:uuid:{workshop_pub.id}", f"urn:uuid:{selection_pub.id}"]
    entry = parsed.entries[0]
    assert entry.title == "Ergebnisse der 1. Strategiewerkstatt in Wassenberg"
    assert entry.link == f"{BASE_URL}/results/{workshop_pub.id}"
    assert entry.summary == workshop_pub.summary
    assert "Mobilstationen am Roßtorplatz" in entry.content[0].value
    assert entry.published_parsed[:3] == workshop_pub.published_at.timetuple()[:3]
    assert {t.term for t in entry.tags} >= {"Smart City", "Strategiewerkstatt", "Mobilität"}
    assert parsed.feed.updated_parsed[:6] == workshop_pub.published_at.timetuple()[:6]


def test_atom_feed_leaves_drafts_out(publications, draft_pub):
    assert draft_pub.id.encode() not in atom_feed(publications, BASE_URL)


def test_atom_feed_is_stable_for_the_same_data(publications):
    assert atom_feed(publications, BASE_URL) == atom_feed(list(reversed(publications)), BASE_URL)


def test_empty_atom_feed_is_still_valid():
    parsed = feedparser.parse(atom_feed([], BASE_URL, now=NOW))
    assert parsed.bozo == 0 and parsed.entries == []


def test_json_feed_validates_against_json_feed_1_1(publications):
    feed = json_feed(publications, BASE_URL)
    jsonschema.validate(feed, JSON_FEED_1_1_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    json.dumps(feed)  # serialisable as it is


def test_json_feed_lists_published_results_newest_first(publications, workshop_pub, selection_pub):
    feed = json_feed(publications, BASE_URL)
    assert feed["feed_url"] == f"{BASE_URL}/feeds/results.json"
    assert [item["url"] for item in feed["items"]] == [
        f"{BASE_URL}/results/{workshop_pub.id}", f"{BASE_URL}/results/{selection_pub.id}"]
    item = feed["items"][0]
    assert item["title"] == workshop_pub.title
    assert item["content_text"].startswith("# Ergebnisse der 1. Strategiewerkstatt in Wassenberg")
    assert item["date_published"] == workshop_pub.published_at.isoformat()
    assert "Mobilität" in item["tags"]


def test_feeds_escape_html_from_event_data(workshop_pub, draft_pub):
    tricky = publish(edit(draft_pub, {"summary": "<script>alert(1)</script>"}), NOW)
    html = json_feed([tricky], BASE_URL)["items"][0]["content_html"]
    assert "<script>" not in html and "&lt;script&gt;" in html
    parsed = feedparser.parse(atom_feed([tricky], BASE_URL))
    assert parsed.bozo == 0 and "<script>" not in parsed.entries[0].content[0].value


def test_schema_in_this_test_rejects_a_broken_feed():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"version": "https://jsonfeed.org/version/1.1", "title": "x", "items": [{"id": 1}]},
                            JSON_FEED_1_1_SCHEMA)
