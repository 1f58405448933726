"""HTTP entry points of the publishing service's API: parse -> command -> bus -> response.

Public (no token, marked `@public`): the published publications, subscribing with its confirm and
unsubscribe links, and enquiries. Everything else is for the office (staff). The HTML results page and the
feeds are in pages.py.
"""
from __future__ import annotations

import json
from dataclasses import asdict

from flask import Response, request
from flask.views import MethodView

from services.publishing import handlers
from services.publishing.db import newsletter_from_row, publication_values
from services.publishing.domain import (NEWSLETTER_FINISHED, Publication, describe_segment, publication_url,
                                        read_token)
from services.publishing.html import render_page, wants_html
from services.publishing.schemas import (EnquiryCreateSchema, EnquirySchema, MemberCreateSchema, MemberQuerySchema,
                                         MemberSchema, NewsletterCreateSchema, NewsletterListQuerySchema,
                                         NewsletterQuerySchema, NewsletterSchema, NewsletterSendSchema,
                                         NewsletterTestSchema, NoticeQuerySchema, NoticeSchema,
                                         NoticeTemplateSchema, NoticeTemplateUpdateSchema, PreviewSchema,
                                         PublicationQuerySchema, PublicationSchema, PublicationUpdateSchema,
                                         QueuedSchema, RecipientListSchema, SubscriberQuerySchema,
                                         SubscriberSchema, SubscriptionCreateSchema, TokenQuerySchema)
from shared.auth import Principal, current_principal, require_role, roles_required
from shared.errors import DomainError, NotFound
from shared.privacy import privacy_blueprint
from shared.web import ServiceBlueprint, context, dispatch, idempotent, public, read

publications_blp = ServiceBlueprint("publications", __name__, url_prefix="/v1/publications",
                                    description="Published results (Ergebnisse) and drafts for the office.")
members_blp = ServiceBlueprint("members", __name__, url_prefix="/v1/members",
                               description="Members of the network: municipalities and partner organisations.")
subscriptions_blp = ServiceBlueprint("subscriptions", __name__, url_prefix="/v1/subscriptions",
                                     description="Subscriptions to results by topic, with double opt-in.")
newsletters_blp = ServiceBlueprint("newsletters", __name__, url_prefix="/v1/newsletters",
                                   description="Newsletters with published results, sent by the worker.")
notices_blp = ServiceBlueprint("notices", __name__, url_prefix="/v1",
                               description="Decision letters to the applicants, reviewed by the office.")
enquiries_blp = ServiceBlueprint("enquiries", __name__, url_prefix="/v1/enquiries",
                                 description="Requests for more information about Netzwerk vor Ort.")

OPTIONAL_TOKEN: list[dict] = [{}, {"bearerAuth": []}]


def settings():
    return context().extras["settings"]


def optional_principal() -> Principal | None:
    """The caller if a token was sent (an invalid one is still a 401); None for anonymous callers."""
    return current_principal() if request.headers.get("Authorization") else None


def actor(principal: Principal) -> str:
    return f"{principal.role}:{principal.subject}"


# --- publications --------------------------------------------------------------------------------
def publication_view(pub: Publication) -> dict:
    values = publication_values(pub)
    return {**values, "url": publication_url(settings().base_url, pub.id),
            "solution_approaches": [asdict(a) for a in pub.solution_approaches]}


