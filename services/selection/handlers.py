"""Use cases of the selection: command -> unit of work -> domain -> outbox, and the queries the API needs.

Every write locks the call's row first, so that reviews, conflicts, panel changes and the decision of
one call happen one after the other: a review cannot slip in after the decision was taken.
Every change is written to the audit trail in the same transaction as the change itself.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.selection.db import candidate_from_row, review_from_row
from services.selection.domain import (BalanceRule, ConflictOfInterest, Criterion, Panel, PanelMember, Proposal, Review,
                                       default_criteria, propose, propose_successor, rank, smart_city_rule,
                                       vacancies, validate_amendment, validate_decision, validate_review,
                                       weighted_review_score)
from shared.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from shared.events.catalogue import make_event
from shared.logs import correlation_id

SOURCE = "/services/selection"
DECIDED_AT_TOLERANCE = timedelta(minutes=5)  # clocks of the office's laptops are not exact

TIE_BREAK = (
    "higher weighted mean first",
    "then more counted reviews",
    "then lower spread (highest minus lowest weighted review score)",
    "then earlier submission",
    "then application id ascending",
    "candidates without a counted review come last, by submission and application id",
)


# --- commands ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SetPanel:
    call_id: str
    members: list
    criteria: list | None
    quorum: int | None
    actor: str


@dataclass(frozen=True)
class SetBalanceRule:
    call_id: str
    minimum: dict
    maximum: dict
    actor: str


@dataclass(frozen=True)
class DeclareConflict:
    call_id: str
    application_id: str
    member_id: str
    reason: str
    actor_role: str
    actor_subject: str


@dataclass(frozen=True)
class WithdrawConflict:
    call_id: str
    application_id: str
    member_id: str
    actor_role: str
    actor_subject: str


@dataclass(frozen=True)
class WriteReview:
    call_id: str
    application_id: str
    member_id: str
    scores: dict | None
    comment: str
    abstain: bool
    actor_role: str
    actor_subject: str


@dataclass(frozen=True)
class RecordDecision:
    call_id: str
    selected: list
    rationale: str
    decided_at: datetime
    present_member_ids: list
    deviation_reason: str | None
    actor: str


@dataclass(frozen=True)
class AmendDecision:
    call_id: str
    vacated_application_id: str
    successor_application_id: str
    rationale: str
    decided_at: datetime
    present_member_ids: list
    deviation_reason: str | None
    actor: str


def actor_name(role: str, subject: str) -> str:
    return f"{role}:{subject}"


def _event(event_type: str, data: dict):
    return make_event(event_type, data, source=SOURCE, correlation_id=correlation_id.get())


# --- shared checks -------------------------------------------------------------------------------
def get_call(uow, call_id: str, *, for_update: bool = False) -> dict:
    call = uow.calls.get(call_id, for_update=for_update)
    if call is None:
        raise NotFound(f"No call {call_id} is known to the selection (it learns of calls when they open).")
    return call


def require_on_panel(uow, call_id: str, member_id: str) -> None:
    """A steering member acts only on the calls whose panel it sits on. Any other call answers exactly as
    an unknown one does: which calls exist beyond its own panels is none of its business."""
    found = uow.panels.get(call_id)
    if found is None or all(m.id != member_id for m in found[0].members):
        raise NotFound(f"No call {call_id} is known to the selection (it learns of calls when they open).",
                       field="call_id")


def review_closed(uow, call_id: str) -> bool:
    """The decision closes the review: from then on the panel sees each other's scores (blind until then)."""
    return uow.decisions.get(call_id) is not None


def require_review_closed(uow, call_id: str, what: str) -> None:
    if not review_closed(uow, call_id):
        raise Forbidden(f"Blind review: {what} opens to the steering group when the decision closes the review.")


def _require_undecided(uow, call_id: str, what: str) -> None:
    if uow.decisions.get(call_id) is not None:
        raise Conflict(f"The decision for this call has been recorded; {what} can no longer change.")


