"""Selection: the steering group's review of applications and the choice of a fixed number of places.

The steering group (the panel) scores each application against weighted criteria. A member who declared a
conflict of interest for an application stays out of its score. The scores give a ranking with a documented,
deterministic tie-break. From the ranking we compute a proposal: the set of municipalities with the highest
total score that fits the number of places and the balance rule. In 2018 the rule was one small town, one
medium-sized town and one big city. The panel then decides, and it may depart from the proposal only if it
writes down why.

This module holds only the rules. It imports nothing from the web, the broker or the database, so handlers
can call it inside a unit of work and unit tests can call it directly.
"""
from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from collections.abc import Iterable, Mapping, Sequence

from shared.errors import Conflict, Forbidden, InvalidInput, NotFound

# --------------------------------------------------------------------------------------------------------------
# Town size classes (BBSR, by population)
# --------------------------------------------------------------------------------------------------------------

SIZE_CLASSES = ("rural", "small", "medium", "large")

_SIZE_CLASS_NOUNS = {
    "rural": ("rural municipality", "rural municipalities"),
    "small": ("small town", "small towns"),
    "medium": ("medium-sized town", "medium-sized towns"),
    "large": ("big city", "big cities"),
}


def size_class_for(population: int) -> str:
    """BBSR class of a municipality: rural < 5,000 <= small < 20,000 <= medium < 100,000 <= large."""
    if population < 5_000:
        return "rural"
    if population < 20_000:
        return "small"
    if population < 100_000:
        return "medium"
    return "large"


def _towns(size_class: str, count: int) -> str:
    """'1 small town', '2 small towns': used in reasoning sentences."""
    singular, plural = _SIZE_CLASS_NOUNS[size_class]
    return f"{count} {singular if count == 1 else plural}"


def _is_whole_number(value) -> bool:
    # bool is an int subclass; True must not pass as a score or a count.
    return isinstance(value, int) and not isinstance(value, bool)


# --------------------------------------------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------------------------------------------

CANDIDATE_STATUSES = ("submitted", "withdrawn")
_AGS_PATTERN = re.compile(r"\d{8}")


@dataclass(frozen=True)
class Candidate:
    """An application to a call, seen from the selection: who applied and how big the municipality is.

    `size_class` is derived from `population` when left out. If it is given, it must match, so that the
    balance rule cannot be tricked by a stale class. The population may be unknown (None; the events
    carry it as optional) when the size class is given. `submitted_at` is optional and is used only to
    break ties in the ranking.
    """

    application_id: str
    call_id: str
    ags: str
    name: str
    population: int | None
    size_class: str | None = None
    status: str = "submitted"
    submitted_at: datetime | None = None

    def __post_init__(self):
        if not self.application_id:
            raise InvalidInput("an application id is required", "application_id")
        if not isinstance(self.ags, str) or not _AGS_PATTERN.fullmatch(self.ags):
            raise InvalidInput("the AGS (Amtlicher Gemeindeschlüssel) has 8 digits", "ags")
        if self.population is None:
            if self.size_class not in SIZE_CLASSES:
                raise InvalidInput(
                    f"without a population, the size class must be one of {', '.join(SIZE_CLASSES)}", "size_class"
                )
            derived = self.size_class
        elif not _is_whole_number(self.population) or self.population < 0:
            raise InvalidInput("population must be a whole number of at least 0", "population")
        else:
            derived = size_class_for(self.population)
        if self.size_class is None:
            object.__setattr__(self, "size_class", derived)
        elif self.size_class != derived:
            raise InvalidInput(
                f"a population of {self.population:,} makes a {derived} municipality, not {self.size_class}",
                "size_class",
            )
        if self.status not in CANDIDATE_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(CANDIDATE_STATUSES)}", "status")

    @property
    def is_withdrawn(self) -> bool:
        return self.status == "withdrawn"


