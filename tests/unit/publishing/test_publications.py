"""Publications built from SelectionCompleted / WorkshopCompleted events, edited and published by staff."""
from __future__ import annotations

from datetime import timedelta

import pytest

from services.publishing.domain import (
    Section,
    edit,
    publication_from_selection,
    publication_from_workshop,
    publication_id,
    publication_text,
    publish,
)
from shared.errors import Conflict, InvalidInput

from .conftest import NOW


def test_redelivered_selection_event_yields_same_publication_id(selection_event):
    first = publication_from_selection(selection_event, NOW)
    again = publication_from_selection(dict(selection_event), NOW + timedelta(hours=1))
    assert first.id == again.id


def test_redelivered_workshop_event_yields_same_publication_id(workshop_event):
    assert publication_from_workshop(workshop_event, NOW).id == publication_from_workshop(workshop_event, NOW).id


def test_different_sources_and_kinds_yield_different_ids(workshop_event):
    other = publication_from_workshop({**workshop_event, "workshop_id": "ws-wassenberg-2"}, NOW)
    assert other.id != publication_from_workshop(workshop_event, NOW).id
    assert publication_id("selection_result", "x") != publication_id("workshop_result", "x")


def test_builders_create_drafts_for_review(selection_event, workshop_event):
    assert publication_from_selection(selection_event, NOW).status == "draft"
    assert publication_from_workshop(workshop_event, NOW).published_at is None


def test_selection_publication_names_the_selected_municipalities_in_german(selection_event):
    pub = publication_from_selection(selection_event, NOW)
    assert pub.kind == "selection_result"
    assert pub.source_id == "call-smart-city-2018"
    assert pub.title == "Ausgewählte Kommunen: Wassenberg – Arnsberg – Siegen"
    assert "aus 11 eingereichten Bewerbungen" in pub.summary
    assert "drei Kommunen" in pub.summary
    assert "Wassenberg (Kleinstadt), Arnsberg (Mittelstadt) und Siegen (Großstadt)" in pub.summary
    assert pub.topic == "Smart City"
    assert "ca. 18.500 Einwohnerinnen und Einwohner" in publication_text(pub)


def test_workshop_publication_has_german_title_and_solution_approaches(workshop_event):
    pub = publication_from_workshop(workshop_event, NOW)
    assert pub.title == "Ergebnisse der 1. Strategiewerkstatt in Wassenberg"
    assert [a.title for a in pub.solution_approaches] == ["Mobilstationen am Roßtorplatz", "Digitale Bürgerwerkstatt"]
    assert pub.solution_approaches[0].field_of_action_label == "Mobilität"
    text = publication_text(pub)
    assert "am 12. September 2018" in text
    assert "Insgesamt nahmen 22 Personen teil." in text
    assert "Protokoll: https://example.org/wassenberg-protokoll.pdf" in text


def test_workshop_publication_drops_non_http_document_links(workshop_event):
    event = {**workshop_event, "documents": [{"title": "Böse", "url": "javascript:alert(1)"}]}
    pub = publication_from_workshop(event, NOW)
    assert "javascript" not in publication_text(pub)


@pytest.mark.parametrize("missing", ["workshop_id", "municipality_name", "sequence", "starts_at"])
def test_workshop_event_without_required_data_is_rejected_with_the_field(workshop_event, missing):
    event = {k: v for k, v in workshop_event.items() if k != missing}
    with pytest.raises(InvalidInput) as err:
        publication_from_workshop(event, NOW)
    assert err.value.field == missing


def test_selection_event_without_selected_municipalities_is_rejected(selection_event):
    with pytest.raises(InvalidInput) as err:
        publication_from_selection({**selection_event, "selected": []}, NOW)
    assert err.value.field == "selected"


def test_draft_can_be_edited(draft_pub):
    edited = edit(draft_pub, {"title": "Zweite Werkstatt in Wassenberg", "body": "Freier Text.\n\nZweiter Absatz."})
    assert edited.title == "Zweite Werkstatt in Wassenberg"
    assert edited.body == (Section(text="Freier Text.\n\nZweiter Absatz."),)
    assert draft_pub.title.startswith("Ergebnisse der 2.")  # the original is untouched


def test_editing_accepts_structured_sections_and_approaches(draft_pub):
    edited = edit(draft_pub, {
        "body": [{"heading": "Rückblick", "text": "Gute Stimmung.", "items": ["a", "b"]}],
        "solution_approaches": [{"title": "Lieferzonen", "field_of_action": "retail"}],
    })
    assert edited.body[0].heading == "Rückblick"
    assert edited.solution_approaches[0].field_of_action_label == "Einzelhandel"


@pytest.mark.parametrize("changes, field", [
    ({"title": "  "}, "title"),
    ({"status": "published"}, "status"),
    ({"solution_approaches": [{"title": ""}]}, "solution_approaches"),
])
def test_invalid_edits_are_rejected_with_the_field(draft_pub, changes, field):
    with pytest.raises(InvalidInput) as err:
        edit(draft_pub, changes)
    assert err.value.field == field


def test_editing_a_published_publication_is_a_conflict(workshop_pub):
    with pytest.raises(Conflict):
        edit(workshop_pub, {"summary": "Nachträglich geändert"})


def test_publish_sets_status_and_time(draft_pub):
    published = publish(draft_pub, NOW)
    assert published.status == "published" and published.published_at == NOW


def test_publishing_twice_is_a_conflict(workshop_pub):
    with pytest.raises(Conflict):
        publish(workshop_pub, NOW)
