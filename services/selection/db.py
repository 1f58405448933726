"""The selection service's tables, repositories and unit of work.

Two kinds of state live here, and the difference matters for `rebuild`:
- the projection (`calls`, `candidates`): built only from the applications events; it can be thrown
  away and rebuilt from the topic at any time;
- the selection's own records (panel, criteria, balance rule, conflicts, reviews, decision, audit
  trail): written through this service's API and never derived from events. They refer to calls and
  applications by id only, without foreign keys into the projection, so that a rebuild never touches
  them.
The domain objects are frozen dataclasses; the repositories read and write with SQLAlchemy Core and hand
out domain objects (or plain rows for what the domain does not model).
"""
from __future__ import annotations

from sqlalchemy import (JSON, Boolean, Column, Float, Index, Integer, String, Table, Text, and_, delete, func,
                        insert, or_, select, text, update)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.selection.domain import BalanceRule, Candidate, ConflictOfInterest, Criterion, Panel, PanelMember, Review
from shared.db import (BigId, UtcDateTime, bounded_count, new_metadata, privacy_erasures_table,
                       revoked_access_table)
from shared.uow import UnitOfWork

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


# --- repositories ----------------------------------------------------------------------------------
def _dict(row) -> dict | None:
    return None if row is None else dict(row._mapping)


class CallRepository:
    """The calls as the applications events describe them."""

    def __init__(self, session):
        self.session = session

    def get(self, call_id: str, *, for_update: bool = False) -> dict | None:
        query = select(calls).where(calls.c.id == call_id)
        if for_update:
            query = query.with_for_update()
        return _dict(self.session.execute(query).first())

    def list(self, *, status: str | None, offset: int, limit: int,
             panel_member: str | None = None) -> tuple[list[dict], int]:
        """The calls, newest first; with `panel_member`, only those whose panel that member sits on."""
        query = select(calls)
        if status:
            query = query.where(calls.c.status == status)
        if panel_member is not None:
            query = query.where(calls.c.id.in_(select(panel_members.c.call_id)
                                               .where(panel_members.c.member_id == panel_member)))
        total = self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = self.session.execute(query.order_by(calls.c.opens_at.desc().nulls_last(), calls.c.id)
                                    .offset(offset).limit(limit))
        return [dict(row._mapping) for row in rows], total

    def insert(self, values: dict) -> None:
        self.session.execute(insert(calls).values(**values))

    def update(self, call_id: str, values: dict) -> None:
        self.session.execute(update(calls).where(calls.c.id == call_id).values(**values))


