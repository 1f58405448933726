"""The proposal: the best candidates under the balance rule, with its reasoning."""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.selection.domain.candidates import _SIZE_CLASS_NOUNS, _is_whole_number, _towns
from services.selection.domain.ranking import _mean, smart_city_rule
from shared.errors import InvalidInput
from shared.municipalities import SIZE_CLASSES

if TYPE_CHECKING:
    from services.selection.domain.ranking import BalanceRule, RankingEntry


# --------------------------------------------------------------------------------------------------------------
# Proposal
# --------------------------------------------------------------------------------------------------------------

RELAXATION_REASONS = ("no_scored_candidates", "too_few_scored_candidates", "not_enough_places")


@dataclass(frozen=True)
class RelaxedRequirement:
    """A minimum the proposal could not honour: it asked for `required` and got `applied`."""

    size_class: str
    required: int
    applied: int
    reason: str


@dataclass(frozen=True)
class Proposal:
    """The optimal selection under the (possibly relaxed) rule, and why it looks the way it does.

    `selected` is in ranking order. `reasoning` is a list of dicts. Each has a `kind` and an English
    `text`, plus structured fields:
      - relaxed:          size_class, required, applied, reason
      - preferred:        selected, over, because (chosen over a higher-ranked candidate)
      - not_selected:     application_id, because (left out although it is among the top `places`)
      - unscored:         application_ids (no counted review, so not proposed)
      - unfilled_places:  places, selected
      - class_summary:    size_class, selected, scored, minimum (applied), maximum
    """

    selected: tuple[str, ...]
    total_score: float
    places: int
    reasoning: tuple[dict[str, Any], ...]
    relaxed: tuple[RelaxedRequirement, ...]


def propose(ranking: Sequence[RankingEntry], places: int, rule: BalanceRule | None = None) -> Proposal:
    """Propose the set of at most `places` scored candidates with the highest total weighted mean.

    `rule` defaults to `smart_city_rule()`. Only scored candidates are proposed.

    Size: the proposal holds min(places, what the maxima allow among the scored candidates) candidates.

    Relaxation: a minimum applies only "among the applicants when places allow". In order:
      1. A class with fewer scored candidates than its minimum requires only as many as it has. A class
         with no scored candidates is not required at all.
      2. If the remaining minimums add up to more than the places, the required seats are handed out in
         rounds: the first seat of every class, then the second seat of every class, and so on. Within
         a round, classes whose next candidate scores higher come first; ranking position decides ties.
         Seats are handed out until the places run out. With the smart-city rule and 2 places, this
         keeps the two classes whose best candidates score highest. Of all selections that honour as many
         rounds of required seats as possible, this one has the highest total.
    Every relaxation appears in `relaxed` and in the reasoning.

    Optimality: the classes do not overlap, so an optimal set takes the best candidates within each
    class, and only the number per class is open. The total per class is a concave function of that
    number, because scores fall along the ranking. So it is exact to give each class its minimum and
    then fill the remaining places in ranking order, skipping classes at their maximum. This is an
    exchange argument, and the property tests check it against brute force. It runs in O(n log n).

    Determinism: candidates are taken in ranking order (weighted mean, then ranking position). Among
    equally good sets, the proposal is the one whose sorted ranking positions come first, so the
    higher-ranked candidates win. The property tests check this too.
    """
    if not _is_whole_number(places) or places < 1:
        raise InvalidInput("places must be a whole number of at least 1", "places")
    rule = smart_city_rule() if rule is None else rule

    scored = sorted((e for e in ranking if e.is_scored), key=lambda e: (-_mean(e), e.position))
    by_class: dict[str, list[RankingEntry]] = {size_class: [] for size_class in SIZE_CLASSES}
    for entry in scored:
        if entry.size_class not in by_class:
            raise InvalidInput(f"unknown size class {entry.size_class!r}", "ranking")
        by_class[entry.size_class].append(entry)

    upper = {}
    for size_class, entries in by_class.items():
        most = rule.maximum_for(size_class)
        upper[size_class] = len(entries) if most is None else min(len(entries), most)
    size = min(places, sum(upper.values()))
    lower, relaxed = _applicable_minimums(rule, by_class, size)
    chosen = _fill(scored, by_class, lower, upper, size)
    selected = [e for e in scored if e.application_id in chosen]
    reasoning = _explain(ranking, scored, by_class, selected, places, rule, lower, relaxed)
    return Proposal(
        selected=tuple(e.application_id for e in selected),
        total_score=math.fsum(_mean(e) for e in selected),
        places=places,
        reasoning=tuple(reasoning),
        relaxed=tuple(relaxed),
    )


