"""A member's review: scores must fit the panel's criteria; conflicted members may not review."""
import pytest

from services.selection.domain import ConflictOfInterest, Criterion, Panel, PanelMember, Review, validate_review
from shared.errors import Forbidden, InvalidInput, NotFound

PANEL = Panel(
    [
        PanelMember("m1", "Anna Beispiel", "Ministerium für Heimat, Kommunales, Bau und Gleichstellung NRW",
                    "anna@example.org", "chair"),
        PanelMember("m2", "Bernd Muster", "IHK NRW", "bernd@example.org"),
    ],
    [Criterion("concept", "Quality of the concept", 2.0), Criterion("innovation", "Innovation", 1.0)],
)
NO_CONFLICTS = ()


def test_complete_review_is_accepted():
    review = Review("m1", "a1", {"concept": 4, "innovation": 0}, "convincing")
    assert validate_review(PANEL, review, NO_CONFLICTS) is review


def test_abstention_without_scores_is_accepted():
    assert validate_review(PANEL, Review("m1", "a1", None, abstained=True), NO_CONFLICTS).abstained


def test_abstention_with_scores_is_rejected():
    with pytest.raises(InvalidInput) as error:
        validate_review(PANEL, Review("m1", "a1", {"concept": 3, "innovation": 3}, abstained=True), NO_CONFLICTS)
    assert error.value.field == "scores"


def test_review_without_scores_must_be_an_abstention():
    with pytest.raises(InvalidInput) as error:
        validate_review(PANEL, Review("m1", "a1", None), NO_CONFLICTS)
    assert error.value.field == "scores"


@pytest.mark.parametrize("score", [-1, 6, 2.5, True, "4", None])
def test_score_out_of_range_names_the_criterion(score):
    with pytest.raises(InvalidInput) as error:
        validate_review(PANEL, Review("m1", "a1", {"concept": 3, "innovation": score}), NO_CONFLICTS)
    assert error.value.field == "scores.innovation"


def test_score_for_unknown_criterion_is_rejected():
    with pytest.raises(InvalidInput) as error:
        validate_review(PANEL, Review("m1", "a1", {"concept": 3, "innovation": 3, "beauty": 5}), NO_CONFLICTS)
    assert error.value.field == "scores.beauty"


def test_missing_criterion_score_is_rejected():
    with pytest.raises(InvalidInput) as error:
        validate_review(PANEL, Review("m1", "a1", {"concept": 3}), NO_CONFLICTS)
    assert error.value.field == "scores.innovation"


def test_reviewer_outside_the_panel_is_not_found():
    with pytest.raises(NotFound) as error:
        validate_review(PANEL, Review("m9", "a1", {"concept": 3, "innovation": 3}), NO_CONFLICTS)
    assert error.value.field == "member_id"


def test_member_with_declared_conflict_may_not_review_that_application():
    conflicts = [ConflictOfInterest("m2", "a1", "adviser to the applicant's economic development agency")]
    with pytest.raises(Forbidden):
        validate_review(PANEL, Review("m2", "a1", {"concept": 3, "innovation": 3}), conflicts)
    # The conflict concerns one application only.
    assert validate_review(PANEL, Review("m2", "a2", {"concept": 3, "innovation": 3}), conflicts)
