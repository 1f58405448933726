"""Completing a workshop with its results, and the WorkshopCompleted event sent to members."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pytest

from services.workshops import domain as d
from shared.errors import Conflict, InvalidInput
from workshop_helpers import NOW, WASSENBERG, make_scheduled, sign_up

UTC = timezone.utc
AFTER = datetime(2026, 3, 26, 18, 0, tzinfo=UTC)  # the workshop ended at 15:00 UTC
APPROACHES = [
    {"title": "Mobilstation am Roßtorplatz", "description": "Leihräder und Carsharing bündeln.",
     "field_of_action": "mobility"},
    {"title": "Digitaler Bürgerdialog", "field_of_action": "participation"},
]
DOCS = [{"title": "Protokoll", "url": "https://example.org/protokoll.pdf"}]


def test_complete_records_results_and_the_time(scheduled):
    d.complete(scheduled, "  Drei Ansätze erarbeitet. ", APPROACHES, DOCS, AFTER)
    assert scheduled.status == "completed" and scheduled.completed_at == AFTER
    assert scheduled.results.summary == "Drei Ansätze erarbeitet."
    assert scheduled.results.solution_approaches[0] == d.SolutionApproach(
        "Mobilstation am Roßtorplatz", "mobility", "Leihräder und Carsharing bündeln.")
    assert scheduled.results.solution_approaches[1].description == ""
    assert scheduled.results.documents == [d.ResultDocument("Protokoll", DOCS[0]["url"])]


def test_complete_accepts_dataclass_items(scheduled):
    d.complete(scheduled, "Ergebnis", [d.SolutionApproach("Smarte Laternen", "infrastructure")],
               [d.ResultDocument("Fotos", "http://example.org/fotos")], AFTER)
    assert scheduled.status == "completed"


def test_a_workshop_cannot_be_completed_before_it_has_ended(scheduled):
    during = datetime(2026, 3, 26, 12, 0, tzinfo=UTC)
    with pytest.raises(Conflict, match="not ended"):
        d.complete(scheduled, "Ergebnis", APPROACHES, [], during)
    assert scheduled.status == "scheduled"


def test_a_workshop_can_be_completed_the_moment_it_ends(scheduled):
    d.complete(scheduled, "Ergebnis", APPROACHES, [], scheduled.ends_at)
    assert scheduled.status == "completed"


def test_a_workshop_that_was_never_scheduled_cannot_be_completed(planned):
    with pytest.raises(Conflict, match="never scheduled"):
        d.complete(planned, "Ergebnis", APPROACHES, [], AFTER)


def test_cancelled_or_already_completed_workshops_cannot_be_completed(scheduled):
    d.complete(scheduled, "Ergebnis", APPROACHES, [], AFTER)
    with pytest.raises(Conflict):
        d.complete(scheduled, "Ergebnis", APPROACHES, [], AFTER)
    cancelled = d.cancel(make_scheduled(), NOW)
    with pytest.raises(Conflict):
        d.complete(cancelled, "Ergebnis", APPROACHES, [], AFTER)


@pytest.mark.parametrize("summary", ["", "   ", None])
def test_the_summary_is_required(scheduled, summary):
    with pytest.raises(InvalidInput) as err:
        d.complete(scheduled, summary, APPROACHES, [], AFTER)
    assert err.value.field == "summary"


def test_at_least_one_solution_approach_is_required(scheduled):
    with pytest.raises(InvalidInput) as err:
        d.complete(scheduled, "Ergebnis", [], [], AFTER)
    assert err.value.field == "solution_approaches"


@pytest.mark.parametrize("item, field", [
    ({"title": "", "field_of_action": "mobility"}, "solution_approaches[1].title"),
    ({"title": "Ansatz"}, "solution_approaches[1].field_of_action"),
    ({"title": "Ansatz", "field_of_action": "  "}, "solution_approaches[1].field_of_action"),
])
def test_each_solution_approach_needs_title_and_field_of_action(scheduled, item, field):
    with pytest.raises(InvalidInput) as err:
        d.complete(scheduled, "Ergebnis", [APPROACHES[0], item], [], AFTER)
    assert err.value.field == field
    assert scheduled.status == "scheduled" and scheduled.results is None


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/a.pdf",
                                 "example.org/a.pdf", "https://", "", None])
def test_document_links_must_be_http_or_https(scheduled, url):
    with pytest.raises(InvalidInput) as err:
        d.complete(scheduled, "Ergebnis", APPROACHES, [{"title": "Protokoll", "url": url}], AFTER)
    assert err.value.field == "documents[0].url"


def test_documents_need_a_title(scheduled):
    with pytest.raises(InvalidInput) as err:
        d.complete(scheduled, "Ergebnis", APPROACHES, [{"title": "", "url": DOCS[0]["url"]}], AFTER)
    assert err.value.field == "documents[0].title"


# --- the event -------------------------------------------------------------------------------

def _completed_with_participants():
    workshop = make_scheduled(capacity=None)
    regs = []
    sign_up(workshop, regs, 2, participant_type="school", organisation="Betty-Reis-Gesamtschule")
    sign_up(workshop, regs, 1, participant_type="steering_partner", organisation="IHK NRW")
    sign_up(workshop, regs, 1, participant_type="citizen", organisation="")
    for reg in regs[:3]:
        d.check_in(reg, datetime(2026, 3, 26, 9, tzinfo=UTC))
    d.complete(workshop, "Drei Ansätze erarbeitet.", APPROACHES, DOCS, AFTER)
    return workshop, regs


def test_completed_event_payload_carries_results_dates_and_counts():
    workshop, regs = _completed_with_participants()
    payload = d.completed_event_payload(workshop, regs)
    assert payload["workshop_id"] == workshop.id
    assert payload["call_id"] == "call-2018"
    assert payload["municipality"] == {"ags": WASSENBERG, "name": "Wassenberg"}
    assert payload["sequence"] == 1
    assert payload["starts_at"] == "2026-03-26T09:00:00+00:00"
    assert payload["ends_at"] == "2026-03-26T15:00:00+00:00"
    assert payload["completed_at"] == AFTER.isoformat()
    assert payload["summary"] == "Drei Ansätze erarbeitet."
    assert [a["field_of_action"] for a in payload["solution_approaches"]] == ["mobility", "participation"]
    assert payload["documents"] == DOCS
    assert payload["attendance"]["school"] == 2
    assert payload["attendance"]["steering_partner"] == 1
    assert payload["attendance"]["citizen"] == 0
    assert payload["attendance_total"] == 3
    assert payload["registered"]["citizen"] == 1


def test_completed_event_payload_contains_no_personal_data():
    workshop, regs = _completed_with_participants()
    text = json.dumps(d.completed_event_payload(workshop, regs), ensure_ascii=False)
    for reg in regs:
        assert reg.name not in text
        assert reg.email not in text
        assert reg.manage_code not in text
        assert reg.id not in text
    assert "Betty-Reis" not in text  # organisations of participants stay inside, too
    assert "@" not in text


def test_completed_event_payload_only_for_completed_workshops(scheduled):
    with pytest.raises(Conflict):
        d.completed_event_payload(scheduled, [])


def test_registrations_of_other_workshops_are_not_counted():
    workshop, regs = _completed_with_participants()
    # dataclasses.replace, not __dict__: once the service maps the class, __dict__ holds ORM state too
    stranger = dataclasses.replace(regs[0], id="x", workshop_id="other")
    payload = d.completed_event_payload(workshop, regs + [stranger])
    assert payload["attendance"]["school"] == 2
