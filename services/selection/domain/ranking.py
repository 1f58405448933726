"""The ranking by weighted review scores, and the balance rule over size classes."""
from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import TYPE_CHECKING

from services.selection.domain.candidates import _candidates_by_id, _is_whole_number
from services.selection.domain.panel import _check_review_content, _conflicted_members_by_application
from shared.errors import InvalidInput
from shared.municipalities import SIZE_CLASSES

if TYPE_CHECKING:
    from services.selection.domain.candidates import Candidate
    from services.selection.domain.panel import ConflictOfInterest, Panel, Review


# --------------------------------------------------------------------------------------------------------------
# Ranking
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankingEntry:
    """A candidate's place in the ranking and the numbers behind it.

    `weighted_mean` is the mean, over the counted reviews, of each review's weighted score. It is None
    when no review counts. `spread` is the difference between the highest and the lowest weighted review
    score. `std_dev` is the population standard deviation of those scores. Together they show how much the
    panel agreed.
    """

    position: int
    application_id: str
    name: str
    size_class: str
    weighted_mean: float | None
    review_count: int
    abstention_count: int
    spread: float | None
    std_dev: float | None
    conflicted_member_ids: tuple[str, ...]

    @property
    def is_scored(self) -> bool:
        return self.weighted_mean is not None


@dataclass(frozen=True)
class KeptRankingLine:
    """A line of a ranking page read from the kept numbers (a read model): the candidate's entry, with `rank`'s
    numbers for that one candidate as every change of its reviews, conflicts or the panel kept them, at its
    position in the page's order; and its AGS."""

    entry: RankingEntry
    ags: str


def _mean(entry: RankingEntry) -> float:
    """The weighted mean of a scored entry (the proposal and the vacancies consider scored entries only)."""
    if entry.weighted_mean is None:
        raise ValueError(f"{entry.application_id} has no counted review")
    return entry.weighted_mean


def _weighted_score(panel: Panel, scores: Mapping[str, int]) -> Fraction:
    # Exact arithmetic, so that equal scores tie exactly and the documented tie-break decides, not
    # floating-point noise.
    weights = {criterion.key: Fraction(criterion.weight) for criterion in panel.criteria}
    return sum((weights[key] * scores[key] for key in weights), Fraction(0)) / sum(weights.values())


def weighted_review_score(panel: Panel, review: Review) -> float | None:
    """One review's weighted score, sum(weight * score) / sum(weight); None for an abstention."""
    if review.abstained:
        return None
    _check_review_content(panel, review)
    return float(_weighted_score(panel, review.scores or {}))


def _ranking_key(candidate: Candidate, review_scores: list[Fraction]) -> tuple[object, ...]:
    """Sort key that puts the best candidate first. See `rank` for the order in words."""
    submitted = (0, candidate.submitted_at) if candidate.submitted_at is not None else (1,)
    if not review_scores:
        return (1, submitted, candidate.application_id)
    mean = sum(review_scores, Fraction(0)) / len(review_scores)
    spread = max(review_scores) - min(review_scores)
    return (0, -mean, -len(review_scores), spread, submitted, candidate.application_id)


def rank(
    candidates: Iterable[Candidate],
    panel: Panel,
    reviews: Iterable[Review],
    conflicts: Iterable[ConflictOfInterest],
) -> list[RankingEntry]:
    """Rank the candidates that have not withdrawn, best first, with positions 1, 2, 3, ...

    Which reviews count: a review counts when its member has not declared a conflict of interest for
    the application and did not abstain. A conflicted member's review is dropped whatever it contains,
    even if it was written before the conflict was declared. Abstentions are counted separately.
    Reviews of withdrawn applications are ignored.

    Weighted score of one review: sum(weight * score) / sum(weight). The candidate's weighted mean is
    the plain mean of these over the counted reviews.

    Tie-break, the documented deterministic order:
      1. higher weighted mean first;
      2. then more counted reviews (a score that more members back is more reliable);
      3. then lower spread (max - min of the weighted review scores: the panel agreed more);
      4. then earlier submission (`submitted_at`; candidates without it come after those with it);
      5. then application_id ascending, which always decides.
    Candidates without a counted review rank last, ordered by steps 4 and 5.
    The comparisons use exact fractions, so candidates with equal scores always tie exactly.

    Raises InvalidInput when a review belongs to an application that is not a candidate, when its
    reviewer is not on the panel, when a member reviewed the same application twice, or when a counted
    review's scores do not fit the criteria. Field names look like `reviews[3].scores.innovation`.
    """
    by_id = _candidates_by_id(candidates)
    active = {app_id: c for app_id, c in by_id.items() if not c.is_withdrawn}
    conflicted = _conflicted_members_by_application(conflicts)
    review_scores, abstentions = _counted_reviews(by_id, active, panel, reviews, conflicted)
    ordered = sorted(active.values(), key=lambda c: _ranking_key(c, review_scores[c.application_id]))
    return [
        _ranking_entry(
            position,
            candidate,
            review_scores[candidate.application_id],
            abstentions[candidate.application_id],
            conflicted.get(candidate.application_id, set()),
        )
        for position, candidate in enumerate(ordered, start=1)
    ]


