"""Registrations: who may register, the waiting list, approval, cancellation and check-in."""
from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.workshops.domain.model import Registration, _fmt_local
from services.workshops.domain.scheduling import _ensure_changeable, registration_window
from services.workshops.domain.vocabulary import (
    _EMAIL_RE,
    ACTIVE_REGISTRATION_STATUSES,
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    MAX_TEXT,
    MUNICIPALITY_ROLE,
    PARTICIPANT_TYPES,
    PARTNER_ROLES,
    PENDING,
    REJECTED,
    SCHEDULED,
    STAFF_ROLES,
    WAITLISTED,
)
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound
from shared.municipalities import AGS_RE

if TYPE_CHECKING:
    from services.workshops.domain.model import Workshop


# --------------------------------------------------------------------------------------------
# Registrations
# --------------------------------------------------------------------------------------------

def may_register(workshop: Workshop, principal_role: str, principal_ags: str | None) -> bool:
    """Whether a principal may register people for this workshop; raises Forbidden if not.

    The office and the partners (steering group and workshop partners) may always. A
    municipality may join its own workshops and those it was invited to as a not selected
    applicant, nobody else's, unless the office lifted that restriction for the workshop.
    """
    if principal_role in STAFF_ROLES or principal_role in PARTNER_ROLES:
        return True
    if principal_role == MUNICIPALITY_ROLE and not (isinstance(principal_ags, str) and AGS_RE.match(principal_ags)):
        raise Forbidden("The municipality's token carries no valid AGS.")
    if principal_role == MUNICIPALITY_ROLE and principal_ags and (
            principal_ags == workshop.municipality_ags or principal_ags in workshop.invited_ags
            or not workshop.restricted_to_invitees):
        return True
    if principal_role == MUNICIPALITY_ROLE:
        raise Forbidden("This municipality is neither host of nor invited to this workshop.")
    raise Forbidden("Not allowed to register for workshops.")


def _mine(workshop: Workshop, regs: Iterable[Registration]) -> list[Registration]:
    return [r for r in regs if r.workshop_id == workshop.id]


def confirmed_count(regs: Iterable[Registration]) -> int:
    return sum(1 for r in regs if r.status == CONFIRMED)


def waitlist(regs: Iterable[Registration]) -> list[Registration]:
    """Waitlisted registrations, first come first served (by creation time)."""
    return sorted((r for r in regs if r.status == WAITLISTED), key=lambda r: (r.created_at, r.id))


def _has_room(workshop: Workshop, regs: Iterable[Registration]) -> bool:
    return workshop.capacity is None or confirmed_count(regs) < workshop.capacity


def _renumber_waitlist(regs: Iterable[Registration]) -> None:
    """Keep ``waitlist_position`` (1-based) in step with the FIFO order. Changes the given
    registrations in place: the caller saves all registrations of the workshop."""
    regs = list(regs)
    for r in regs:
        if r.status != WAITLISTED:
            r.waitlist_position = None
    for position, r in enumerate(waitlist(regs), start=1):
        r.waitlist_position = position


def _clean_text(value: Any, name: str, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInput("Text expected.", name)
    text = value.strip()
    if required and not text:
        raise InvalidInput("This field is required.", name)
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"At most {MAX_TEXT} characters.", name)
    return text


REGISTRATION_FIELDS = ("name", "email", "organisation", "participant_type", "consent")


def _require_registration_open(workshop: Workshop, now: datetime, late_entry: bool) -> None:
    """A workshop takes registrations once it has a date, inside its window (the office's late entries
    aside), and never after it took place or was cancelled."""
    if workshop.status == COMPLETED:
        raise Conflict("The workshop has taken place; registration is closed.")
    if workshop.status == CANCELLED:
        raise Conflict("The workshop has been cancelled.")
    if workshop.status != SCHEDULED:
        raise Conflict("The workshop has no date yet; registration is not open.")
    opens, closes = registration_window(workshop)
    if opens is not None and now < opens and not late_entry:
        raise Conflict(f"Registration opens on {_fmt_local(opens)}.")
    if closes is not None and now >= closes and not late_entry:
        raise Conflict(f"Registration closed on {_fmt_local(closes)}.")


def _registrant(request: Mapping[str, Any]) -> tuple[str, str, str, str]:
    """Name, email, organisation and participant type as the person entered them, checked; consent given."""
    unknown = [k for k in request if k not in REGISTRATION_FIELDS]
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.", unknown[0])
    name = _clean_text(request.get("name"), "name", required=True)
    email = _clean_text(request.get("email"), "email", required=True)
    if not _EMAIL_RE.match(email):
        raise InvalidInput("Not a valid e-mail address.", "email")
    organisation = _clean_text(request.get("organisation"), "organisation", required=False)
    participant_type = request.get("participant_type")
    if participant_type not in PARTICIPANT_TYPES:
        raise InvalidInput(f"Unknown participant type; one of: {', '.join(PARTICIPANT_TYPES)}.",
                           "participant_type")
    if request.get("consent") is not True:
        raise InvalidInput("Consent to the processing of personal data is required.", "consent")
    return name, email, organisation, participant_type


