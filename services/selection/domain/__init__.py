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
# The package re-exports every name of its modules: callers import from the package, as before.
from __future__ import annotations

from shared.municipalities import SIZE_CLASSES, size_class_for
from services.selection.domain.calls import (
    CLOSED,
    OPEN,
    AuditEntry,
    Call,
)
from services.selection.domain.candidates import (
    _SIZE_CLASS_NOUNS,
    CANDIDATE_STATUSES,
    Candidate,
    Tombstone,
    _candidates_by_id,
    _is_whole_number,
    _towns,
)
from services.selection.domain.decision import (
    DECIDED_AT_TOLERANCE,
    Amendment,
    Decision,
    RecordedAmendment,
    RecordedDecision,
    SuccessorProposal,
    _present_members,
    _text,
    check_dated,
    majority,
    may_amend,
    may_decide,
    propose_successor,
    quorum_for,
    vacancies,
    validate_amendment,
    validate_decision,
)
from services.selection.domain.panel import (
    _CRITERION_KEY_PATTERN,
    MEMBER_ROLES,
    SCORE_MAX,
    SCORE_MIN,
    ConflictOfInterest,
    Criterion,
    Panel,
    PanelMember,
    Review,
    _check_review_content,
    _conflicted_members_by_application,
    default_criteria,
    validate_review,
)
from services.selection.domain.proposal import (
    RELAXATION_REASONS,
    Proposal,
    RelaxedRequirement,
    _applicable_minimums,
    _explain,
    _relaxation_item,
    propose,
)
from services.selection.domain.ranking import (
    BalanceRule,
    KeptRankingLine,
    RankingEntry,
    _mean,
    _ranking_entry,
    _ranking_key,
    _weighted_score,
    rank,
    smart_city_rule,
    weighted_review_score,
)

# The names callers import from the package (mypy checks that only these are re-exported).
__all__ = [
    "CLOSED", "OPEN", "AuditEntry", "Call", "Tombstone", "RecordedAmendment", "RecordedDecision", "KeptRankingLine",
    "_SIZE_CLASS_NOUNS", "CANDIDATE_STATUSES", "SIZE_CLASSES", "Candidate", "_candidates_by_id",
    "_is_whole_number", "_towns", "size_class_for", "Amendment", "Decision", "SuccessorProposal",
    "_present_members", "_text", "propose_successor", "vacancies", "validate_amendment", "validate_decision",
    "DECIDED_AT_TOLERANCE", "check_dated", "majority", "may_amend", "may_decide", "quorum_for",
    "_CRITERION_KEY_PATTERN", "MEMBER_ROLES", "SCORE_MAX", "SCORE_MIN", "ConflictOfInterest", "Criterion",
    "Panel", "PanelMember", "Review", "_check_review_content", "_conflicted_members_by_application",
    "default_criteria", "validate_review", "RELAXATION_REASONS", "Proposal", "RelaxedRequirement",
    "_applicable_minimums", "_explain", "_relaxation_item", "propose", "BalanceRule", "RankingEntry", "_mean",
    "_ranking_entry", "_ranking_key", "_weighted_score", "rank", "smart_city_rule", "weighted_review_score",
]
