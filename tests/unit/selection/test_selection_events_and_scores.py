"""The selection's events are the catalogue's, and the small domain pieces the service added keep their rules."""
import pytest

from services.selection.consumers import HANDLERS
from services.selection.domain import Candidate, Criterion, Panel, PanelMember, Review, weighted_review_score
from shared.errors import InvalidInput
from shared.events.catalogue import (TOPIC_APPLICATIONS, TOPIC_SELECTION, make_event, serialize_data, spec_for,
                                     validate_data)

EMITTED = ("ApplicationSelected", "ApplicationNotSelected", "SelectionCompleted")
PANEL = Panel([PanelMember("m1", "Anna Beispiel", "Städtetag NRW", "anna@example.org")],
              [Criterion("concept", "Quality of the concept", 3.0), Criterion("innovation", "Innovation", 1.0)])


@pytest.mark.parametrize("event_type", EMITTED)
def test_emitted_events_are_in_the_catalogue_on_the_selection_topic(event_type):
    spec = spec_for(event_type)
    assert spec.topic == TOPIC_SELECTION
    example = spec.example
    assert validate_data(event_type, serialize_data(event_type, example), spec.version)
    assert make_event(event_type, example, source="/services/selection").subject == example[spec.subject_field]


def test_not_selected_towns_are_told_they_may_attend_the_workshops():
    assert "may_attend_workshops" in spec_for("ApplicationNotSelected").schema().fields
    assert spec_for("ApplicationNotSelected").schema().fields["may_attend_workshops"].required


def test_consumed_events_are_the_catalogues_applications_events():
    assert set(HANDLERS) == {"CallOpened", "CallDeadlinesChanged", "CallClosed", "ApplicationSubmitted", "ApplicationUpdated",
                             "ApplicationWithdrawn"}
    assert {spec_for(event_type).topic for event_type in HANDLERS} == {TOPIC_APPLICATIONS}


def test_a_candidate_without_population_keeps_the_size_class_it_was_given():
    assert Candidate("a1", "c1", "05966024", "Olpe", None, "medium").size_class == "medium"
    with pytest.raises(InvalidInput) as error:
        Candidate("a1", "c1", "05966024", "Olpe", None)
    assert error.value.field == "size_class"


def test_a_reviews_weighted_score_weighs_each_criterion():
    assert weighted_review_score(PANEL, Review("m1", "a1", {"concept": 5, "innovation": 1})) == pytest.approx(4.0)
    assert weighted_review_score(PANEL, Review("m1", "a1", None, abstained=True)) is None
    with pytest.raises(InvalidInput) as error:
        weighted_review_score(PANEL, Review("m1", "a1", {"concept": 5}))
    assert error.value.field == "scores.innovation"
