"""HTTP entry points of the selection service: parse -> command -> bus -> response.

Only the office (staff) and the steering group (steering) use this API; every other role gets 403.
A steering token's subject is the panel member id. A member sees only the calls whose panel it sits on
(any other call answers 404, as an unknown one does: `on_panel`), writes only its own reviews and
conflicts, and reads only its own reviews until the decision closes the review; then it reads every
member's, the ranking and the proposal (blind review). docs/authorization-policy.yaml has every operation.
"""
from __future__ import annotations

from functools import wraps

from flask.views import MethodView

from services.selection import handlers
from services.selection.privacy import PRIVACY_BLUEPRINT
from services.selection.domain import SCORE_MAX, SCORE_MIN, default_criteria
from services.selection.schemas import (AmendmentPostSchema, AmendmentSchema, AuditEntrySchema, BalanceRulePutSchema, BalanceRuleSchema, CallQuerySchema,
                                        CallSchema, CandidateQuerySchema, CandidateSchema, ConflictPostSchema,
                                        ConflictSchema, CriteriaDefaultsSchema, DecisionPostSchema, DecisionSchema,
                                        PanelPutSchema, PanelSchema, ProposalSchema, RankingSchema, ReviewPutSchema,
                                        ReviewQuerySchema, ReviewSchema, VacancySchema)
from shared.auth import Principal, current_principal, require_role, roles_required
from shared.errors import NotFound
from shared.web import ServiceBlueprint, context, idempotent, read

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
    return context().extras["bus"].handle(command)


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


# --- calls and candidates ------------------------------------------------------------------------
def call_view(uow, call: dict) -> dict:
    decided = uow.decisions.get(call["id"]) is not None
    _, live = uow.candidates.rows_for_call(call["id"], limit=0)
    return dict(call, candidates=live, panel_set=uow.panels.get(call["id"]) is not None, decided=decided,
                reviews_open=call["status"] == "closed" and not decided)


@calls_blp.route("")
class Calls(MethodView):
    @roles_required(*READERS)
    @calls_blp.arguments(CallQuerySchema, location="query")
    @calls_blp.response(200, CallSchema(many=True))
    @calls_blp.paginate()
    def get(self, query, pagination_parameters):
        """The calls the selection knows from the applications events, newest first (a steering member's:
        the calls whose panel it sits on)."""
        principal = require_role(*READERS)
        member = principal.subject if principal.role == "steering" else None

        def fetch(uow):
            rows, total = uow.calls.list(status=query.get("status"), offset=pagination_parameters.first_item,
                                         limit=pagination_parameters.page_size, panel_member=member)
            return [call_view(uow, row) for row in rows], total

        items, total = read(fetch)
        pagination_parameters.item_count = total
        return items


@calls_blp.route("/<call_id>")
class CallItem(MethodView):
    @roles_required(*READERS)
    @on_panel
    @calls_blp.response(200, CallSchema)
    def get(self, call_id):
        """The call as the selection knows it from the applications events, and where its selection stands."""
        require_role(*READERS)

        return read(lambda uow: call_view(uow, handlers.get_call(uow, call_id)))


@calls_blp.route("/<call_id>/candidates")
class Candidates(MethodView):
    @roles_required(*READERS)
    @on_panel
    @calls_blp.arguments(CandidateQuerySchema, location="query")
    @calls_blp.response(200, CandidateSchema(many=True))
    @calls_blp.paginate()
    def get(self, query, call_id, pagination_parameters):
        """The live candidates of a call (withdrawn applications are none), with their review progress."""
        require_role(*READERS)

        def fetch(uow):
            handlers.get_call(uow, call_id)
            rows, total = uow.candidates.page_for_call(
                call_id, size_class=query.get("size_class"), offset=pagination_parameters.first_item,
                limit=pagination_parameters.page_size)
            members, reviews, conflicted = _review_context(uow, call_id)
            return [candidate_view(row, members, reviews, conflicted) for row in rows], total

        items, total = read(fetch)
        pagination_parameters.item_count = total
        return items


@calls_blp.route("/<call_id>/candidates/<application_id>")
class CandidateItem(MethodView):
    @roles_required(*READERS)
    @on_panel
    @calls_blp.response(200, CandidateSchema)
    def get(self, call_id, application_id):
        """One live candidate."""
        require_role(*READERS)

        def fetch(uow):
            handlers.get_call(uow, call_id)
            row = handlers.get_candidate_row(uow, call_id, application_id)
            if row["status"] != "submitted":
                raise NotFound(f"{row['name']} has withdrawn its application; it is no candidate.",
                               field="application_id")
            return candidate_view(row, *_review_context(uow, call_id))

        return read(fetch)


# --- panel, criteria, balance rule ---------------------------------------------------------------
@criteria_blp.route("/defaults")
class DefaultCriteria(MethodView):
    @roles_required(*READERS)
    @criteria_blp.response(200, CriteriaDefaultsSchema)
    def get(self):
        """The default criteria for strategy calls, used when a panel is set without criteria."""
        require_role(*READERS)
        return {"criteria": [{"key": c.key, "label": c.label, "weight": c.weight} for c in default_criteria()],
                "scale": {"min": SCORE_MIN, "max": SCORE_MAX, "whole_numbers": True}}


