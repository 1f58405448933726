"""Webhook endpoints and their deliveries: who may receive which event, signing secrets, the retry rules.

Rules kept here (no Flask, Kafka or SQLAlchemy):
- Only the public part of the event catalogue leaves the platform, and each organisation only what it may
  see: the office everything public; a municipality only the events of its own applications (by AGS); a
  steering-group member only the events of the calls whose panel it sits on; a partner organisation only
  what is announced publicly anyway (calls, workshops, published results). No event carries personal data.
- An endpoint's secret (`whsec_`) is shown once. Rotating keeps the previous secret signing beside the new
  one for `rotation_overlap`, so that a receiver can switch without losing a delivery.
- A delivery keeps its `webhook-id` on every attempt. Only a 2xx is success; anything else is retried on
  the schedule (with jitter, and never sooner than a `Retry-After` asks); 410 Gone disables the endpoint at
  once; an endpoint whose deliveries have failed without a single success for `disable_after` is disabled
  and its contact told.
"""
from __future__ import annotations

import base64
import random
import secrets
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.errors import Conflict, InvalidInput, NotFound

SECRET_PREFIX = "whsec_"
SIGNING_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"
RESPONSE_BODY_LIMIT = 1024

CALL_EVENTS = ("CallOpened", "CallClosed")
APPLICATION_EVENTS = ("ApplicationSubmitted", "ApplicationUpdated", "ApplicationWithdrawn")
DECISION_EVENTS = ("ApplicationSelected", "ApplicationNotSelected", "SelectionCompleted")
WORKSHOP_EVENTS = ("WorkshopPlanned", "WorkshopScheduled", "WorkshopRescheduled", "WorkshopCancelled",
                   "WorkshopCompleted")
RESULT_EVENTS = ("ResultsPublished",)
# The public part of the catalogue: facts about calls, applications, decisions, workshops and published
# results. Privacy events and newsletter statistics stay inside the platform.
PUBLIC_EVENT_TYPES = CALL_EVENTS + APPLICATION_EVENTS + DECISION_EVENTS + WORKSHOP_EVENTS + RESULT_EVENTS

# What each role's endpoints may subscribe to.
VISIBLE_TYPES = {
    "staff": PUBLIC_EVENT_TYPES,
    # Its own application, its own decision, its own workshops (SelectionCompleted names every applicant).
    "municipality": APPLICATION_EVENTS + ("ApplicationSelected", "ApplicationNotSelected") + WORKSHOP_EVENTS,
    # The calls of its panel; WorkshopCompleted and results are published, but carry no call panel context.
    "steering": CALL_EVENTS + APPLICATION_EVENTS + DECISION_EVENTS + WORKSHOP_EVENTS,
    # What the platform announces publicly anyway.
    "partner": CALL_EVENTS + ("WorkshopScheduled", "WorkshopRescheduled", "WorkshopCancelled",
                              "WorkshopCompleted") + RESULT_EVENTS,
}

STATUSES = ("active", "paused", "disabled")
DELIVERY_STATUSES = ("pending", "delivered", "failed")


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def new_id() -> str:
    return str(uuid.uuid4())


def new_message_id() -> str:
    return "msg_" + uuid.uuid4().hex


@dataclass(frozen=True)
class Owner:
    """The organisation an endpoint belongs to: the office (staff), a municipality (by AGS), a steering
    member (its subject) or a partner organisation (its token's subject)."""
    role: str
    organisation: str

    @classmethod
    def of(cls, role: str, subject: str, ags: str | None) -> Owner:
        return cls(role, ags if role == "municipality" and ags else subject)

    def may_manage(self, role: str, organisation: str) -> bool:
        return role == "staff" or (role == self.role and organisation == self.organisation)


def _ags_of(data: dict[str, Any]) -> str | None:
    municipality = data.get("municipality")
    if isinstance(municipality, dict) and municipality.get("ags"):
        return str(municipality["ags"])
    ags = data.get("ags")
    return None if ags is None else str(ags)