def get_panel(uow, call_id: str) -> Panel:
    found = uow.panels.get(call_id)
    if found is None:
        raise Conflict("The steering group of this call has not been set yet.", field="panel")
    return found[0]


def get_candidate_row(uow, call_id: str, application_id: str) -> dict:
    row = uow.candidates.get_row(application_id)
    if row is None or row["call_id"] != call_id or row["name"] is None:
        raise NotFound(f"No candidate {application_id} in this call.", field="application_id")
    return row


def require_own(actor_role: str, actor_subject: str, member_id: str, what: str) -> None:
    if actor_role == "steering" and actor_subject != member_id:
        raise Forbidden(f"A steering member may {what} only for themselves (the token's subject).",
                        field="member_id")


def majority(members: int) -> int:
    return members // 2 + 1


def quorum_of(panel: Panel, settings: dict) -> int:
    return settings["quorum"] or majority(len(panel.members))


def rule_for(uow, call_id: str) -> tuple[BalanceRule, bool]:
    """The call's balance rule and whether it was set explicitly (else the smart-city default)."""
    found = uow.balance_rules.get(call_id)
    return (found[0], True) if found else (smart_city_rule(), False)


# --- panel ---------------------------------------------------------------------------------------
def _panel_summary(panel: Panel, quorum: int | None) -> dict:
    """What the audit trail keeps of a panel: ids and institutions, no names or e-mail addresses (personal
    data stays in one table, where an erasure finds it)."""
    return {"members": [{"id": m.id, "institution": m.institution, "role": m.role} for m in panel.members],
            "criteria": [{"key": c.key, "label": c.label, "weight": c.weight} for c in panel.criteria],
            "quorum": quorum}


def set_panel(command: SetPanel, uow, clock) -> tuple[Panel, dict]:
    get_call(uow, command.call_id, for_update=True)
    _require_undecided(uow, command.call_id, "the steering group")
    members = [PanelMember(id=m["id"], name=m["name"], institution=m["institution"], email=m["email"],
                           role=m.get("role", "member")) for m in command.members]
    criteria = (default_criteria() if command.criteria is None else
                [Criterion(key=c["key"], label=c["label"], weight=c.get("weight", 1.0)) for c in command.criteria])
    panel = Panel(tuple(members), tuple(criteria))
    if command.quorum is not None and command.quorum > len(panel.members):
        raise InvalidInput(f"The quorum cannot exceed the {len(panel.members)} members.", field="quorum")

    previous = uow.panels.get(command.call_id)
    reviews = uow.reviews.rows(command.call_id)
    member_ids = {m.id for m in panel.members}
    leaving = sorted({r["member_id"] for r in reviews} - member_ids)
    if leaving:
        raise Conflict(f"Member {leaving[0]!r} has written reviews and cannot leave the steering group.",
                       field="members")
    scored = [r for r in reviews if not r["abstained"]]
    if scored and previous is not None:
        before = {(c.key, float(c.weight)) for c in previous[0].criteria}
        after = {(c.key, float(c.weight)) for c in panel.criteria}
        if before != after:
            raise Conflict("Reviews have been scored; the criteria and their weights can no longer change.",
                           field="criteria")

    now = clock()
    uow.panels.replace(command.call_id, panel, command.quorum, now, command.actor)
    uow.ranking.clear(command.call_id)
    refresh_ranking(uow, command.call_id, {r["application_id"] for r in reviews}
                    | {c.application_id for c in uow.conflicts.for_call(command.call_id)})
    uow.audit.record(call_id=command.call_id, at=now, actor=command.actor,
                     action="panel.set" if previous is None else "panel.changed",
                     details={"before": _panel_summary(*_unpack(previous)) if previous else None,
                              "after": _panel_summary(panel, command.quorum)})
    uow.commit()
    return uow.panels.get(command.call_id)


def _unpack(found) -> tuple[Panel, int | None]:
    panel, settings = found
    return panel, settings["quorum"]


