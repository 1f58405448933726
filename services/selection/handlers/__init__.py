"""Use cases of the selection: command -> unit of work -> domain -> outbox, and the queries the API needs.

Every write locks the call's row first, so that reviews, conflicts, panel changes and the decision of
one call happen one after the other: a review cannot slip in after the decision was taken.
Every change is written to the audit trail in the same transaction as the change itself.
"""
# The package re-exports every name of its modules: callers import from the package, as before.
from __future__ import annotations

from services.selection.handlers.checks import (
    _require_undecided,
    get_call,
    get_candidate,
    get_panel,
    quorum_of,
    require_on_panel,
    require_own,
    require_review_closed,
    review_closed,
    rule_for,
)
from services.selection.handlers.commands import (
    SOURCE,
    TIE_BREAK,
    AmendDecision,
    DeclareConflict,
    RecordDecision,
    SetBalanceRule,
    SetPanel,
    WithdrawConflict,
    WriteReview,
    _event,
)
from services.selection.handlers.decision import (
    _municipality,
    amend_decision,
    amendment_view,
    record_decision,
    successor_proposals,
    vacate_place,
)
from services.selection.handlers.ranking import (
    Evaluation,
    evaluate,
    ranking_line,
    refresh_ranking,
)
from services.selection.handlers.reviews import (
    _panel_summary,
    _require_reviews_open,
    _review_content,
    declare_conflict,
    review_score,
    set_balance_rule,
    set_panel,
    withdraw_conflict,
    write_review,
)
from services.selection.handlers.routing import (
    COMMAND_HANDLERS,
)
