"""Publications built from SelectionCompleted / WorkshopCompleted events, edited and published by staff."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.publishing.domain import (
    Section,
    edit,
    publication_from_selection,
    publication_from_workshop,
    publication_id,
    publication_text,
    publish,
    results_published_payload,
)
from shared.errors import Conflict, InvalidInput

from .publishing_helpers import BASE_URL, CALL_ID, NOW, WORKSHOP_ID


def test_redelivered_selection_event_yields_same_publication_id(selection_event):
    first = publication_from_selection(selection_event, NOW)
    again = publication_from_selection(dict(selection_event), NOW + timedelta(hours=1))
    assert first.id == again.id == publication_id("selection_result", CALL_ID)


def test_redelivered_workshop_event_yields_the_same_publication(workshop_event):
    assert publication_from_workshop(workshop_event) == publication_from_workshop(dict(workshop_event))


def test_different_sources_and_kinds_yield_different_ids(workshop_event):
    other = publication_from_workshop({**workshop_event, "workshop_id": "ws-wassenberg-2"})
    assert other.id != publication_from_workshop(workshop_event).id
    assert publication_id("selection_result", "x") != publication_id("workshop_result", "x")


def test_builders_create_drafts_dated_by_the_event(selection_event, workshop_event):
    selection = publication_from_selection(selection_event)
    assert selection.status == "draft" and selection.published_at is None
    assert selection.created_at == datetime(2018, 6, 15, 12, tzinfo=timezone.utc)
    assert publication_from_workshop(workshop_event).created_at == datetime(2018, 9, 13, 7, tzinfo=timezone.utc)


def test_selection_publication_names_the_selected_municipalities_in_german(selection_event):
    pub = publication_from_selection(selection_event)
    assert pub.kind == "selection_result" and pub.source_id == CALL_ID
    assert pub.title == "Ausgewählte Kommunen: Wassenberg – Arnsberg – Siegen"
    assert pub.summary == (
        "Die Steuerungsgruppe des Netzwerk Innenstadt NRW hat aus 11 eingereichten Bewerbungen zum Aufruf "
        "„Smart City“ drei Kommunen für das Format „Netzwerk vor Ort“ ausgewählt: "
        "Wassenberg (Kleinstadt), Arnsberg (Mittelstadt) und Siegen (Großstadt).")
    assert pub.topic == "Smart City"
    assert "Je eine Klein-, Mittel- und Großstadt" in publication_text(pub)


def test_selection_publication_keeps_other_applicants_and_internal_reasons_private(selection_event):
    text = publication_text(publication_from_selection(selection_event))
    for private in ("Hamm", "Recklinghausen", "Coesfeld", "Interne Begründung", "4.4"):
        assert private not in text


def test_selection_entries_may_be_objects_with_population(selection_event):
    event = {**selection_event, "selected": [{"name": "Wassenberg", "size_class": "small", "population": 18500}],
             "ranking": []}
    pub = publication_from_selection(event)
    assert "eine Kommune" in pub.summary and "im Rahmen des Aufrufs „Smart City“" in pub.summary
    assert "Wassenberg (Kleinstadt, ca. 18.500 Einwohnerinnen und Einwohner)" in publication_text(pub)


def test_workshop_publication_has_german_title_and_solution_approaches(workshop_event):
    pub = publication_from_workshop(workshop_event)
    assert pub.title == "Ergebnisse der 1. Strategiewerkstatt in Wassenberg"
    assert [a.title for a in pub.solution_approaches] == ["Mobilstationen am Roßtorplatz", "Digitale Bürgerwerkstatt"]
    assert pub.solution_approaches[0].field_of_action_label == "Mobilität"
    text = publication_text(pub)
    assert "fand am 12. September 2018 statt. Insgesamt nahmen 22 Personen teil." in text
    assert "- Partner der Steuerungsgruppe: 5" in text and "Hochschulen" not in text  # zero counts left out
    assert "Protokoll: https://example.org/wassenberg-protokoll.pdf" in text
    assert "Stadtwerke Wassenberg" not in text  # participant organisations are not printed


def test_workshop_without_date_is_still_published(workshop_event):
    pub = publication_from_workshop({**workshop_event, "starts_at": None})
    assert "Die 1. Strategiewerkstatt in Wassenberg ist abgeschlossen." in publication_text(pub)


def test_workshop_publication_drops_non_http_document_links(workshop_event):
    pub = publication_from_workshop({**workshop_event, "documents": [{"title": "Böse", "url": "javascript:alert(1)"}]})
    assert "javascript" not in publication_text(pub)


@pytest.mark.parametrize("missing, field", [
    ("workshop_id", "workshop_id"), ("municipality", "municipality"), ("sequence", "sequence"),
])
def test_workshop_event_without_required_data_is_rejected_with_the_field(workshop_event, missing, field):
    event = {k: v for k, v in workshop_event.items() if k != missing}
    with pytest.raises(InvalidInput) as err:
        publication_from_workshop(event)
    assert err.value.field == field


@pytest.mark.parametrize("changes, field", [
    ({"selected": []}, "selected"),
    ({"selected": ["app-unknown"]}, "ranking"),
    ({"call_id": None}, "call_id"),
])
def test_broken_selection_event_is_rejected_with_the_field(selection_event, changes, field):
    with pytest.raises(InvalidInput) as err:
        publication_from_selection({**selection_event, **changes})
    assert err.value.field == field


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


def test_results_published_payload_matches_the_event_catalogue(workshop_pub, draft_pub):
    from shared.events.catalogue import ResultsPublishedV1

    payload = results_published_payload(workshop_pub, BASE_URL)
    assert ResultsPublishedV1().validate(payload) == {}
    assert payload["source_id"] == WORKSHOP_ID
    assert payload["url"] == f"{BASE_URL}/results/{workshop_pub.id}"
    with pytest.raises(Conflict):
        results_published_payload(draft_pub)


@pytest.mark.parametrize("event_type, builder", [
    ("SelectionCompleted", publication_from_selection),
    ("WorkshopCompleted", publication_from_workshop),
])
def test_the_catalogues_golden_examples_build_publications(event_type, builder):
    from shared.events.catalogue import SPECS

    example = next(spec.example for spec in SPECS if spec.type == event_type)
    assert builder(example).title
