"""Candidates, size classes, the panel and its criteria, conflicts of interest."""
import pytest

from services.selection.domain import (
    Candidate,
    ConflictOfInterest,
    Criterion,
    Panel,
    PanelMember,
    default_criteria,
    size_class_for,
)
from shared.errors import InvalidInput


def member(member_id, role="member"):
    return PanelMember(member_id, f"Person {member_id}", "Städtetag NRW", f"{member_id}@example.org", role)


@pytest.mark.parametrize(
    "population, size_class",
    [(0, "rural"), (4_999, "rural"), (5_000, "small"), (19_999, "small"), (20_000, "medium"),
     (99_999, "medium"), (100_000, "large"), (587_000, "large")],
)
def test_size_class_follows_bbsr_population_bounds(population, size_class):
    assert size_class_for(population) == size_class


def test_candidate_derives_its_size_class_from_population():
    assert Candidate("a1", "call-2018", "05370036", "Wassenberg", 18_500).size_class == "small"


def test_candidate_with_size_class_contradicting_population_is_rejected():
    with pytest.raises(InvalidInput) as error:
        Candidate("a1", "call-2018", "05970040", "Siegen", 102_000, size_class="medium")
    assert error.value.field == "size_class"


@pytest.mark.parametrize("ags", ["5370036", "0537003X", "", None])
def test_candidate_needs_an_eight_digit_ags(ags):
    with pytest.raises(InvalidInput) as error:
        Candidate("a1", "call-2018", ags, "Wassenberg", 18_500)
    assert error.value.field == "ags"


@pytest.mark.parametrize("population", [-1, 18_500.0, True])
def test_candidate_population_is_a_non_negative_whole_number(population):
    with pytest.raises(InvalidInput) as error:
        Candidate("a1", "call-2018", "05370036", "Wassenberg", population)
    assert error.value.field == "population"


def test_candidate_status_is_submitted_or_withdrawn():
    assert Candidate("a1", "c", "05370036", "Wassenberg", 18_500, status="withdrawn").is_withdrawn
    with pytest.raises(InvalidInput) as error:
        Candidate("a1", "c", "05370036", "Wassenberg", 18_500, status="selected")
    assert error.value.field == "status"


def test_panel_rejects_duplicate_member_ids():
    with pytest.raises(InvalidInput) as error:
        Panel([member("m1"), member("m1")], default_criteria())
    assert error.value.field == "members[1].id"


def test_panel_member_role_is_chair_or_member():
    with pytest.raises(InvalidInput) as error:
        Panel([member("m1", role="chair"), member("m2", role="guest")], default_criteria())
    assert error.value.field == "members[1].role"


def test_panel_rejects_duplicate_criterion_keys():
    with pytest.raises(InvalidInput) as error:
        Panel([member("m1")], [Criterion("innovation", "Innovation"), Criterion("innovation", "Again")])
    assert error.value.field == "criteria[1].key"


@pytest.mark.parametrize("weight", [0, -1.0, float("nan"), float("inf"), True, "2"])
def test_panel_criterion_weight_must_be_positive(weight):
    with pytest.raises(InvalidInput) as error:
        Panel([member("m1")], [Criterion("concept", "Concept", 1.0), Criterion("innovation", "Innovation", weight)])
    assert error.value.field == "criteria[1].weight"


def test_panel_needs_at_least_one_criterion():
    with pytest.raises(InvalidInput) as error:
        Panel([member("m1")], [])
    assert error.value.field == "criteria"


def test_criterion_key_must_be_usable_in_field_names():
    with pytest.raises(InvalidInput) as error:
        Panel([member("m1")], [Criterion("Innovation grad", "Innovation")])
    assert error.value.field == "criteria[0].key"


def test_default_criteria_form_a_valid_panel_and_put_the_concept_first():
    criteria = default_criteria()
    panel = Panel([member("m1")], criteria)
    assert {"strategic_approach", "innovation", "participation", "transferability", "feasibility",
            "city_centre_relevance"} == set(panel.criterion_keys)
    assert max(criteria, key=lambda c: c.weight).key == "strategic_approach"
    assert all(c.weight > 0 and c.label for c in criteria)


def test_conflict_of_interest_needs_a_reason():
    assert ConflictOfInterest("m1", "a1", "works for the applicant's city administration").reason
    with pytest.raises(InvalidInput) as error:
        ConflictOfInterest("m1", "a1", "   ")
    assert error.value.field == "reason"
