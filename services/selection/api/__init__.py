"""HTTP entry points of the selection service: parse -> command -> bus -> response.

Only the office (staff) and the steering group (steering) use this API; every other role gets 403.
A steering token's subject is the panel member id. A member sees only the calls whose panel it sits on
(any other call answers 404, as an unknown one does: `on_panel`), writes only its own reviews and
conflicts, and reads only its own reviews until the decision closes the review; then it reads every
member's, the ranking and the proposal (blind review). docs/authorization-policy.yaml has every operation.
"""
# The package re-exports every name of its modules: callers import from the package, as before.
from __future__ import annotations

from services.selection.api.blueprints import (
    BLUEPRINTS,
)
from services.selection.api.calls import (
    CallItem,
    Calls,
    CandidateItem,
    Candidates,
    call_view,
)
from services.selection.api.common import (
    READERS,
    _review_context,
    blind_until_decided,
    calls_blp,
    candidate_view,
    criteria_blp,
    decision_blp,
    dispatch,
    on_panel,
    panel_blp,
    panel_view,
    review_progress,
    review_view,
    reviews_blp,
    rule_view,
)
from services.selection.api.decision import (
    Amendments,
    Audit,
    DecisionItem,
    ProposalItem,
    Ranking,
    Vacancies,
    _candidate_line,
)
from services.selection.api.panel import (
    BalanceRuleItem,
    DefaultCriteria,
    PanelItem,
)
from services.selection.api.reviews import (
    CallReviews,
    CandidateReviews,
    ConflictItem,
    Conflicts,
    ReviewItem,
    _list_reviews,
)