def _candidates_by_id(candidates: Iterable[Candidate]) -> dict[str, Candidate]:
    """All candidates by id, refusing duplicates and a mix of calls: both would be a caller's bug."""
    by_id: dict[str, Candidate] = {}
    call_ids = set()
    for index, candidate in enumerate(candidates):
        if candidate.application_id in by_id:
            raise InvalidInput(
                f"application {candidate.application_id!r} appears twice", f"candidates[{index}].application_id"
            )
        by_id[candidate.application_id] = candidate
        call_ids.add(candidate.call_id)
    if len(call_ids) > 1:
        raise InvalidInput("candidates of different calls cannot be ranked together", "candidates")
    return by_id


# --------------------------------------------------------------------------------------------------------------
# The panel: members and criteria
# --------------------------------------------------------------------------------------------------------------

MEMBER_ROLES = ("chair", "member")
_CRITERION_KEY_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Criterion:
    """One aspect an application is scored on. Its weight says how much it counts; it must be positive."""

    key: str
    label: str
    weight: float = 1.0


@dataclass(frozen=True)
class PanelMember:
    """A person on the steering group, representing an institution (personal data: keep it minimal)."""

    id: str
    name: str
    institution: str
    email: str
    role: str = "member"


@dataclass(frozen=True)
class Panel:
    """The steering group of a call and the criteria it scores on.

    The panel validates its members and criteria as a whole, so errors name the offending item by index,
    for example `criteria[1].weight`, which is what a form needs to highlight the right field.
    """

    members: tuple[PanelMember, ...]
    criteria: tuple[Criterion, ...]

    def __post_init__(self):
        object.__setattr__(self, "members", tuple(self.members))
        object.__setattr__(self, "criteria", tuple(self.criteria))
        self._validate_members()
        self._validate_criteria()

    def _validate_members(self):
        seen = set()
        for index, member in enumerate(self.members):
            if not member.id:
                raise InvalidInput("a member id is required", f"members[{index}].id")
            if member.id in seen:
                raise InvalidInput(f"member id {member.id!r} appears twice", f"members[{index}].id")
            seen.add(member.id)
            if member.role not in MEMBER_ROLES:
                raise InvalidInput(f"role must be one of {', '.join(MEMBER_ROLES)}", f"members[{index}].role")

    def _validate_criteria(self):
        if not self.criteria:
            raise InvalidInput("the panel needs at least one criterion", "criteria")
        seen = set()
        for index, criterion in enumerate(self.criteria):
            if not isinstance(criterion.key, str) or not _CRITERION_KEY_PATTERN.fullmatch(criterion.key):
                raise InvalidInput(
                    "a criterion key is lower case letters, digits and underscores", f"criteria[{index}].key"
                )
            if criterion.key in seen:
                raise InvalidInput(f"criterion key {criterion.key!r} appears twice", f"criteria[{index}].key")
            seen.add(criterion.key)
            weight = criterion.weight
            if (
                isinstance(weight, bool)
                or not isinstance(weight, (int, float))
                or not math.isfinite(weight)
                or weight <= 0
            ):
                raise InvalidInput("a weight must be a positive number", f"criteria[{index}].weight")

    def member(self, member_id: str) -> PanelMember | None:
        return next((member for member in self.members if member.id == member_id), None)

    @property
    def criterion_keys(self) -> tuple[str, ...]:
        return tuple(criterion.key for criterion in self.criteria)