# --- balance rule --------------------------------------------------------------------------------
def set_balance_rule(command: SetBalanceRule, uow, clock) -> BalanceRule:
    get_call(uow, command.call_id, for_update=True)
    _require_undecided(uow, command.call_id, "the balance rule")
    rule = BalanceRule(minimum=command.minimum, maximum=command.maximum)
    before, explicit = rule_for(uow, command.call_id)
    now = clock()
    uow.balance_rules.replace(command.call_id, rule, now, command.actor)
    uow.audit.record(call_id=command.call_id, at=now, actor=command.actor, action="balance_rule.set",
                     details={"before": {"minimum": dict(before.minimum), "maximum": dict(before.maximum),
                                         "default": not explicit},
                              "after": {"minimum": dict(rule.minimum), "maximum": dict(rule.maximum)}})
    uow.commit()
    return rule


# --- conflicts of interest -----------------------------------------------------------------------
def declare_conflict(command: DeclareConflict, uow, clock) -> tuple[dict, bool]:
    """Record a conflict of interest; returns (the record, whether it is new). Declaring twice is harmless."""
    require_own(command.actor_role, command.actor_subject, command.member_id, "declare a conflict of interest")
    get_call(uow, command.call_id, for_update=True)
    _require_undecided(uow, command.call_id, "conflicts of interest")
    panel = get_panel(uow, command.call_id)
    if panel.member(command.member_id) is None:
        raise NotFound(f"{command.member_id!r} is not a member of the steering group.", field="member_id")
    get_candidate_row(uow, command.call_id, command.application_id)
    conflict = ConflictOfInterest(command.member_id, command.application_id, command.reason)
    existing = uow.conflicts.get(command.call_id, command.application_id, command.member_id)
    if existing is not None:
        return existing, False
    now = clock()
    values = {"call_id": command.call_id, "application_id": command.application_id,
              "member_id": command.member_id, "reason": conflict.reason.strip(), "declared_at": now,
              "declared_by": actor_name(command.actor_role, command.actor_subject)}
    uow.conflicts.add(values)
    refresh_ranking(uow, command.call_id, [command.application_id])
    had_review = uow.reviews.get(command.call_id, command.application_id, command.member_id) is not None
    uow.audit.record(call_id=command.call_id, at=now, actor=values["declared_by"], action="conflict.declared",
                     application_id=command.application_id, member_id=command.member_id,
                     details={"reason": values["reason"], "review_excluded": had_review})
    uow.commit()
    return values, True


def withdraw_conflict(command: WithdrawConflict, uow, clock) -> dict:
    """Withdraw a declared conflict of interest (a mistake, or the reason went away) before the decision;
    the member may then review the candidate. Returns the withdrawn record."""
    require_own(command.actor_role, command.actor_subject, command.member_id, "withdraw a conflict of interest")
    get_call(uow, command.call_id, for_update=True)
    _require_undecided(uow, command.call_id, "conflicts of interest")
    existing = uow.conflicts.get(command.call_id, command.application_id, command.member_id)
    if existing is None:
        raise NotFound(f"{command.member_id!r} has declared no conflict for {command.application_id}.")
    uow.conflicts.remove(command.call_id, command.application_id, command.member_id)
    uow.audit.record(call_id=command.call_id, at=clock(), actor=actor_name(command.actor_role, command.actor_subject),
                     action="conflict.withdrawn", application_id=command.application_id,
                     member_id=command.member_id, details={"reason": existing["reason"]})
    refresh_ranking(uow, command.call_id, [command.application_id])
    uow.commit()
    return existing


# --- reviews -------------------------------------------------------------------------------------
def _require_reviews_open(uow, call: dict) -> None:
    if call["status"] != "closed":
        raise Conflict("Reviews open when the call has closed; this call is still open.")
    _require_undecided(uow, call["id"], "reviews")


