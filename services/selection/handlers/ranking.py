"""The ranking and the proposal as they stand, and the kept ranking numbers."""
from __future__ import annotations

from dataclasses import dataclass

from services.selection.db import candidate_from_row
from services.selection.domain import (
    BalanceRule,
    Candidate,
    Panel,
    Proposal,
    default_criteria,
    propose,
    rank,
)
from services.selection.handlers.checks import get_call, rule_for


# --- ranking and proposal ------------------------------------------------------------------------
@dataclass
class Evaluation:
    call: dict
    panel: Panel | None
    candidates: dict  # application id -> candidate row (live and withdrawn), for the views and events
    judged: list[Candidate]  # the same candidates as the domain judges them
    ranking: list
    rule: BalanceRule
    rule_is_default: bool
    proposal: Proposal
    conflicts: list


def evaluate(uow, call_id: str) -> Evaluation:
    """The ranking and the proposal as they stand, from the stored candidates, panel and reviews."""
    call = get_call(uow, call_id)
    found = uow.panels.get(call_id)
    panel = found[0] if found else Panel((), default_criteria())
    rows = {row["application_id"]: row for row in uow.candidates.rows_for_call(call_id, live_only=False)[0]}
    candidates = [candidate_from_row(row) for row in rows.values()]
    # Only what refers to a known candidate and a current member counts; a projection rebuilt from a
    # topic whose retention dropped old events must not make the ranking fail.
    members = {m.id for m in panel.members}
    reviews = [r for r in uow.reviews.for_call(call_id) if r.application_id in rows and r.member_id in members]
    conflicts = [c for c in uow.conflicts.for_call(call_id) if c.application_id in rows]
    ranking = rank(candidates, panel, reviews, conflicts)
    rule, explicit = rule_for(uow, call_id)
    proposal = propose(ranking, call["places"], rule)
    return Evaluation(call=call, panel=found[0] if found else None, candidates=rows, judged=candidates,
                      ranking=ranking, rule=rule,
                      rule_is_default=not explicit, proposal=proposal, conflicts=conflicts)


def refresh_ranking(uow, call_id: str, application_ids) -> None:
    """Bring the kept ranking numbers (db.ranking_scores) of these candidates up to date, in the transaction
    that changed their reviews, conflicts or the panel. The numbers are `rank`'s own for the one candidate
    (a candidate's numbers depend only on its reviews, its conflicts and the panel), so a ranking page read
    from them in index order is `rank`'s order; `evaluate` still ranks from scratch for the proposal."""
    found = uow.panels.get(call_id)
    panel = found[0] if found else Panel((), default_criteria())
    members = {m.id for m in panel.members}
    for application_id in sorted(application_ids):
        row = uow.candidates.get_row(application_id)
        reviews = [r for r in uow.reviews.for_call(call_id, application_id=application_id) if r.member_id in members]
        conflicts = uow.conflicts.for_call(call_id, application_id=application_id)
        if row is None or row["name"] is None or not (reviews or conflicts):
            uow.ranking.replace(call_id, application_id, None)
            continue
        # Live or withdrawn is decided when a page is read, from the projection.
        [entry] = rank([candidate_from_row(dict(row, status="submitted"))], panel, reviews, conflicts)
        uow.ranking.replace(call_id, application_id, {
            "weighted_mean": entry.weighted_mean, "review_count": entry.review_count,
            "abstention_count": entry.abstention_count, "spread": entry.spread, "std_dev": entry.std_dev,
            "conflicted_member_ids": list(entry.conflicted_member_ids), "submitted_at": row["submitted_at"]})


def kept_ranking_line(position: int, row: dict) -> dict:
    """A ranking line from a page of the kept ranking (RankingRepository.page)."""
    return {
        "rank": position, "application_id": row["application_id"], "ags": row["ags"], "name": row["name"],
        "size_class": row["size_class"], "weighted_mean": row["weighted_mean"], "reviews": row["review_count"],
        "abstentions": row["abstention_count"], "spread": row["spread"], "std_dev": row["std_dev"],
        "conflicts": list(row["conflicted_member_ids"] or []),
    }


def ranking_line(entry, row: dict) -> dict:
    return {
        "rank": entry.position, "application_id": entry.application_id, "ags": row["ags"], "name": entry.name,
        "size_class": entry.size_class, "weighted_mean": entry.weighted_mean, "reviews": entry.review_count,
        "abstentions": entry.abstention_count, "spread": entry.spread, "std_dev": entry.std_dev,
        "conflicts": list(entry.conflicted_member_ids),
    }
