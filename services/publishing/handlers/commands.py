"""Publishing's commands (orders to the bus)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


# --- commands ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordSelection:
    """SelectionCompleted: remember the call, and draft the publication of the selected municipalities."""
    data: dict


@dataclass(frozen=True)
class RecordDecision:
    """ApplicationSelected or ApplicationNotSelected: remember it and queue a decision notice for review."""
    data: dict
    selected: bool


@dataclass(frozen=True)
class RecordWorkshopResults:
    """WorkshopCompleted: remember its organisations, and draft the publication of its results."""
    data: dict


@dataclass(frozen=True)
class RecordWorkshopCancellation:
    """WorkshopCancelled: a notice to every registrant it names (their address is looked up when it is written)."""
    data: dict


@dataclass(frozen=True)
class RecordDecisionAmendment:
    """DecisionAmended: the workshop places named in the letters are the selection as it now stands."""
    data: dict


@dataclass(frozen=True)
class EditPublication:
    publication_id: str
    changes: dict


@dataclass(frozen=True)
class PublishPublication:
    publication_id: str
    actor: str


@dataclass(frozen=True)
class AddMember:
    name: str
    kind: str
    email: str
    ags: str | None = None
    contact_name: str | None = None


@dataclass(frozen=True)
class RemoveMember:
    member_id: str


@dataclass(frozen=True)
class Subscribe:
    email: str
    topics: list = field(default_factory=list)
    language: str | None = None  # the page's the request came from; None keeps a known subscriber's


@dataclass(frozen=True)
class ConfirmSubscription:
    token: str


@dataclass(frozen=True)
class Unsubscribe:
    token: str


@dataclass(frozen=True)
class CreateNewsletter:
    subject: str
    intro: str
    publication_ids: list
    segment: dict
    actor: str
    send_at: datetime | None = None


@dataclass(frozen=True)
class ScheduleNewsletter:
    newsletter_id: str
    send_at: datetime | None = None


@dataclass(frozen=True)
class SendTestNewsletter:
    newsletter_id: str
    email: str


@dataclass(frozen=True)
class PutNoticeTemplate:
    kind: str
    subject: str
    body: str
    actor: str


@dataclass(frozen=True)
class ApproveNotice:
    notice_id: str
    actor: str


@dataclass(frozen=True)
class DiscardNotice:
    notice_id: str
    actor: str


@dataclass(frozen=True)
class SubmitEnquiry:
    name: str
    email: str
    message: str
    organisation: str = ""
    language: str = "de"  # the page's the enquiry was sent from: its acknowledgement's
