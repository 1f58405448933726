"""Selection's tables: the projection of vorort.applications and its own records."""
from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, Index, Integer, String, Table, Text

from shared.db import BigId, UtcDateTime, new_metadata, privacy_erasures_table, revoked_access_table

metadata = new_metadata()

# --- the projection (rebuilt from vorort.applications) ---------------------------------------------
calls = Table(
    "calls", metadata,
    Column("id", String(36), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("topic", String(100), nullable=False),
    Column("places", Integer, nullable=False),
    Column("workshops_per_place", Integer, nullable=False),
    Column("status", String(20), nullable=False),  # open | closed; never goes back from closed
    Column("opens_at", UtcDateTime(), nullable=True),  # CallClosed alone does not carry these two
    Column("closes_at", UtcDateTime(), nullable=True),
    Column("closed_at", UtcDateTime(), nullable=True),
    Column("applications", Integer, nullable=True),
)

candidates = Table(
    "candidates", metadata,
    Column("application_id", String(36), primary_key=True),
    Column("call_id", String(36), nullable=False),
    Column("ags", String(8), nullable=False),
    # Null only for a tombstone: a withdrawal seen before (or without) its submission.
    Column("name", String(200), nullable=True),
    Column("population", Integer, nullable=True),
    Column("size_class", String(10), nullable=True),
    Column("focus_areas", JSON, nullable=False),
    Column("statement", Text, nullable=False),
    Column("partners", JSON, nullable=False),
    Column("status", String(20), nullable=False),  # submitted | withdrawn; withdrawn is final
    Column("submitted_at", UtcDateTime(), nullable=True),
    Column("state_at", UtcDateTime(), nullable=True),  # when the content we hold was current
    Column("withdrawn_at", UtcDateTime(), nullable=True),
    Index("ix_candidates_call_status", "call_id", "status"),
    # The order of the candidates list and of the unscored tail of the ranking.
    Index("ix_candidates_call_order", "call_id", "submitted_at", "application_id"),
)

PROJECTION_TABLES = (calls, candidates)

# --- the selection's own records ------------------------------------------------------------------
balance_rules = Table(
    "balance_rules", metadata,
    Column("call_id", String(36), primary_key=True),
    Column("minimum", JSON, nullable=False),
    Column("maximum", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
)

panels = Table(
    "panels", metadata,
    Column("call_id", String(36), primary_key=True),
    Column("quorum", Integer, nullable=True),  # null: a majority of the members
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
)

panel_members = Table(
    "panel_members", metadata,
    Column("call_id", String(36), primary_key=True),
    Column("member_id", String(100), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("institution", String(200), nullable=False),
    Column("email", String(254), nullable=False),
    Column("role", String(20), nullable=False),
)

# GDPR erasures: an audit of what was done, without the personal data itself (used by shared.privacy).
privacy_erasures = privacy_erasures_table(metadata)
revoked_access = revoked_access_table(metadata)

panel_criteria = Table(
    "panel_criteria", metadata,
    Column("call_id", String(36), primary_key=True),
    Column("key", String(50), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("label", String(200), nullable=False),
    Column("weight", Float, nullable=False),
)

conflicts = Table(
    "conflicts", metadata,
    Column("call_id", String(36), primary_key=True),
    Column("application_id", String(36), primary_key=True),
    Column("member_id", String(100), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("declared_at", UtcDateTime(), nullable=False),
    Column("declared_by", String(200), nullable=False),
)

reviews = Table(
    "reviews", metadata,
    Column("call_id", String(36), primary_key=True),
    Column("application_id", String(36), primary_key=True),
    Column("member_id", String(100), primary_key=True),
    Column("scores", JSON, nullable=True),  # null for an abstention
    Column("comment", Text, nullable=False),
    Column("abstained", Boolean, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("updated_by", String(200), nullable=False),
)

# The ranking's numbers per candidate, kept by every transaction that changes a review, a conflict or the
# panel (handlers.refresh_ranking), so that a ranking page reads a few rows in index order instead of
# ranking the whole call. A row exists for a candidate with at least one review or conflict; a candidate
# without one ranks in the unscored tail with zero counts. Live or withdrawn is read from `candidates` (the
# projection) at query time, so a withdrawal costs the consumer nothing here. `weighted_mean` and `spread`
# are the exact fractions rounded once to float: rounding is monotonic and equal fractions round equally,
# so the order is the domain's exact order (distinct means of review scores lie far apart for a float).
ranking_scores = Table(
    "ranking_scores", metadata,
    Column("call_id", String(36), primary_key=True),
    Column("application_id", String(36), primary_key=True),
    Column("weighted_mean", Float, nullable=True),  # null: no counted review (the unscored tail)
    Column("review_count", Integer, nullable=False),
    Column("abstention_count", Integer, nullable=False),
    Column("spread", Float, nullable=True),
    Column("std_dev", Float, nullable=True),
    Column("conflicted_member_ids", JSON, nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=True),  # fixed at submission; copied for the index order
)
Index("ix_ranking_scores_order", ranking_scores.c.call_id, ranking_scores.c.weighted_mean.desc(),
      ranking_scores.c.review_count.desc(), ranking_scores.c.spread, ranking_scores.c.submitted_at,
      ranking_scores.c.application_id)

decisions = Table(
    "decisions", metadata,
    Column("call_id", String(36), primary_key=True),
    Column("selected", JSON, nullable=False),
    Column("not_selected", JSON, nullable=False),
    Column("proposed", JSON, nullable=False),
    Column("deviates_from_proposal", Boolean, nullable=False),
    Column("rationale", Text, nullable=False),
    Column("deviation_reason", Text, nullable=True),
    Column("decided_at", UtcDateTime(), nullable=False),
    Column("present_member_ids", JSON, nullable=False),
    Column("quorum", Integer, nullable=False),
    Column("ranking", JSON, nullable=False),  # the ranking summary as it stood at the decision
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
)

# A place that became vacant after the decision (its municipality withdrew) and the successor the steering
# group named for it. The decision row holds the selection as it stands; these rows keep how it changed.
decision_amendments = Table(
    "decision_amendments", metadata,
    Column("id", String(36), primary_key=True),
    Column("call_id", String(36), nullable=False),
    Column("vacated_application_id", String(36), nullable=False),
    Column("successor_application_id", String(36), nullable=False),
    Column("proposed_successor_id", String(36), nullable=True),
    Column("deviates_from_proposal", Boolean, nullable=False),
    Column("rationale", Text, nullable=False),
    Column("deviation_reason", Text, nullable=True),
    Column("decided_at", UtcDateTime(), nullable=False),
    Column("present_member_ids", JSON, nullable=False),
    Column("quorum", Integer, nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Index("ix_decision_amendments_call", "call_id", "recorded_at"),
    Index("uq_decision_amendments_vacated", "vacated_application_id", unique=True),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("call_id", String(36), nullable=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(50), nullable=False),
    Column("application_id", String(36), nullable=True),
    Column("member_id", String(100), nullable=True),
    Column("details", JSON, nullable=False),
    Index("ix_audit_log_call", "call_id", "id"),
)
