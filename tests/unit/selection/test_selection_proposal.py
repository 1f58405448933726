"""Proposal: the best-scoring set within the places and the balance rule, with its reasoning."""
import random

import pytest

from services.selection.domain import (
    SIZE_CLASSES,
    BalanceRule,
    Candidate,
    ConflictOfInterest,
    Panel,
    PanelMember,
    RankingEntry,
    Review,
    default_criteria,
    propose,
    rank,
    smart_city_rule,
)
from shared.errors import InvalidInput


def ranking_of(*rows):
    """A ranking from (application_id, size_class, weighted_mean) rows, listed best first."""
    return [
        RankingEntry(
            position=position, application_id=app_id, name=app_id.capitalize(), size_class=size_class,
            weighted_mean=mean, review_count=0 if mean is None else 3, abstention_count=0,
            spread=None if mean is None else 0.0, std_dev=None if mean is None else 0.0, conflicted_member_ids=(),
        )
        for position, (app_id, size_class, mean) in enumerate(rows, start=1)
    ]


def items(proposal, kind):
    return [item for item in proposal.reasoning if item["kind"] == kind]


def test_without_rule_the_top_of_the_ranking_is_proposed():
    ranking = ranking_of(("a", "medium", 4.5), ("b", "medium", 4.0), ("c", "large", 3.0), ("d", "small", 2.0))
    proposal = propose(ranking, 2, BalanceRule.none())
    assert proposal.selected == ("a", "b")
    assert proposal.total_score == pytest.approx(8.5)
    assert items(proposal, "preferred") == []


def test_default_rule_is_the_smart_city_rule():
    ranking = ranking_of(("a", "medium", 4.5), ("b", "medium", 4.0), ("c", "large", 3.0), ("d", "small", 2.0))
    assert propose(ranking, 3).selected == propose(ranking, 3, smart_city_rule()).selected == ("a", "c", "d")


def test_minimum_brings_in_a_lower_ranked_small_town_and_says_why():
    ranking = ranking_of(("a", "medium", 4.5), ("b", "medium", 4.0), ("c", "large", 3.0), ("d", "small", 2.0))
    proposal = propose(ranking, 3, smart_city_rule())
    assert proposal.selected == ("a", "c", "d")
    assert proposal.total_score == pytest.approx(9.5)
    [preferred] = items(proposal, "preferred")
    assert preferred["selected"] == "d" and preferred["over"] == "b"
    assert preferred["because"] == "balance rule requires at least 1 small town"


def test_required_classes_may_push_out_the_whole_top_of_the_ranking():
    ranking = ranking_of(("l1", "large", 5.0), ("l2", "large", 4.9), ("m1", "medium", 4.0), ("s1", "small", 1.0))
    proposal = propose(ranking, 2, BalanceRule(minimum={"medium": 1, "small": 1}))
    assert proposal.selected == ("m1", "s1")
    assert [(i["selected"], i["over"]) for i in items(proposal, "preferred")] == [("m1", "l1"), ("s1", "l2")]


def test_extra_places_go_to_the_best_remaining_whatever_their_class():
    ranking = ranking_of(("a", "large", 5.0), ("b", "large", 4.9), ("c", "medium", 1.0), ("d", "small", 1.0),
                         ("e", "rural", 0.5))
    assert propose(ranking, 4, smart_city_rule()).selected == ("a", "b", "c", "d")


def test_class_without_scored_candidates_is_not_required():
    ranking = ranking_of(("a", "medium", 4.5), ("b", "medium", 4.0), ("c", "large", 3.0), ("s", "small", None))
    proposal = propose(ranking, 3, smart_city_rule())
    assert proposal.selected == ("a", "b", "c")
    [relaxed] = proposal.relaxed
    assert (relaxed.size_class, relaxed.required, relaxed.applied, relaxed.reason) == (
        "small", 1, 0, "no_scored_candidates")
    assert items(proposal, "relaxed")[0]["size_class"] == "small"
    assert items(proposal, "unscored")[0]["application_ids"] == ["s"]


def test_class_with_too_few_candidates_requires_only_those_it_has():
    ranking = ranking_of(("a", "large", 5.0), ("b", "large", 4.0), ("c", "small", 1.0))
    proposal = propose(ranking, 2, BalanceRule(minimum={"small": 2}))
    assert proposal.selected == ("a", "c")
    assert [(r.required, r.applied, r.reason) for r in proposal.relaxed] == [(2, 1, "too_few_scored_candidates")]


def test_too_few_places_keep_the_classes_whose_best_candidates_score_highest():
    ranking = ranking_of(("m1", "medium", 4.6), ("m2", "medium", 4.3), ("l1", "large", 4.1), ("s1", "small", 4.0))
    proposal = propose(ranking, 2, smart_city_rule())
    assert proposal.selected == ("m1", "l1")
    assert [(r.size_class, r.required, r.applied, r.reason) for r in proposal.relaxed] == [
        ("small", 1, 0, "not_enough_places")]
    assert "relaxed from 1" in next(i["text"] for i in items(proposal, "class_summary") if i["size_class"] == "small")


