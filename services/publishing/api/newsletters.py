"""Newsletters: drafts, preview, recipients, a test send, the send."""
from __future__ import annotations

import json
from dataclasses import asdict

from flask import Response, request
from flask.views import MethodView

from services.publishing import handlers
from services.publishing.api.common import newsletters_blp, settings
from services.publishing.domain import NEWSLETTER_FINISHED, Newsletter, describe_segment
from services.publishing.schemas import (
    NewsletterCreateSchema,
    NewsletterListQuerySchema,
    NewsletterQuerySchema,
    NewsletterSchema,
    NewsletterSendSchema,
    NewsletterTestSchema,
    PreviewSchema,
    QueuedSchema,
    RecipientListSchema,
)
from shared.auth import require_role, roles_required
from shared.web import context, dispatch, idempotent, read


# --- newsletters ---------------------------------------------------------------------------------
def _sending_started(newsletter: Newsletter) -> bool:
    return newsletter.status == "sending" or newsletter.status in NEWSLETTER_FINISHED


def _recipients(uow, newsletter: Newsletter, resolved: dict | None = None) -> list[dict]:
    """The recorded list once sending started; before, the segment as it resolves now (memoised per request
    in `resolved`, since a page of drafts often shares a segment)."""
    if _sending_started(newsletter):
        return [{"email": d.email, "name": d.name} for d in uow.newsletters.deliveries(newsletter.id)]
    resolved = {} if resolved is None else resolved
    key = json.dumps(newsletter.segment, sort_keys=True)
    if key not in resolved:
        resolved[key] = [{"email": email, "name": name}
                         for email, name in handlers.recipients_of(uow, dict(newsletter.segment))]
    return resolved[key]


def newsletter_view(uow, newsletter: Newsletter, with_recipients: bool = False, resolved: dict | None = None) -> dict:
    view = {**asdict(newsletter), "publication_ids": list(newsletter.publication_ids),
            "segment": dict(newsletter.segment), "segment_label": describe_segment(newsletter.segment)}
    if _sending_started(newsletter):
        view["progress"] = uow.newsletters.progress(newsletter.id)
        if with_recipients:
            view["recipients"] = [
                {"email": d.email, "name": d.name, "status": d.status, "attempts": d.attempts,
                 "sent_at": d.sent_at.isoformat() if d.sent_at else None, "last_error": d.last_error}
                for d in uow.newsletters.deliveries(newsletter.id)]
    else:
        recipients = _recipients(uow, newsletter, resolved)
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
            found, total = uow.newsletters.list(status=query.get("status"), offset=pagination_parameters.first_item,
                                                limit=pagination_parameters.page_size)
            resolved = {}
            return [newsletter_view(uow, newsletter, resolved=resolved) for newsletter in found], total

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
            segment=body["segment"], send_at=body["send_at"], actor=principal.actor))
        return read(lambda uow: newsletter_view(uow, handlers.existing_newsletter(uow, newsletter.id)))


@newsletters_blp.route("/<newsletter_id>")
class NewsletterItem(MethodView):
    @roles_required("staff")
    @newsletters_blp.arguments(NewsletterQuerySchema, location="query")
    @newsletters_blp.response(200, NewsletterSchema)
    def get(self, query, newsletter_id):
        """A newsletter and its progress: total, sent, failed (staff); per recipient with `?recipients=true`."""
        require_role("staff")
        return read(lambda uow: newsletter_view(uow, handlers.existing_newsletter(uow, newsletter_id), query["recipients"]))


@newsletters_blp.route("/<newsletter_id>/preview")
class NewsletterPreview(MethodView):
    @roles_required("staff")
    @newsletters_blp.response(200, PreviewSchema)
    def get(self, newsletter_id):
        """The mail as a recipient gets it (staff): subject, headers, text and HTML.
        `?format=html` or `?format=text` answers with that part alone, to look at in a browser."""
        require_role("staff")

        def build(uow):
            newsletter = handlers.existing_newsletter(uow, newsletter_id)
            publications = uow.publications.by_ids(newsletter.publication_ids)
            return handlers.render_newsletter(settings(), newsletter, publications, handlers.PREVIEW_RECIPIENT,
                                              None, context().bus.clock())

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
            newsletter = handlers.existing_newsletter(uow, newsletter_id)
            recipients = _recipients(uow, newsletter)
            return {"count": len(recipients), "segment": dict(newsletter.segment),
                    "segment_label": describe_segment(newsletter.segment), "recipients": recipients}

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
        return read(lambda uow: newsletter_view(uow, handlers.existing_newsletter(uow, newsletter_id)))
