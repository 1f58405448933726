"""Selection's repositories, and rows to domain objects."""
from __future__ import annotations

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.selection.db.tables import audit_log, balance_rules, calls, candidates, conflicts, decision_amendments, decisions, panel_criteria, panel_members, panels, ranking_scores, reviews
from services.selection.domain import BalanceRule, Candidate, ConflictOfInterest, Criterion, Panel, PanelMember, Review
from shared import keyset
from shared.db import bounded_count


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
        # Sent as one executemany: SQLAlchemy compiles the statement once (cached) and sends the rows as
        # multi-row VALUES batches; a `.values([...])` of literal rows would be compiled afresh every poll.
        statement = insert_for(candidates)
        content = [name for name in rows[0] if name != "application_id"]
        self.session.execute(statement.on_conflict_do_update(
            index_elements=[candidates.c.application_id], set_={name: statement.excluded[name] for name in content},
            where=or_(candidates.c.name.is_(None), candidates.c.state_at.is_(None),
                      statement.excluded.state_at >= candidates.c.state_at)),
            [dict(row, status="submitted", withdrawn_at=None) for row in rows])

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

    def page_for_call(self, call_id: str, *, size_class: str | None, offset: int, limit: int,
                      after: keyset.Position | None = None) -> keyset.Page:
        """One page of the candidates list (rows as dicts), by page with a count that stops at a bound
        (shared.db.bounded_count), or by position (`after`) without one."""
        query = select(candidates).where(candidates.c.call_id == call_id, candidates.c.name.is_not(None),
                                         candidates.c.status == "submitted")
        if size_class:
            query = query.where(candidates.c.size_class == size_class)
        page = keyset.read_page(self.session.execute, query, (candidates.c.submitted_at, candidates.c.application_id),
                                lambda row: (row.submitted_at, row.application_id), after=after, offset=offset,
                                limit=limit, count=lambda q, reach: bounded_count(self.session, q, reach))
        page.rows = [dict(row._mapping) for row in page.rows]
        return page

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
