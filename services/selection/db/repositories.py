"""Selection's repositories: every read gives domain objects (services.selection.domain), never rows.

The immutable aggregates are declared once as a `shared.db.RowMapping` and read through a
`shared.db.RowRepository`; what is specialised (the keyset page of the candidates, the set-based upsert of
the projection, the ranking page read in index order, the panel spread over three tables) still returns
domain objects, built here and nowhere else.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.selection.db.tables import audit_log, balance_rules, calls, candidates, conflicts, decision_amendments, decisions, panel_criteria, panel_members, panels, ranking_scores, reviews
from services.selection.domain import AuditEntry, BalanceRule, Call, Candidate, ConflictOfInterest, Criterion, KeptRankingLine, Panel, PanelMember, RankingEntry, RecordedAmendment, RecordedDecision, Review, Tombstone
from shared import keyset
from shared.db import AS_TUPLE, RowMapping, RowRepository, bounded_count

T = TypeVar("T")
SUBMITTED, WITHDRAWN = "submitted", "withdrawn"


class CallRepository(RowRepository[Call]):
    """The calls as the applications events describe them."""

    mapping = RowMapping(Call, calls)

    def list(self, *, status: str | None, offset: int, limit: int,
             panel_member: str | None = None) -> tuple[list[Call], int]:
        """The calls, newest first; with `panel_member`, only those whose panel that member sits on."""
        query = select(calls)
        if status:
            query = query.where(calls.c.status == status)
        if panel_member is not None:
            query = query.where(calls.c.id.in_(select(panel_members.c.call_id)
                                               .where(panel_members.c.member_id == panel_member)))
        return self.page(query, calls.c.opens_at.desc().nulls_last(), calls.c.id, offset=offset, limit=limit)


class CandidateRepository(RowRepository[Candidate]):
    """The candidates projection. A row without a name is the tombstone of a withdrawal seen before (or
    without) its submission: it is no candidate (`get` and the lists skip it); `projected` tells of it."""

    mapping = RowMapping(Candidate, candidates, convert={"focus_areas": AS_TUPLE, "partners": AS_TUPLE})
    tombstones = RowMapping(Tombstone, candidates)
    key = "application_id"
    # What an application's events replace; the status (withdrawn is final) stays.
    CONTENT = tuple(name for name in mapping.fields if name not in ("application_id", "status", "withdrawn_at"))

    def get(self, item_id: Any, *, for_update: bool = False) -> Candidate | None:
        return self.first(select(candidates).where(candidates.c.application_id == item_id,
                                                   candidates.c.name.is_not(None)), for_update=for_update)

    def projected(self, application_id: str, *, for_update: bool = False) -> Candidate | Tombstone | None:
        """What the projection holds of an application: its candidate, a tombstone, or nothing."""
        query = select(candidates).where(candidates.c.application_id == application_id)
        if for_update:
            query = query.with_for_update()
        row = self.session.execute(query).first()
        if row is None:
            return None
        return self.tombstones.to_domain(row) if row.name is None else self.mapping.to_domain(row)

    def add_tombstone(self, tombstone: Tombstone) -> None:
        self.session.execute(insert(candidates).values(
            **self.tombstones.to_row(tombstone), name=None, population=None, size_class=None, focus_areas=[],
            statement="", partners=[], submitted_at=None, state_at=None))

    def replace_content(self, candidate: Candidate) -> None:
        """The content of an application we hold (or of its tombstone) replaced; its status stays."""
        values = self.mapping.to_row(candidate)
        self.session.execute(update(candidates).where(candidates.c.application_id == candidate.application_id)
                             .values(**{name: values[name] for name in self.CONTENT}))

    def withdraw(self, application_id: str, withdrawn_at: datetime) -> None:
        self.session.execute(update(candidates).where(candidates.c.application_id == application_id)
                             .values(status=WITHDRAWN, withdrawn_at=withdrawn_at))

    def upsert_contents(self, items: list[Candidate]) -> None:
        """Insert these candidates as submitted, or replace the content of those we hold, unless what we hold
        is newer (`state_at`); the status (withdrawn is final) stays. One statement for all of them."""
        if not items:
            return
        dialect = self.session.get_bind().dialect.name
        insert_for = postgresql_insert if dialect == "postgresql" else sqlite_insert
        # Sent as one executemany: SQLAlchemy compiles the statement once (cached) and sends the rows as
        # multi-row VALUES batches; a `.values([...])` of literal rows would be compiled afresh every poll.
        statement = insert_for(candidates)
        self.session.execute(statement.on_conflict_do_update(
            index_elements=[candidates.c.application_id],
            set_={name: statement.excluded[name] for name in self.CONTENT},
            where=or_(candidates.c.name.is_(None), candidates.c.state_at.is_(None),
                      statement.excluded.state_at >= candidates.c.state_at)),
            [dict(self.mapping.to_row(item), status=SUBMITTED, withdrawn_at=None) for item in items])

    @staticmethod
    def _named(call_id: str) -> Any:
        return select(candidates).where(candidates.c.call_id == call_id, candidates.c.name.is_not(None))

    def _live(self, call_id: str, size_class: str | None = None) -> Any:
        query = self._named(call_id).where(candidates.c.status == SUBMITTED)
        return query.where(candidates.c.size_class == size_class) if size_class else query

    def for_call(self, call_id: str) -> list[Candidate]:
        """Every candidate of the call the domain can judge, withdrawn ones included (they never rank), in
        the order they applied."""
        return self.all(self._named(call_id).order_by(candidates.c.submitted_at, candidates.c.application_id))

    def count_live(self, call_id: str) -> int:
        return self.session.scalar(select(func.count()).select_from(self._live(call_id).subquery())) or 0

    def page_for_call(self, call_id: str, *, size_class: str | None, offset: int, limit: int,
                      after: keyset.Position | None = None) -> keyset.Page:
        """One page of the live candidates (page.rows are Candidates), by page with a count that stops at a
        bound (shared.db.bounded_count), or by position (`after`) without one."""
        return keyset.read_page(self.all, self._live(call_id, size_class),
                                (candidates.c.submitted_at, candidates.c.application_id),
                                lambda candidate: (candidate.submitted_at, candidate.application_id), after=after,
                                offset=offset, limit=limit,
                                count=lambda q, reach: bounded_count(self.session, q, reach))


class PanelRepository:
    """The panel of a call: its settings (quorum, when and by whom), members and criteria, in three tables."""

    def __init__(self, session):
        self.session = session

    def get(self, call_id: str) -> Panel | None:
        settings = self.session.execute(select(panels).where(panels.c.call_id == call_id)).first()
        if settings is None:
            return None
        members = [PanelMember(id=row.member_id, name=row.name, institution=row.institution, email=row.email,
                               role=row.role)
                   for row in self.session.execute(select(panel_members).where(panel_members.c.call_id == call_id)
                                                   .order_by(panel_members.c.position))]
        criteria = [Criterion(key=row.key, label=row.label, weight=row.weight)
                    for row in self.session.execute(select(panel_criteria).where(panel_criteria.c.call_id == call_id)
                                                    .order_by(panel_criteria.c.position))]
        return Panel(tuple(members), tuple(criteria), quorum=settings.quorum, updated_at=settings.updated_at,
                     updated_by=settings.updated_by)

    def replace(self, call_id: str, panel: Panel) -> None:
        """The panel of the call, with its quorum and who set it when (`updated_at`, `updated_by`)."""
        self.session.execute(delete(panel_members).where(panel_members.c.call_id == call_id))
        self.session.execute(delete(panel_criteria).where(panel_criteria.c.call_id == call_id))
        self.session.execute(delete(panels).where(panels.c.call_id == call_id))
        self.session.execute(insert(panels).values(call_id=call_id, quorum=panel.quorum, updated_at=panel.updated_at,
                                                   updated_by=panel.updated_by))
        self.session.execute(insert(panel_members), [
            {"call_id": call_id, "member_id": m.id, "position": i, "name": m.name, "institution": m.institution,
             "email": m.email, "role": m.role} for i, m in enumerate(panel.members)])
        self.session.execute(insert(panel_criteria), [
            {"call_id": call_id, "key": c.key, "position": i, "label": c.label, "weight": float(c.weight)}
            for i, c in enumerate(panel.criteria)])

    def members_of_every_call(self) -> list[tuple[str, PanelMember]]:
        """(call id, member) of every panel: the personal data an erasure or an export looks through."""
        return [(row.call_id, PanelMember(id=row.member_id, name=row.name, institution=row.institution,
                                          email=row.email, role=row.role))
                for row in self.session.execute(select(panel_members))]

    def rename_member(self, call_id: str, member_id: str, *, name: str, email: str) -> None:
        self.session.execute(update(panel_members).where(
            panel_members.c.call_id == call_id, panel_members.c.member_id == member_id).values(name=name, email=email))


class BalanceRuleRepository(RowRepository[BalanceRule]):
    """The balance rule set for a call (none stored: the call uses the default)."""

    mapping = RowMapping(BalanceRule, balance_rules)
    key = "call_id"

    def replace(self, call_id: str, rule: BalanceRule) -> None:
        self.session.execute(delete(balance_rules).where(balance_rules.c.call_id == call_id))
        self.add(rule, call_id=call_id)


class _PerMember(RowRepository[T]):
    """Records of one member about one application of a call (conflicts, reviews): keyed by
    `(call_id, application_id, member_id)`, which `get` and `remove` take as one tuple."""

    key = ("call_id", "application_id", "member_id")

    def _query(self, call_id: str, application_id: str | None, member_id: str | None) -> Any:
        query = select(self.table).where(self.table.c.call_id == call_id)
        if application_id:
            query = query.where(self.table.c.application_id == application_id)
        if member_id:
            query = query.where(self.table.c.member_id == member_id)
        return query


class ConflictRepository(_PerMember[ConflictOfInterest]):
    mapping = RowMapping(ConflictOfInterest, conflicts)

    def for_call(self, call_id: str, *, application_id: str | None = None,
                 member_id: str | None = None) -> list[ConflictOfInterest]:
        """The declared conflicts, in the order they were declared."""
        return self.all(self._query(call_id, application_id, member_id).order_by(
            conflicts.c.declared_at, conflicts.c.application_id, conflicts.c.member_id))


class ReviewRepository(_PerMember[Review]):
    mapping = RowMapping(Review, reviews)

    def for_call(self, call_id: str, *, application_id: str | None = None, member_id: str | None = None,
                 offset: int = 0, limit: int | None = None) -> list[Review]:
        """The reviews, by application and member."""
        query = self._query(call_id, application_id, member_id).order_by(
            reviews.c.application_id, reviews.c.member_id).offset(offset)
        return self.all(query if limit is None else query.limit(limit))

    def count(self, call_id: str, *, application_id: str | None = None, member_id: str | None = None) -> int:
        query = self._query(call_id, application_id, member_id)
        return self.session.scalar(select(func.count()).select_from(query.subquery())) or 0


class RankingRepository:
    """The kept ranking numbers (`ranking_scores`) and ranking pages read from them in index order."""

    _ENTRY = (candidates.c.application_id, candidates.c.ags, candidates.c.name, candidates.c.size_class)

    def __init__(self, session):
        self.session = session

    def forget(self, call_id: str, application_id: str) -> None:
        self.session.execute(delete(ranking_scores).where(ranking_scores.c.call_id == call_id,
                                                          ranking_scores.c.application_id == application_id))

    def keep(self, call_id: str, entry: RankingEntry, submitted_at: datetime | None) -> None:
        """The numbers of one candidate's ranking entry, in place of those kept before."""
        self.forget(call_id, entry.application_id)
        self.session.execute(insert(ranking_scores).values(
            call_id=call_id, application_id=entry.application_id, weighted_mean=entry.weighted_mean,
            review_count=entry.review_count, abstention_count=entry.abstention_count, spread=entry.spread,
            std_dev=entry.std_dev, conflicted_member_ids=list(entry.conflicted_member_ids),
            submitted_at=submitted_at))

    def clear(self, call_id: str) -> None:
        self.session.execute(delete(ranking_scores).where(ranking_scores.c.call_id == call_id))

    def page(self, call_id: str, *, offset: int, limit: int) -> tuple[list[KeptRankingLine], int]:
        """Ranking lines offset+1..offset+limit (best first, at their positions) and the number of live candidates, counted up to a
        bound. Scored candidates first, in the kept order; then the unscored tail in submission order."""
        live = and_(candidates.c.status == SUBMITTED, candidates.c.name.is_not(None))
        scored = (select(*self._ENTRY, *self._numbers())
                  .join(ranking_scores, and_(ranking_scores.c.application_id == candidates.c.application_id,
                                             ranking_scores.c.call_id == call_id))
                  .where(ranking_scores.c.weighted_mean.is_not(None), candidates.c.call_id == call_id, live))
        lines = [self._line(offset + i, row) for i, row in enumerate(self.session.execute(scored.order_by(
            ranking_scores.c.weighted_mean.desc(), ranking_scores.c.review_count.desc(), ranking_scores.c.spread,
            ranking_scores.c.submitted_at, ranking_scores.c.application_id).offset(offset).limit(limit)), start=1)]
        if len(lines) < limit:
            # The scored head ends on this page (then it has offset + len(lines) lines) or before it (then
            # counting it costs no more than the offset did).
            scored_total = offset + len(lines) if lines else bounded_count(self.session, scored, offset)
            tail = (select(*self._ENTRY, *self._numbers())
                    .outerjoin(ranking_scores, and_(ranking_scores.c.application_id == candidates.c.application_id,
                                                    ranking_scores.c.call_id == call_id))
                    .where(candidates.c.call_id == call_id, live, ranking_scores.c.weighted_mean.is_(None))
                    .order_by(candidates.c.submitted_at, candidates.c.application_id)
                    .offset(max(0, offset - scored_total)).limit(limit - len(lines)))
            head = offset + len(lines)
            lines += [self._line(head + i, row) for i, row in enumerate(self.session.execute(tail), start=1)]
        everyone = select(candidates.c.application_id).where(candidates.c.call_id == call_id, live)
        return lines, bounded_count(self.session, everyone, offset + limit)

    @staticmethod
    def _line(position: int, row: Any) -> KeptRankingLine:
        # The unscored tail has no kept numbers: its counts are coalesced to 0 and its conflicts are none.
        return KeptRankingLine(RankingEntry(
            position, row.application_id, row.name, row.size_class, row.weighted_mean, row.review_count,
            row.abstention_count, row.spread, row.std_dev, tuple(row.conflicted_member_ids or ())), row.ags)

    @staticmethod
    def _numbers():
        return (ranking_scores.c.weighted_mean, func.coalesce(ranking_scores.c.review_count, 0).label("review_count"),
                func.coalesce(ranking_scores.c.abstention_count, 0).label("abstention_count"), ranking_scores.c.spread,
                ranking_scores.c.std_dev, ranking_scores.c.conflicted_member_ids)


