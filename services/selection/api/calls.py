"""Calls and candidates."""
from __future__ import annotations

from dataclasses import asdict

from flask.views import MethodView

from services.selection import handlers
from services.selection.api.common import READERS, _review_context, calls_blp, candidate_view, on_panel
from services.selection.domain import Call
from services.selection.schemas import (
    CallQuerySchema,
    CallSchema,
    CandidateQuerySchema,
    CandidateSchema,
)
from shared import keyset
from shared.auth import require_role, roles_required
from shared.errors import NotFound
from shared.web import read


# --- calls and candidates ------------------------------------------------------------------------
def call_view(uow, call: Call) -> dict:
    decided = uow.decisions.get(call.id) is not None
    return dict(asdict(call), candidates=uow.candidates.count_live(call.id),
                panel_set=uow.panels.get(call.id) is not None, decided=decided,
                reviews_open=call.is_closed and not decided)


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
            found, total = uow.calls.list(status=query.get("status"), offset=pagination_parameters.first_item,
                                          limit=pagination_parameters.page_size, panel_member=member)
            return [call_view(uow, call) for call in found], total

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
    @calls_blp.response(200, CandidateSchema(many=True), headers=keyset.HEADERS_DOC)
    @calls_blp.paginate()
    def get(self, query, call_id, pagination_parameters):
        """The live candidates of a call (withdrawn applications are none) in the order they applied, with
        their review progress; by page, or by position (`after`, for long lists)."""
        require_role(*READERS)

        def fetch(uow):
            handlers.get_call(uow, call_id)
            page = uow.candidates.page_for_call(
                call_id, size_class=query.get("size_class"), offset=pagination_parameters.first_item,
                limit=pagination_parameters.page_size, after=query.get("after"))
            members, reviews, conflicted = _review_context(uow, call_id)
            return [candidate_view(candidate, members, reviews, conflicted) for candidate in page.rows], page

        items, page = read(fetch)
        pagination_parameters.item_count = page.item_count
        return items, page.headers()


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
            candidate = handlers.get_candidate(uow, call_id, application_id)
            if candidate.is_withdrawn:
                raise NotFound(f"{candidate.name} has withdrawn its application; it is no candidate.",
                               field="application_id")
            return candidate_view(candidate, *_review_context(uow, call_id))

        return read(fetch)
