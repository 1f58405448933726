"""Property-based tests: `propose` against a brute-force oracle over every possible selection.

Candidates, reviews, places and rules are random. The ranking comes from `rank`, so ties and unscored
candidates occur as they would in a real call.
"""
import math
from collections import Counter
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from services.selection.domain import (
    SIZE_CLASSES,
    BalanceRule,
    Candidate,
    Criterion,
    Panel,
    PanelMember,
    Review,
    propose,
    rank,
)

PANEL = Panel(
    [PanelMember(f"m{i}", f"Reviewer {i}", "Handelsverband NRW", f"m{i}@example.org") for i in range(3)],
    [Criterion("concept", "Quality of the concept", 2.0), Criterion("innovation", "Innovation", 1.5)],
)
POPULATION = {"rural": 3_200, "small": 12_000, "medium": 48_000, "large": 160_000}


@st.composite
def calls(draw, max_candidates=10):
    """A ranking of up to `max_candidates` candidates, a number of places and a balance rule."""
    candidates, reviews = [], []
    for i in range(draw(st.integers(0, max_candidates))):
        size_class = draw(st.sampled_from(SIZE_CLASSES))
        candidates.append(Candidate(f"a{i}", "call", "05958004", f"Town {i}", POPULATION[size_class]))
        for m in range(draw(st.integers(0, 3))):
            scores = {"concept": draw(st.integers(0, 5)), "innovation": draw(st.integers(0, 5))}
            reviews.append(Review(f"m{m}", f"a{i}", scores))
    minimum = draw(st.dictionaries(st.sampled_from(SIZE_CLASSES), st.integers(0, 3)))
    headroom = draw(st.dictionaries(st.sampled_from(SIZE_CLASSES), st.integers(0, 3)))
    maximum = {size_class: minimum.get(size_class, 0) + extra for size_class, extra in headroom.items()}
    places = draw(st.integers(1, 6))
    return rank(candidates, PANEL, reviews, ()), places, BalanceRule(minimum=minimum, maximum=maximum)


# --- The oracle ------------------------------------------------------------------------------------------------

def total(selection):
    return math.fsum(e.weighted_mean for e in selection)


def counts(selection):
    return Counter(e.size_class for e in selection)


def within_maximum(selection, rule):
    per_class = counts(selection)
    return all(rule.maximum_for(c) is None or per_class[c] <= rule.maximum_for(c) for c in SIZE_CLASSES)


def applicable_minimum(ranking, rule):
    """'Among the applicants': a class never needs more than it has scored candidates."""
    available = counts(e for e in ranking if e.is_scored)
    return {c: min(rule.minimum_for(c), available[c]) for c in SIZE_CLASSES}


def all_selections(ranking, places, rule):
    """Every selection of the largest size that the places and the maxima allow."""
    scored = [e for e in ranking if e.is_scored]
    for size in range(min(places, len(scored)), -1, -1):
        selections = [s for s in combinations(scored, size) if within_maximum(s, rule)]
        if selections:
            return size, selections
    raise AssertionError("the empty selection is always allowed")


def required_seats_honoured(selection, minimum):
    """Round by round: how many classes got their 1st required seat, how many their 2nd, and so on."""
    per_class = counts(selection)
    rounds = max(minimum.values(), default=0)
    return tuple(sum(1 for c in SIZE_CLASSES if min(per_class[c], minimum[c]) > r) for r in range(rounds))


def selected_entries(ranking, proposal):
    by_id = {e.application_id: e for e in ranking}
    return [by_id[application_id] for application_id in proposal.selected]


# --- Properties ------------------------------------------------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(calls())
def test_proposal_is_the_best_selection_that_meets_the_rule(call):
    ranking, places, rule = call
    minimum = applicable_minimum(ranking, rule)
    size, selections = all_selections(ranking, places, rule)
    meeting_rule = [s for s in selections if all(counts(s)[c] >= minimum[c] for c in SIZE_CLASSES)]

    proposal = propose(ranking, places, rule)
    chosen = selected_entries(ranking, proposal)

    assert len(chosen) == len(set(proposal.selected)) == size
    assert all(e.is_scored for e in chosen)
    assert within_maximum(chosen, rule)
    assert math.isclose(proposal.total_score, total(chosen), abs_tol=1e-9)
    if meeting_rule:
        assert all(counts(chosen)[c] >= minimum[c] for c in SIZE_CLASSES)
        assert abs(proposal.total_score - max(total(s) for s in meeting_rule)) <= 1e-9
        assert not any(r.reason == "not_enough_places" for r in proposal.relaxed)