def register(workshop: Workshop, existing_registrations: Iterable[Registration],
             request: Mapping[str, Any], now: datetime, *,
             registrant_subject: str | None = None,
             registrant_ags: str | None = None,
             late_entry: bool = False) -> Registration:
    """Sign one person up.

    ``request`` holds what the person entered: name, email, organisation (may be empty, e.g. for
    citizens), participant_type, consent (must be ``True``: we store personal data only with
    it). ``registrant_subject``/``registrant_ags`` are who is logged in, set by the handler.

    The new registration is ``pending`` if the workshop requires approval, ``confirmed`` while
    there is room, else ``waitlisted``. ``existing_registrations`` are used for the duplicate
    check and the capacity count; they are not changed.

    ``late_entry`` (the office only) ignores the registration window, for people who sign up at
    the door or are added from the sign-in sheet afterwards; it never reopens a completed or
    cancelled workshop.
    """
    _require_registration_open(workshop, now, late_entry)
    name, email, organisation, participant_type = _registrant(request)

    regs = _mine(workshop, existing_registrations)
    key = email.casefold()
    if any(r.email.casefold() == key and r.status in ACTIVE_REGISTRATION_STATUSES | {REJECTED}
           for r in regs):
        raise Conflict("This e-mail address is already registered for this workshop.", "email")

    if workshop.requires_approval:
        status, position = PENDING, None
    elif _has_room(workshop, regs):
        status, position = CONFIRMED, None
    else:
        status, position = WAITLISTED, len(waitlist(regs)) + 1

    return Registration(
        id=str(uuid.uuid4()),
        workshop_id=workshop.id,
        name=name,
        email=email,
        organisation=organisation,
        participant_type=participant_type,
        consent=True,
        status=status,
        manage_code=secrets.token_urlsafe(24),
        created_at=now,
        waitlist_position=position,
        registrant_subject=registrant_subject,
        registrant_ags=registrant_ags,
    )


def approve(reg: Registration, workshop: Workshop, regs: Iterable[Registration]) -> Registration:
    """Accept a pending registration: a place if there is one, else the waitlist."""
    _ensure_changeable(workshop)
    if reg.status != PENDING:
        raise Conflict(f"Only pending registrations can be approved (this one is {reg.status}).")
    others = [r for r in _mine(workshop, regs) if r.id != reg.id]
    if _has_room(workshop, others):
        reg.status = CONFIRMED
    else:
        reg.status = WAITLISTED
        _renumber_waitlist(others + [reg])
    return reg


def reject(reg: Registration) -> Registration:
    """Turn down a pending registration (e.g. the room is for a particular audience)."""
    if reg.status != PENDING:
        raise Conflict(f"Only pending registrations can be rejected (this one is {reg.status}).")
    reg.status = REJECTED
    return reg


def cancel_registration(reg: Registration, regs: Iterable[Registration],
                        workshop: Workshop) -> Registration | None:
    """Withdraw a registration. A freed confirmed place goes to the first person on the
    waitlist at once, so nobody has to watch for it; that promoted registration is returned
    (the caller tells the person), or None. Waitlist positions of ``regs`` are renumbered in
    place."""
    if workshop.status == COMPLETED:
        raise Conflict("The workshop has taken place; registrations can no longer be cancelled.")
    if reg.status not in ACTIVE_REGISTRATION_STATUSES:
        raise Conflict(f"The registration is already {reg.status}.")
    if reg.checked_in_at is not None:
        raise Conflict("The participant has already been checked in.")
    freed_place = reg.status == CONFIRMED
    reg.status = CANCELLED
    reg.waitlist_position = None

    mine = [r for r in _mine(workshop, regs) if r.id != reg.id]
    promoted = None
    if freed_place and workshop.status == SCHEDULED:
        queue = waitlist(mine)
        if queue and _has_room(workshop, mine):
            promoted = queue[0]
            promoted.status = CONFIRMED
    _renumber_waitlist(mine)
    return promoted


def fill_from_waitlist(workshop: Workshop, regs: Iterable[Registration]) -> list[Registration]:
    """Promote waitlisted people while there is room, e.g. after the capacity was raised.
    Returns the promoted registrations."""
    if workshop.status != SCHEDULED:
        return []
    mine = _mine(workshop, regs)
    promoted = []
    for r in waitlist(mine):
        if not _has_room(workshop, mine):
            break
        r.status = CONFIRMED
        promoted.append(r)
    _renumber_waitlist(mine)
    return promoted


def check_in(reg: Registration, now: datetime) -> Registration:
    """Record that a confirmed participant has arrived; the counts feed the results."""
    if reg.status != CONFIRMED:
        raise Conflict(f"Only confirmed participants can be checked in (this one is {reg.status}).")
    if reg.checked_in_at is not None:
        raise Conflict(f"Already checked in at {_fmt_local(reg.checked_in_at)}.")
    reg.checked_in_at = now
    return reg


def find_by_manage_code(regs: Iterable[Registration], code: str) -> Registration:
    """The registration behind a manage link, compared in constant time."""
    for r in regs:
        # bytes: compare_digest refuses str with non-ASCII characters, and codes come from anyone
        if code and secrets.compare_digest(r.manage_code.encode(), code.encode()):
            return r
    raise NotFound("No registration with this code.")


def attendance_counts(regs: Iterable[Registration]) -> dict[str, int]:
    """Checked-in participants per participant type (every type present, zeros included)."""
    counts = dict.fromkeys(PARTICIPANT_TYPES, 0)
    for r in regs:
        if r.checked_in_at is not None and r.status == CONFIRMED:
            counts[r.participant_type] = counts.get(r.participant_type, 0) + 1
    return counts


def registration_counts(regs: Iterable[Registration]) -> dict[str, int]:
    """Confirmed registrations per participant type (every type present, zeros included)."""
    counts = dict.fromkeys(PARTICIPANT_TYPES, 0)
    for r in regs:
        if r.status == CONFIRMED:
            counts[r.participant_type] = counts.get(r.participant_type, 0) + 1
    return counts
