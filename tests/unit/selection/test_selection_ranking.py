"""Ranking: weighted means over the counted reviews, the documented tie-break, exclusions."""
from datetime import datetime, timezone

import pytest

from services.selection.domain import (
    Candidate,
    ConflictOfInterest,
    Criterion,
    Panel,
    PanelMember,
    Review,
    rank,
)
from shared.errors import InvalidInput

PANEL = Panel(
    [PanelMember(f"m{i}", f"Reviewer {i}", "Städte- und Gemeindebund NRW", f"m{i}@example.org") for i in (1, 2, 3)],
    [Criterion("concept", "Quality of the concept", 3.0), Criterion("innovation", "Innovation", 1.0)],
)


def candidate(application_id, population=50_000, status="submitted", submitted_at=None):
    return Candidate(application_id, "call-2018", "05958004", f"Town {application_id}", population,
                     status=status, submitted_at=submitted_at)


def review(member_id, application_id, concept, innovation):
    return Review(member_id, application_id, {"concept": concept, "innovation": innovation})


def by_id(ranking):
    return {entry.application_id: entry for entry in ranking}


def test_weighted_mean_weights_each_review_then_averages_reviews():
    ranking = rank([candidate("a1")], PANEL, [review("m1", "a1", 4, 0), review("m2", "a1", 2, 2)], ())
    entry = ranking[0]
    # (3*4 + 1*0)/4 = 3.0 and (3*2 + 1*2)/4 = 2.0
    assert entry.weighted_mean == pytest.approx(2.5)
    assert entry.review_count == 2
    assert entry.spread == pytest.approx(1.0)
    assert entry.std_dev == pytest.approx(0.5)
    assert entry.position == 1


def test_withdrawn_application_is_not_a_candidate():
    candidates = [candidate("a1"), candidate("a2", status="withdrawn")]
    reviews = [review("m1", "a1", 3, 3), review("m1", "a2", 5, 5)]
    assert [e.application_id for e in rank(candidates, PANEL, reviews, ())] == ["a1"]


def test_conflicted_member_is_excluded_from_score():
    conflicts = [ConflictOfInterest("m1", "a1", "former head of the applicant's planning department")]
    reviews = [review("m1", "a1", 5, 5), review("m2", "a1", 2, 2)]
    entry = rank([candidate("a1")], PANEL, reviews, conflicts)[0]
    assert entry.weighted_mean == pytest.approx(2.0)
    assert entry.review_count == 1
    assert entry.conflicted_member_ids == ("m1",)


def test_conflicted_members_review_is_dropped_even_if_malformed():
    conflicts = [ConflictOfInterest("m1", "a1", "lives in the applicant town and sits on its council")]
    reviews = [Review("m1", "a1", {"concept": 9}), review("m2", "a1", 2, 2)]
    assert rank([candidate("a1")], PANEL, reviews, conflicts)[0].review_count == 1


def test_abstention_is_counted_but_does_not_score():
    reviews = [Review("m1", "a1", None, abstained=True), review("m2", "a1", 4, 4)]
    entry = rank([candidate("a1")], PANEL, reviews, ())[0]
    assert (entry.weighted_mean, entry.review_count, entry.abstention_count) == (4.0, 1, 1)


def test_candidate_without_counted_review_has_no_score_and_ranks_last():
    candidates = [candidate("a1"), candidate("a2"), candidate("a3")]
    reviews = [Review("m1", "a1", None, abstained=True), review("m1", "a2", 0, 0), review("m1", "a3", 1, 0)]
    ranking = rank(candidates, PANEL, reviews, ())
    assert [e.application_id for e in ranking] == ["a3", "a2", "a1"]
    last = ranking[-1]
    assert (last.weighted_mean, last.spread, last.std_dev, last.review_count) == (None, None, None, 0)
    assert [e.position for e in ranking] == [1, 2, 3]