def test_relaxation_hands_out_first_seats_of_every_class_before_second_seats():
    ranking = ranking_of(("m1", "medium", 5.0), ("m2", "medium", 4.9), ("l1", "large", 1.0), ("s1", "small", 0.5))
    proposal = propose(ranking, 3, BalanceRule(minimum={"medium": 2, "large": 1, "small": 1}))
    # Round one gives medium, large and small a seat each: that already uses all three places.
    assert proposal.selected == ("m1", "l1", "s1")
    assert [(r.size_class, r.required, r.applied) for r in proposal.relaxed] == [("medium", 2, 1)]


def test_maximum_caps_a_class_and_the_place_goes_to_the_next_best():
    ranking = ranking_of(("a", "large", 5.0), ("b", "large", 4.8), ("c", "large", 4.5), ("d", "medium", 2.0))
    proposal = propose(ranking, 3, BalanceRule(maximum={"large": 2}))
    assert proposal.selected == ("a", "b", "d")
    [preferred] = items(proposal, "preferred")
    assert (preferred["selected"], preferred["over"]) == ("d", "c")
    assert preferred["because"] == "balance rule allows at most 2 big cities"


def test_places_stay_unfilled_when_maxima_leave_no_eligible_candidate():
    ranking = ranking_of(("a", "large", 5.0), ("b", "large", 4.8), ("c", "large", 4.5))
    proposal = propose(ranking, 3, BalanceRule(maximum={"large": 1}))
    assert proposal.selected == ("a",)
    assert [i["application_id"] for i in items(proposal, "not_selected")] == ["b", "c"]
    assert items(proposal, "unfilled_places")[0]["selected"] == 1


def test_unscored_candidates_are_never_proposed():
    ranking = ranking_of(("a", "large", 2.0), ("b", "small", None), ("c", "medium", None))
    proposal = propose(ranking, 3, smart_city_rule())
    assert proposal.selected == ("a",)
    assert items(proposal, "unfilled_places")


def test_ties_are_decided_by_ranking_position():
    ranking = ranking_of(("x", "medium", 3.0), ("y", "medium", 3.0), ("z", "medium", 3.0))
    assert propose(ranking, 2, BalanceRule.none()).selected == ("x", "y")
    shuffled = list(reversed(ranking))
    assert propose(shuffled, 2, BalanceRule.none()).selected == ("x", "y")


def test_every_class_with_candidates_or_requirement_gets_a_summary_line():
    ranking = ranking_of(("a", "medium", 4.5), ("b", "rural", 1.0))
    summaries = {i["size_class"]: i for i in items(propose(ranking, 2, smart_city_rule()), "class_summary")}
    assert set(summaries) == {"rural", "small", "medium", "large"}
    assert (summaries["medium"]["selected"], summaries["medium"]["scored"]) == (1, 1)


@pytest.mark.parametrize("places", [0, -1, 2.0, None])
def test_places_must_be_a_positive_whole_number(places):
    with pytest.raises(InvalidInput) as error:
        propose(ranking_of(("a", "large", 1.0)), places, BalanceRule.none())
    assert error.value.field == "places"


@pytest.mark.parametrize(
    "minimum, maximum, field",
    [({"village": 1}, {}, "minimum.village"), ({"small": -1}, {}, "minimum.small"),
     ({"small": 2}, {"small": 1}, "maximum.small"), ({}, {"large": 1.5}, "maximum.large")],
)
def test_balance_rule_bounds_are_validated(minimum, maximum, field):
    with pytest.raises(InvalidInput) as error:
        BalanceRule(minimum=minimum, maximum=maximum)
    assert error.value.field == field


# --- The 2018 "Smart City" call --------------------------------------------------------------------------------

# Real NRW municipalities with rounded populations. Only Wassenberg, Arnsberg and Siegen applied as far as the
# announcement tells; the other eight applicants and all scores are invented for the test. The AGS only need
# the right format here.
APPLICANTS_2018 = [
    ("app-wassenberg", "05370036", "Wassenberg", 18_500),
    ("app-arnsberg", "05958004", "Arnsberg", 74_200),
    ("app-siegen", "05970040", "Siegen", 102_000),
    ("app-dortmund", "05913000", "Dortmund", 587_000),
    ("app-muenster", "05515000", "Münster", 314_000),
    ("app-bocholt", "05554008", "Bocholt", 71_000),
    ("app-lemgo", "05766044", "Lemgo", 40_700),
    ("app-schmallenberg", "05958040", "Schmallenberg", 25_000),
    ("app-olsberg", "05958036", "Olsberg", 14_700),
    ("app-monschau", "05334020", "Monschau", 11_700),
    ("app-hallenberg", "05958020", "Hallenberg", 4_400),
]

