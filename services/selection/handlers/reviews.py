"""Use cases of the panel, the balance rule, conflicts of interest and reviews."""
from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from services.selection.domain import (
    BalanceRule,
    ConflictOfInterest,
    Criterion,
    Panel,
    PanelMember,
    Review,
    default_criteria,
    validate_review,
    weighted_review_score,
)
from services.selection.handlers.checks import _require_undecided, get_call, get_candidate, get_panel, require_own, rule_for
from services.selection.handlers.ranking import refresh_ranking
from shared.actors import actor_key
from shared.errors import Conflict, DomainError, InvalidInput, NotFound

if TYPE_CHECKING:
    from services.selection.domain import Call
    from services.selection.handlers.commands import DeclareConflict, SetBalanceRule, SetPanel, WithdrawConflict, WriteReview


# --- panel ---------------------------------------------------------------------------------------
def _panel_summary(panel: Panel) -> dict:
    """What the audit trail keeps of a panel: ids and institutions, no names or e-mail addresses (personal
    data stays in one table, where an erasure finds it)."""
    return {"members": [{"id": m.id, "institution": m.institution, "role": m.role} for m in panel.members],
            "criteria": [{"key": c.key, "label": c.label, "weight": c.weight} for c in panel.criteria],
            "quorum": panel.quorum}


def set_panel(command: SetPanel, uow, clock) -> Panel:
    get_call(uow, command.call_id, for_update=True)
    _require_undecided(uow, command.call_id, "the steering group")
    members = [PanelMember(id=m["id"], name=m["name"], institution=m["institution"], email=m["email"],
                           role=m.get("role", "member")) for m in command.members]
    criteria = (default_criteria() if command.criteria is None else
                [Criterion(key=c["key"], label=c["label"], weight=c.get("weight", 1.0)) for c in command.criteria])
    panel = Panel(tuple(members), tuple(criteria), quorum=command.quorum)
    if command.quorum is not None and command.quorum > len(panel.members):
        raise InvalidInput(f"The quorum cannot exceed the {len(panel.members)} members.", field="quorum")

    previous = uow.panels.get(command.call_id)
    reviews = uow.reviews.for_call(command.call_id)
    member_ids = {m.id for m in panel.members}
    leaving = sorted({r.member_id for r in reviews} - member_ids)
    if leaving:
        raise Conflict(f"Member {leaving[0]!r} has written reviews and cannot leave the steering group.",
                       field="members")
    scored = [r for r in reviews if not r.abstained]
    if scored and previous is not None:
        before = {(c.key, float(c.weight)) for c in previous.criteria}
        after = {(c.key, float(c.weight)) for c in panel.criteria}
        if before != after:
            raise Conflict("Reviews have been scored; the criteria and their weights can no longer change.",
                           field="criteria")

    now = clock()
    uow.panels.replace(command.call_id, replace(panel, updated_at=now, updated_by=command.actor))
    uow.ranking.clear(command.call_id)
    refresh_ranking(uow, command.call_id, {r.application_id for r in reviews}
                    | {c.application_id for c in uow.conflicts.for_call(command.call_id)})
    uow.audit.record(call_id=command.call_id, at=now, actor=command.actor,
                     action="panel.set" if previous is None else "panel.changed",
                     details={"before": _panel_summary(previous) if previous else None,
                              "after": _panel_summary(panel)})
    uow.commit()
    return uow.panels.get(command.call_id)


# --- balance rule --------------------------------------------------------------------------------
def set_balance_rule(command: SetBalanceRule, uow, clock) -> BalanceRule:
    get_call(uow, command.call_id, for_update=True)
    _require_undecided(uow, command.call_id, "the balance rule")
    rule = BalanceRule(minimum=command.minimum, maximum=command.maximum)
    before, explicit = rule_for(uow, command.call_id)
    now = clock()
    uow.balance_rules.replace(command.call_id, replace(rule, updated_at=now, updated_by=command.actor))
    uow.audit.record(call_id=command.call_id, at=now, actor=command.actor, action="balance_rule.set",
                     details={"before": {"minimum": dict(before.minimum), "maximum": dict(before.maximum),
                                         "default": not explicit},
                              "after": {"minimum": dict(rule.minimum), "maximum": dict(rule.maximum)}})
    uow.commit()
    return rule


