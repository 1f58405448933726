"""Use cases of publishing: command -> unit of work -> domain -> outbox (and the mail queue).

Every handler commits once: the state change, its events and the mails it queues land together. Mails
are rendered here (mail.py is pure) and written to the `mails` queue; the worker sends them (delivery.py),
so no request ever waits for an SMTP server.

Handlers are plain functions `handler(command, uow, clock, settings)`, routed by `COMMAND_HANDLERS`; the
message bus passes the service's settings (`dependencies={"settings": ...}`).
"""
# The package re-exports every name of its modules: callers import from the package, as before.
from __future__ import annotations

from services.publishing.handlers.commands import (
    AddMember,
    ApproveNotice,
    ConfirmSubscription,
    CreateNewsletter,
    DiscardNotice,
    EditPublication,
    PublishPublication,
    PutNoticeTemplate,
    RecordDecision,
    RecordDecisionAmendment,
    RecordSelection,
    RecordWorkshopCancellation,
    RecordWorkshopResults,
    RemoveMember,
    ScheduleNewsletter,
    SendTestNewsletter,
    SubmitEnquiry,
    Subscribe,
    Unsubscribe,
)
from services.publishing.handlers.common import (
    CONFIRM_MAX_AGE,
    CONFIRMATION_RESEND_AFTER,
    NOTICE_NAMESPACE,
    PENDING_CALL_TITLE,
    PREVIEW_RECIPIENT,
    SOURCE,
    UNSUBSCRIBE_MAX_AGE,
    _event,
    confirm_url,
    queue_mail,
    render_newsletter,
    unsubscribe_url,
)
from services.publishing.handlers.newsletters import (
    existing_newsletter,
    create_newsletter,
    recipients_of,
    schedule_newsletter,
    send_test_newsletter,
)
from services.publishing.handlers.notices import (
    existing_notice,
    approve_notice,
    discard_notice,
    notice_template,
    put_notice_template,
    render_notice,
    submit_enquiry,
)
from services.publishing.handlers.publications import (
    _draft,
    _publication,
    _publish,
    edit_publication,
    publish_publication,
    record_decision,
    record_decision_amendment,
    record_selection,
    record_workshop_cancellation,
    record_workshop_results,
)
from services.publishing.handlers.routing import (
    COMMAND_HANDLERS,
)
from services.publishing.handlers.subscriptions import (
    _recent_confirmation,
    add_member,
    confirm_subscription,
    remove_member,
    subscribe,
    unsubscribe,
)