def may_see(owner: Owner, event_type: str, data: dict[str, Any],
             panel_members: Callable[[str], Collection[str]] | None = None) -> bool:
    """Whether this owner's endpoint may receive this event. `panel_members(call_id)` gives the member ids
    of a call's panel (asked only for steering endpoints)."""
    if event_type not in VISIBLE_TYPES.get(owner.role, ()):
        return False
    if owner.role == "municipality":
        return _ags_of(data) == owner.organisation
    if owner.role == "steering":
        call_id = data.get("call_id")
        return bool(call_id) and panel_members is not None and owner.organisation in panel_members(str(call_id))
    return True


def check_event_types(role: str, event_types: list[str]) -> None:
    allowed = VISIBLE_TYPES.get(role, ())
    unknown = sorted(set(event_types) - set(allowed))
    if not event_types:
        raise InvalidInput("Choose at least one event type.", field="event_types")
    if unknown:
        raise InvalidInput(f"Not available to the role {role}: {', '.join(unknown)}. "
                           f"Choose from: {', '.join(allowed)}.", field="event_types")


# --- endpoints ---------------------------------------------------------------------------------------
@dataclass
class Endpoint:
    id: str
    owner_role: str
    owner_organisation: str
    url: str
    description: str
    event_types: list[str]
    contact_email: str
    status: str
    secret: str
    created_at: datetime
    updated_at: datetime
    created_by: str
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None
    signing_key: str | None = None      # whsk_ + base64 of the ed25519 private key (v1a), if chosen
    public_key: str | None = None       # whpk_ + base64 of the raw ed25519 public key
    disabled_reason: str | None = None
    failing_since: datetime | None = None
    last_success_at: datetime | None = None

    @classmethod
    def register(cls, *, owner: Owner, url: str, description: str, event_types: list[str], contact_email: str,
                 asymmetric: bool, created_by: str, now: datetime,
                 keypair: Callable[[], tuple[str, str]] | None = None) -> Endpoint:
        check_event_types(owner.role, event_types)
        endpoint = cls(id=new_id(), owner_role=owner.role, owner_organisation=owner.organisation, url=url,
                       description=description, event_types=sorted(set(event_types)),
                       contact_email=contact_email, status="active", secret=new_secret(), created_at=now,
                       updated_at=now, created_by=created_by)
        if asymmetric:
            assert keypair is not None, "an endpoint signed with ed25519 needs the keypair maker"
            endpoint.signing_key, endpoint.public_key = keypair()
        return endpoint

    @property
    def owner(self) -> Owner:
        return Owner(self.owner_role, self.owner_organisation)

    def wants(self, event_type: str) -> bool:
        return self.status != "disabled" and event_type in self.event_types

    def change(self, changes: dict[str, Any], now: datetime) -> None:
        if "event_types" in changes:
            check_event_types(self.owner_role, changes["event_types"])
            changes = dict(changes, event_types=sorted(set(changes["event_types"])))
        for name in ("url", "description", "event_types", "contact_email"):
            if name in changes:
                setattr(self, name, changes[name])
        self.updated_at = now

    def pause(self, now: datetime) -> None:
        if self.status == "disabled":
            raise Conflict("The endpoint is disabled; resume it to send again.", field="status")
        self.status = "paused"
        self.updated_at = now

    def resume(self, now: datetime) -> None:
        """Back to active, also after it was disabled: failures are forgotten, held deliveries go out."""
        self.status = "active"
        self.disabled_reason = None
        self.failing_since = None
        self.updated_at = now

    def disable(self, reason: str, now: datetime) -> None:
        self.status = "disabled"
        self.disabled_reason = reason
        self.updated_at = now

    def rotate_secret(self, now: datetime, overlap: timedelta) -> str:
        self.previous_secret = self.secret
        self.previous_secret_expires_at = now + overlap
        self.secret = new_secret()
        self.updated_at = now
        return self.secret

    def signing_secrets(self, now: datetime) -> list[str]:
        """The current secret, and the previous one while its overlap lasts."""
        found = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and now < self.previous_secret_expires_at:
            found.append(self.previous_secret)
        return found

    def record_success(self, now: datetime) -> None:
        self.failing_since = None
        self.last_success_at = now

    def record_failure(self, now: datetime, disable_after: timedelta) -> bool:
        """True when this failure disables the endpoint (it has failed everything for `disable_after`)."""
        if self.failing_since is None:
            self.failing_since = now
        if self.status == "active" and now - self.failing_since >= disable_after:
            self.disable(f"Every delivery failed since {self.failing_since.isoformat()}.", now)
            return True
        return False


