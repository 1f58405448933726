"""Checks every use case of selection shares: the call, the panel, the candidate, ownership, quorum."""
from __future__ import annotations

from services.selection.domain import (
    BalanceRule,
    Call,
    Candidate,
    Panel,
    quorum_for,
    smart_city_rule,
)
from shared.errors import Conflict, Forbidden, NotFound


# --- shared checks -------------------------------------------------------------------------------
def get_call(uow, call_id: str, *, for_update: bool = False) -> Call:
    call = uow.calls.get(call_id, for_update=for_update)
    if call is None:
        raise NotFound(f"No call {call_id} is known to the selection (it learns of calls when they open).")
    return call


def require_on_panel(uow, call_id: str, member_id: str) -> None:
    """A steering member acts only on the calls whose panel it sits on. Any other call answers exactly as
    an unknown one does: which calls exist beyond its own panels is none of its business."""
    panel = uow.panels.get(call_id)
    if panel is None or panel.member(member_id) is None:
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
    panel = uow.panels.get(call_id)
    if panel is None:
        raise Conflict("The steering group of this call has not been set yet.", field="panel")
    return panel


def get_candidate(uow, call_id: str, application_id: str) -> Candidate:
    """A candidate of this call, live or withdrawn (else NotFound)."""
    candidate = uow.candidates.get(application_id)
    if candidate is None or candidate.call_id != call_id:
        raise NotFound(f"No candidate {application_id} in this call.", field="application_id")
    return candidate


def require_own(actor_role: str, actor_subject: str, member_id: str, what: str) -> None:
    if actor_role == "steering" and actor_subject != member_id:
        raise Forbidden(f"A steering member may {what} only for themselves (the token's subject).",
                        field="member_id")


def quorum_of(panel: Panel) -> int:
    """The quorum of the stored panel: the domain's rule, `quorum_for`, on the quorum set with it."""
    return quorum_for(panel, panel.quorum)


def rule_for(uow, call_id: str) -> tuple[BalanceRule, bool]:
    """The call's balance rule and whether it was set explicitly (else the smart-city default)."""
    rule = uow.balance_rules.get(call_id)
    return (rule, True) if rule is not None else (smart_city_rule(), False)
