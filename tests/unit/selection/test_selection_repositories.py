"""Selection's repositories hand out domain objects, never rows or dicts: what is written is read back as an equal
value, a tombstone is no candidate, and the lists and pages are lists of domain objects in their order.

Against a throw-away in-memory SQLite database with the service's own tables (the integration tests run the same
repositories on PostgreSQL through the API)."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from selection_support import T0, call_closed, call_opened, feed, new_id, submitted, withdrawn
from services.selection.db import SelectionUnitOfWork, metadata
from services.selection.domain import (AuditEntry, BalanceRule, Call, Candidate, ConflictOfInterest, Criterion,
                                       KeptRankingLine, Panel, PanelMember, RankingEntry, RecordedAmendment,
                                       RecordedDecision, Review, Tombstone)
from shared.db import make_session_factory

STAFF = "staff:erika"


@pytest.fixture
def uow_factory():
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    metadata.create_all(engine)
    session_factory = make_session_factory(engine)
    return lambda: SelectionUnitOfWork(session_factory)


def _call_with_candidates(uow_factory):
    call_id, first, second, early = new_id(), new_id(), new_id(), new_id()
    feed(uow_factory, call_opened(call_id), submitted(first, call_id, "Wassenberg", "05370040", 18_500),
         submitted(second, call_id, "Arnsberg", "05958004", 74_200, submitted_at=T0 + timedelta(days=2)),
         withdrawn(early, call_id, "05554008"))
    return call_id, first, second, early


def test_the_projection_reads_as_calls_candidates_and_tombstones(uow_factory):
    call_id, first, second, early = _call_with_candidates(uow_factory)
    feed(uow_factory, call_closed(call_id, applications=2))
    with uow_factory() as uow:
        call = uow.calls.get(call_id)
        assert isinstance(call, Call) and call.is_closed and call.applications == 2 and call.opens_at == T0
        candidate = uow.candidates.get(first)
        assert isinstance(candidate, Candidate)
        assert (candidate.name, candidate.size_class, candidate.status) == ("Wassenberg", "small", "submitted")
        assert candidate.statement == "Interessensbekundung" and isinstance(candidate.focus_areas, tuple)
        # A withdrawal seen before its submission: a tombstone, which is no candidate.
        assert uow.candidates.get(early) is None
        tombstone = uow.candidates.projected(early)
        assert isinstance(tombstone, Tombstone) and tombstone.status == "withdrawn" and tombstone.ags == "05554008"
        assert uow.candidates.projected(first) == candidate and uow.candidates.projected(new_id()) is None
        assert [c.application_id for c in uow.candidates.for_call(call_id)] == [first, second]
        assert uow.candidates.count_live(call_id) == 2
        page = uow.candidates.page_for_call(call_id, size_class=None, offset=0, limit=1)
        assert page.rows == [candidate] and page.item_count == 2 and page.next_after is not None
        calls, total = uow.calls.list(status="closed", offset=0, limit=10)
        assert calls == [call] and total == 1


def test_the_panel_the_rule_conflicts_and_reviews_are_read_back_as_they_were_written(uow_factory):
    call_id, first, _, _ = _call_with_candidates(uow_factory)
    panel = Panel((PanelMember("m1", "Erika Muster", "Stadt A", "erika@example.org", "chair"),
                   PanelMember("m2", "Max Beispiel", "Land B", "max@example.org")),
                  (Criterion("concept", "Konzept", 2.0), Criterion("impact", "Wirkung")),
                  quorum=2, updated_at=T0, updated_by=STAFF)
    rule = BalanceRule(minimum={"small": 1}, maximum={"large": 2}, updated_at=T0, updated_by=STAFF)
    conflict = ConflictOfInterest("m2", first, "Wohnt dort", call_id=call_id, declared_at=T0, declared_by=STAFF)
    review = Review("m1", first, {"concept": 4, "impact": 3}, "gut", call_id=call_id, created_at=T0, updated_at=T0,
                    updated_by="steering:m1")
    with uow_factory() as uow:
        uow.panels.replace(call_id, panel)
        uow.balance_rules.replace(call_id, rule)
        uow.conflicts.add(conflict)
        uow.reviews.add(review)
        uow.commit()
    with uow_factory() as uow:
        assert uow.panels.get(call_id) == panel and uow.panels.get(new_id()) is None
        assert uow.balance_rules.get(call_id) == rule
        assert uow.conflicts.get((call_id, first, "m2")) == conflict
        assert uow.conflicts.for_call(call_id, member_id="m2") == [conflict]
        assert uow.reviews.get((call_id, first, "m1")) == review
        changed = replace(review, scores=None, abstained=True, updated_at=T0 + timedelta(hours=1))
        uow.reviews.save(changed)
        uow.conflicts.remove((call_id, first, "m2"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.reviews.for_call(call_id) == [changed] and uow.reviews.count(call_id) == 1
        assert uow.conflicts.for_call(call_id) == []
        assert [(call_id, m) for call_id, m in uow.panels.members_of_every_call()] == [
            (call_id, member) for member in panel.members]


def test_the_decision_its_amendments_and_the_audit_trail_are_domain_records(uow_factory):
    call_id = new_id()
    decision = RecordedDecision(
        call_id=call_id, selected=("a", "b"), not_selected=("c", "d"), proposed=("a", "b"),
        deviates_from_proposal=False, rationale="Beste Konzepte", deviation_reason=None, decided_at=T0,
        present_member_ids=("m1", "m2"), quorum=2, ranking=({"rank": 1, "application_id": "a"},), recorded_at=T0,
        recorded_by=STAFF)
    amendment = RecordedAmendment(
        id=new_id(), call_id=call_id, vacated_application_id="b", successor_application_id="c",
        proposed_successor_id="c", deviates_from_proposal=False, rationale="Nachrücker", deviation_reason=None,
        decided_at=T0 + timedelta(days=1), present_member_ids=("m1",), quorum=1, recorded_at=T0, recorded_by=STAFF)
    with uow_factory() as uow:
        uow.decisions.add(decision)
        uow.decisions.save(replace(decision, selected=("a", "c"), not_selected=("d",)))
        uow.amendments.add(amendment)
        uow.audit.record(call_id=call_id, at=T0, actor=STAFF, action="decision.recorded", details={"quorum": 2})
        uow.commit()
    with uow_factory() as uow:
        assert uow.decisions.get(call_id) == replace(decision, selected=("a", "c"), not_selected=("d",))
        assert uow.amendments.for_call(call_id) == [amendment] and uow.amendments.get(amendment.id) == amendment
        entries, total = uow.audit.list(call_id, offset=0, limit=10)
        assert total == 1 and isinstance(entries[0], AuditEntry)
        assert (entries[0].action, entries[0].actor, dict(entries[0].details)) == ("decision.recorded", STAFF,
                                                                                   {"quorum": 2})


def test_a_ranking_page_is_kept_lines_at_their_positions_scored_first(uow_factory):
    call_id, first, second, _ = _call_with_candidates(uow_factory)
    entry = RankingEntry(1, second, "Arnsberg", "medium", 4.5, 2, 0, 1.0, 0.5, ("m3",))
    with uow_factory() as uow:
        uow.ranking.keep(call_id, entry, T0 + timedelta(days=2))
        uow.commit()
    with uow_factory() as uow:
        lines, total = uow.ranking.page(call_id, offset=0, limit=10)
        assert total == 2 and all(isinstance(line, KeptRankingLine) for line in lines)
        assert lines[0] == KeptRankingLine(entry, "05958004")
        assert lines[1].entry == RankingEntry(2, first, "Wassenberg", "small", None, 0, 0, None, None, ())
        [second_page] = uow.ranking.page(call_id, offset=1, limit=1)[0]
        assert second_page == lines[1]
