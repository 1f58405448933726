"""The ranking and the proposal as they stand, and the kept ranking numbers."""
from __future__ import annotations

from dataclasses import dataclass, replace

from services.selection.domain import (
    BalanceRule,
    Call,
    Candidate,
    ConflictOfInterest,
    KeptRankingLine,
    Panel,
    Proposal,
    RankingEntry,
    default_criteria,
    propose,
    rank,
)
from services.selection.handlers.checks import get_call, rule_for


# --- ranking and proposal ------------------------------------------------------------------------
@dataclass
class Evaluation:
    call: Call
    panel: Panel | None
    candidates: dict[str, Candidate]  # by application id (live and withdrawn), for the views and events
    judged: list[Candidate]  # the same candidates, as the domain judges them
    ranking: list[RankingEntry]
    rule: BalanceRule
    rule_is_default: bool
    proposal: Proposal
    conflicts: list[ConflictOfInterest]


def evaluate(uow, call_id: str) -> Evaluation:
    """The ranking and the proposal as they stand, from the stored candidates, panel and reviews."""
    call = get_call(uow, call_id)
    stored = uow.panels.get(call_id)
    panel = stored or Panel((), default_criteria())
    by_id = {candidate.application_id: candidate for candidate in uow.candidates.for_call(call_id)}
    candidates = list(by_id.values())
    # Only what refers to a known candidate and a current member counts; a projection rebuilt from a
    # topic whose retention dropped old events must not make the ranking fail.
    members = {m.id for m in panel.members}
    reviews = [r for r in uow.reviews.for_call(call_id) if r.application_id in by_id and r.member_id in members]
    conflicts = [c for c in uow.conflicts.for_call(call_id) if c.application_id in by_id]
    ranking = rank(candidates, panel, reviews, conflicts)
    rule, explicit = rule_for(uow, call_id)
    proposal = propose(ranking, call.places, rule)
    return Evaluation(call=call, panel=stored, candidates=by_id, judged=candidates, ranking=ranking, rule=rule,
                      rule_is_default=not explicit, proposal=proposal, conflicts=conflicts)


def refresh_ranking(uow, call_id: str, application_ids) -> None:
    """Bring the kept ranking numbers (db.ranking_scores) of these candidates up to date, in the transaction
    that changed their reviews, conflicts or the panel. The numbers are `rank`'s own for the one candidate
    (a candidate's numbers depend only on its reviews, its conflicts and the panel), so a ranking page read
    from them in index order is `rank`'s order; `evaluate` still ranks from scratch for the proposal."""
    panel = uow.panels.get(call_id) or Panel((), default_criteria())
    members = {m.id for m in panel.members}
    for application_id in sorted(application_ids):
        candidate = uow.candidates.get(application_id)
        reviews = [r for r in uow.reviews.for_call(call_id, application_id=application_id) if r.member_id in members]
        conflicts = uow.conflicts.for_call(call_id, application_id=application_id)
        if candidate is None or not (reviews or conflicts):
            uow.ranking.forget(call_id, application_id)
            continue
        # Live or withdrawn is decided when a page is read, from the projection.
        [entry] = rank([replace(candidate, status="submitted")], panel, reviews, conflicts)
        uow.ranking.keep(call_id, entry, candidate.submitted_at)


def ranking_line(entry: RankingEntry, candidate: Candidate | KeptRankingLine) -> dict:
    """The ranking entry as the API and the decision's summary show it (with the candidate's AGS)."""
    return {
        "rank": entry.position, "application_id": entry.application_id, "ags": candidate.ags, "name": entry.name,
        "size_class": entry.size_class, "weighted_mean": entry.weighted_mean, "reviews": entry.review_count,
        "abstentions": entry.abstention_count, "spread": entry.spread, "std_dev": entry.std_dev,
        "conflicts": list(entry.conflicted_member_ids),
    }
