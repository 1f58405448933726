"""Members, subscribers (double opt-in) and the segments a newsletter goes to."""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from services.publishing.domain.vocabulary import _text, normalise_email
from shared.municipalities import AGS_RE
from shared.errors import Conflict, InvalidInput

# --------------------------------------------------------------------------------------------------
# Members and subscribers
# --------------------------------------------------------------------------------------------------

MEMBER_KINDS = ("municipality", "partner")
#: The languages mails are written in (shared.mail_templates.LANGUAGES; a unit test keeps them equal). A
#: subscriber's is the language of the page they subscribed from, German when none was named.
MAIL_LANGUAGES = ("de", "en")
SUBSCRIBER_STATUSES = ("pending", "confirmed", "unsubscribed")


@dataclass(frozen=True, kw_only=True)
class Member:
    """A member of the network (municipality or partner institution); members receive results by role."""
    id: str
    name: str
    kind: str
    ags: str | None = None
    email: str
    contact_name: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in MEMBER_KINDS:
            raise InvalidInput(f"Unknown member kind '{self.kind}'.", field="kind")
        if self.ags is not None and not AGS_RE.fullmatch(self.ags):
            raise InvalidInput("The AGS has 8 digits.", field="ags")


@dataclass(frozen=True, kw_only=True)
class Subscriber:
    """Someone who subscribed to results by topic. Receives mail only after double opt-in; topics a
    confirmed subscriber asks for later wait in `pending_topics` until the address confirms them too."""
    id: str
    email: str
    topics: tuple[str, ...] = ()
    pending_topics: tuple[str, ...] = ()
    status: str = "pending"
    created_at: datetime
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    language: str = "de"  # of the mails they get: the confirmation and the newsletters' frame

    def __post_init__(self) -> None:
        if self.language not in MAIL_LANGUAGES:
            raise InvalidInput(f"Mails are written in {' or '.join(MAIL_LANGUAGES)}, not '{self.language}'.",
                               field="language")


def subscribe(email: str, topics: Iterable[str], now: datetime, subscriber_id: str | None = None,
              language: str | None = None) -> Subscriber:
    """New pending subscription, mailed in `language` (German when none is named); nothing is sent to it
    until the address is confirmed."""
    clean_topics = tuple(dict.fromkeys(_text(t) for t in topics if _text(t)))
    if not clean_topics:
        raise InvalidInput("Please choose at least one topic.", field="topics")
    return Subscriber(id=subscriber_id or str(uuid.uuid4()), email=normalise_email(email),
                      topics=clean_topics, created_at=now, language=language or "de")


def subscribe_again(current: Subscriber, requested: Subscriber,
                    language: str | None = None) -> tuple[Subscriber, tuple[str, ...]]:
    """A known address subscribes again (`requested` is what `subscribe` made of the request): what the
    subscription becomes, and the topics the confirmation mail asks for (none: nothing new to confirm).

    A confirmed subscriber keeps its topics and the new ones wait for confirmation by mail; a pending
    address adds the topics to its request, and an unsubscribed one starts a fresh double opt-in. A
    `language` named by the request (the page it came from) becomes the subscription's, in every case."""
    current = replace(current, language=language or current.language)
    if current.status == "confirmed":
        known = {t.casefold() for t in current.topics}
        new = tuple(t for t in requested.topics if t.casefold() not in known)
        if not new:
            return current, ()
        return replace(current, pending_topics=tuple(dict.fromkeys([*current.pending_topics, *new]))), new
    topics = requested.topics if current.status == "unsubscribed" else \
        tuple(dict.fromkeys([*current.topics, *requested.topics]))
    return replace(current, status="pending", topics=topics, pending_topics=(), unsubscribed_at=None), topics


def confirm_subscription(sub: Subscriber, now: datetime) -> Subscriber:
    """Double opt-in step. Idempotent, because people click confirmation links twice. Topics a confirmed
    subscriber asked for since are confirmed with it."""
    if sub.status == "confirmed" and not sub.pending_topics:
        return sub
    if sub.status == "unsubscribed":
        raise Conflict("This subscription was cancelled; please subscribe again.")
    return replace(sub, status="confirmed", confirmed_at=sub.confirmed_at if sub.status == "confirmed" else now,
                   topics=tuple(dict.fromkeys([*sub.topics, *sub.pending_topics])), pending_topics=())