class DecisionRepository(RowRepository[RecordedDecision]):
    """The decision of a call as it stands (amendments save it changed)."""

    mapping = RowMapping(RecordedDecision, decisions, convert={
        "selected": AS_TUPLE, "not_selected": AS_TUPLE, "proposed": AS_TUPLE, "present_member_ids": AS_TUPLE,
        "ranking": AS_TUPLE})
    key = "call_id"


class AmendmentRepository(RowRepository[RecordedAmendment]):
    mapping = RowMapping(RecordedAmendment, decision_amendments, convert={"present_member_ids": AS_TUPLE})

    def for_call(self, call_id: str) -> list[RecordedAmendment]:
        """The amendments of the call's decision, oldest first."""
        return self.all(select(decision_amendments).where(decision_amendments.c.call_id == call_id)
                        .order_by(decision_amendments.c.recorded_at, decision_amendments.c.id))


class AuditRepository(RowRepository[AuditEntry]):
    mapping = RowMapping(AuditEntry, audit_log)

    def has(self, call_id: str, action: str, application_id: str) -> bool:
        return self.session.execute(select(audit_log.c.id).where(
            audit_log.c.call_id == call_id, audit_log.c.action == action,
            audit_log.c.application_id == application_id).limit(1)).first() is not None

    def record(self, *, call_id: str, at, actor: str, action: str, application_id: str | None = None,
               member_id: str | None = None, details: dict | None = None) -> None:
        """A new entry (its id is the log's next)."""
        self.session.execute(insert(audit_log).values(call_id=call_id, at=at, actor=actor, action=action,
                                                      application_id=application_id, member_id=member_id,
                                                      details=details or {}))

    def list(self, call_id: str, *, offset: int, limit: int) -> tuple[list[AuditEntry], int]:
        """The call's entries, oldest first."""
        return self.page(select(audit_log).where(audit_log.c.call_id == call_id), audit_log.c.id,
                         offset=offset, limit=limit)