@panel_blp.route("/<call_id>/panel")
class PanelItem(MethodView):
    @roles_required(*READERS)
    @on_panel
    @panel_blp.response(200, PanelSchema)
    def get(self, call_id):
        """The steering group of the call and its criteria (e-mail addresses for the office only)."""
        principal = require_role(*READERS)

        def fetch(uow):
            handlers.get_call(uow, call_id)
            found = uow.panels.get(call_id)
            if found is None:
                raise NotFound("The steering group of this call has not been set yet.", field="panel")
            return panel_view(call_id, found, principal)

        return read(fetch)

    @roles_required("staff")
    @panel_blp.arguments(PanelPutSchema)
    @panel_blp.response(200, PanelSchema)
    @panel_blp.alt_response(409, description="Decided; or a change would orphan reviews or change scored criteria.")
    def put(self, body, call_id):
        """Set the steering group: members, criteria (default ones when omitted) and quorum (staff)."""
        principal = require_role("staff")
        found = dispatch(handlers.SetPanel(call_id=call_id, members=body["members"], criteria=body.get("criteria"),
                                           quorum=body["quorum"], actor=actor(principal)))
        return panel_view(call_id, found, principal)


@panel_blp.route("/<call_id>/balance-rule")
class BalanceRuleItem(MethodView):
    @roles_required(*READERS)
    @on_panel
    @panel_blp.response(200, BalanceRuleSchema)
    def get(self, call_id):
        """The balance rule of the call; by default at least one small, one medium and one large town."""
        require_role(*READERS)

        def fetch(uow):
            handlers.get_call(uow, call_id)
            rule, _ = handlers.rule_for(uow, call_id)
            found = uow.balance_rules.get(call_id)
            return rule_view(call_id, rule, found[1] if found else None)

        return read(fetch)

    @roles_required("staff")
    @panel_blp.arguments(BalanceRulePutSchema)
    @panel_blp.response(200, BalanceRuleSchema)
    @panel_blp.alt_response(409, description="The decision has been recorded.")
    def put(self, body, call_id):
        """Set the balance rule (staff): minimum and maximum places per size class; `{}` for none."""
        principal = require_role("staff")
        dispatch(handlers.SetBalanceRule(call_id=call_id, minimum=body["minimum"], maximum=body["maximum"],
                                         actor=actor(principal)))
        return read(lambda uow: rule_view(call_id, uow.balance_rules.get(call_id)[0],
                                          uow.balance_rules.get(call_id)[1]))


# --- conflicts and reviews -----------------------------------------------------------------------
@reviews_blp.route("/<call_id>/candidates/<application_id>/conflicts/<member_id>")
class ConflictItem(MethodView):
    @roles_required(*READERS)
    @on_panel
    @reviews_blp.arguments(ConflictPostSchema)
    @reviews_blp.response(201, ConflictSchema)
    @reviews_blp.alt_response(200, schema=ConflictSchema, description="Already declared; the first record stands.")
    def post(self, body, call_id, application_id, member_id):
        """Declare a member's conflict of interest for a candidate (staff, or the member itself).

        The member can no longer review that candidate, and any review already written stops counting.
        """
        principal = require_role(*READERS)
        record, created = dispatch(handlers.DeclareConflict(
            call_id=call_id, application_id=application_id, member_id=member_id, reason=body["reason"],
            actor_role=principal.role, actor_subject=principal.subject))
        return record, 201 if created else 200

    @roles_required(*READERS)
    @on_panel
    @reviews_blp.response(200, ConflictSchema)
    @reviews_blp.alt_response(409, description="The decision has been recorded; conflicts can no longer change.")
    def delete(self, call_id, application_id, member_id):
        """Withdraw a declared conflict of interest (staff, or the member itself) before the decision."""
        principal = require_role(*READERS)
        return dispatch(handlers.WithdrawConflict(
            call_id=call_id, application_id=application_id, member_id=member_id,
            actor_role=principal.role, actor_subject=principal.subject))


@reviews_blp.route("/<call_id>/conflicts")
class Conflicts(MethodView):
    @roles_required(*READERS)
    @on_panel
    @reviews_blp.response(200, ConflictSchema(many=True))
    @reviews_blp.paginate()
    def get(self, call_id, pagination_parameters):
        """The declared conflicts of interest of the call, in the order they were declared: all for the
        office, one's own for a steering member."""
        principal = require_role(*READERS)
        member_id = principal.subject if principal.role == "steering" else None

        def fetch(uow):
            handlers.get_call(uow, call_id)
            return uow.conflicts.rows(call_id, member_id=member_id)

        rows = read(fetch)
        pagination_parameters.item_count = len(rows)
        first = pagination_parameters.first_item
        return rows[first:first + pagination_parameters.page_size]


