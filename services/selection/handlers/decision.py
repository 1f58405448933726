"""The decision, places vacated after it, and their successors (amendments)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from services.selection.domain import (
    RecordedAmendment,
    RecordedDecision,
    may_amend,
    may_decide,
    propose_successor,
    quorum_for,
    vacancies,
    validate_amendment,
    validate_decision,
)
from services.selection.handlers.checks import get_call
from services.selection.handlers.commands import _event
from services.selection.handlers.ranking import evaluate, ranking_line
from shared.errors import DomainError, NotFound

if TYPE_CHECKING:
    from services.selection.domain import Call, Candidate, Decision
    from services.selection.handlers.commands import AmendDecision, RecordDecision
    from services.selection.handlers.ranking import Evaluation


# --- decision ------------------------------------------------------------------------------------
def record_decision(command: RecordDecision, uow, clock) -> RecordedDecision:
    call = get_call(uow, command.call_id, for_update=True)
    now = clock()
    panel = may_decide(call.status, call.closed_at, uow.decisions.get(command.call_id) is not None,
                       uow.panels.get(command.call_id), command.decided_at, now)
    quorum = quorum_for(panel, panel.quorum)
    evaluation = evaluate(uow, command.call_id)
    try:
        decision = validate_decision(
            evaluation.judged, evaluation.proposal,
            command.selected, call.places, command.rationale, command.deviation_reason,
            command.present_member_ids, panel, quorum)
    except DomainError as error:  # the command calls the domain's `selected_ids` `selected`
        if error.field and error.field.startswith("selected_ids"):
            error.field = "selected" + error.field.removeprefix("selected_ids")
        raise

    selected = set(decision.selected_ids)
    lines = [dict(ranking_line(entry, evaluation.candidates[entry.application_id]),
                  selected=entry.application_id in selected) for entry in evaluation.ranking]
    uow.decisions.add(RecordedDecision.of(decision, call_id=command.call_id, decided_at=command.decided_at,
                                          quorum=quorum, ranking=lines, recorded_at=now, recorded_by=command.actor))
    _emit_decision(uow, command, call, decision, evaluation, lines)
    uow.audit.record(call_id=command.call_id, at=now, actor=command.actor, action="decision.recorded",
                     details={"selected": list(decision.selected_ids), "proposed": list(decision.proposed_ids),
                              "deviation_reason": decision.deviation_reason,
                              "present_member_ids": list(decision.present_member_ids), "quorum": quorum})
    uow.commit()
    return uow.decisions.get(command.call_id)


def _emit_decision(uow, command: RecordDecision, call: Call, decision: Decision, evaluation: Evaluation,
                   lines: list[dict]) -> None:
    """ApplicationSelected and ApplicationNotSelected for each candidate, and the SelectionCompleted summary."""
    by_id = {entry.application_id: entry for entry in evaluation.ranking}
    for application_id in decision.selected_ids:
        entry, candidate = by_id[application_id], evaluation.candidates[application_id]
        uow.emit(_event("ApplicationSelected", {
            "call_id": command.call_id, "application_id": application_id, "municipality": _municipality(candidate),
            "rank": entry.position,
            "workshops_per_place": call.workshops_per_place, "decided_at": command.decided_at}))
    for application_id in decision.not_selected_ids:
        entry, candidate = by_id[application_id], evaluation.candidates[application_id]
        uow.emit(_event("ApplicationNotSelected", {
            "call_id": command.call_id, "application_id": application_id, "municipality": _municipality(candidate),
            "rank": entry.position, "may_attend_workshops": True,
            "decided_at": command.decided_at}))
    uow.emit(_event("SelectionCompleted", {
        "call_id": command.call_id, "call_title": call.title, "topic": call.topic, "places": call.places,
        "selected": list(decision.selected_ids),
        # v2: the outcome in rank order, without scores or review counts (the review stays confidential)
        "ranking": [{"application_id": line["application_id"], "ags": line["ags"], "name": line["name"],
                     "size_class": line["size_class"], "rank": line["rank"], "selected": line["selected"]}
                    for line in lines],
        "rationale": decision.rationale, "deviation_reason": decision.deviation_reason,
        "decided_at": command.decided_at}))


# --- places vacated after the decision, and their successors -------------------------------------
def vacate_place(uow, candidate: Candidate, withdrawn_at: datetime) -> bool:
    """From ApplicationWithdrawn (inside the consumer's transaction): if the decision selected this
    application, its place is vacant now. Told once, even when the projection is rebuilt from the topic."""
    decision = uow.decisions.get(candidate.call_id)
    application_id = candidate.application_id
    if decision is None or application_id not in decision.selected:
        return False
    if uow.audit.has(candidate.call_id, "decision.place_vacated", application_id):
        return False
    uow.emit(_event("PlaceVacated", {"call_id": candidate.call_id, "application_id": application_id,
                                     "municipality": _municipality(candidate), "reason": "withdrawn",
                                     "vacated_at": withdrawn_at}))
    uow.audit.record(call_id=candidate.call_id, at=withdrawn_at, actor="applications:withdrawal",
                     action="decision.place_vacated", application_id=application_id,
                     details={"reason": "withdrawn"})
    return True


def successor_proposals(uow, call_id: str) -> tuple[Evaluation, list]:
    """Every vacated place of the decided call with the successor proposed for it."""
    evaluation = evaluate(uow, call_id)
    decision = uow.decisions.get(call_id)
    if decision is None:
        raise NotFound("No decision has been recorded for this call yet.")
    return evaluation, [propose_successor(evaluation.ranking, decision.selected, vacated, evaluation.rule)
                        for vacated in vacancies(decision.selected, evaluation.judged)]


def amend_decision(command: AmendDecision, uow, clock) -> RecordedAmendment:
    """Name a successor for a vacated place: the same checks and the same events as the decision itself,
    for one place. The successor gets ApplicationSelected (so its workshops and letter follow)."""
    call = get_call(uow, command.call_id, for_update=True)
    decision = uow.decisions.get(command.call_id)
    now = clock()
    may_amend(decision.decided_at if decision else None, command.decided_at, now)
    panel = uow.panels.get(command.call_id)
    evaluation = evaluate(uow, command.call_id)
    proposal = propose_successor(evaluation.ranking, decision.selected, command.vacated_application_id,
                                 evaluation.rule)
    quorum = quorum_for(panel, panel.quorum)
    amendment = validate_amendment(
        evaluation.judged, decision.selected, proposal,
        command.successor_application_id, command.rationale, command.deviation_reason,
        command.present_member_ids, panel, quorum)

    amendment_id = str(uuid.uuid4())
    candidates = evaluation.candidates
    vacated, successor = candidates[amendment.vacated_id], candidates[amendment.successor_id]
    entry = next(e for e in evaluation.ranking if e.application_id == amendment.successor_id)
    uow.decisions.save(decision.amended(amendment))
    uow.amendments.add(RecordedAmendment.of(amendment, id=amendment_id, call_id=command.call_id,
                                            decided_at=command.decided_at, quorum=quorum, recorded_at=now,
                                            recorded_by=command.actor))
    uow.emit(_event("ApplicationSelected", {
        "call_id": command.call_id, "application_id": amendment.successor_id,
        "municipality": _municipality(successor), "rank": entry.position,
        "workshops_per_place": call.workshops_per_place, "decided_at": command.decided_at,
        "succeeds_application_id": amendment.vacated_id}))
    uow.emit(_event("DecisionAmended", {
        "call_id": command.call_id, "amendment_id": amendment_id, "vacated": _municipality(vacated),
        "vacated_application_id": amendment.vacated_id, "successor": _municipality(successor),
        "successor_application_id": amendment.successor_id, "selected": list(amendment.selected_ids),
        "selected_municipalities": [candidates[a].name for a in amendment.selected_ids],
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


def amendment_view(uow, call_id: str, amendment_id: str) -> RecordedAmendment:
    return uow.amendments.get(amendment_id)


def _municipality(candidate: Candidate) -> dict:
    return {"ags": candidate.ags, "name": candidate.name, "population": candidate.population,
            "size_class": candidate.size_class}