# --- conflicts of interest -----------------------------------------------------------------------
def declare_conflict(command: DeclareConflict, uow, clock) -> tuple[ConflictOfInterest, bool]:
    """Record a conflict of interest; returns (the record, whether it is new). Declaring twice is harmless."""
    require_own(command.actor_role, command.actor_subject, command.member_id, "declare a conflict of interest")
    get_call(uow, command.call_id, for_update=True)
    _require_undecided(uow, command.call_id, "conflicts of interest")
    panel = get_panel(uow, command.call_id)
    if panel.member(command.member_id) is None:
        raise NotFound(f"{command.member_id!r} is not a member of the steering group.", field="member_id")
    get_candidate(uow, command.call_id, command.application_id)
    conflict = ConflictOfInterest(command.member_id, command.application_id, command.reason)
    key = (command.call_id, command.application_id, command.member_id)
    existing = uow.conflicts.get(key)
    if existing is not None:
        return existing, False
    conflict = replace(conflict, reason=conflict.reason.strip(), call_id=command.call_id, declared_at=clock(),
                       declared_by=actor_key(command.actor_role, command.actor_subject))
    uow.conflicts.add(conflict)
    refresh_ranking(uow, command.call_id, [command.application_id])
    had_review = uow.reviews.get(key) is not None
    uow.audit.record(call_id=command.call_id, at=conflict.declared_at, actor=conflict.declared_by,
                     action="conflict.declared", application_id=command.application_id, member_id=command.member_id,
                     details={"reason": conflict.reason, "review_excluded": had_review})
    uow.commit()
    return conflict, True


def withdraw_conflict(command: WithdrawConflict, uow, clock) -> ConflictOfInterest:
    """Withdraw a declared conflict of interest (a mistake, or the reason went away) before the decision;
    the member may then review the candidate. Returns the withdrawn record."""
    require_own(command.actor_role, command.actor_subject, command.member_id, "withdraw a conflict of interest")
    get_call(uow, command.call_id, for_update=True)
    _require_undecided(uow, command.call_id, "conflicts of interest")
    key = (command.call_id, command.application_id, command.member_id)
    existing = uow.conflicts.get(key)
    if existing is None:
        raise NotFound(f"{command.member_id!r} has declared no conflict for {command.application_id}.")
    uow.conflicts.remove(key)
    uow.audit.record(call_id=command.call_id, at=clock(), actor=actor_key(command.actor_role, command.actor_subject),
                     action="conflict.withdrawn", application_id=command.application_id,
                     member_id=command.member_id, details={"reason": existing.reason})
    refresh_ranking(uow, command.call_id, [command.application_id])
    uow.commit()
    return existing


# --- reviews -------------------------------------------------------------------------------------
def _require_reviews_open(uow, call: Call) -> None:
    if not call.is_closed:
        raise Conflict("Reviews open when the call has closed; this call is still open.")
    _require_undecided(uow, call.id, "reviews")


def write_review(command: WriteReview, uow, clock) -> tuple[Review, bool]:
    """Create or replace a member's review; returns (the review, whether it is new)."""
    require_own(command.actor_role, command.actor_subject, command.member_id, "write reviews")
    call = get_call(uow, command.call_id, for_update=True)
    _require_reviews_open(uow, call)
    panel = get_panel(uow, command.call_id)
    candidate = get_candidate(uow, command.call_id, command.application_id)
    if candidate.is_withdrawn:
        raise Conflict(f"{candidate.name} has withdrawn its application.", field="application_id")
    review = Review(member_id=command.member_id, application_id=command.application_id, scores=command.scores,
                    comment=command.comment or "", abstained=command.abstain)
    validate_review(panel, review, uow.conflicts.for_call(command.call_id))

    now = clock()
    key = (command.call_id, command.application_id, command.member_id)
    before = uow.reviews.get(key, for_update=True)
    review = replace(review, scores=None if review.abstained else dict(review.scores or {}), call_id=command.call_id,
                     created_at=now if before is None else before.created_at, updated_at=now,
                     updated_by=actor_key(command.actor_role, command.actor_subject))
    if before is None:
        uow.reviews.add(review)
    else:
        uow.reviews.save(review)
    refresh_ranking(uow, command.call_id, [command.application_id])
    uow.audit.record(call_id=command.call_id, at=now, actor=review.updated_by,
                     action="review.written" if before is None else "review.changed",
                     application_id=command.application_id, member_id=command.member_id,
                     details={"before": _review_content(before), "after": _review_content(review)})
    uow.commit()
    return uow.reviews.get(key), before is None


def _review_content(review: Review | None) -> dict | None:
    if review is None:
        return None
    return {"scores": review.scores, "abstained": review.abstained, "comment": review.comment}


def review_score(uow, call_id: str, review: Review) -> float | None:
    """A review's weighted score under the panel's current criteria (None for an abstention)."""
    panel = uow.panels.get(call_id)
    if panel is None:
        return None
    try:
        return weighted_review_score(panel, review)
    except DomainError:  # written under other criteria: not comparable any more
        return None