@reviews_blp.route("/<call_id>/candidates/<application_id>/reviews/<member_id>")
class ReviewItem(MethodView):
    @roles_required(*READERS)
    @on_panel
    @reviews_blp.response(200, ReviewSchema)
    def get(self, call_id, application_id, member_id):
        """One review: the office reads all; a member of the panel its own, and the others' once the
        decision has closed the review (blind review)."""
        principal = require_role(*READERS)
        if member_id != principal.subject:
            blind_until_decided(principal, call_id, "another member's review")

        def fetch(uow):
            handlers.get_call(uow, call_id)
            row = uow.reviews.get(call_id, application_id, member_id)
            if row is None:
                raise NotFound(f"{member_id} has not reviewed {application_id}.")
            return review_view(uow, call_id, row)

        return read(fetch)

    @roles_required("steering")
    @on_panel
    @reviews_blp.arguments(ReviewPutSchema)
    @reviews_blp.response(200, ReviewSchema)
    @reviews_blp.alt_response(201, schema=ReviewSchema, description="The member's first review of the candidate.")
    @reviews_blp.alt_response(409, description="The call is still open, or the decision locked the reviews.")
    def put(self, body, call_id, application_id, member_id):
        """Write or replace one's own review: a score 0..5 per criterion and a comment, or an abstention."""
        principal = require_role("steering")
        row, created = dispatch(handlers.WriteReview(
            call_id=call_id, application_id=application_id, member_id=member_id, scores=body["scores"],
            comment=body["comment"], abstain=body["abstain"], actor_role=principal.role,
            actor_subject=principal.subject))
        return read(lambda uow: review_view(uow, call_id, row)), 201 if created else 200


def _list_reviews(call_id, principal, pagination_parameters, *, application_id=None, member_id=None):
    """All for the office; for a member of the panel its own until the decision closes the review, and
    every member's afterwards (blind review)."""
    if principal.role == "steering" and not read(lambda uow: handlers.review_closed(uow, call_id)):
        if member_id not in (None, principal.subject):
            blind_until_decided(principal, call_id, "another member's review")
        member_id = principal.subject

    def fetch(uow):
        handlers.get_call(uow, call_id)
        rows = uow.reviews.rows(call_id, application_id=application_id, member_id=member_id,
                                offset=pagination_parameters.first_item, limit=pagination_parameters.page_size)
        total = uow.reviews.count(call_id, application_id=application_id, member_id=member_id)
        return [review_view(uow, call_id, row) for row in rows], total

    items, total = read(fetch)
    pagination_parameters.item_count = total
    return items


@reviews_blp.route("/<call_id>/candidates/<application_id>/reviews")
class CandidateReviews(MethodView):
    @roles_required(*READERS)
    @on_panel
    @reviews_blp.response(200, ReviewSchema(many=True))
    @reviews_blp.paginate()
    def get(self, call_id, application_id, pagination_parameters):
        """The reviews of one candidate: all for the office; one's own for a member of the panel, every
        member's once the decision has closed the review."""
        principal = require_role(*READERS)
        return _list_reviews(call_id, principal, pagination_parameters, application_id=application_id)


@reviews_blp.route("/<call_id>/reviews")
class CallReviews(MethodView):
    @roles_required(*READERS)
    @on_panel
    @reviews_blp.arguments(ReviewQuerySchema, location="query")
    @reviews_blp.response(200, ReviewSchema(many=True))
    @reviews_blp.paginate()
    def get(self, query, call_id, pagination_parameters):
        """The reviews of a call, by candidate and member: all for the office; one's own for a member of the
        panel, every member's once the decision has closed the review."""
        principal = require_role(*READERS)
        return _list_reviews(call_id, principal, pagination_parameters, application_id=query.get("application_id"),
                             member_id=query.get("member_id"))


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
            found = uow.panels.get(call_id)
            criteria = found[0].criteria if found else default_criteria()
            rows, total = uow.ranking.page(call_id, offset=first, limit=pagination_parameters.page_size)
            return {"call_id": call_id,
                    "criteria": [{"key": c.key, "label": c.label, "weight": c.weight} for c in criteria],
                    "tie_break": list(handlers.TIE_BREAK),
                    "entries": [handlers.kept_ranking_line(first + i, row) for i, row in enumerate(rows, start=1)]
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
            found = uow.balance_rules.get(call_id)
            return {
                "call_id": call_id, "places": proposal.places,
                "balance_rule": rule_view(call_id, evaluation.rule, found[1] if found else None),
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
            return dict(decision, vacated=[p.vacated_id for p in proposals])

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
            actor=actor(principal)))


def _candidate_line(evaluation, application_id: str | None) -> dict | None:
    if application_id is None:
        return None
    row = evaluation.candidates[application_id]
    entry = next((e for e in evaluation.ranking if e.application_id == application_id), None)
    return {"application_id": application_id, "name": row["name"], "size_class": row["size_class"],
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
            return uow.decisions.amendments(call_id)

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
            deviation_reason=body["deviation_reason"], actor=actor(principal)))


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


BLUEPRINTS = [calls_blp, panel_blp, criteria_blp, reviews_blp, decision_blp, PRIVACY_BLUEPRINT]