def unsubscribe(sub: Subscriber, now: datetime) -> Subscriber:
    """Cancel a subscription. Idempotent: one-click unsubscribe may be requested by mail clients repeatedly."""
    if sub.status == "unsubscribed":
        return sub
    return replace(sub, status="unsubscribed", unsubscribed_at=now, pending_topics=())


# --------------------------------------------------------------------------------------------------
# Segments and recipients
# --------------------------------------------------------------------------------------------------

#: Segment type -> keys it requires. Stored as plain dicts so they serialise into newsletter rows/events.
SEGMENT_TYPES: dict[str, tuple[str, ...]] = {
    "all_members": (),
    "selected_municipalities": ("call_id",),
    "workshop_participants": ("workshop_id",),
    "subscribers": ("topic",),
}


def validate_segment(segment: Any) -> dict[str, str]:
    """Check a segment and return a clean copy.

    Unexpected keys are rejected too: a typo such as ``callid`` would otherwise silently widen or empty
    the audience of a newsletter.
    """
    if not isinstance(segment, Mapping):
        raise InvalidInput("The segment must be an object with a 'type'.", field="segment")
    kind = segment.get("type")
    if kind not in SEGMENT_TYPES:
        raise InvalidInput(f"Unknown segment type '{kind}'; allowed: {', '.join(SEGMENT_TYPES)}.", field="segment")
    required = SEGMENT_TYPES[kind]
    unexpected = sorted(set(segment) - {"type", *required})
    if unexpected:
        raise InvalidInput(f"Segment '{kind}' does not take {', '.join(unexpected)}.", field="segment")
    clean = {"type": kind}
    for key in required:
        value = _text(segment.get(key))
        if not value:
            raise InvalidInput(f"Segment '{kind}' requires '{key}'.", field="segment")
        clean[key] = value
    return clean


def describe_segment(segment: Mapping[str, Any]) -> str:
    """German label of a segment for the admin UI."""
    segment = validate_segment(segment)
    return {
        "all_members": "Alle Mitglieder",
        "selected_municipalities": "Ausgewählte Kommunen des Aufrufs",
        "workshop_participants": "Teilnehmende Organisationen der Strategiewerkstatt",
        "subscribers": f"Abonnentinnen und Abonnenten zum Thema „{segment.get('topic', '')}“",
    }[segment["type"]]


def resolve_recipients(
    segment: Mapping[str, Any],
    members: Iterable[Member],
    subscribers: Iterable[Subscriber],
    selected_ags_by_call: Mapping[str, Iterable[str]],
    participant_orgs_by_workshop: Mapping[str, Iterable[str]],
) -> list[tuple[str, str]]:
    """Who receives a newsletter: a list of (email, name), de-duplicated case-insensitively, sorted.

    - ``all_members``: every member with an address.
    - ``selected_municipalities``: member municipalities whose AGS is in the call's selection.
    - ``workshop_participants``: members named among the workshop's participating organisations, matched
      by member id, AGS or (case-insensitively) name, since WorkshopCompleted lists organisation names.
    - ``subscribers``: confirmed subscribers of the topic (pending and unsubscribed never receive mail).

    A call or workshop missing from the lookup tables resolves to nobody (no selection yet); the sending
    side reports an empty audience instead of guessing.
    """
    segment = validate_segment(segment)
    kind = segment["type"]
    candidates: list[tuple[str, str]] = []
    if kind == "subscribers":
        topic = segment["topic"].casefold()
        candidates = [(s.email, "") for s in subscribers
                      if s.status == "confirmed" and topic in {t.casefold() for t in s.topics}]
    else:
        if kind == "all_members":
            chosen = list(members)
        elif kind == "selected_municipalities":
            ags = {_text(a) for a in selected_ags_by_call.get(segment["call_id"], ())}
            chosen = [m for m in members if m.kind == "municipality" and m.ags in ags]
        else:
            orgs = {_text(o).casefold() for o in participant_orgs_by_workshop.get(segment["workshop_id"], ())}
            orgs.discard("")
            chosen = [m for m in members
                      if {m.id.casefold(), m.name.casefold(), (m.ags or "").casefold()} & orgs]
        candidates = [(m.email, m.contact_name or m.name) for m in chosen]

    unique: dict[str, tuple[str, str]] = {}
    for email, name in candidates:
        email = _text(email)
        if not email:
            continue
        key = email.casefold()
        if key not in unique or (name and not unique[key][1]):
            unique[key] = (email, name)
    return [unique[k] for k in sorted(unique)]