def default_criteria() -> tuple[Criterion, ...]:
    """Criteria for a strategy call such as "Smart City" (2018).

    The weights show what a pair of strategy workshops needs. A sound strategic concept counts most (3),
    because the workshops build on it. City-centre relevance, involvement of local actors and
    transferability count next (2 each). The network is about city centres, the workshops depend on local
    actors, and the results go to all members. Innovation and feasibility count 1.5 each. They matter, but
    a promising concept can still grow in the workshops.
    """
    # Labels are what the steering group reads, so they are German; keys stay English.
    return (
        Criterion("strategic_approach", "Strategischer Ansatz und Qualität des Konzepts", 3.0),
        Criterion("city_centre_relevance", "Bedeutung für die Innenstadt", 2.0),
        Criterion("participation", "Beteiligung lokaler Akteure und der Bürgerschaft", 2.0),
        Criterion("transferability", "Übertragbarkeit auf andere Kommunen des Netzwerks", 2.0),
        Criterion("innovation", "Innovation", 1.5),
        Criterion("feasibility", "Umsetzbarkeit und Engagement vor Ort", 1.5),
    )


# --------------------------------------------------------------------------------------------------------------
# Conflicts of interest and reviews
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictOfInterest:
    """A member's declaration that they must not judge an application, with the reason on record.

    Named ConflictOfInterest, not Conflict, so that it cannot be mixed up with the HTTP 409 error
    `shared.errors.Conflict`.
    """

    member_id: str
    application_id: str
    reason: str

    def __post_init__(self):
        if not isinstance(self.reason, str) or not self.reason.strip():
            raise InvalidInput("a conflict of interest needs a reason", "reason")


def _conflicted_members_by_application(conflicts: Iterable[ConflictOfInterest]) -> dict[str, set[str]]:
    by_application: dict[str, set[str]] = {}
    for conflict in conflicts:
        by_application.setdefault(conflict.application_id, set()).add(conflict.member_id)
    return by_application


SCORE_MIN, SCORE_MAX = 0, 5


@dataclass(frozen=True)
class Review:
    """One member's judgement of one application.

    The review holds a whole-number score from 0 to 5 for every criterion of the panel. An abstention
    holds no scores and is counted, but it does not affect the score.
    """

    member_id: str
    application_id: str
    scores: Mapping[str, int] | None = None
    comment: str = ""
    abstained: bool = False


def _check_review_content(panel: Panel, review: Review, prefix: str = "") -> None:
    """Scores must match the panel's criteria exactly. `prefix` puts the review's position in field names."""
    if review.abstained:
        if review.scores:
            raise InvalidInput("an abstention carries no scores", f"{prefix}scores")
        return
    if review.scores is None:
        raise InvalidInput("scores are required unless the member abstains", f"{prefix}scores")
    criterion_keys = panel.criterion_keys
    for key in review.scores:
        if key not in criterion_keys:
            raise InvalidInput(f"{key!r} is not a criterion of this panel", f"{prefix}scores.{key}")
    for key in criterion_keys:
        if key not in review.scores:
            raise InvalidInput("a score for this criterion is missing", f"{prefix}scores.{key}")
        value = review.scores[key]
        if not _is_whole_number(value) or not SCORE_MIN <= value <= SCORE_MAX:
            raise InvalidInput(
                f"a score is a whole number from {SCORE_MIN} to {SCORE_MAX}", f"{prefix}scores.{key}"
            )


def validate_review(panel: Panel, review: Review, conflicts: Iterable[ConflictOfInterest]) -> Review:
    """Accept a review that a member submits, or raise.

    NotFound: the reviewer is not on the panel. Forbidden: the reviewer declared a conflict of interest for
    this application. InvalidInput: the scores do not fit the criteria (field `scores.<key>`).
    """
    if panel.member(review.member_id) is None:
        raise NotFound(f"{review.member_id!r} is not a member of the steering group", "member_id")
    if review.member_id in _conflicted_members_by_application(conflicts).get(review.application_id, ()):
        raise Forbidden(
            "you declared a conflict of interest for this application and may not review it", "application_id"
        )
    _check_review_content(panel, review)
    return review


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