def _counted_reviews(
    by_id: Mapping[str, Candidate],
    active: Mapping[str, Candidate],
    panel: Panel,
    reviews: Iterable[Review],
    conflicted: Mapping[str, set[str]],
) -> tuple[dict[str, list[Fraction]], Counter[str]]:
    """The weighted scores of the counted reviews and the abstentions, per active application (see
    `rank` for which reviews count and what is refused)."""
    review_scores: dict[str, list[Fraction]] = {app_id: [] for app_id in active}
    abstentions: Counter[str] = Counter()
    seen: set[tuple[str, str]] = set()
    for index, review in enumerate(reviews):
        where = f"reviews[{index}]."
        if review.application_id not in by_id:
            raise InvalidInput("no such candidate for this review", f"{where}application_id")
        if review.application_id not in active:
            continue  # the application was withdrawn; its reviews no longer matter
        if panel.member(review.member_id) is None:
            raise InvalidInput("the reviewer is not a member of the steering group", where + "member_id")
        if (review.member_id, review.application_id) in seen:
            raise InvalidInput("the member reviewed this application more than once", where + "member_id")
        seen.add((review.member_id, review.application_id))
        if review.member_id in conflicted.get(review.application_id, ()):
            continue
        _check_review_content(panel, review, where)
        if review.abstained:
            abstentions[review.application_id] += 1
        else:
            review_scores[review.application_id].append(_weighted_score(panel, review.scores or {}))
    return review_scores, abstentions


def _ranking_entry(
    position: int, candidate: Candidate, scores: list[Fraction], abstentions: int, conflicted: set[str]
) -> RankingEntry:
    return RankingEntry(
        position=position,
        application_id=candidate.application_id,
        name=candidate.name,
        size_class=candidate.size_class or "",  # never empty: Candidate derives it when left out
        weighted_mean=float(sum(scores, Fraction(0)) / len(scores)) if scores else None,
        review_count=len(scores),
        abstention_count=abstentions,
        spread=float(max(scores) - min(scores)) if scores else None,
        std_dev=float(statistics.pstdev(scores)) if scores else None,
        conflicted_member_ids=tuple(sorted(conflicted)),
    )


# --------------------------------------------------------------------------------------------------------------
# Balance rule
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalanceRule:
    """How many places each size class must get at least (`minimum`) and may get at most (`maximum`).

    Classes that are not named are not bounded. The rule applies "among the applicants when places
    allow". See `propose` for what happens when it cannot be met. A rule set for a call says when and by
    whom (`updated_at`, `updated_by`); the default has neither.
    """

    minimum: Mapping[str, int] = field(default_factory=dict)
    maximum: Mapping[str, int] = field(default_factory=dict)
    updated_at: datetime | None = None
    updated_by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "minimum", dict(self.minimum))
        object.__setattr__(self, "maximum", dict(self.maximum))
        for name, bounds in (("minimum", self.minimum), ("maximum", self.maximum)):
            for size_class, count in bounds.items():
                if size_class not in SIZE_CLASSES:
                    raise InvalidInput(
                        f"size class must be one of {', '.join(SIZE_CLASSES)}", f"{name}.{size_class}"
                    )
                if not _is_whole_number(count) or count < 0:
                    raise InvalidInput("a bound is a whole number of at least 0", f"{name}.{size_class}")
        for size_class, most in self.maximum.items():
            if most < self.minimum_for(size_class):
                raise InvalidInput("the maximum is below the minimum", f"maximum.{size_class}")

    @classmethod
    def none(cls) -> BalanceRule:
        """No balance requirement: the proposal is simply the top of the ranking."""
        return cls()

    def minimum_for(self, size_class: str) -> int:
        return self.minimum.get(size_class, 0)

    def maximum_for(self, size_class: str) -> int | None:
        return self.maximum.get(size_class)


def smart_city_rule() -> BalanceRule:
    """The 2018 rule and the default: at least one small town, one medium-sized town and one big city."""
    return BalanceRule(minimum={"small": 1, "medium": 1, "large": 1})