@publications_blp.route("")
class Publications(MethodView):
    @public
    @publications_blp.doc(security=OPTIONAL_TOKEN)
    @publications_blp.arguments(PublicationQuerySchema, location="query")
    @publications_blp.response(200, PublicationSchema(many=True))
    @publications_blp.paginate()
    def get(self, query, pagination_parameters):
        """Published results, newest first (public). With a staff token, drafts are listed too."""
        principal = optional_principal()
        items, total = read(lambda uow: uow.publications.list(
            include_drafts=bool(principal and principal.is_staff), status=query.get("status"),
            kind=query.get("kind"), offset=pagination_parameters.first_item, limit=pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [publication_view(p) for p in items]


@publications_blp.route("/<publication_id>")
class PublicationItem(MethodView):
    @public
    @publications_blp.doc(security=OPTIONAL_TOKEN)
    @publications_blp.response(200, PublicationSchema)
    def get(self, publication_id):
        """One publication: published ones for everyone, drafts for the office."""
        principal = optional_principal()
        pub = read(lambda uow: uow.publications.get(publication_id))
        if pub is None or (not pub.is_published and not (principal and principal.is_staff)):
            raise NotFound(f"No publication {publication_id}.")
        return publication_view(pub)

    @roles_required("staff")
    @publications_blp.arguments(PublicationUpdateSchema)
    @publications_blp.response(200, PublicationSchema)
    @publications_blp.alt_response(409, description="Published results cannot be edited.")
    def patch(self, body, publication_id):
        """Edit a draft (staff): title, summary, body, solution approaches, topic."""
        require_role("staff")
        return publication_view(dispatch(handlers.EditPublication(publication_id, body)))


@publications_blp.route("/<publication_id>/publish")
class PublishPublication(MethodView):
    @roles_required("staff")
    @publications_blp.response(200, PublicationSchema)
    @publications_blp.alt_response(409, description="Already published.")
    def post(self, publication_id):
        """Publish a draft (staff): it appears on the results page and in the feeds; emits ResultsPublished."""
        principal = require_role("staff")
        return publication_view(dispatch(handlers.PublishPublication(publication_id, actor(principal))))


# --- members -------------------------------------------------------------------------------------
@members_blp.route("")
class Members(MethodView):
    @roles_required("staff")
    @members_blp.arguments(MemberQuerySchema, location="query")
    @members_blp.response(200, MemberSchema(many=True))
    @members_blp.paginate()
    def get(self, query, pagination_parameters):
        """The members of the network (staff)."""
        require_role("staff")
        items, total = read(lambda uow: uow.members.list(
            kind=query.get("kind"), offset=pagination_parameters.first_item, limit=pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [asdict(m) for m in items]

    @roles_required("staff")
    @idempotent
    @members_blp.arguments(MemberCreateSchema)
    @members_blp.response(201, MemberSchema)
    @members_blp.alt_response(409, description="A member with this name or AGS exists.")
    def post(self, body):
        """Add a member municipality (with its AGS) or partner organisation, with its contact address (staff)."""
        require_role("staff")
        return asdict(dispatch(handlers.AddMember(**body)))


@members_blp.route("/<member_id>")
class MemberItem(MethodView):
    @roles_required("staff")
    @members_blp.response(200, MemberSchema)
    def get(self, member_id):
        """One member (staff)."""
        require_role("staff")
        member = read(lambda uow: uow.members.get(member_id))
        if member is None:
            raise NotFound(f"No member {member_id}.")
        return asdict(member)

    @roles_required("staff")
    @members_blp.response(204)
    def delete(self, member_id):
        """Remove a member and its contact address (staff); newsletters already sent keep their record."""
        require_role("staff")
        dispatch(handlers.RemoveMember(member_id))


# --- subscriptions -------------------------------------------------------------------------------
@subscriptions_blp.route("")
class Subscriptions(MethodView):
    @public
    @subscriptions_blp.doc(security=[])
    @subscriptions_blp.arguments(SubscriptionCreateSchema)
    @subscriptions_blp.response(202, QueuedSchema)
    def post(self, body):
        """Subscribe to results by topic (public). Nothing is sent until the address confirms the link mailed
        to it (double opt-in). The answer is the same for every address."""
        dispatch(handlers.Subscribe(email=body["email"], topics=body["topics"]))
        return {"status": "confirmation_requested",
                "message": "Bitte bestätigen Sie Ihre Anmeldung über den Link in der E-Mail, die wir Ihnen "
                           "geschickt haben."}

    @roles_required("staff")
    @subscriptions_blp.arguments(SubscriberQuerySchema, location="query")
    @subscriptions_blp.response(200, SubscriberSchema(many=True))
    @subscriptions_blp.paginate()
    def get(self, query, pagination_parameters):
        """The subscribers (staff)."""
        require_role("staff")
        rows, total = read(lambda uow: uow.subscribers.list(
            status=query.get("status"), offset=pagination_parameters.first_item,
            limit=pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [dict(row._mapping) for row in rows]


def _link_answer(run, page: str, failure_title: str, page_extras=None):
    """Run a link's command; answer a person's browser with a German page (with `page_extras(result)`),
    everyone else with JSON."""
    html = wants_html()
    try:
        result = run()
    except DomainError as error:
        if not html:
            raise
        return Response(render_page("message.html", title=failure_title, message=_german_link_error(error)),
                        status=error.status, mimetype="text/html")
    if html:
        extras = page_extras(result) if page_extras else {}
        return Response(render_page(page, **result, **extras), mimetype="text/html")
    return result


def _german_link_error(error: DomainError) -> str:
    text = error.message.lower()
    if "expired" in text:
        return "Dieser Link ist abgelaufen. Bitte melden Sie sich erneut an, dann erhalten Sie einen neuen Link."
    if "cancelled" in text:
        return "Diese Anmeldung wurde abbestellt. Bitte melden Sie sich erneut an."
    if isinstance(error, NotFound):
        return "Zu diesem Link gibt es keine Anmeldung mehr. Bitte melden Sie sich erneut an."
    return "Dieser Link ist ungültig. Bitte kopieren Sie den vollständigen Link aus der E-Mail."


@subscriptions_blp.route("/confirm")
class ConfirmSubscription(MethodView):
    @public
    @subscriptions_blp.doc(security=[])
    @subscriptions_blp.arguments(TokenQuerySchema, location="query")
    @subscriptions_blp.response(200)
    @subscriptions_blp.alt_response(403, description="The link is forged, expired or meant for another action.")
    def get(self, query):
        """Confirm a subscription with the signed link from the confirmation mail (public)."""
        def unsubscribe_link(result):  # the page offers unsubscribing at once; the JSON answer stays as it was
            return {"unsubscribe_url": handlers.unsubscribe_url(settings(), result["email"], context().extras["clock"]())}

        return _link_answer(lambda: dispatch(handlers.ConfirmSubscription(query["token"])), "confirmed.html",
                            "Bestätigung nicht möglich", page_extras=unsubscribe_link)


# RFC 8058: a mail client's one-click POST, and the unsubscribe page's button, send this form field.
_ONE_CLICK_FORM = {"schema": {"type": "object", "properties": {
    "List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}}}}
ONE_CLICK_BODY = {"required": False, "content": {"application/x-www-form-urlencoded": _ONE_CLICK_FORM,
                                                 "multipart/form-data": _ONE_CLICK_FORM}}


@subscriptions_blp.route("/unsubscribe")
class UnsubscribeLink(MethodView):
    @public
    @subscriptions_blp.doc(security=[])
    @subscriptions_blp.arguments(TokenQuerySchema, location="query")
    @subscriptions_blp.response(200)
    @subscriptions_blp.alt_response(403, description="The link is forged, expired or meant for another action.")
    def get(self, query):
        """The unsubscribe link of every mail (public): shows a page with a button that unsubscribes.

        A GET does not unsubscribe by itself, because mail scanners follow links; the button (or a mail
        client's one-click POST) does."""
        def check():
            email = read_token(settings().secret, "unsubscribe", query["token"], handlers.UNSUBSCRIBE_MAX_AGE,
                               now=context().extras["clock"]())
            return {"email": email, "status": "unsubscribe_pending",
                    "action": f"{settings().base_url}/v1/subscriptions/unsubscribe?token={query['token']}"}

        return _link_answer(check, "unsubscribe.html", "Abbestellen nicht möglich")

    @public
    @subscriptions_blp.doc(security=[], requestBody=ONE_CLICK_BODY)
    @subscriptions_blp.arguments(TokenQuerySchema, location="query")
    @subscriptions_blp.response(200)
    @subscriptions_blp.alt_response(403, description="The link is forged, expired or meant for another action.")
    def post(self, query):
        """Unsubscribe (public): the one-click POST of RFC 8058 (body `List-Unsubscribe=One-Click`) or the
        button of the unsubscribe page. Works for members and subscribers; idempotent."""
        return _link_answer(lambda: dispatch(handlers.Unsubscribe(query["token"])), "unsubscribed.html",
                            "Abbestellen nicht möglich")


# --- newsletters ---------------------------------------------------------------------------------
def _newsletter_row(uow, newsletter_id: str):
    row = uow.newsletters.row(newsletter_id)
    if row is None:
        raise NotFound(f"No newsletter {newsletter_id}.")
    return row


def _sending_started(row) -> bool:
    return row.status == "sending" or row.status in NEWSLETTER_FINISHED


def _recipients(uow, row, resolved: dict | None = None) -> list[dict]:
    """The recorded list once sending started; before, the segment as it resolves now (memoised per request
    in `resolved`, since a page of drafts often shares a segment)."""
    if _sending_started(row):
        return [{"email": d.email, "name": d.name} for d in uow.newsletters.deliveries(row.id)]
    resolved = {} if resolved is None else resolved
    key = json.dumps(row.segment, sort_keys=True)
    if key not in resolved:
        resolved[key] = [{"email": email, "name": name}
                         for email, name in handlers.recipients_of(uow, dict(row.segment))]
    return resolved[key]


def newsletter_view(uow, row, with_recipients: bool = False, resolved: dict | None = None) -> dict:
    view = {**row._mapping, "publication_ids": list(row.publication_ids),
            "segment_label": describe_segment(row.segment)}
    if _sending_started(row):
        view["progress"] = uow.newsletters.progress(row.id)
        if with_recipients:
            view["recipients"] = [
                {"email": d.email, "name": d.name, "status": d.status, "attempts": d.attempts,
                 "sent_at": d.sent_at.isoformat() if d.sent_at else None, "last_error": d.last_error}
                for d in uow.newsletters.deliveries(row.id)]
    else:
        recipients = _recipients(uow, row, resolved)
        view["progress"] = {"total": len(recipients), "sent": 0, "failed": 0, "pending": len(recipients),
                            "sending": 0, "skipped": 0}
        if with_recipients:
            view["recipients"] = [dict(r, status="not_sent") for r in recipients]
    return view


@newsletters_blp.route("")
class Newsletters(MethodView):
    @roles_required("staff")
    @newsletters_blp.arguments(NewsletterListQuerySchema, location="query")
    @newsletters_blp.response(200, NewsletterSchema(many=True))
    @newsletters_blp.paginate()
    def get(self, query, pagination_parameters):
        """Newsletters, newest first (staff)."""
        require_role("staff")

        def fetch(uow):
            rows, total = uow.newsletters.list(status=query.get("status"), offset=pagination_parameters.first_item,
                                               limit=pagination_parameters.page_size)
            resolved = {}
            return [newsletter_view(uow, row, resolved=resolved) for row in rows], total

        items, pagination_parameters.item_count = read(fetch)
        return items

    @roles_required("staff")
    @idempotent
    @newsletters_blp.arguments(NewsletterCreateSchema)
    @newsletters_blp.response(201, NewsletterSchema)
    @newsletters_blp.alt_response(422, description="Invalid input; errors name the fields.")
    def post(self, body):
        """Draft a newsletter (staff): subject, intro, published results and the segment that receives it.

        Segments: `{"type": "all_members"}`, `{"type": "selected_municipalities", "call_id": ...}`,
        `{"type": "workshop_participants", "workshop_id": ...}`, `{"type": "subscribers", "topic": ...}`."""
        principal = require_role("staff")
        newsletter = dispatch(handlers.CreateNewsletter(
            subject=body["subject"], intro=body["intro"], publication_ids=body["publication_ids"],
            segment=body["segment"], send_at=body["send_at"], actor=actor(principal)))
        return read(lambda uow: newsletter_view(uow, _newsletter_row(uow, newsletter.id)))


@newsletters_blp.route("/<newsletter_id>")
class NewsletterItem(MethodView):
    @roles_required("staff")
    @newsletters_blp.arguments(NewsletterQuerySchema, location="query")
    @newsletters_blp.response(200, NewsletterSchema)
    def get(self, query, newsletter_id):
        """A newsletter and its progress: total, sent, failed (staff); per recipient with `?recipients=true`."""
        require_role("staff")
        return read(lambda uow: newsletter_view(uow, _newsletter_row(uow, newsletter_id), query["recipients"]))


@newsletters_blp.route("/<newsletter_id>/preview")
class NewsletterPreview(MethodView):
    @roles_required("staff")
    @newsletters_blp.response(200, PreviewSchema)
    def get(self, newsletter_id):
        """The mail as a recipient gets it (staff): subject, headers, text and HTML.
        `?format=html` or `?format=text` answers with that part alone, to look at in a browser."""
        require_role("staff")

        def build(uow):
            newsletter = newsletter_from_row(_newsletter_row(uow, newsletter_id))
            publications = uow.publications.by_ids(newsletter.publication_ids)
            return handlers.render_newsletter(settings(), newsletter, publications, handlers.PREVIEW_RECIPIENT,
                                              None, context().extras["clock"]())

        message = read(build)
        parts = {part.get_content_type(): part.get_content() for part in message.walk() if not part.is_multipart()}
        fmt = request.args.get("format")
        if fmt == "html":
            return Response(parts["text/html"], mimetype="text/html")
        if fmt == "text":
            return Response(parts["text/plain"], mimetype="text/plain")
        headers = {name: str(message[name]) for name in ("From", "To", "Subject", "List-Id", "List-Unsubscribe",
                                                         "List-Unsubscribe-Post")}
        return {"subject": str(message["Subject"]), "headers": headers, "text": parts["text/plain"],
                "html": parts["text/html"]}


@newsletters_blp.route("/<newsletter_id>/recipients")
class NewsletterRecipients(MethodView):
    @roles_required("staff")
    @newsletters_blp.response(200, RecipientListSchema)
    def get(self, newsletter_id):
        """Exactly who receives this newsletter, and how many (staff): before sending, the segment as it
        resolves now (without unsubscribed addresses); once sending started, the recorded list."""
        require_role("staff")

        def fetch(uow):
            row = _newsletter_row(uow, newsletter_id)
            recipients = _recipients(uow, row)
            return {"count": len(recipients), "segment": row.segment, "segment_label": describe_segment(row.segment),
                    "recipients": recipients}

        return read(fetch)


@newsletters_blp.route("/<newsletter_id>/test")
class NewsletterTest(MethodView):
    @roles_required("staff")
    @newsletters_blp.arguments(NewsletterTestSchema)
    @newsletters_blp.response(202, QueuedSchema)
    def post(self, body, newsletter_id):
        """Send the newsletter to one address now, marked [Test] (staff)."""
        require_role("staff")
        dispatch(handlers.SendTestNewsletter(newsletter_id, body["email"]))
        return {"status": "queued", "message": f"A test mail to {body['email']} is on its way."}


@newsletters_blp.route("/<newsletter_id>/send")
class NewsletterSend(MethodView):
    @roles_required("staff")
    @newsletters_blp.arguments(NewsletterSendSchema)
    @newsletters_blp.response(202, NewsletterSchema)
    @newsletters_blp.alt_response(409, description="The newsletter is being sent or has been sent.")
    def post(self, body, newsletter_id):
        """Send now, or at `send_at` (staff). The worker sends, throttled; follow the progress on the item."""
        require_role("staff")
        dispatch(handlers.ScheduleNewsletter(newsletter_id, body.get("send_at")))
        return read(lambda uow: newsletter_view(uow, _newsletter_row(uow, newsletter_id)))


# --- decision notices ----------------------------------------------------------------------------
def notice_view(uow, row) -> dict:
    subject, text = handlers.render_notice(uow, row)
    return {
        "id": row.id, "kind": row.kind, "status": row.status, "call_id": row.call_id,
        "application_id": row.application_id, "municipality": {"ags": row.ags, "name": row.municipality_name},
        "may_attend_workshops": row.may_attend_workshops, "subject": subject, "text": text,
        "recipient": {"email": row.recipient_email, "name": row.recipient_name} if row.recipient_email else None,
        "created_at": row.created_at, "reviewed_at": row.reviewed_at, "reviewed_by": row.reviewed_by,
        "sent_at": row.sent_at, "last_error": row.last_error,
    }


def _notice_row(uow, notice_id):
    row = uow.notices.get(notice_id)
    if row is None:
        raise NotFound(f"No notice {notice_id}.")
    return row


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
            rows, total = uow.notices.list(status=query.get("status"), call_id=query.get("call_id"),
                                           offset=pagination_parameters.first_item,
                                           limit=pagination_parameters.page_size)
            return [notice_view(uow, row) for row in rows], total

        items, pagination_parameters.item_count = read(fetch)
        return items


@notices_blp.route("/notices/<notice_id>")
class NoticeItem(MethodView):
    @roles_required("staff")
    @notices_blp.response(200, NoticeSchema)
    def get(self, notice_id):
        """One decision letter (staff)."""
        require_role("staff")
        return read(lambda uow: notice_view(uow, _notice_row(uow, notice_id)))


@notices_blp.route("/notices/<notice_id>/approve")
class ApproveNotice(MethodView):
    @roles_required("staff")
    @notices_blp.response(202, NoticeSchema)
    @notices_blp.alt_response(409, description="Not awaiting review, or the decision on the call is not final.")
    def post(self, notice_id):
        """Approve and send the letter (staff): the worker asks the applications service for the contact
        person and mails it; if that service is unreachable, the letter waits and is retried."""
        principal = require_role("staff")
        dispatch(handlers.ApproveNotice(notice_id, actor(principal)))
        return read(lambda uow: notice_view(uow, _notice_row(uow, notice_id)))


@notices_blp.route("/notices/<notice_id>/discard")
class DiscardNotice(MethodView):
    @roles_required("staff")
    @notices_blp.response(200, NoticeSchema)
    @notices_blp.alt_response(409, description="The letter is already on its way or sent.")
    def post(self, notice_id):
        """Discard a letter that should not go out (staff)."""
        principal = require_role("staff")
        dispatch(handlers.DiscardNotice(notice_id, actor(principal)))
        return read(lambda uow: notice_view(uow, _notice_row(uow, notice_id)))


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
            row = uow.notices.sent_for_application(application_id)
            if row is None or (not principal.is_staff and row.ags != principal.ags):
                raise NotFound(f"No decision letter for {application_id}.")
            return notice_view(uow, row)

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
        return dispatch(handlers.PutNoticeTemplate(kind, body["subject"], body["body"], actor(principal)))


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


# --- personal data -------------------------------------------------------------------------------
def export_personal_data(uow, digest: str) -> list[dict]:
    """Member contact, subscription, enquiries, newsletter deliveries, mails and decision letters."""
    return uow.privacy.export(digest)


privacy_blp = privacy_blueprint("publishing", export_personal_data)


BLUEPRINTS = [publications_blp, members_blp, subscriptions_blp, newsletters_blp, notices_blp, enquiries_blp,
              privacy_blp]