def _ranking_key(candidate: Candidate, review_scores: list[Fraction]):
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
    allow". See `propose` for what happens when it cannot be met.
    """

    minimum: Mapping[str, int] = field(default_factory=dict)
    maximum: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self):
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
    reasoning: tuple[dict, ...]
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

    chosen = {e.application_id for size_class, entries in by_class.items() for e in entries[: lower[size_class]]}
    per_class = Counter(lower)
    for entry in scored:
        if len(chosen) == size:
            break
        if entry.application_id not in chosen and per_class[entry.size_class] < upper[entry.size_class]:
            chosen.add(entry.application_id)
            per_class[entry.size_class] += 1

    selected = [e for e in scored if e.application_id in chosen]
    reasoning = _explain(ranking, scored, by_class, selected, places, rule, lower, relaxed)
    return Proposal(
        selected=tuple(e.application_id for e in selected),
        total_score=math.fsum(_mean(e) for e in selected),
        places=places,
        reasoning=tuple(reasoning),
        relaxed=tuple(relaxed),
    )


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
) -> list[dict]:
    """Reasoning for the panel: relaxations, who was preferred over whom and why, and a line per class."""
    items: list[dict] = [_relaxation_item(r) for r in relaxed]

    # Compare with the proposal that ignores the rule: the top `places` of the ranking. Pair the
    # candidates brought in with those left out, both in ranking order. A pair never shares a class,
    # because within a class the selection is always a top slice.
    selected_ids = {e.application_id for e in selected}
    top = scored[:places]
    top_ids = {e.application_id for e in top}
    brought_in = [e for e in selected if e.application_id not in top_ids]
    left_out = [e for e in top if e.application_id not in selected_ids]
    per_class = Counter(e.size_class for e in selected)

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


def _relaxation_item(relaxed: RelaxedRequirement) -> dict:
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


# --------------------------------------------------------------------------------------------------------------
# Decision
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """The panel's decision in its meeting: who gets a place, who does not, and the reasons on record.

    `not_selected_ids` are the remaining submitted candidates. They are invited to the selected towns'
    workshops.
    """

    selected_ids: tuple[str, ...]
    not_selected_ids: tuple[str, ...]
    places: int
    rationale: str
    deviation_reason: str | None
    deviates_from_proposal: bool
    proposed_ids: tuple[str, ...]
    present_member_ids: tuple[str, ...]


def _text(value: str | None) -> str | None:
    """Written text, or None when nothing (or only whitespace) was written."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def validate_decision(
    candidates: Iterable[Candidate],
    proposal: Proposal,
    selected_ids: Sequence[str],
    places: int,
    rationale: str,
    deviation_reason: str | None,
    present_member_ids: Sequence[str],
    panel: Panel,
    quorum: int,
) -> Decision:
    """Check the panel's decision and return it as a Decision, or raise.

    - Every selected id is a candidate (InvalidInput `selected_ids[i]`), is unique, and has not
      withdrawn (Conflict `selected_ids[i]`: its state changed).
    - Exactly `places` candidates are selected. Fewer are allowed only with a written deviation reason.
      More are never allowed, because the number of places is fixed by the call (`selected_ids`).
    - A selection that differs from the proposal as a set needs a written `deviation_reason`.
    - A proposal that names a candidate who has since withdrawn is out of date (Conflict `proposal`).
      Propose again.
    - A decision states its `rationale`.
    - At least `quorum` distinct panel members are present. An unknown id is InvalidInput
      `present_member_ids`.
    """
    by_id = _candidates_by_id(candidates)
    if not _is_whole_number(places) or places < 1:
        raise InvalidInput("places must be a whole number of at least 1", "places")
    if not _is_whole_number(quorum) or quorum < 1:
        raise InvalidInput("the quorum must be a whole number of at least 1", "quorum")

    for application_id in proposal.selected:
        candidate = by_id.get(application_id)
        if candidate is None or candidate.is_withdrawn:
            raise Conflict(
                f"the proposal names {application_id!r}, which is no longer a candidate; propose again", "proposal"
            )

    seen = set()
    for index, application_id in enumerate(selected_ids):
        candidate = by_id.get(application_id)
        if candidate is None:
            raise InvalidInput(f"{application_id!r} is not an application to this call", f"selected_ids[{index}]")
        if candidate.is_withdrawn:
            raise Conflict(f"{candidate.name} has withdrawn its application", f"selected_ids[{index}]")
        if application_id in seen:
            raise InvalidInput(f"{candidate.name} is selected twice", f"selected_ids[{index}]")
        seen.add(application_id)

    reason = _text(deviation_reason)
    if len(seen) > places:
        raise InvalidInput(f"the call has {places} places; {len(seen)} were selected", "selected_ids")
    if len(seen) < places and reason is None:
        raise InvalidInput(
            f"the call has {places} places; selecting {len(seen)} needs a written deviation reason", "selected_ids"
        )
    deviates = seen != set(proposal.selected)
    if deviates and reason is None:
        raise InvalidInput("departing from the proposal needs a written reason", "deviation_reason")
    if _text(rationale) is None:
        raise InvalidInput("the decision needs a rationale", "rationale")

    present = _present_members(panel, present_member_ids, quorum)

    return Decision(
        selected_ids=tuple(selected_ids),
        not_selected_ids=tuple(
            c.application_id for c in by_id.values() if not c.is_withdrawn and c.application_id not in seen
        ),
        places=places,
        rationale=rationale.strip(),
        deviation_reason=reason,
        deviates_from_proposal=deviates,
        proposed_ids=proposal.selected,
        present_member_ids=present,
    )


