"""The bus's routing table: command type -> handler.

The Record* commands are made from events (services/publishing/consumers.py) and run inside the consumer
loop's unit of work, which commits with the processed record; they never commit themselves."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from services.publishing.handlers.newsletters import create_newsletter, schedule_newsletter, send_test_newsletter
from services.publishing.handlers.notices import approve_notice, discard_notice, put_notice_template, submit_enquiry
from services.publishing.handlers.publications import (
    edit_publication,
    publish_publication,
    record_decision,
    record_decision_amendment,
    record_selection,
    record_workshop_cancellation,
    record_workshop_results,
)
from services.publishing.handlers.subscriptions import add_member, confirm_subscription, remove_member, subscribe, unsubscribe

COMMAND_HANDLERS: dict[type, Callable[..., Any]] = {
    RecordSelection: record_selection,
    RecordDecision: record_decision,
    RecordWorkshopResults: record_workshop_results,
    RecordWorkshopCancellation: record_workshop_cancellation,
    RecordDecisionAmendment: record_decision_amendment,
    EditPublication: edit_publication,
    PublishPublication: publish_publication,
    AddMember: add_member,
    RemoveMember: remove_member,
    Subscribe: subscribe,
    ConfirmSubscription: confirm_subscription,
    Unsubscribe: unsubscribe,
    CreateNewsletter: create_newsletter,
    ScheduleNewsletter: schedule_newsletter,
    SendTestNewsletter: send_test_newsletter,
    PutNoticeTemplate: put_notice_template,
    ApproveNotice: approve_notice,
    DiscardNotice: discard_notice,
    SubmitEnquiry: submit_enquiry,
}