def _fill(
    scored: list[RankingEntry], by_class: Mapping[str, list[RankingEntry]], lower: Mapping[str, int],
    upper: Mapping[str, int], size: int,
) -> set[str]:
    """The ids chosen: each class's best up to its minimum, then the rest in ranking order up to `size`,
    skipping classes at their maximum."""
    chosen = {e.application_id for size_class, entries in by_class.items() for e in entries[: lower[size_class]]}
    per_class = Counter(lower)
    for entry in scored:
        if len(chosen) == size:
            break
        if entry.application_id not in chosen and per_class[entry.size_class] < upper[entry.size_class]:
            chosen.add(entry.application_id)
            per_class[entry.size_class] += 1
    return chosen


def _applicable_minimums(
    rule: BalanceRule, by_class: Mapping[str, list[RankingEntry]], size: int
) -> tuple[dict[str, int], list[RelaxedRequirement]]:
    """The minimum each class gets in this proposal, and the requirements that had to give way."""
    relaxed = []
    lower = {}
    for size_class, entries in by_class.items():
        required = rule.minimum_for(size_class)
        lower[size_class] = min(required, len(entries))
        if lower[size_class] < required:
            reason = "no_scored_candidates" if not entries else "too_few_scored_candidates"
            relaxed.append(RelaxedRequirement(size_class, required, lower[size_class], reason))

    if sum(lower.values()) > size:
        seats = sorted(
            (round_, -_mean(entries[round_]), entries[round_].position, size_class)
            for size_class, entries in by_class.items()
            for round_ in range(lower[size_class])
        )
        kept = Counter(size_class for *_, size_class in seats[:size])
        for size_class in SIZE_CLASSES:
            if kept[size_class] < lower[size_class]:
                relaxed.append(
                    RelaxedRequirement(size_class, lower[size_class], kept[size_class], "not_enough_places")
                )
        lower = {size_class: kept[size_class] for size_class in SIZE_CLASSES}
    return lower, relaxed


def _explain(
    ranking: Sequence[RankingEntry],
    scored: list[RankingEntry],
    by_class: Mapping[str, list[RankingEntry]],
    selected: list[RankingEntry],
    places: int,
    rule: BalanceRule,
    lower: Mapping[str, int],
    relaxed: list[RelaxedRequirement],
) -> list[dict[str, Any]]:
    """Reasoning for the panel: relaxations, who was preferred over whom and why, and a line per class."""
    per_class = Counter(e.size_class for e in selected)
    items: list[dict[str, Any]] = [_relaxation_item(r) for r in relaxed]
    items += _exchange_items(scored, by_class, selected, places, rule, lower, per_class)
    unscored = [e for e in sorted(ranking, key=lambda e: e.position) if not e.is_scored]
    if unscored:
        items.append({
            "kind": "unscored",
            "application_ids": [e.application_id for e in unscored],
            "text": f"Not considered because no counted review: {', '.join(e.name for e in unscored)}.",
        })
    if len(selected) < places:
        items.append({
            "kind": "unfilled_places",
            "places": places,
            "selected": len(selected),
            "text": f"Only {len(selected)} of {places} places can be filled with scored candidates "
                    f"within the balance rule.",
        })
    return items + _class_summaries(by_class, rule, lower, per_class)