# Base scores per criterion, in the order of default_criteria(): strategic approach, city-centre relevance,
# participation, transferability, innovation, feasibility.
PROFILES_2018 = {
    "app-arnsberg": (5, 4, 4, 5, 5, 4),
    "app-lemgo": (4, 5, 4, 4, 4, 4),
    "app-siegen": (4, 4, 4, 4, 4, 3),
    "app-wassenberg": (4, 4, 4, 3, 4, 3),
    "app-dortmund": (4, 3, 3, 3, 4, 4),
    "app-bocholt": (3, 4, 3, 3, 3, 4),
    "app-muenster": (3, 3, 3, 4, 3, 3),
    "app-olsberg": (3, 3, 3, 3, 2, 3),
    "app-schmallenberg": (3, 3, 2, 3, 2, 3),
    "app-monschau": (2, 3, 3, 2, 2, 3),
    "app-hallenberg": (2, 2, 3, 2, 2, 2),
}

STEERING_GROUP_2018 = Panel(
    [
        PanelMember("mhkbg", "Petra Beispiel", "Ministerium für Heimat, Kommunales, Bau und Gleichstellung NRW",
                    "p.beispiel@example.org"),
        PanelMember("chair", "Jonas Muster", "Vorsitz Netzwerk Innenstadt NRW", "j.muster@example.org", "chair"),
        PanelMember("staedtetag", "Carla Probe", "Städtetag NRW", "c.probe@example.org"),
        PanelMember("stgb", "Dieter Test", "Städte- und Gemeindebund NRW", "d.test@example.org"),
        PanelMember("hv", "Eva Exempel", "Handelsverband NRW", "e.exempel@example.org"),
        PanelMember("ihk", "Frank Fiktiv", "IHK NRW", "f.fiktiv@example.org"),
        PanelMember("tudo", "Greta Gedacht", "TU Dortmund", "g.gedacht@example.org"),
    ],
    default_criteria(),
)

# How each member departs from the base scores: the panel does not agree perfectly.
MEMBER_OFFSETS = {"mhkbg": 0, "chair": 1, "staedtetag": -1, "stgb": 0, "hv": 0, "ihk": 1, "tudo": -1}


def reviews_2018():
    keys = STEERING_GROUP_2018.criterion_keys
    for application_id, profile in PROFILES_2018.items():
        for member_id, offset in MEMBER_OFFSETS.items():
            if member_id == "hv" and application_id == "app-muenster":
                yield Review(member_id, application_id, None, abstained=True)
                continue
            scores = {key: max(0, min(5, base + offset)) for key, base in zip(keys, profile)}
            yield Review(member_id, application_id, scores, "fictitious review")


def test_2018_smart_city_call_proposes_wassenberg_arnsberg_and_siegen():
    candidates = [Candidate(app_id, "smart-city-2018", ags, name, population)
                  for app_id, ags, name, population in APPLICANTS_2018]
    conflicts = [ConflictOfInterest("tudo", "app-dortmund", "the university is a project partner of Dortmund")]

    ranking = rank(candidates, STEERING_GROUP_2018, list(reviews_2018()), conflicts)
    proposal = propose(ranking, 3, smart_city_rule())

    assert set(proposal.selected) == {"app-wassenberg", "app-arnsberg", "app-siegen"}
    entries = {e.application_id: e for e in ranking}
    assert [entries[a].size_class for a in ("app-wassenberg", "app-arnsberg", "app-siegen")] == [
        "small", "medium", "large"]
    # Lemgo, a medium-sized town, scores higher than Wassenberg and Siegen but is not proposed.
    assert entries["app-lemgo"].size_class == "medium"
    assert entries["app-lemgo"].weighted_mean > entries["app-siegen"].weighted_mean
    assert entries["app-lemgo"].weighted_mean > entries["app-wassenberg"].weighted_mean
    assert [e.application_id for e in ranking[:4]] == ["app-arnsberg", "app-lemgo", "app-siegen", "app-wassenberg"]
    assert {
        "kind": "preferred",
        "selected": "app-wassenberg",
        "over": "app-lemgo",
        "because": "balance rule requires at least 1 small town",
    }.items() <= items(proposal, "preferred")[0].items()
    assert len(items(proposal, "preferred")) == 1
    assert proposal.relaxed == ()
    # The conflicted TU Dortmund member does not count for Dortmund; the abstention is on record.
    assert entries["app-dortmund"].conflicted_member_ids == ("tudo",)
    assert entries["app-dortmund"].review_count == 6
    assert entries["app-muenster"].abstention_count == 1
    # The eight others remain, for the decision to invite them to the workshops.
    assert len(ranking) - len(proposal.selected) == 8


def test_propose_handles_500_candidates():
    rng = random.Random(2018)
    ranking = ranking_of(*sorted(
        ((f"app-{i:03d}", rng.choice(SIZE_CLASSES), rng.choice([None, *[x / 12 for x in range(61)]]))
         for i in range(500)),
        key=lambda row: (row[2] is None, -(row[2] or 0), row[0]),
    ))
    proposal = propose(ranking, 25, BalanceRule(minimum={"rural": 2, "small": 5, "medium": 5, "large": 5},
                                                maximum={"large": 8}))
    assert len(proposal.selected) == 25