def write_review(command: WriteReview, uow, clock) -> tuple[dict, bool]:
    """Create or replace a member's review; returns (the review, whether it is new)."""
    require_own(command.actor_role, command.actor_subject, command.member_id, "write reviews")
    call = get_call(uow, command.call_id, for_update=True)
    _require_reviews_open(uow, call)
    panel = get_panel(uow, command.call_id)
    candidate = get_candidate_row(uow, command.call_id, command.application_id)
    if candidate["status"] == "withdrawn":
        raise Conflict(f"{candidate['name']} has withdrawn its application.", field="application_id")
    review = Review(member_id=command.member_id, application_id=command.application_id, scores=command.scores,
                    comment=command.comment or "", abstained=command.abstain)
    validate_review(panel, review, uow.conflicts.for_call(command.call_id))

    now = clock()
    actor = actor_name(command.actor_role, command.actor_subject)
    values = {"scores": None if review.abstained else dict(review.scores or {}), "comment": review.comment,
              "abstained": review.abstained, "updated_at": now, "updated_by": actor}
    before = uow.reviews.get(command.call_id, command.application_id, command.member_id, for_update=True)
    if before is None:
        uow.reviews.add(dict(values, call_id=command.call_id, application_id=command.application_id,
                             member_id=command.member_id, created_at=now))
    else:
        uow.reviews.update(command.call_id, command.application_id, command.member_id, values)
    refresh_ranking(uow, command.call_id, [command.application_id])
    uow.audit.record(call_id=command.call_id, at=now, actor=actor,
                     action="review.written" if before is None else "review.changed",
                     application_id=command.application_id, member_id=command.member_id,
                     details={"before": _review_content(before), "after": _review_content(values)})
    uow.commit()
    return uow.reviews.get(command.call_id, command.application_id, command.member_id), before is None


