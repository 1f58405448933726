"""Ranking, proposal, decision, vacancies, amendments and the audit log."""
from __future__ import annotations

from dataclasses import asdict

from flask.views import MethodView

from services.selection import handlers
from services.selection.api.common import READERS, blind_until_decided, decision_blp, dispatch, on_panel, rule_view
from services.selection.domain import default_criteria
from services.selection.schemas import (
    AmendmentPostSchema,
    AmendmentSchema,
    AuditEntrySchema,
    DecisionPostSchema,
    DecisionSchema,
    ProposalSchema,
    RankingSchema,
    VacancySchema,
)
from shared.auth import require_role, roles_required
from shared.errors import NotFound
from shared.web import idempotent, read


# --- ranking, proposal, decision, audit ----------------------------------------------------------
@decision_blp.route("/<call_id>/ranking")
class Ranking(MethodView):
    @roles_required(*READERS)
    @on_panel
    @decision_blp.response(200, RankingSchema)
    @decision_blp.paginate(page_size=100)
    def get(self, call_id, pagination_parameters):
        """The ranking, a page at a time (100 lines by default): weighted mean, counted reviews, spread and
        conflicts per candidate.

        Tie-break, in this order: higher weighted mean; more counted reviews; lower spread; earlier
        submission; application id ascending. Candidates without a counted review come last.
        The numbers are kept up to date by every review, conflict and panel change, so a page costs the
        same however many candidates the call has. The steering group sees it once the decision has closed
        the review (blind review: 403 before).
        """
        principal = require_role(*READERS)
        blind_until_decided(principal, call_id, "the ranking")
        first = pagination_parameters.first_item

        def fetch(uow):
            handlers.get_call(uow, call_id)
            panel = uow.panels.get(call_id)
            criteria = panel.criteria if panel else default_criteria()
            lines, total = uow.ranking.page(call_id, offset=first, limit=pagination_parameters.page_size)
            return {"call_id": call_id,
                    "criteria": [{"key": c.key, "label": c.label, "weight": c.weight} for c in criteria],
                    "tie_break": list(handlers.TIE_BREAK),
                    "entries": [handlers.ranking_line(line.entry, line) for line in lines]
                    }, total

        ranking, pagination_parameters.item_count = read(fetch)
        return ranking


@decision_blp.route("/<call_id>/proposal")
class ProposalItem(MethodView):
    @roles_required(*READERS)
    @on_panel
    @decision_blp.response(200, ProposalSchema)
    def get(self, call_id):
        """The best-scoring set of `places` candidates under the balance rule, and why it looks as it does.
        The steering group sees it once the decision has closed the review (blind review: 403 before)."""
        principal = require_role(*READERS)
        blind_until_decided(principal, call_id, "the proposal")

        def fetch(uow):
            evaluation = handlers.evaluate(uow, call_id)
            proposal = evaluation.proposal
            by_id = {e.application_id: e for e in evaluation.ranking}
            return {
                "call_id": call_id, "places": proposal.places,
                "balance_rule": rule_view(call_id, evaluation.rule, evaluation.rule_is_default),
                "selected": [handlers.ranking_line(by_id[a], evaluation.candidates[a]) for a in proposal.selected],
                "total_score": proposal.total_score,
                "relaxed": [{"size_class": r.size_class, "required": r.required, "applied": r.applied,
                             "reason": r.reason} for r in proposal.relaxed],
                "reasoning": list(proposal.reasoning),
            }

        return read(fetch)