def _exchange_items(scored: list[RankingEntry], by_class: Mapping[str, list[RankingEntry]], selected: list[RankingEntry],
                    places: int, rule: BalanceRule, lower: Mapping[str, int], per_class: Counter[str]) -> list[dict[str, Any]]:
    """Who the rule brought in over whom, compared with the proposal that ignores the rule (the top
    `places` of the ranking). The candidates brought in are paired with those left out, both in ranking
    order. A pair never shares a class, because within a class the selection is always a top slice."""
    items: list[dict[str, Any]] = []
    selected_ids = {e.application_id for e in selected}
    top = scored[:places]
    top_ids = {e.application_id for e in top}
    brought_in = [e for e in selected if e.application_id not in top_ids]
    left_out = [e for e in top if e.application_id not in selected_ids]

    def at_maximum(entry: RankingEntry) -> str | None:
        most = rule.maximum_for(entry.size_class)
        if most is not None and per_class[entry.size_class] >= most:
            return f"balance rule allows at most {_towns(entry.size_class, most)}"
        return None

    required_ids = {
        e.application_id for size_class, entries in by_class.items() for e in entries[: lower[size_class]]
    }
    for chosen, passed_over in zip(brought_in, left_out):
        reasons = []
        if chosen.application_id in required_ids:
            reasons.append(f"balance rule requires at least {_towns(chosen.size_class, lower[chosen.size_class])}")
        capped = at_maximum(passed_over)
        if capped:
            reasons.append(capped)
        because = "; ".join(reasons) or "balance rule"
        items.append({
            "kind": "preferred",
            "selected": chosen.application_id,
            "over": passed_over.application_id,
            "because": because,
            "text": f"{chosen.name} (#{chosen.position}) is proposed instead of {passed_over.name} "
                    f"(#{passed_over.position}): {because}.",
        })
    for passed_over in left_out[len(brought_in):]:
        because = at_maximum(passed_over) or "balance rule"
        items.append({
            "kind": "not_selected",
            "application_id": passed_over.application_id,
            "because": because,
            "text": f"{passed_over.name} (#{passed_over.position}) is not proposed: {because}.",
        })
    return items


def _class_summaries(
    by_class: Mapping[str, list[RankingEntry]], rule: BalanceRule, lower: Mapping[str, int],
    per_class: Counter[str],
) -> list[dict[str, Any]]:
    """A line per size class that has candidates or a minimum: proposed of scored, and the rule's bounds."""
    items: list[dict[str, Any]] = []
    for size_class in SIZE_CLASSES:
        required, most = rule.minimum_for(size_class), rule.maximum_for(size_class)
        if not by_class[size_class] and not required:
            continue
        bounds = [f"at least {lower[size_class]}"] if required else []
        if lower[size_class] != required:
            bounds[-1] += f" (relaxed from {required})"
        if most is not None:
            bounds.append(f"at most {most}")
        _, plural = _SIZE_CLASS_NOUNS[size_class]
        items.append({
            "kind": "class_summary",
            "size_class": size_class,
            "selected": per_class[size_class],
            "scored": len(by_class[size_class]),
            "minimum": lower[size_class],
            "maximum": most,
            "text": f"{plural.capitalize()}: {per_class[size_class]} proposed of {len(by_class[size_class])} "
                    f"scored" + (f"; rule: {', '.join(bounds)}" if bounds else "") + ".",
        })
    return items


def _relaxation_item(relaxed: RelaxedRequirement) -> dict[str, Any]:
    why = {
        "no_scored_candidates": "there is no scored candidate of this class",
        "too_few_scored_candidates": "there are not enough scored candidates of this class",
        "not_enough_places": "the places do not suffice for every class; the classes whose best "
                             "candidates score highest keep their seats",
    }[relaxed.reason]
    _, plural = _SIZE_CLASS_NOUNS[relaxed.size_class]
    return {
        "kind": "relaxed",
        "size_class": relaxed.size_class,
        "required": relaxed.required,
        "applied": relaxed.applied,
        "reason": relaxed.reason,
        "text": f"Requirement for {plural} relaxed from at least {relaxed.required} to {relaxed.applied}: {why}.",
    }
