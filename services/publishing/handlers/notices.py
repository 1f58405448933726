"""Use cases of decision notices and enquiries."""
from __future__ import annotations

from typing import TYPE_CHECKING

from services.publishing import domain
from services.publishing.handlers.common import PENDING_CALL_TITLE, queue_mail
from services.publishing.mail import enquiry_ack_message
from services.publishing.settings import PublishingSettings
from shared.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from services.publishing.handlers.commands import ApproveNotice, DiscardNotice, PutNoticeTemplate, SubmitEnquiry


# --- decision notices ----------------------------------------------------------------------------
def notice_template(uow, kind: str) -> dict:
    if kind not in domain.NOTICE_KINDS:
        raise NotFound(f"No notice template {kind}; there are: {', '.join(domain.NOTICE_KINDS)}.")
    own = uow.templates.get(kind)
    if own is None:
        subject, body = domain.DEFAULT_NOTICE_TEMPLATES[kind]
        return {"kind": kind, "subject": subject, "body": body, "is_default": True, "updated_at": None,
                "updated_by": None, "placeholders": domain.NOTICE_PLACEHOLDERS}
    return {"kind": kind, "subject": own.subject, "body": own.body, "is_default": False,
            "updated_at": own.updated_at, "updated_by": own.updated_by, "placeholders": domain.NOTICE_PLACEHOLDERS}


def put_notice_template(command: PutNoticeTemplate, uow, clock, settings) -> dict:
    notice_template(uow, command.kind)  # 404 for an unknown kind
    domain.validate_notice_template(command.subject, "subject")
    domain.validate_notice_template(command.body, "body")
    if "\n" in command.subject.strip():
        raise InvalidInput("The subject is one line.", field="subject")
    uow.templates.put(domain.NoticeTemplate(kind=command.kind, subject=command.subject.strip(), body=command.body,
                                            updated_at=clock(), updated_by=command.actor))
    uow.commit()
    return notice_template(uow, command.kind)


def existing_notice(uow, notice_id: str, *, for_update: bool = False) -> domain.Notice:
    notice = uow.notices.get(notice_id, for_update=for_update)
    if notice is None:
        raise NotFound(f"No notice {notice_id}.")
    return notice


def approve_notice(command: ApproveNotice, uow, clock, settings) -> None:
    """Approve a letter for sending: the template of this moment is frozen into the notice.

    Only once the decision on the call is final (SelectionCompleted), so that the letter names the call
    and, for the municipalities not selected, every place where they may attend a workshop.
    """
    notice = existing_notice(uow, command.notice_id, for_update=True)
    if notice.status != "pending_review":
        raise Conflict(f"The notice is {notice.status}; only a notice awaiting review can be approved.")
    call = uow.audience.call(notice.call_id)
    if call is None:
        raise Conflict("The decision on this call is not final yet (no SelectionCompleted received); "
                       "approve the letter once it is.")
    template = notice_template(uow, notice.kind)
    now = clock()
    uow.notices.update(notice.id, status="approved", reviewed_at=now, reviewed_by=command.actor,
                       subject_template=template["subject"], body_template=template["body"], call_title=call.title,
                       workshop_places=list(call.selected_names), next_lookup_at=now, last_error=None)
    uow.commit()


def discard_notice(command: DiscardNotice, uow, clock, settings) -> None:
    notice = existing_notice(uow, command.notice_id, for_update=True)
    if notice.status not in ("pending_review", "approved"):
        raise Conflict(f"The notice is {notice.status}; it can no longer be discarded.")
    uow.notices.update(notice.id, status="discarded", reviewed_at=clock(), reviewed_by=command.actor)
    uow.commit()


def render_notice(uow, notice: domain.Notice) -> tuple[str, str]:
    """The letter as it stands: with the template frozen at approval, or, while in review, the current
    template and what is known of the call (the title arrives with SelectionCompleted)."""
    if notice.subject_template:
        subject_template, body_template = notice.subject_template, notice.body_template
        call_title, places = notice.call_title or "", notice.workshop_places or ()
    else:
        template = notice_template(uow, notice.kind)
        subject_template, body_template = template["subject"], template["body"]
        call = uow.audience.call(notice.call_id)
        call_title = call.title if call else PENDING_CALL_TITLE
        places = call.selected_names if call else ()
    return domain.decision_notice(notice.kind, notice.municipality_name, notice.recipient_name, call_title,
                                  body_template, subject_template=subject_template, selected_municipalities=places,
                                  workshop=notice.workshop)


# --- enquiries -----------------------------------------------------------------------------------
def submit_enquiry(command: SubmitEnquiry, uow, clock, settings: PublishingSettings) -> domain.Enquiry:
    now = clock()
    enquiry = domain.create_enquiry(name=command.name, email=command.email, organisation=command.organisation,
                                    message=command.message, now=now)
    uow.enquiries.add(enquiry)
    queue_mail(uow, "enquiry_ack", enquiry_ack_message(enquiry, settings.sender, now=now, language=command.language),
               now)
    uow.commit()
    return enquiry