def _present_members(panel: Panel, present_member_ids: Sequence[str], quorum: int) -> tuple[str, ...]:
    """The distinct members present, each on the panel, at least `quorum` of them (InvalidInput otherwise)."""
    present: list[str] = []
    for member_id in present_member_ids:
        if panel.member(member_id) is None:
            raise InvalidInput(f"{member_id!r} is not a member of the steering group", "present_member_ids")
        if member_id not in present:
            present.append(member_id)
    if len(present) < quorum:
        raise InvalidInput(
            f"quorum not reached: {len(present)} members present, {quorum} required", "present_member_ids"
        )
    return tuple(present)


# --------------------------------------------------------------------------------------------------------------
# Amendment: a successor for a place that became vacant after the decision
# --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SuccessorProposal:
    """Who should take a vacated place, and why.

    `eligible_ids` are the candidates the balance rule allows for this place, best first; `successor_id` is
    the first of them, or None when nobody is left (the place stays vacant).
    """

    vacated_id: str
    successor_id: str | None
    eligible_ids: tuple[str, ...]
    required_class: str | None
    reasoning: str


def vacancies(selected_ids: Sequence[str], candidates: Iterable[Candidate]) -> tuple[str, ...]:
    """The selected applications that have been withdrawn since the decision: their places are vacant."""
    withdrawn = {c.application_id for c in candidates if c.is_withdrawn}
    return tuple(application_id for application_id in selected_ids if application_id in withdrawn)


def propose_successor(
    ranking: Sequence[RankingEntry], selected_ids: Sequence[str], vacated_id: str, rule: BalanceRule
) -> SuccessorProposal:
    """The successor for one vacated place, under the balance rule the decision was taken under.

    The places that stay filled are the selected ones other than the vacated one. If they leave a class
    below its minimum, and a scored candidate of that class is still available, the successor must come
    from such a class (the same relaxation as in `propose`: a class without available candidates is not
    required). Otherwise any class below its maximum may take the place. Among the eligible candidates
    the best by weighted mean, then ranking position, is proposed: the same order as the proposal.
    """
    kept = {application_id for application_id in selected_ids if application_id != vacated_id}
    scored = sorted((e for e in ranking if e.is_scored), key=lambda e: (-_mean(e), e.position))
    per_class = Counter(e.size_class for e in scored if e.application_id in kept)
    available = [e for e in scored if e.application_id not in kept and e.application_id != vacated_id]
    available_classes = {e.size_class for e in available}
    short = [c for c in SIZE_CLASSES if per_class[c] < rule.minimum_for(c) and c in available_classes]
    if short:
        eligible = [e for e in available if e.size_class in short]
        required = eligible[0].size_class
        because = f"the balance rule requires at least {_towns(required, rule.minimum_for(required))}"
    else:
        eligible = [e for e in available
                    if (maximum := rule.maximum_for(e.size_class)) is None or per_class[e.size_class] < maximum]
        required = None
        because = "no class is below its minimum; the best candidate of a class below its maximum"
    if not eligible:
        return SuccessorProposal(vacated_id, None, (), None,
                                 "No scored candidate is left whom the balance rule allows; the place stays vacant.")
    best = eligible[0]
    return SuccessorProposal(vacated_id, best.application_id, tuple(e.application_id for e in eligible), required,
                             f"{best.name} (#{best.position}) is proposed: {because}.")