class CandidateRepository:
    def __init__(self, session):
        self.session = session

    def get_row(self, application_id: str, *, for_update: bool = False) -> dict | None:
        query = select(candidates).where(candidates.c.application_id == application_id)
        if for_update:
            query = query.with_for_update()
        return _dict(self.session.execute(query).first())

    def insert(self, values: dict) -> None:
        self.session.execute(insert(candidates).values(**values))

    def update(self, application_id: str, values: dict) -> None:
        self.session.execute(update(candidates).where(candidates.c.application_id == application_id).values(**values))

    def upsert_contents(self, rows: list[dict]) -> None:
        """Insert these candidates as submitted, or replace the content of those we hold, unless what we hold
        is newer (`state_at`); the status (withdrawn is final) stays. One statement for all rows."""
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        insert_for = postgresql_insert if dialect == "postgresql" else sqlite_insert
        statement = insert_for(candidates).values([dict(row, status="submitted", withdrawn_at=None) for row in rows])
        content = [name for name in rows[0] if name != "application_id"]
        self.session.execute(statement.on_conflict_do_update(
            index_elements=[candidates.c.application_id], set_={name: statement.excluded[name] for name in content},
            where=or_(candidates.c.name.is_(None), candidates.c.state_at.is_(None),
                      statement.excluded.state_at >= candidates.c.state_at)))

    def rows_for_call(self, call_id: str, *, live_only: bool = True, size_class: str | None = None,
                      offset: int = 0, limit: int | None = None) -> tuple[list[dict], int]:
        query = select(candidates).where(candidates.c.call_id == call_id, candidates.c.name.is_not(None))
        if live_only:
            query = query.where(candidates.c.status == "submitted")
        if size_class:
            query = query.where(candidates.c.size_class == size_class)
        total = self.session.scalar(select(func.count()).select_from(query.subquery()))
        query = query.order_by(candidates.c.submitted_at, candidates.c.application_id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [dict(row._mapping) for row in self.session.execute(query)], total

    def page_for_call(self, call_id: str, *, size_class: str | None, offset: int, limit: int) -> tuple[list[dict], int]:
        """One page of the candidates list and a count that stops at a bound (shared.db.bounded_count)."""
        query = select(candidates).where(candidates.c.call_id == call_id, candidates.c.name.is_not(None),
                                         candidates.c.status == "submitted")
        if size_class:
            query = query.where(candidates.c.size_class == size_class)
        total = bounded_count(self.session, query, offset + limit)
        query = query.order_by(candidates.c.submitted_at, candidates.c.application_id).offset(offset).limit(limit)
        return [dict(row._mapping) for row in self.session.execute(query)], total

    def for_call(self, call_id: str) -> list[Candidate]:
        """Every candidate of the call the domain can judge, withdrawn ones included (they never rank)."""
        rows, _ = self.rows_for_call(call_id, live_only=False)
        return [candidate_from_row(row) for row in rows]


def candidate_from_row(row: dict) -> Candidate:
    # An event without a population still carries the size class; the domain accepts that pair.
    return Candidate(application_id=row["application_id"], call_id=row["call_id"], ags=row["ags"], name=row["name"],
                     population=row["population"], size_class=row["size_class"], status=row["status"],
                     submitted_at=row["submitted_at"])


class PanelRepository:
    def __init__(self, session):
        self.session = session

    def get(self, call_id: str) -> tuple[Panel, dict] | None:
        """The panel and its settings row (quorum, updated_at, updated_by), or None if none was set."""
        settings = _dict(self.session.execute(select(panels).where(panels.c.call_id == call_id)).first())
        if settings is None:
            return None
        members = [PanelMember(id=row.member_id, name=row.name, institution=row.institution, email=row.email,
                               role=row.role)
                   for row in self.session.execute(select(panel_members).where(panel_members.c.call_id == call_id)
                                                   .order_by(panel_members.c.position))]
        criteria = [Criterion(key=row.key, label=row.label, weight=row.weight)
                    for row in self.session.execute(select(panel_criteria).where(panel_criteria.c.call_id == call_id)
                                                    .order_by(panel_criteria.c.position))]
        return Panel(tuple(members), tuple(criteria)), settings

    def lock(self, call_id: str) -> None:
        self.session.execute(select(panels.c.call_id).where(panels.c.call_id == call_id).with_for_update())

    def replace(self, call_id: str, panel: Panel, quorum: int | None, now, actor: str) -> None:
        self.session.execute(delete(panel_members).where(panel_members.c.call_id == call_id))
        self.session.execute(delete(panel_criteria).where(panel_criteria.c.call_id == call_id))
        self.session.execute(delete(panels).where(panels.c.call_id == call_id))
        self.session.execute(insert(panels).values(call_id=call_id, quorum=quorum, updated_at=now, updated_by=actor))
        self.session.execute(insert(panel_members), [
            {"call_id": call_id, "member_id": m.id, "position": i, "name": m.name, "institution": m.institution,
             "email": m.email, "role": m.role} for i, m in enumerate(panel.members)])
        self.session.execute(insert(panel_criteria), [
            {"call_id": call_id, "key": c.key, "position": i, "label": c.label, "weight": float(c.weight)}
            for i, c in enumerate(panel.criteria)])


class BalanceRuleRepository:
    def __init__(self, session):
        self.session = session

    def get(self, call_id: str) -> tuple[BalanceRule, dict] | None:
        row = _dict(self.session.execute(select(balance_rules).where(balance_rules.c.call_id == call_id)).first())
        if row is None:
            return None
        return BalanceRule(minimum=row["minimum"], maximum=row["maximum"]), row

    def replace(self, call_id: str, rule: BalanceRule, now, actor: str) -> None:
        self.session.execute(delete(balance_rules).where(balance_rules.c.call_id == call_id))
        self.session.execute(insert(balance_rules).values(call_id=call_id, minimum=dict(rule.minimum),
                                                          maximum=dict(rule.maximum), updated_at=now,
                                                          updated_by=actor))


class ConflictRepository:
    def __init__(self, session):
        self.session = session

    def for_call(self, call_id: str, *, application_id: str | None = None) -> list[ConflictOfInterest]:
        return [ConflictOfInterest(member_id=row["member_id"], application_id=row["application_id"],
                                   reason=row["reason"]) for row in self.rows(call_id, application_id=application_id)]

    def rows(self, call_id: str, *, application_id: str | None = None, member_id: str | None = None) -> list[dict]:
        query = select(conflicts).where(conflicts.c.call_id == call_id)
        if application_id:
            query = query.where(conflicts.c.application_id == application_id)
        if member_id:
            query = query.where(conflicts.c.member_id == member_id)
        query = query.order_by(conflicts.c.declared_at, conflicts.c.application_id, conflicts.c.member_id)
        return [dict(row._mapping) for row in self.session.execute(query)]

    def get(self, call_id: str, application_id: str, member_id: str) -> dict | None:
        return _dict(self.session.execute(select(conflicts).where(
            conflicts.c.call_id == call_id, conflicts.c.application_id == application_id,
            conflicts.c.member_id == member_id)).first())

    def add(self, values: dict) -> None:
        self.session.execute(insert(conflicts).values(**values))

    def remove(self, call_id: str, application_id: str, member_id: str) -> None:
        self.session.execute(delete(conflicts).where(
            conflicts.c.call_id == call_id, conflicts.c.application_id == application_id,
            conflicts.c.member_id == member_id))


class ReviewRepository:
    def __init__(self, session):
        self.session = session

    def for_call(self, call_id: str, *, application_id: str | None = None) -> list[Review]:
        return [review_from_row(row) for row in self.rows(call_id, application_id=application_id)]

    def rows(self, call_id: str, *, application_id: str | None = None, member_id: str | None = None,
             offset: int = 0, limit: int | None = None) -> list[dict]:
        query = self._query(call_id, application_id, member_id).order_by(
            reviews.c.application_id, reviews.c.member_id).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [dict(row._mapping) for row in self.session.execute(query)]

    def count(self, call_id: str, *, application_id: str | None = None, member_id: str | None = None) -> int:
        query = self._query(call_id, application_id, member_id)
        return self.session.scalar(select(func.count()).select_from(query.subquery()))

    @staticmethod
    def _query(call_id, application_id, member_id):
        query = select(reviews).where(reviews.c.call_id == call_id)
        if application_id:
            query = query.where(reviews.c.application_id == application_id)
        if member_id:
            query = query.where(reviews.c.member_id == member_id)
        return query

    def get(self, call_id: str, application_id: str, member_id: str, *, for_update: bool = False) -> dict | None:
        query = select(reviews).where(reviews.c.call_id == call_id, reviews.c.application_id == application_id,
                                      reviews.c.member_id == member_id)
        if for_update:
            query = query.with_for_update()
        return _dict(self.session.execute(query).first())

    def add(self, values: dict) -> None:
        self.session.execute(insert(reviews).values(**values))

    def update(self, call_id: str, application_id: str, member_id: str, values: dict) -> None:
        self.session.execute(update(reviews).where(
            reviews.c.call_id == call_id, reviews.c.application_id == application_id,
            reviews.c.member_id == member_id).values(**values))


def review_from_row(row: dict) -> Review:
    return Review(member_id=row["member_id"], application_id=row["application_id"], scores=row["scores"],
                  comment=row["comment"], abstained=row["abstained"])


class RankingRepository:
    """The kept ranking numbers (`ranking_scores`) and ranking pages read from them in index order."""

    _ENTRY = (candidates.c.application_id, candidates.c.ags, candidates.c.name, candidates.c.size_class)

    def __init__(self, session):
        self.session = session

    def replace(self, call_id: str, application_id: str, values: dict | None) -> None:
        self.session.execute(delete(ranking_scores).where(ranking_scores.c.call_id == call_id,
                                                          ranking_scores.c.application_id == application_id))
        if values is not None:
            self.session.execute(insert(ranking_scores).values(call_id=call_id, application_id=application_id,
                                                               **values))

    def clear(self, call_id: str) -> None:
        self.session.execute(delete(ranking_scores).where(ranking_scores.c.call_id == call_id))

    def page(self, call_id: str, *, offset: int, limit: int) -> tuple[list[dict], int]:
        """Ranking rows offset..offset+limit (best first) and the number of live candidates, counted up to a
        bound. Scored candidates first, in the kept order; then the unscored tail in submission order."""
        live = and_(candidates.c.status == "submitted", candidates.c.name.is_not(None))
        scored = (select(*self._ENTRY, *self._numbers())
                  .join(ranking_scores, and_(ranking_scores.c.application_id == candidates.c.application_id,
                                             ranking_scores.c.call_id == call_id))
                  .where(ranking_scores.c.weighted_mean.is_not(None), candidates.c.call_id == call_id, live))
        rows = [dict(row._mapping) for row in self.session.execute(scored.order_by(
            ranking_scores.c.weighted_mean.desc(), ranking_scores.c.review_count.desc(), ranking_scores.c.spread,
            ranking_scores.c.submitted_at, ranking_scores.c.application_id).offset(offset).limit(limit))]
        if len(rows) < limit:
            # The scored head ends on this page (then it has offset + len(rows) lines) or before it (then
            # counting it costs no more than the offset did).
            scored_total = offset + len(rows) if rows else bounded_count(self.session, scored, offset)
            tail = (select(*self._ENTRY, *self._numbers())
                    .outerjoin(ranking_scores, and_(ranking_scores.c.application_id == candidates.c.application_id,
                                                    ranking_scores.c.call_id == call_id))
                    .where(candidates.c.call_id == call_id, live, ranking_scores.c.weighted_mean.is_(None))
                    .order_by(candidates.c.submitted_at, candidates.c.application_id)
                    .offset(max(0, offset - scored_total)).limit(limit - len(rows)))
            rows += [dict(row._mapping) for row in self.session.execute(tail)]
        everyone = select(candidates.c.application_id).where(candidates.c.call_id == call_id, live)
        return rows, bounded_count(self.session, everyone, offset + limit)

    @staticmethod
    def _numbers():
        return (ranking_scores.c.weighted_mean, func.coalesce(ranking_scores.c.review_count, 0).label("review_count"),
                func.coalesce(ranking_scores.c.abstention_count, 0).label("abstention_count"), ranking_scores.c.spread,
                ranking_scores.c.std_dev, ranking_scores.c.conflicted_member_ids)


class DecisionRepository:
    def __init__(self, session):
        self.session = session

    def get(self, call_id: str) -> dict | None:
        return _dict(self.session.execute(select(decisions).where(decisions.c.call_id == call_id)).first())

    def add(self, values: dict) -> None:
        self.session.execute(insert(decisions).values(**values))

    def update(self, call_id: str, values: dict) -> None:
        self.session.execute(update(decisions).where(decisions.c.call_id == call_id).values(**values))

    def add_amendment(self, values: dict) -> None:
        self.session.execute(insert(decision_amendments).values(**values))

    def amendments(self, call_id: str) -> list[dict]:
        rows = self.session.execute(select(decision_amendments).where(decision_amendments.c.call_id == call_id)
                                    .order_by(decision_amendments.c.recorded_at, decision_amendments.c.id))
        return [dict(row._mapping) for row in rows]


class AuditRepository:
    def __init__(self, session):
        self.session = session

    def has(self, call_id: str, action: str, application_id: str) -> bool:
        return self.session.execute(select(audit_log.c.id).where(
            audit_log.c.call_id == call_id, audit_log.c.action == action,
            audit_log.c.application_id == application_id).limit(1)).first() is not None

    def record(self, *, call_id: str, at, actor: str, action: str, application_id: str | None = None,
               member_id: str | None = None, details: dict | None = None) -> None:
        self.session.execute(insert(audit_log).values(call_id=call_id, at=at, actor=actor, action=action,
                                                      application_id=application_id, member_id=member_id,
                                                      details=details or {}))

    def list(self, call_id: str, *, offset: int, limit: int) -> tuple[list[dict], int]:
        query = select(audit_log).where(audit_log.c.call_id == call_id)
        total = self.session.scalar(select(func.count()).select_from(query.subquery()))
        rows = self.session.execute(query.order_by(audit_log.c.id).offset(offset).limit(limit))
        return [dict(row._mapping) for row in rows], total


class SelectionUnitOfWork(UnitOfWork):
    def __init__(self, session_factory):
        super().__init__(session_factory, metadata)

    def start(self) -> None:
        self.calls = CallRepository(self.session)
        self.candidates = CandidateRepository(self.session)
        self.panels = PanelRepository(self.session)
        self.balance_rules = BalanceRuleRepository(self.session)
        self.conflicts = ConflictRepository(self.session)
        self.reviews = ReviewRepository(self.session)
        self.decisions = DecisionRepository(self.session)
        self.ranking = RankingRepository(self.session)
        self.audit = AuditRepository(self.session)

    def clear_projection(self, consumer_group: str) -> None:
        """Forget everything the applications events built, and which events were applied (rebuild)."""
        if self.session.get_bind().dialect.name == "postgresql":
            # Hold off the live consumer's writes until the rebuilt projection commits.
            names = ", ".join(table.name for table in PROJECTION_TABLES)
            self.session.execute(text(f"LOCK TABLE {names} IN EXCLUSIVE MODE"))
        processed = metadata.tables["processed_messages"]
        self.session.execute(delete(processed).where(processed.c.consumer_group == consumer_group))
        for table in PROJECTION_TABLES:
            self.session.execute(delete(table))

