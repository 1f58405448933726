"""Selection's blueprints and the views of stored state they share."""
from __future__ import annotations

from functools import wraps

from services.selection import handlers
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


def actor(principal: Principal) -> str:
    return handlers.actor_name(principal.role, principal.subject)


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
def review_progress(row: dict, members: list[str], reviews: list[dict], conflicted: set[tuple[str, str]]) -> dict:
    application_id = row["application_id"]
    counted = [r for r in reviews if r["application_id"] == application_id and r["member_id"] in members
               and (application_id, r["member_id"]) not in conflicted]
    expected = [m for m in members if (application_id, m) not in conflicted]
    written = {r["member_id"] for r in counted}
    return {
        "expected": len(expected),
        "reviewed": sum(1 for r in counted if not r["abstained"]),
        "abstained": sum(1 for r in counted if r["abstained"]),
        "conflicts": sum(1 for a, m in conflicted if a == application_id and m in members),
        "missing_member_ids": [m for m in expected if m not in written],
        "complete": all(m in written for m in expected) and bool(expected),
    }


def candidate_view(row: dict, members, reviews, conflicted) -> dict:
    return {
        "application_id": row["application_id"], "call_id": row["call_id"],
        "municipality": {"ags": row["ags"], "name": row["name"], "population": row["population"]},
        "size_class": row["size_class"], "focus_areas": row["focus_areas"], "statement": row["statement"],
        "partners": row["partners"], "submitted_at": row["submitted_at"],
        "review_progress": review_progress(row, members, reviews, conflicted),
    }


def _review_context(uow, call_id: str):
    found = uow.panels.get(call_id)
    members = [m.id for m in found[0].members] if found else []
    conflicted = {(c.application_id, c.member_id) for c in uow.conflicts.for_call(call_id)}
    return members, uow.reviews.rows(call_id), conflicted


def panel_view(call_id: str, found, principal: Principal) -> dict:
    panel, settings = found
    return {
        "call_id": call_id,
        "members": [{"id": m.id, "name": m.name, "institution": m.institution,
                     "email": m.email if principal.is_staff else None, "role": m.role} for m in panel.members],
        "criteria": [{"key": c.key, "label": c.label, "weight": c.weight} for c in panel.criteria],
        "quorum": handlers.quorum_of(panel, settings), "quorum_is_default": settings["quorum"] is None,
        "updated_at": settings["updated_at"], "updated_by": settings["updated_by"],
    }


def rule_view(call_id: str, rule, found_row: dict | None) -> dict:
    return {"call_id": call_id, "minimum": dict(rule.minimum), "maximum": dict(rule.maximum),
            "is_default": found_row is None,
            "updated_at": found_row["updated_at"] if found_row else None,
            "updated_by": found_row["updated_by"] if found_row else None}


def review_view(uow, call_id: str, row: dict) -> dict:
    conflicted = uow.conflicts.get(call_id, row["application_id"], row["member_id"]) is not None
    return dict(row, weighted_score=handlers.review_score(uow, call_id, row), counts=not conflicted)
