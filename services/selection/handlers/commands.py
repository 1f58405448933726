"""Selection's commands (orders to the bus) and the names and events its use cases share."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.events.catalogue import make_event
from shared.logs import correlation_id

SOURCE = "/services/selection"

TIE_BREAK = (
    "higher weighted mean first",
    "then more counted reviews",
    "then lower spread (highest minus lowest weighted review score)",
    "then earlier submission",
    "then application id ascending",
    "candidates without a counted review come last, by submission and application id",
)


# --- commands ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SetPanel:
    call_id: str
    members: list
    criteria: list | None
    quorum: int | None
    actor: str


@dataclass(frozen=True)
class SetBalanceRule:
    call_id: str
    minimum: dict
    maximum: dict
    actor: str


@dataclass(frozen=True)
class DeclareConflict:
    call_id: str
    application_id: str
    member_id: str
    reason: str
    actor_role: str
    actor_subject: str


@dataclass(frozen=True)
class WithdrawConflict:
    call_id: str
    application_id: str
    member_id: str
    actor_role: str
    actor_subject: str


@dataclass(frozen=True)
class WriteReview:
    call_id: str
    application_id: str
    member_id: str
    scores: dict | None
    comment: str
    abstain: bool
    actor_role: str
    actor_subject: str


@dataclass(frozen=True)
class RecordDecision:
    call_id: str
    selected: list
    rationale: str
    decided_at: datetime
    present_member_ids: list
    deviation_reason: str | None
    actor: str


@dataclass(frozen=True)
class AmendDecision:
    call_id: str
    vacated_application_id: str
    successor_application_id: str
    rationale: str
    decided_at: datetime
    present_member_ids: list
    deviation_reason: str | None
    actor: str


def _event(event_type: str, data: dict):
    return make_event(event_type, data, source=SOURCE, correlation_id=correlation_id.get())
