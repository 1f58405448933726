"""Conflicts of interest and reviews."""
from __future__ import annotations

from flask.views import MethodView

from services.selection import handlers
from services.selection.api.common import READERS, blind_until_decided, dispatch, on_panel, review_view, reviews_blp
from services.selection.schemas import (
    ConflictPostSchema,
    ConflictSchema,
    ReviewPutSchema,
    ReviewQuerySchema,
    ReviewSchema,
)
from shared.auth import require_role, roles_required
from shared.errors import NotFound
from shared.web import read


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
            return uow.conflicts.for_call(call_id, member_id=member_id)

        declared = read(fetch)
        pagination_parameters.item_count = len(declared)
        first = pagination_parameters.first_item
        return declared[first:first + pagination_parameters.page_size]


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
            review = uow.reviews.get((call_id, application_id, member_id))
            if review is None:
                raise NotFound(f"{member_id} has not reviewed {application_id}.")
            return review_view(uow, call_id, review)

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
        review, created = dispatch(handlers.WriteReview(
            call_id=call_id, application_id=application_id, member_id=member_id, scores=body["scores"],
            comment=body["comment"], abstain=body["abstain"], actor_role=principal.role,
            actor_subject=principal.subject))
        return read(lambda uow: review_view(uow, call_id, review)), 201 if created else 200


def _list_reviews(call_id, principal, pagination_parameters, *, application_id=None, member_id=None):
    """All for the office; for a member of the panel its own until the decision closes the review, and
    every member's afterwards (blind review)."""
    if principal.role == "steering" and not read(lambda uow: handlers.review_closed(uow, call_id)):
        if member_id not in (None, principal.subject):
            blind_until_decided(principal, call_id, "another member's review")
        member_id = principal.subject

    def fetch(uow):
        handlers.get_call(uow, call_id)
        found = uow.reviews.for_call(call_id, application_id=application_id, member_id=member_id,
                                     offset=pagination_parameters.first_item, limit=pagination_parameters.page_size)
        total = uow.reviews.count(call_id, application_id=application_id, member_id=member_id)
        return [review_view(uow, call_id, review) for review in found], total

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