def test_tie_on_mean_goes_to_more_reviews():
    reviews = [review("m1", "a1", 3, 3), review("m1", "a2", 3, 3), review("m2", "a2", 3, 3)]
    assert [e.application_id for e in rank([candidate("a1"), candidate("a2")], PANEL, reviews, ())] == ["a2", "a1"]


def test_tie_on_mean_and_reviews_goes_to_lower_spread():
    reviews = [review("m1", "a1", 5, 5), review("m2", "a1", 1, 1), review("m1", "a2", 3, 3), review("m2", "a2", 3, 3)]
    assert [e.application_id for e in rank([candidate("a1"), candidate("a2")], PANEL, reviews, ())] == ["a2", "a1"]


def test_tie_on_mean_reviews_and_spread_goes_to_earlier_submission():
    early = datetime(2018, 5, 2, 9, 0, tzinfo=timezone.utc)
    late = datetime(2018, 5, 30, 17, 45, tzinfo=timezone.utc)
    candidates = [candidate("a1", submitted_at=late), candidate("a2", submitted_at=early), candidate("a0")]
    reviews = [review("m1", app, 3, 3) for app in ("a0", "a1", "a2")]
    # a0 has no submission time and comes after those that have one.
    assert [e.application_id for e in rank(candidates, PANEL, reviews, ())] == ["a2", "a1", "a0"]


def test_full_tie_goes_to_application_id():
    candidates = [candidate("b"), candidate("c"), candidate("a")]
    reviews = [review("m1", app, 3, 3) for app in ("a", "b", "c")]
    assert [e.application_id for e in rank(candidates, PANEL, reviews, ())] == ["a", "b", "c"]


def test_equal_means_reached_by_different_scores_tie_exactly():
    # 3*1+1*4 = 7 and 3*2+1*1 = 7: both 1.75. The tie goes to the id, not to rounding noise.
    reviews = [review("m1", "b", 1, 4), review("m1", "a", 2, 1)]
    ranking = rank([candidate("b"), candidate("a")], PANEL, reviews, ())
    assert [e.application_id for e in ranking] == ["a", "b"]
    assert ranking[0].weighted_mean == ranking[1].weighted_mean


def test_review_of_withdrawn_application_is_ignored():
    candidates = [candidate("a1", status="withdrawn")]
    assert rank(candidates, PANEL, [review("m1", "a1", 5, 5)], ()) == []


def test_review_of_unknown_application_is_rejected():
    with pytest.raises(InvalidInput) as error:
        rank([candidate("a1")], PANEL, [review("m1", "a1", 3, 3), review("m1", "zz", 3, 3)], ())
    assert error.value.field == "reviews[1].application_id"


def test_review_by_non_member_is_rejected():
    with pytest.raises(InvalidInput) as error:
        rank([candidate("a1")], PANEL, [review("m9", "a1", 3, 3)], ())
    assert error.value.field == "reviews[0].member_id"


def test_second_review_by_same_member_is_rejected():
    with pytest.raises(InvalidInput) as error:
        rank([candidate("a1")], PANEL, [review("m1", "a1", 3, 3), review("m1", "a1", 4, 4)], ())
    assert error.value.field == "reviews[1].member_id"


def test_malformed_counted_review_names_review_and_criterion():
    with pytest.raises(InvalidInput) as error:
        rank([candidate("a1")], PANEL, [review("m1", "a1", 3, 3), Review("m2", "a1", {"concept": 3})], ())
    assert error.value.field == "reviews[1].scores.innovation"


def test_duplicate_candidates_are_rejected():
    with pytest.raises(InvalidInput) as error:
        rank([candidate("a1"), candidate("a1")], PANEL, [], ())
    assert error.value.field == "candidates[1].application_id"


def test_candidates_of_different_calls_are_rejected():
    other = Candidate("a2", "call-2019", "05958004", "Arnsberg", 74_200)
    with pytest.raises(InvalidInput) as error:
        rank([candidate("a1"), other], PANEL, [], ())
    assert error.value.field == "candidates"
