"""Decision notices, decision letters, notice templates and enquiries."""
from __future__ import annotations

from dataclasses import asdict

from flask.views import MethodView

from services.publishing import handlers
from services.publishing.api.common import enquiries_blp, notices_blp
from services.publishing.domain import Notice
from services.publishing.schemas import (
    EnquiryCreateSchema,
    EnquirySchema,
    NoticeQuerySchema,
    NoticeSchema,
    NoticeTemplateSchema,
    NoticeTemplateUpdateSchema,
)
from shared.auth import require_role, roles_required
from shared.errors import NotFound
from shared.web import dispatch, public, read


# --- decision notices ----------------------------------------------------------------------------
def notice_view(uow, notice: Notice) -> dict:
    subject, text = handlers.render_notice(uow, notice)
    recipient = {"email": notice.recipient_email, "name": notice.recipient_name} if notice.recipient_email else None
    return {
        "id": notice.id, "kind": notice.kind, "status": notice.status, "call_id": notice.call_id,
        "application_id": notice.application_id, "municipality": {"ags": notice.ags, "name": notice.municipality_name},
        "may_attend_workshops": notice.may_attend_workshops, "subject": subject, "text": text,
        "recipient": recipient, "created_at": notice.created_at, "reviewed_at": notice.reviewed_at,
        "reviewed_by": notice.reviewed_by, "sent_at": notice.sent_at, "last_error": notice.last_error,
    }


@notices_blp.route("/notices")
class Notices(MethodView):
    @roles_required("staff")
    @notices_blp.arguments(NoticeQuerySchema, location="query")
    @notices_blp.response(200, NoticeSchema(many=True))
    @notices_blp.paginate()
    def get(self, query, pagination_parameters):
        """Decision letters to the applicants, for review (staff)."""
        require_role("staff")

        def fetch(uow):
            found, total = uow.notices.list(status=query.get("status"), call_id=query.get("call_id"),
                                            offset=pagination_parameters.first_item,
                                            limit=pagination_parameters.page_size)
            return [notice_view(uow, notice) for notice in found], total

        items, pagination_parameters.item_count = read(fetch)
        return items


@notices_blp.route("/notices/<notice_id>")
class NoticeItem(MethodView):
    @roles_required("staff")
    @notices_blp.response(200, NoticeSchema)
    def get(self, notice_id):
        """One decision letter (staff)."""
        require_role("staff")
        return read(lambda uow: notice_view(uow, handlers.existing_notice(uow, notice_id)))


@notices_blp.route("/notices/<notice_id>/approve")
class ApproveNotice(MethodView):
    @roles_required("staff")
    @notices_blp.response(202, NoticeSchema)
    @notices_blp.alt_response(409, description="Not awaiting review, or the decision on the call is not final.")
    def post(self, notice_id):
        """Approve and send the letter (staff): the worker asks the applications service for the contact
        person and mails it; if that service is unreachable, the letter waits and is retried."""
        principal = require_role("staff")
        dispatch(handlers.ApproveNotice(notice_id, principal.actor))
        return read(lambda uow: notice_view(uow, handlers.existing_notice(uow, notice_id)))


@notices_blp.route("/notices/<notice_id>/discard")
class DiscardNotice(MethodView):
    @roles_required("staff")
    @notices_blp.response(200, NoticeSchema)
    @notices_blp.alt_response(409, description="The letter is already on its way or sent.")
    def post(self, notice_id):
        """Discard a letter that should not go out (staff)."""
        principal = require_role("staff")
        dispatch(handlers.DiscardNotice(notice_id, principal.actor))
        return read(lambda uow: notice_view(uow, handlers.existing_notice(uow, notice_id)))


@notices_blp.route("/decision-letters/<application_id>")
class DecisionLetter(MethodView):
    @roles_required("municipality", "staff")
    @notices_blp.response(200, NoticeSchema)
    @notices_blp.alt_response(404, description="No letter has been sent for this application (or not to you).")
    def get(self, application_id):
        """The decision letter sent for an application: the municipality itself (its token's AGS) or staff.
        Only once it has been sent; the portal shows it to the municipality."""
        principal = require_role("municipality", "staff")

        def fetch(uow):
            letter = uow.notices.sent_for_application(application_id)
            if letter is None or (not principal.is_staff and letter.ags != principal.ags):
                raise NotFound(f"No decision letter for {application_id}.")
            return notice_view(uow, letter)

        return read(fetch)


@notices_blp.route("/notice-templates/<kind>")
class NoticeTemplate(MethodView):
    @roles_required("staff")
    @notices_blp.response(200, NoticeTemplateSchema)
    def get(self, kind):
        """The letter template for `selected` or `not_selected` (staff), with its placeholders."""
        require_role("staff")
        return read(lambda uow: handlers.notice_template(uow, kind))

    @roles_required("staff")
    @notices_blp.arguments(NoticeTemplateUpdateSchema)
    @notices_blp.response(200, NoticeTemplateSchema)
    def put(self, body, kind):
        """Replace the letter template (staff); unknown placeholders are refused. Letters already approved
        keep the template they were approved with."""
        principal = require_role("staff")
        return dispatch(handlers.PutNoticeTemplate(kind, body["subject"], body["body"], principal.actor))


# --- enquiries -----------------------------------------------------------------------------------
@enquiries_blp.route("")
class Enquiries(MethodView):
    @public
    @enquiries_blp.doc(security=[])
    @enquiries_blp.arguments(EnquiryCreateSchema)
    @enquiries_blp.response(201, EnquirySchema)
    def post(self, body):
        """Ask the office for more information about Netzwerk vor Ort (public); acknowledged by mail."""
        return asdict(dispatch(handlers.SubmitEnquiry(**body)))

    @roles_required("staff")
    @enquiries_blp.response(200, EnquirySchema(many=True))
    @enquiries_blp.paginate()
    def get(self, pagination_parameters):
        """Enquiries, newest first (staff)."""
        require_role("staff")
        items, total = read(lambda uow: uow.enquiries.list(offset=pagination_parameters.first_item,
                                                           limit=pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [asdict(e) for e in items]
