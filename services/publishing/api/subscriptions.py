"""Subscriptions: double opt-in, the confirmation and unsubscribe links (RFC 8058 one-click)."""
from __future__ import annotations

from dataclasses import asdict

from flask import Response
from flask.views import MethodView

from services.publishing import handlers
from services.publishing.api.common import settings, subscriptions_blp
from services.publishing.domain import read_token, signed_address
from services.publishing.html import render_page, wants_html
from services.publishing.schemas import (
    QueuedSchema,
    SubscriberQuerySchema,
    SubscriberSchema,
    SubscriptionCreateSchema,
    TokenQuerySchema,
)
from shared.auth import require_role, roles_required
from shared.errors import DomainError, NotFound
from shared.mail_templates import DEFAULT_LANGUAGE, mail_language
from shared.web import context, dispatch, public, read


#: The subscribe answer's `message`, in the language the request names (German without one).
CONFIRMATION_REQUESTED = {
    "de": "Bitte bestätigen Sie Ihre Anmeldung über den Link in der E-Mail, die wir Ihnen geschickt haben.",
    "en": "Please confirm your subscription with the link in the email we have sent you.",
}


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
        dispatch(handlers.Subscribe(email=body["email"], topics=body["topics"], language=body.get("language")))
        return {"status": "confirmation_requested",
                "message": CONFIRMATION_REQUESTED[mail_language(body.get("language"))]}

    @roles_required("staff")
    @subscriptions_blp.arguments(SubscriberQuerySchema, location="query")
    @subscriptions_blp.response(200, SubscriberSchema(many=True))
    @subscriptions_blp.paginate()
    def get(self, query, pagination_parameters):
        """The subscribers (staff)."""
        require_role("staff")
        subscribers, total = read(lambda uow: uow.subscribers.list(
            status=query.get("status"), offset=pagination_parameters.first_item,
            limit=pagination_parameters.page_size))
        pagination_parameters.item_count = total
        return [asdict(subscriber) for subscriber in subscribers]


def _link_answer(run, page: str, failure: str, token: str, page_extras=None):
    """Run a link's command; answer a person's browser with a page in the language of the subscriber the link
    was mailed to (with `page_extras(result)`), everyone else with JSON."""
    html = wants_html()
    try:
        result = run()
    except DomainError as error:
        if not html:
            raise
        return Response(render_page("message.html", _link_language(token), failure=failure,
                                    reason=_link_error_reason(error)),
                        status=error.status, mimetype="text/html")
    if html:
        extras = page_extras(result) if page_extras else {}
        return Response(render_page(page, _link_language(token), **result, **extras), mimetype="text/html")
    return result


def _link_language(token: str) -> str:
    """The language of the subscriber whose address the link's token names (signed by us, even if expired or
    used up); German for a member, an address no longer subscribed, or a link that is not ours, so a page
    never tells a stranger anything about an address."""
    address = signed_address(settings().secret, token)
    subscriber = read(lambda uow: uow.subscribers.by_email(address)) if address else None
    return subscriber.language if subscriber else DEFAULT_LANGUAGE


def _link_error_reason(error: DomainError) -> str:
    """Which of the error page's messages (templates/pages/<language>/message.html) tells the person what to do."""
    text = error.message.lower()
    if "expired" in text:
        return "expired"
    if "cancelled" in text:
        return "cancelled"
    if isinstance(error, NotFound):
        return "gone"
    return "invalid"


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
            return {"unsubscribe_url": handlers.unsubscribe_url(settings(), result["email"], context().bus.clock())}

        return _link_answer(lambda: dispatch(handlers.ConfirmSubscription(query["token"])), "confirmed.html",
                            "confirm", query["token"], page_extras=unsubscribe_link)


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
                               now=context().bus.clock())
            return {"email": email, "status": "unsubscribe_pending",
                    "action": f"{settings().base_url}/v1/subscriptions/unsubscribe?token={query['token']}"}

        return _link_answer(check, "unsubscribe.html", "unsubscribe", query["token"])

    @public
    @subscriptions_blp.doc(security=[], requestBody=ONE_CLICK_BODY)
    @subscriptions_blp.arguments(TokenQuerySchema, location="query")
    @subscriptions_blp.response(200)
    @subscriptions_blp.alt_response(403, description="The link is forged, expired or meant for another action.")
    def post(self, query):
        """Unsubscribe (public): the one-click POST of RFC 8058 (body `List-Unsubscribe=One-Click`) or the
        button of the unsubscribe page. Works for members and subscribers; idempotent."""
        return _link_answer(lambda: dispatch(handlers.Unsubscribe(query["token"])), "unsubscribed.html",
                            "unsubscribe", query["token"])