def require_manager(endpoint: Endpoint | None, role: str, organisation: str) -> Endpoint:
    """Another organisation's endpoint does not exist for the caller (404, not 403)."""
    if endpoint is None or not endpoint.owner.may_manage(role, organisation):
        raise NotFound("No such endpoint.")
    return endpoint


# --- deliveries --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttemptResult:
    """What one HTTP attempt came to: a status code, or an error (timeout, refused address, ...)."""
    status_code: int | None
    latency_ms: int
    response_body: str | None = None
    error: str | None = None
    retry_after_s: float | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def gone(self) -> bool:
        return self.status_code == 410


@dataclass(frozen=True)
class RetryPolicy:
    """The Standard Webhooks schedule: the first attempt at once, then after 5 s, 5 min, 30 min, 2 h, 5 h,
    10 h and 10 h; each delay varied by +- `jitter` so that many receivers are not hit in lockstep."""
    schedule: tuple[float, ...] = (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    jitter: float = 0.1
    max_retry_after_s: float = 36000

    @property
    def max_attempts(self) -> int:
        return len(self.schedule)

    def delay_after(self, attempts: int, retry_after_s: float | None, rng: random.Random) -> float | None:
        """Seconds until the next attempt after `attempts` failed ones; None when there is none left."""
        if attempts >= self.max_attempts:
            return None
        delay = self.schedule[attempts] * (1 + rng.uniform(-self.jitter, self.jitter))
        if retry_after_s is not None:
            delay = max(delay, min(retry_after_s, self.max_retry_after_s))
        return max(delay, 0.0)


@dataclass
class DeliveryState:
    """Where a delivery stands; the dispatcher works on these (plain objects, cheap by the thousand)."""
    id: str                 # the webhook-id, the same on every attempt
    endpoint_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    round_attempts: int = 0  # attempts since creation or the last replay: where on the schedule we are
    last_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    response_code: int | None = None
    response_body: str | None = None
    latency_ms: int | None = None
    last_error: str | None = None

    def record(self, result: AttemptResult, now: datetime, policy: RetryPolicy, rng: random.Random) -> None:
        self.attempts += 1
        self.round_attempts += 1
        self.last_attempt_at = now
        self.response_code = result.status_code
        self.response_body = (result.response_body or "")[:RESPONSE_BODY_LIMIT] or None
        self.latency_ms = result.latency_ms
        self.last_error = result.error
        if result.succeeded:
            self.status, self.delivered_at, self.next_attempt_at = "delivered", now, None
            return
        delay = None if result.gone else policy.delay_after(self.round_attempts, result.retry_after_s, rng)
        if delay is None:
            self.status, self.next_attempt_at = "failed", None
        else:
            self.next_attempt_at = now + timedelta(seconds=delay)

    def replay(self, now: datetime) -> None:
        """Send again with the same webhook-id; the receiver dedupes if it got it before."""
        if self.status == "pending":
            raise Conflict("This delivery is still being attempted.", field="status")
        self.status = "pending"
        self.round_attempts = 0
        self.next_attempt_at = now
        self.delivered_at = None


@dataclass
class Delivery(DeliveryState):
    """A delivery with its body: the event as a structured CloudEvent, exactly as it is sent."""
    payload: str = ""

    @classmethod
    def of(cls, endpoint: Endpoint, event_id: str, event_type: str, payload: str, now: datetime) -> Delivery:
        return cls(id=new_message_id(), endpoint_id=endpoint.id, event_id=event_id, event_type=event_type, payload=payload,
                   status="pending", attempts=0, next_attempt_at=now, created_at=now)
