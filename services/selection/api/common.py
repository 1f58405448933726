"""Selection's blueprints and the views of stored state they share."""
from __future__ import annotations

from dataclasses import asdict
from functools import wraps

from services.selection import handlers
from services.selection.domain import BalanceRule, Candidate, Panel, Review
from shared.auth import Principal, current_principal
from shared.web import ServiceBlueprint, context, read

calls_blp = ServiceBlueprint("selection-calls", __name__, url_prefix="/v1/calls",
                             description="Calls as the selection knows them, and their candidates.")
panel_blp = ServiceBlueprint("panel", __name__, url_prefix="/v1/calls",
                             description="The steering group (panel), its criteria and the balance rule.")
criteria_blp = ServiceBlueprint("criteria", __name__, url_prefix="/v1/criteria",
                                description="Default criteria for strategy calls.")
reviews_blp = ServiceBlueprint("reviews", __name__, url_prefix="/v1/calls",
                               description="Reviews and conflicts of interest of the panel members.")
decision_blp = ServiceBlueprint("decision", __name__, url_prefix="/v1/calls",
                                description="Ranking, proposal, the decision and the audit trail.")

READERS = ("staff", "steering")


def dispatch(command):
    return context().bus.handle(command)



def on_panel(view):
    """For a steering member: the call of the path must be one whose panel it sits on (else 404). Checked
    before the body is read, so that another panel's member learns nothing from a validation error."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        principal = current_principal()
        if principal.role == "steering":
            read(lambda uow: handlers.require_on_panel(uow, kwargs["call_id"], principal.subject))
        return view(*args, **kwargs)

    return wrapper


def blind_until_decided(principal: Principal, call_id: str, what: str) -> None:
    if principal.role == "steering":
        read(lambda uow: handlers.require_review_closed(uow, call_id, what))


# --- views of stored state -----------------------------------------------------------------------
def review_progress(candidate: Candidate, members: list[str], reviews: list[Review],
                    conflicted: set[tuple[str, str]]) -> dict:
    application_id = candidate.application_id
    counted = [r for r in reviews if r.application_id == application_id and r.member_id in members
               and (application_id, r.member_id) not in conflicted]
    expected = [m for m in members if (application_id, m) not in conflicted]
    written = {r.member_id for r in counted}
    return {
        "expected": len(expected),
        "reviewed": sum(1 for r in counted if not r.abstained),
        "abstained": sum(1 for r in counted if r.abstained),
        "conflicts": sum(1 for a, m in conflicted if a == application_id and m in members),
        "missing_member_ids": [m for m in expected if m not in written],
        "complete": all(m in written for m in expected) and bool(expected),
    }


def candidate_view(candidate: Candidate, members, reviews, conflicted) -> dict:
    return {
        "application_id": candidate.application_id, "call_id": candidate.call_id,
        "municipality": {"ags": candidate.ags, "name": candidate.name, "population": candidate.population},
        "size_class": candidate.size_class, "focus_areas": list(candidate.focus_areas),
        "statement": candidate.statement, "partners": list(candidate.partners),
        "submitted_at": candidate.submitted_at,
        "review_progress": review_progress(candidate, members, reviews, conflicted),
    }


def _review_context(uow, call_id: str):
    panel = uow.panels.get(call_id)
    members = [m.id for m in panel.members] if panel else []
    conflicted = {(c.application_id, c.member_id) for c in uow.conflicts.for_call(call_id)}
    return members, uow.reviews.for_call(call_id), conflicted


def panel_view(call_id: str, panel: Panel, principal: Principal) -> dict:
    return {
        "call_id": call_id,
        "members": [{"id": m.id, "name": m.name, "institution": m.institution,
                     "email": m.email if principal.is_staff else None, "role": m.role} for m in panel.members],
        "criteria": [{"key": c.key, "label": c.label, "weight": c.weight} for c in panel.criteria],
        "quorum": handlers.quorum_of(panel), "quorum_is_default": panel.quorum is None,
        "updated_at": panel.updated_at, "updated_by": panel.updated_by,
    }


def rule_view(call_id: str, rule: BalanceRule, is_default: bool) -> dict:
    """The call's balance rule; the default has no `updated_at` and `updated_by`."""
    return {"call_id": call_id, "minimum": dict(rule.minimum), "maximum": dict(rule.maximum),
            "is_default": is_default, "updated_at": rule.updated_at, "updated_by": rule.updated_by}


def review_view(uow, call_id: str, review: Review) -> dict:
    conflicted = uow.conflicts.get((call_id, review.application_id, review.member_id)) is not None
    return dict(asdict(review), weighted_score=handlers.review_score(uow, call_id, review), counts=not conflicted)