def _review_content(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {"scores": row["scores"], "abstained": row["abstained"], "comment": row["comment"]}


def review_score(uow, call_id: str, row: dict) -> float | None:
    """A review's weighted score under the panel's current criteria (None for an abstention)."""
    found = uow.panels.get(call_id)
    if found is None:
        return None
    try:
        return weighted_review_score(found[0], review_from_row(row))
    except DomainError:  # written under other criteria: not comparable any more
        return None


# --- ranking and proposal ------------------------------------------------------------------------
@dataclass
class Evaluation:
    call: dict
    panel: Panel | None
    candidates: dict  # application id -> candidate row (live and withdrawn)
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
    return Evaluation(call=call, panel=found[0] if found else None, candidates=rows, ranking=ranking, rule=rule,
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


# --- decision ------------------------------------------------------------------------------------
def record_decision(command: RecordDecision, uow, clock) -> dict:
    call = get_call(uow, command.call_id, for_update=True)
    if call["status"] != "closed":
        raise Conflict("The call is still open; the steering group decides after it has closed.")
    if uow.decisions.get(command.call_id) is not None:
        raise Conflict("The decision for this call has already been recorded; it is final.")
    found = uow.panels.get(command.call_id)
    if found is None:
        raise Conflict("The steering group of this call has not been set yet.", field="panel")
    panel, settings = found
    now = clock()
    if command.decided_at > now + DECIDED_AT_TOLERANCE:
        raise InvalidInput("The decision cannot be dated in the future.", field="decided_at")
    if call["closed_at"] is not None and command.decided_at < call["closed_at"]:
        raise InvalidInput("The decision cannot be dated before the call closed.", field="decided_at")

    evaluation = evaluate(uow, command.call_id)
    quorum = quorum_of(panel, settings)
    try:
        decision = validate_decision(
            [candidate_from_row(row) for row in evaluation.candidates.values()], evaluation.proposal,
            command.selected, call["places"], command.rationale, command.deviation_reason,
            command.present_member_ids, panel, quorum)
    except DomainError as error:
        if error.field and error.field.startswith("selected_ids"):
            error.field = "selected" + error.field.removeprefix("selected_ids")
        raise

    by_id = {entry.application_id: entry for entry in evaluation.ranking}
    selected = set(decision.selected_ids)
    lines = [dict(ranking_line(entry, evaluation.candidates[entry.application_id]),
                  selected=entry.application_id in selected) for entry in evaluation.ranking]
    uow.decisions.add({
        "call_id": command.call_id, "selected": list(decision.selected_ids),
        "not_selected": list(decision.not_selected_ids), "proposed": list(decision.proposed_ids),
        "deviates_from_proposal": decision.deviates_from_proposal, "rationale": decision.rationale,
        "deviation_reason": decision.deviation_reason, "decided_at": command.decided_at,
        "present_member_ids": list(decision.present_member_ids), "quorum": quorum, "ranking": lines,
        "recorded_at": now, "recorded_by": command.actor})

    for application_id in decision.selected_ids:
        entry, row = by_id[application_id], evaluation.candidates[application_id]
        uow.emit(_event("ApplicationSelected", {
            "call_id": command.call_id, "application_id": application_id, "municipality": _municipality(row),
            "rank": entry.position, "score": entry.weighted_mean,
            "workshops_per_place": call["workshops_per_place"], "decided_at": command.decided_at}))
    for application_id in decision.not_selected_ids:
        entry, row = by_id[application_id], evaluation.candidates[application_id]
        uow.emit(_event("ApplicationNotSelected", {
            "call_id": command.call_id, "application_id": application_id, "municipality": _municipality(row),
            "rank": entry.position, "score": entry.weighted_mean, "may_attend_workshops": True,
            "decided_at": command.decided_at}))
    uow.emit(_event("SelectionCompleted", {
        "call_id": command.call_id, "call_title": call["title"], "topic": call["topic"], "places": call["places"],
        "selected": list(decision.selected_ids),
        # v2: the outcome in rank order, without scores or review counts (the review stays confidential)
        "ranking": [{"application_id": line["application_id"], "ags": line["ags"], "name": line["name"],
                     "size_class": line["size_class"], "rank": line["rank"], "selected": line["selected"]}
                    for line in lines],
        "rationale": decision.rationale, "deviation_reason": decision.deviation_reason,
        "decided_at": command.decided_at}))
    uow.audit.record(call_id=command.call_id, at=now, actor=command.actor, action="decision.recorded",
                     details={"selected": list(decision.selected_ids), "proposed": list(decision.proposed_ids),
                              "deviation_reason": decision.deviation_reason,
                              "present_member_ids": list(decision.present_member_ids), "quorum": quorum})
    uow.commit()
    return uow.decisions.get(command.call_id)


# --- places vacated after the decision, and their successors -------------------------------------
def vacate_place(uow, candidate: dict, withdrawn_at: datetime) -> bool:
    """From ApplicationWithdrawn (inside the consumer's transaction): if the decision selected this
    application, its place is vacant now. Told once, even when the projection is rebuilt from the topic."""
    decision = uow.decisions.get(candidate["call_id"])
    application_id = candidate["application_id"]
    if decision is None or application_id not in decision["selected"]:
        return False
    if uow.audit.has(candidate["call_id"], "decision.place_vacated", application_id):
        return False
    uow.emit(_event("PlaceVacated", {"call_id": candidate["call_id"], "application_id": application_id,
                                     "municipality": _municipality(candidate), "reason": "withdrawn",
                                     "vacated_at": withdrawn_at}))
    uow.audit.record(call_id=candidate["call_id"], at=withdrawn_at, actor="applications:withdrawal",
                     action="decision.place_vacated", application_id=application_id,
                     details={"reason": "withdrawn"})
    return True


def successor_proposals(uow, call_id: str) -> tuple[Evaluation, list]:
    """Every vacated place of the decided call with the successor proposed for it."""
    evaluation = evaluate(uow, call_id)
    decision = uow.decisions.get(call_id)
    if decision is None:
        raise NotFound("No decision has been recorded for this call yet.")
    candidates = [candidate_from_row(row) for row in evaluation.candidates.values()]
    return evaluation, [propose_successor(evaluation.ranking, decision["selected"], vacated, evaluation.rule)
                        for vacated in vacancies(decision["selected"], candidates)]


def amend_decision(command: AmendDecision, uow, clock) -> dict:
    """Name a successor for a vacated place: the same checks and the same events as the decision itself,
    for one place. The successor gets ApplicationSelected (so its workshops and letter follow)."""
    call = get_call(uow, command.call_id, for_update=True)
    decision = uow.decisions.get(command.call_id)
    if decision is None:
        raise Conflict("No decision has been recorded for this call; there is nothing to amend.")
    panel, settings = uow.panels.get(command.call_id)
    now = clock()
    if command.decided_at > now + DECIDED_AT_TOLERANCE:
        raise InvalidInput("The amendment cannot be dated in the future.", field="decided_at")
    if command.decided_at < decision["decided_at"]:
        raise InvalidInput("The amendment cannot be dated before the decision.", field="decided_at")
    evaluation = evaluate(uow, command.call_id)
    proposal = propose_successor(evaluation.ranking, decision["selected"], command.vacated_application_id,
                                 evaluation.rule)
    quorum = quorum_of(panel, settings)
    amendment = validate_amendment(
        [candidate_from_row(row) for row in evaluation.candidates.values()], decision["selected"], proposal,
        command.successor_application_id, command.rationale, command.deviation_reason,
        command.present_member_ids, panel, quorum)

    amendment_id = str(uuid.uuid4())
    rows = evaluation.candidates
    vacated_row, successor_row = rows[amendment.vacated_id], rows[amendment.successor_id]
    entry = next(e for e in evaluation.ranking if e.application_id == amendment.successor_id)
    uow.decisions.update(command.call_id, {
        "selected": list(amendment.selected_ids),
        "not_selected": [a for a in decision["not_selected"] if a != amendment.successor_id]})
    uow.decisions.add_amendment({
        "id": amendment_id, "call_id": command.call_id, "vacated_application_id": amendment.vacated_id,
        "successor_application_id": amendment.successor_id, "proposed_successor_id": amendment.proposed_successor_id,
        "deviates_from_proposal": amendment.deviates_from_proposal, "rationale": amendment.rationale,
        "deviation_reason": amendment.deviation_reason, "decided_at": command.decided_at,
        "present_member_ids": list(amendment.present_member_ids), "quorum": quorum, "recorded_at": now,
        "recorded_by": command.actor})
    uow.emit(_event("ApplicationSelected", {
        "call_id": command.call_id, "application_id": amendment.successor_id,
        "municipality": _municipality(successor_row), "rank": entry.position, "score": entry.weighted_mean,
        "workshops_per_place": call["workshops_per_place"], "decided_at": command.decided_at,
        "succeeds_application_id": amendment.vacated_id}))
    uow.emit(_event("DecisionAmended", {
        "call_id": command.call_id, "amendment_id": amendment_id, "vacated": _municipality(vacated_row),
        "vacated_application_id": amendment.vacated_id, "successor": _municipality(successor_row),
        "successor_application_id": amendment.successor_id, "selected": list(amendment.selected_ids),
        "selected_municipalities": [rows[a]["name"] for a in amendment.selected_ids],
        "rationale": amendment.rationale, "deviation_reason": amendment.deviation_reason,
        "decided_at": command.decided_at}))
    uow.audit.record(call_id=command.call_id, at=now, actor=command.actor, action="decision.amended",
                     application_id=amendment.successor_id,
                     details={"amendment_id": amendment_id, "vacated": amendment.vacated_id,
                              "successor": amendment.successor_id, "proposed": amendment.proposed_successor_id,
                              "deviation_reason": amendment.deviation_reason,
                              "present_member_ids": list(amendment.present_member_ids), "quorum": quorum})
    uow.commit()
    return amendment_view(uow, command.call_id, amendment_id)


def amendment_view(uow, call_id: str, amendment_id: str) -> dict:
    return next(a for a in uow.decisions.amendments(call_id) if a["id"] == amendment_id)


def _municipality(row: dict) -> dict:
    return {"ags": row["ags"], "name": row["name"], "population": row["population"],
            "size_class": row["size_class"]}


COMMAND_HANDLERS = {
    SetPanel: set_panel,
    SetBalanceRule: set_balance_rule,
    DeclareConflict: declare_conflict,
    WithdrawConflict: withdraw_conflict,
    WriteReview: write_review,
    RecordDecision: record_decision,
    AmendDecision: amend_decision,
}