@decision_blp.route("/<call_id>/decision")
class DecisionItem(MethodView):
    @roles_required(*READERS)
    @on_panel
    @decision_blp.response(200, DecisionSchema)
    def get(self, call_id):
        """The recorded decision."""
        require_role(*READERS)

        def fetch(uow):
            handlers.get_call(uow, call_id)
            decision = uow.decisions.get(call_id)
            if decision is None:
                raise NotFound("No decision has been recorded for this call yet.")
            _, proposals = handlers.successor_proposals(uow, call_id)
            return dict(asdict(decision), vacated=[p.vacated_id for p in proposals])

        return read(fetch)

    @roles_required("staff")
    @idempotent
    @decision_blp.arguments(DecisionPostSchema)
    @decision_blp.response(201, DecisionSchema)
    @decision_blp.alt_response(409, description="The call is still open, or the decision was already recorded.")
    @decision_blp.alt_response(422, description="Invalid decision; errors name the field.")
    def post(self, body, call_id):
        """Record the steering group's decision (staff). Final; emits ApplicationSelected,
        ApplicationNotSelected (may attend the workshops) and SelectionCompleted."""
        principal = require_role("staff")
        return dispatch(handlers.RecordDecision(
            call_id=call_id, selected=body["selected"], rationale=body["rationale"], decided_at=body["decided_at"],
            present_member_ids=body["present_member_ids"], deviation_reason=body["deviation_reason"],
            actor=principal.actor))


def _candidate_line(evaluation, application_id: str | None) -> dict | None:
    if application_id is None:
        return None
    candidate = evaluation.candidates[application_id]
    entry = next((e for e in evaluation.ranking if e.application_id == application_id), None)
    return {"application_id": application_id, "name": candidate.name, "size_class": candidate.size_class,
            "rank": entry.position if entry else None, "weighted_mean": entry.weighted_mean if entry else None}


@decision_blp.route("/<call_id>/decision/vacancies")
class Vacancies(MethodView):
    @roles_required(*READERS)
    @on_panel
    @decision_blp.response(200, VacancySchema(many=True))
    def get(self, call_id):
        """Places vacated since the decision (the municipality withdrew), each with the successor proposed
        under the call's balance rule and every candidate the rule allows."""
        require_role(*READERS)

        def fetch(uow):
            handlers.get_call(uow, call_id)
            evaluation, proposals = handlers.successor_proposals(uow, call_id)
            return [{"vacated": _candidate_line(evaluation, p.vacated_id),
                     "proposed_successor": _candidate_line(evaluation, p.successor_id),
                     "eligible": [_candidate_line(evaluation, a) for a in p.eligible_ids],
                     "required_size_class": p.required_class, "reasoning": p.reasoning} for p in proposals]

        return read(fetch)


@decision_blp.route("/<call_id>/decision/amendments")
class Amendments(MethodView):
    @roles_required(*READERS)
    @on_panel
    @decision_blp.response(200, AmendmentSchema(many=True))
    def get(self, call_id):
        """The amendments of the decision, oldest first."""
        require_role(*READERS)

        def fetch(uow):
            handlers.get_call(uow, call_id)
            return uow.amendments.for_call(call_id)

        return read(fetch)

    @roles_required("staff")
    @idempotent
    @decision_blp.arguments(AmendmentPostSchema)
    @decision_blp.response(201, AmendmentSchema)
    @decision_blp.alt_response(409, description="No decision yet, the place is not vacant, or the successor "
                                                "has withdrawn.")
    @decision_blp.alt_response(422, description="Invalid amendment; errors name the field.")
    def post(self, body, call_id):
        """Record the steering group's successor for a vacated place (staff). Under the call's balance rule;
        another than the proposed successor needs a deviation reason. Emits ApplicationSelected for the
        successor (its workshops and letter follow) and DecisionAmended."""
        principal = require_role("staff")
        return dispatch(handlers.AmendDecision(
            call_id=call_id, vacated_application_id=body["vacated_application_id"],
            successor_application_id=body["successor_application_id"], rationale=body["rationale"],
            decided_at=body["decided_at"], present_member_ids=body["present_member_ids"],
            deviation_reason=body["deviation_reason"], actor=principal.actor))


@decision_blp.route("/<call_id>/audit")
class Audit(MethodView):
    @roles_required("staff")
    @decision_blp.response(200, AuditEntrySchema(many=True))
    @decision_blp.paginate()
    def get(self, call_id, pagination_parameters):
        """Who changed which review, conflict, panel setting or decision, and when (staff), oldest first."""
        require_role("staff")

        def fetch(uow):
            handlers.get_call(uow, call_id)
            return uow.audit.list(call_id, offset=pagination_parameters.first_item,
                                  limit=pagination_parameters.page_size)

        items, total = read(fetch)
        pagination_parameters.item_count = total
        return items
