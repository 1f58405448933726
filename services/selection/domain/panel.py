"""The panel (members and criteria), conflicts of interest and reviews."""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.selection.domain.candidates import _is_whole_number
from shared.errors import Forbidden, InvalidInput, NotFound

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
    for example `criteria[1].weight`, which is what a form needs to highlight the right field. `quorum` is
    the one set with the panel (None: a majority, see `quorum_for`); a stored panel says when it was set
    and by whom (`updated_at`, `updated_by`).
    """

    members: tuple[PanelMember, ...]
    criteria: tuple[Criterion, ...]
    quorum: int | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", tuple(self.members))
        object.__setattr__(self, "criteria", tuple(self.criteria))
        self._validate_members()
        self._validate_criteria()

    def _validate_members(self) -> None:
        seen = set()
        for index, member in enumerate(self.members):
            if not member.id:
                raise InvalidInput("a member id is required", f"members[{index}].id")
            if member.id in seen:
                raise InvalidInput(f"member id {member.id!r} appears twice", f"members[{index}].id")
            seen.add(member.id)
            if member.role not in MEMBER_ROLES:
                raise InvalidInput(f"role must be one of {', '.join(MEMBER_ROLES)}", f"members[{index}].role")

    def _validate_criteria(self) -> None:
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
    `shared.errors.Conflict`. A declared one is on record with its call, when and by whom.
    """

    member_id: str
    application_id: str
    reason: str
    call_id: str | None = None
    declared_at: datetime | None = None
    declared_by: str | None = None

    def __post_init__(self) -> None:
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
    holds no scores and is counted, but it does not affect the score. A written one is on record with its
    call, when it was first written and last changed, and by whom.
    """

    member_id: str
    application_id: str
    scores: Mapping[str, int] | None = None
    comment: str = ""
    abstained: bool = False
    call_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None


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
