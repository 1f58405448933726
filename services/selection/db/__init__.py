"""The selection service's tables, repositories and unit of work.

Two kinds of state live here, and the difference matters for `rebuild`:
- the projection (`calls`, `candidates`): built only from the applications events; it can be thrown
  away and rebuilt from the topic at any time;
- the selection's own records (panel, criteria, balance rule, conflicts, reviews, decision, audit
  trail): written through this service's API and never derived from events. They refer to calls and
  applications by id only, without foreign keys into the projection, so that a rebuild never touches
  them.
The domain objects are frozen dataclasses; the repositories read and write with SQLAlchemy Core and hand
out domain objects only (`shared.db.RowMapping` / `RowRepository`), never rows or dicts.
"""
# The package re-exports every name of its modules: callers import from the package, as before.
from __future__ import annotations

from services.selection.db.repositories import (
    AmendmentRepository,
    AuditRepository,
    BalanceRuleRepository,
    CallRepository,
    CandidateRepository,
    ConflictRepository,
    DecisionRepository,
    PanelRepository,
    RankingRepository,
    ReviewRepository,
)
from services.selection.db.tables import (
    PROJECTION_TABLES,
    audit_log,
    balance_rules,
    calls,
    candidates,
    conflicts,
    decision_amendments,
    decisions,
    metadata,
    panel_criteria,
    panel_members,
    panels,
    privacy_erasures,
    ranking_scores,
    reviews,
    revoked_access,
)
from services.selection.db.uow import (
    SelectionUnitOfWork,
)