@settings(max_examples=400, deadline=None)
@given(calls())
def test_relaxed_proposal_keeps_most_required_seats_and_then_the_best_total(call):
    ranking, places, rule = call
    minimum = applicable_minimum(ranking, rule)
    _, selections = all_selections(ranking, places, rule)
    best_honoured = max(required_seats_honoured(s, minimum) for s in selections)
    best_total = max(total(s) for s in selections if required_seats_honoured(s, minimum) == best_honoured)

    proposal = propose(ranking, places, rule)
    chosen = selected_entries(ranking, proposal)

    assert required_seats_honoured(chosen, minimum) == best_honoured
    assert abs(proposal.total_score - best_total) <= 1e-9
    # The relaxations on record are exactly the gap between the rule and what the proposal honours.
    final_minimum = {c: rule.minimum_for(c) for c in SIZE_CLASSES}
    for relaxed in proposal.relaxed:
        assert final_minimum[relaxed.size_class] == relaxed.required > relaxed.applied
        final_minimum[relaxed.size_class] = relaxed.applied
    assert all(counts(chosen)[c] >= final_minimum[c] for c in SIZE_CLASSES)
    assert final_minimum == {c: min(counts(chosen)[c], rule.minimum_for(c)) for c in SIZE_CLASSES}


@settings(max_examples=400, deadline=None)
@given(calls())
def test_among_equally_good_selections_the_higher_ranked_candidates_win(call):
    ranking, places, rule = call
    minimum = applicable_minimum(ranking, rule)
    _, selections = all_selections(ranking, places, rule)
    best_honoured = max(required_seats_honoured(s, minimum) for s in selections)
    best = [s for s in selections if required_seats_honoured(s, minimum) == best_honoured]
    best_total = max(total(s) for s in best)
    equally_good = [s for s in best if total(s) >= best_total - 1e-9]

    proposal = propose(ranking, places, rule)

    positions = sorted(e.position for e in selected_entries(ranking, proposal))
    assert positions == min(sorted(e.position for e in s) for s in equally_good)


@settings(max_examples=200, deadline=None)
@given(calls(), st.randoms(use_true_random=False))
def test_proposal_does_not_depend_on_the_order_of_the_input(call, rng):
    ranking, places, rule = call
    shuffled = list(ranking)
    rng.shuffle(shuffled)
    assert propose(shuffled, places, rule) == propose(ranking, places, rule)


@settings(max_examples=200, deadline=None)
@given(calls())
def test_every_candidate_brought_in_over_a_higher_ranked_one_is_explained(call):
    ranking, places, rule = call
    proposal = propose(ranking, places, rule)
    top = [e.application_id for e in ranking if e.is_scored][:places]
    brought_in = [a for a in proposal.selected if a not in top]
    preferred = [i for i in proposal.reasoning if i["kind"] == "preferred"]
    assert [i["selected"] for i in preferred] == brought_in
    assert all(i["over"] in top and i["over"] not in proposal.selected and i["because"] for i in preferred)


@settings(max_examples=200, deadline=None)
@given(calls())
def test_ranking_orders_scored_candidates_by_weighted_mean_and_unscored_last(call):
    ranking, _, _ = call
    assert [e.position for e in ranking] == list(range(1, len(ranking) + 1))
    scored = [e.weighted_mean for e in ranking if e.is_scored]
    assert scored == sorted(scored, reverse=True)
    assert [e.is_scored for e in ranking] == sorted((e.is_scored for e in ranking), reverse=True)


def best_total_by_class_counts(ranking, size, lower, upper):
    """An oracle for calls too large for `all_selections`: the best total of `size` seats with lower[c] to
    upper[c] seats per class, by dynamic programming over the classes. Within a class the best k seats are
    its k best candidates, so only the number per class is open."""
    by_class = {c: sorted((e.weighted_mean for e in ranking if e.is_scored and e.size_class == c), reverse=True)
                for c in SIZE_CLASSES}
    best = {0: 0.0}
    for c in SIZE_CLASSES:
        prefix = [0.0]
        for score in by_class[c]:
            prefix.append(prefix[-1] + score)
        step = {}
        for taken, value in best.items():
            for k in range(lower[c], upper[c] + 1):
                if taken + k <= size:
                    step[taken + k] = max(step.get(taken + k, -math.inf), value + prefix[k])
        best = step
    return best.get(size)


@settings(max_examples=20, deadline=None)
@given(calls(max_candidates=500))
def test_on_large_random_calls_the_proposal_fills_what_the_rule_allows_with_the_best_total(call):
    ranking, places, rule = call
    places *= 20
    proposal = propose(ranking, places, rule)
    chosen = selected_entries(ranking, proposal)
    scored = counts(e for e in ranking if e.is_scored)
    upper = {c: scored[c] if rule.maximum_for(c) is None else min(scored[c], rule.maximum_for(c))
             for c in SIZE_CLASSES}
    size = min(places, sum(upper.values()))

    assert len(chosen) == len(set(proposal.selected)) == size
    assert all(e.is_scored for e in chosen) and within_maximum(chosen, rule)
    for c in SIZE_CLASSES:  # within a class, nobody is passed over for a lower-scoring candidate
        taken = [e.weighted_mean for e in chosen if e.size_class == c]
        left = [e.weighted_mean for e in ranking if e.is_scored and e.size_class == c and e not in chosen]
        assert not taken or not left or min(taken) >= max(left)
    minimum = applicable_minimum(ranking, rule)
    if sum(minimum.values()) <= size:
        assert all(counts(chosen)[c] >= minimum[c] for c in SIZE_CLASSES)
        best = best_total_by_class_counts(ranking, size, minimum, upper)
        assert abs(proposal.total_score - best) <= 1e-6