@dataclass(frozen=True)
class Amendment:
    vacated_id: str
    successor_id: str
    proposed_successor_id: str | None
    deviates_from_proposal: bool
    rationale: str
    deviation_reason: str | None
    present_member_ids: tuple[str, ...]
    selected_ids: tuple[str, ...]  # the decision's selection after the amendment, in its original order


def validate_amendment(
    candidates: Iterable[Candidate],
    selected_ids: Sequence[str],
    proposal: SuccessorProposal,
    successor_id: str,
    rationale: str,
    deviation_reason: str | None,
    present_member_ids: Sequence[str],
    panel: Panel,
    quorum: int,
) -> Amendment:
    """Check the panel's choice of a successor for a vacated place, or raise.

    - The vacated application was selected and has withdrawn (Conflict `vacated_application_id`).
    - The successor is a candidate of the call (InvalidInput), has not withdrawn (Conflict), is not selected
      already (InvalidInput), and keeps the balance rule (InvalidInput `successor_application_id`).
    - Another than the proposed successor needs a written `deviation_reason`; a `rationale` is required;
      the quorum is present, as for the decision.
    """
    by_id = _candidates_by_id(candidates)
    if proposal.vacated_id not in selected_ids or proposal.vacated_id not in vacancies(selected_ids, by_id.values()):
        raise Conflict("this application holds no vacated place (it was not selected, or has not withdrawn)",
                       "vacated_application_id")
    candidate = by_id.get(successor_id)
    if candidate is None:
        raise InvalidInput(f"{successor_id!r} is not an application to this call", "successor_application_id")
    if candidate.is_withdrawn:
        raise Conflict(f"{candidate.name} has withdrawn its application", "successor_application_id")
    if successor_id in selected_ids:
        raise InvalidInput(f"{candidate.name} is selected already", "successor_application_id")
    if successor_id not in proposal.eligible_ids:
        if proposal.required_class and candidate.size_class != proposal.required_class:
            why = f"the balance rule requires a {_SIZE_CLASS_NOUNS[proposal.required_class][0]} for this place"
        else:
            why = "the balance rule does not allow it (its class is full, or it has no counted review)"
        raise InvalidInput(f"{candidate.name} cannot take this place: {why}", "successor_application_id")
    reason = _text(deviation_reason)
    deviates = successor_id != proposal.successor_id
    if deviates and reason is None:
        raise InvalidInput("choosing another than the proposed successor needs a written reason", "deviation_reason")
    if _text(rationale) is None:
        raise InvalidInput("the amendment needs a rationale", "rationale")
    present = _present_members(panel, present_member_ids, quorum)
    return Amendment(
        vacated_id=proposal.vacated_id, successor_id=successor_id, proposed_successor_id=proposal.successor_id,
        deviates_from_proposal=deviates, rationale=rationale.strip(), deviation_reason=reason,
        present_member_ids=present,
        selected_ids=tuple(successor_id if a == proposal.vacated_id else a for a in selected_ids),
    )
