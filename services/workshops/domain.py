"""Strategy workshops ("Strategiewerkstätten") of Netzwerk vor Ort: the aggregate and its rules.

Each municipality selected by the steering group gets a short series of workshops (two in 2018).
The office plans them when the selection is announced, schedules dates and a venue later, takes
registrations from partners, local actors, schools, universities, businesses and the municipalities
that were not selected, checks people in at the door and finally records the results (solution
approaches) that are published to all members.

This module is pure: no I/O, no clock, no database. Every function that needs the time takes
``now``; the caller loads the workshop and its registrations, calls one function and saves what
it got back. Functions validate everything first and only then change the objects they were given
(in place), so a raised error leaves the state untouched. Errors are the shared domain errors,
with a ``field`` where the problem is one input field, so the API can answer field by field.

All datetimes stored here are timezone-aware UTC. People enter and read Berlin wall time;
:func:`to_utc` and :func:`to_local` are the only places where that translation happens.
"""
from __future__ import annotations

import csv
import io
import re
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.errors import Conflict, Forbidden, InvalidInput, NotFound

__all__ = [
    "BERLIN", "UTC",
    "WORKSHOP_STATUSES", "REGISTRATION_STATUSES", "PARTICIPANT_TYPES",
    "PARTICIPANT_TYPE_LABELS_DE", "REGISTRATION_STATUS_LABELS_DE",
    "STAFF_ROLES", "PARTNER_ROLES", "MUNICIPALITY_ROLE",
    "SolutionApproach", "ResultDocument", "WorkshopResults", "Workshop", "Registration",
    "workshop_id_for", "plan_series", "invite_municipalities",
    "schedule", "cancel", "registration_window", "is_registration_open",
    "to_utc", "to_local",
    "may_register", "register", "approve", "reject", "cancel_registration", "fill_from_waitlist",
    "check_in", "find_by_manage_code", "confirmed_count", "waitlist",
    "attendance_counts", "registration_counts",
    "complete", "completed_event_payload", "participant_organisations", "participants_csv",
    "erase_registrant",
    # re-exported so that callers of this module need one import only
    "Conflict", "Forbidden", "InvalidInput", "NotFound",
]

UTC = timezone.utc
BERLIN_TZ_NAME = "Europe/Berlin"
BERLIN = ZoneInfo(BERLIN_TZ_NAME)

# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

PLANNED, SCHEDULED, CANCELLED, COMPLETED = "planned", "scheduled", "cancelled", "completed"
WORKSHOP_STATUSES = (PLANNED, SCHEDULED, CANCELLED, COMPLETED)
#: A workshop in one of these states is history: nothing about it may change any more.
FINAL_WORKSHOP_STATUSES = frozenset({CANCELLED, COMPLETED})

CONFIRMED, WAITLISTED, PENDING, REJECTED = "confirmed", "waitlisted", "pending", "rejected"
REGISTRATION_STATUSES = (CONFIRMED, WAITLISTED, PENDING, REJECTED, CANCELLED)
#: Registrations in these states still hold (or wait for) a place and block a second sign-up.
ACTIVE_REGISTRATION_STATUSES = frozenset({CONFIRMED, WAITLISTED, PENDING})

PARTICIPANT_TYPES = (
    "steering_partner",  # an institution of the steering group (ministry, Städtetag, IHK, ...)
    "local_actor",
    "school",
    "university",
    "business",
    "municipality",      # staff of the host or of an invited, not selected municipality
    "citizen",
)

#: German labels for the staff UI and the participants export.
PARTICIPANT_TYPE_LABELS_DE = {
    "steering_partner": "Partner der Steuerungsgruppe",
    "local_actor": "Lokale Akteure",
    "school": "Schule",
    "university": "Hochschule",
    "business": "Unternehmen",
    "municipality": "Kommune",
    "citizen": "Bürgerin/Bürger",
}
REGISTRATION_STATUS_LABELS_DE = {
    CONFIRMED: "bestätigt",
    WAITLISTED: "Warteliste",
    PENDING: "wartet auf Freigabe",
    REJECTED: "abgelehnt",
    CANCELLED: "storniert",
}

#: Principal roles (as the services' auth layer names them) that may register for any workshop.
STAFF_ROLES = frozenset({"staff"})
PARTNER_ROLES = frozenset({"partner", "steering"})
MUNICIPALITY_ROLE = "municipality"

#: Fixed namespace for workshop ids, so that an id follows from (application, sequence) alone.
WORKSHOP_ID_NAMESPACE = uuid.UUID("6f1d3c2e-7a43-5b8e-9c1f-2d4e5a6b7c80")

_AGS_RE = re.compile(r"^\d{8}$")
#: Dates outside this range are typing errors (0226 for 2026) and break the calendar's time zone.
MIN_YEAR, MAX_YEAR = 2000, 2100
# The date-times the API accepts, as a pattern (the OpenAPI document states it): a real calendar date in
# MIN_YEAR..MAX_YEAR, "T", hours and minutes (seconds and up to 6 fraction digits optional), and an optional
# offset (Z or +HH:MM); without one it is Berlin wall time.
_LEAP_YEAR = r"(?:2000|20(?:0[48]|[2468][048]|[13579][26]))"
_DATE = (r"(?:(?:20[0-9]{2}|2100)-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|"
         r"[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|" + _LEAP_YEAR + r"-02-29)")
DATE_TIME_PATTERN = (r"^" + _DATE + r"T(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?"
                     r"(?:Z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?$")
# Deliberately loose: the only real check of an address is the mail that reaches it.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_TEXT = 200


# --------------------------------------------------------------------------------------------
# The aggregate
# --------------------------------------------------------------------------------------------

@dataclass
class SolutionApproach:
    """A "Lösungsansatz": the main result of a workshop, tagged with its field of action."""
    title: str
    field_of_action: str
    description: str = ""

    def as_dict(self) -> dict:
        return {"title": self.title, "description": self.description,
                "field_of_action": self.field_of_action}


@dataclass
class ResultDocument:
    """A link to a published document (minutes, slides, photo record)."""
    title: str
    url: str

    def as_dict(self) -> dict:
        return {"title": self.title, "url": self.url}


@dataclass
class WorkshopResults:
    summary: str
    solution_approaches: list[SolutionApproach]
    documents: list[ResultDocument] = field(default_factory=list)


@dataclass
class Workshop:
    """One Strategiewerkstatt in one selected municipality.

    ``revision`` counts the changes that calendar subscribers must notice (new time, new venue,
    cancellation); the iCalendar export uses it as SEQUENCE. ``updated_at`` is the last such
    change and becomes the DTSTAMP.
    """
    id: str
    call_id: str
    application_id: str
    municipality_ags: str
    municipality_name: str
    sequence: int
    topic: str = ""
    status: str = PLANNED
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    venue: str = ""
    capacity: int | None = None
    agenda: str = ""
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    requires_approval: bool = False
    invited_ags: set[str] = field(default_factory=set)
    #: Whether municipalities need to be host or invited to register. The office may open a
    #: workshop to every municipality of the network; partners and staff are never restricted.
    restricted_to_invitees: bool = True
    municipality_population: int | None = None
    municipality_size_class: str | None = None
    results: WorkshopResults | None = None
    completed_at: datetime | None = None
    revision: int = 0
    updated_at: datetime | None = None

    @property
    def title(self) -> str:
        """German title as shown in calendars and lists, e.g.
        "Strategiewerkstatt 1: Smart City in Wassenberg"."""
        topic = f": {self.topic}" if self.topic else ""
        return f"Strategiewerkstatt {self.sequence}{topic} in {self.municipality_name}"


@dataclass
class Registration:
    """One person's sign-up for one workshop. Personal data: see :func:`completed_event_payload`
    for what leaves this service (counts only).

    ``manage_code`` is the secret in the link that lets the person view or cancel the
    registration without an account. ``registrant_subject``/``registrant_ags`` record which
    authenticated principal made the registration, for access checks and GDPR export.
    """
    id: str
    workshop_id: str
    name: str
    email: str
    organisation: str
    participant_type: str
    consent: bool
    status: str
    manage_code: str
    created_at: datetime
    waitlist_position: int | None = None
    checked_in_at: datetime | None = None
    registrant_subject: str | None = None
    registrant_ags: str | None = None


# --------------------------------------------------------------------------------------------
# Local time
# --------------------------------------------------------------------------------------------

def to_utc(value: datetime | str, tz: str = BERLIN_TZ_NAME, *, field: str | None = None) -> datetime:
    """Turn user input into an aware UTC datetime.

    Input with an offset is taken as it is. Input without one is wall-clock time in ``tz``
    (Berlin), because that is what the office types into a form. ISO 8601 strings are accepted
    so that API handlers can pass values through. Wall times that do not exist (the hour skipped
    when clocks go forward, e.g. 2026-03-29 02:30) are rejected rather than silently shifted; a
    time that occurs twice (2026-10-25 02:30) means the first occurrence, summer time.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInput("Not a valid date and time (ISO 8601 expected).", field) from None
    if not isinstance(value, datetime):
        raise InvalidInput("A date and time is required.", field)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise InvalidInput(f"Dates between {MIN_YEAR} and {MAX_YEAR} only.", field)
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(UTC)
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"Unknown time zone {tz!r}.", field) from None
    local = value.replace(tzinfo=zone, fold=0)
    # A wall time in the spring-forward gap does not survive the round trip through UTC.
    if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value.replace(fold=0):
        raise InvalidInput(
            f"{value:%d.%m.%Y %H:%M} does not exist in {tz} (clocks go forward).", field)
    return local.astimezone(UTC)


def to_local(value: datetime, tz: str = BERLIN_TZ_NAME) -> datetime:
    """Show a stored UTC datetime as wall time in ``tz`` (aware, with the right offset)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("to_local needs an aware datetime; stored times are UTC")
    return value.astimezone(ZoneInfo(tz))


def _fmt_local(value: datetime) -> str:
    return f"{to_local(value):%d.%m.%Y %H:%M} Uhr"


# --------------------------------------------------------------------------------------------
# Planning a series
# --------------------------------------------------------------------------------------------

def workshop_id_for(application_id: str, sequence: int) -> str:
    """The id of workshop ``sequence`` of a selected application, always the same one."""
    return str(uuid.uuid5(WORKSHOP_ID_NAMESPACE, f"{application_id}/{sequence}"))


def _check_ags(ags: Any, field_name: str) -> str:
    if not isinstance(ags, str) or not _AGS_RE.match(ags.strip()):
        raise InvalidInput("An AGS has exactly 8 digits.", field_name)
    return ags.strip()


def plan_series(call_id: str, application_id: str, ags: str, name: str, workshops_per_place: int,
                *, topic: str = "", invited_ags: Iterable[str] = (), population: int | None = None,
                size_class: str | None = None) -> list[Workshop]:
    """Create the planned (not yet dated) workshops for one selected municipality.

    Called when the selection is announced. The ids are derived from the application and the
    sequence number, so a redelivered selection event yields the same workshops, and the caller
    can insert-if-absent instead of creating a second series. ``invited_ags`` are the
    municipalities that applied but were not selected: they may join these workshops.
    """
    if not call_id:
        raise InvalidInput("A call id is required.", "call_id")
    if not application_id:
        raise InvalidInput("An application id is required.", "application_id")
    ags = _check_ags(ags, "municipality_ags")
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("The municipality name is required.", "municipality_name")
    if isinstance(workshops_per_place, bool) or not isinstance(workshops_per_place, int) \
            or workshops_per_place < 1:
        raise InvalidInput("At least one workshop per place is needed.", "workshops_per_place")
    invited = {_check_ags(a, "invited_ags") for a in invited_ags} - {ags}
    return [
        Workshop(
            id=workshop_id_for(application_id, seq),
            call_id=call_id,
            application_id=application_id,
            municipality_ags=ags,
            municipality_name=name.strip(),
            sequence=seq,
            topic=topic.strip(),
            invited_ags=set(invited),
            municipality_population=population,
            municipality_size_class=size_class,
        )
        for seq in range(1, workshops_per_place + 1)
    ]


def invite_municipalities(workshop: Workshop, ags_list: Iterable[str]) -> Workshop:
    """Add municipalities (by AGS) that may take part although the workshop is not theirs."""
    _ensure_changeable(workshop)
    new = {_check_ags(a, "invited_ags") for a in ags_list} - {workshop.municipality_ags}
    workshop.invited_ags |= new
    return workshop


# --------------------------------------------------------------------------------------------
# Scheduling
# --------------------------------------------------------------------------------------------

SCHEDULE_FIELDS = ("starts_at", "ends_at", "venue", "capacity", "agenda",
                   "registration_opens_at", "registration_closes_at", "requires_approval",
                   "restricted_to_invitees")
_DATETIME_FIELDS = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")
#: Changes to these are what participants and calendar subscribers must be told about.
_RESCHEDULE_FIELDS = ("starts_at", "ends_at", "venue")


def _ensure_changeable(workshop: Workshop) -> None:
    if workshop.status == COMPLETED:
        raise Conflict("The workshop is completed and can no longer be changed.")
    if workshop.status == CANCELLED:
        raise Conflict("The workshop is cancelled and can no longer be changed.")


def _is_capacity(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0)


def schedule(workshop: Workshop, changes: Mapping[str, Any], now: datetime,
             confirmed_count: int) -> tuple[Workshop, str | None]:
    """Set or change dates, venue, capacity, agenda and the registration window.

    ``changes`` holds only the fields to change (see ``SCHEDULE_FIELDS``); times may be aware,
    naive Berlin wall time or ISO strings. ``confirmed_count`` is the number of confirmed places
    already given: capacity may not drop below it, since nobody is un-invited by a form edit.

    Returns the workshop and the event to publish: ``"WorkshopScheduled"`` when a planned
    workshop gets its dates, ``"WorkshopRescheduled"`` when times or venue of a scheduled one
    change, ``None`` when nothing participants must be told about changed (agenda, capacity...).
    After raising the capacity, call :func:`fill_from_waitlist`.
    """
    _ensure_changeable(workshop)
    unknown = [k for k in changes if k not in SCHEDULE_FIELDS]
    if unknown:
        raise InvalidInput(f"Unknown field {unknown[0]!r}.", unknown[0])

    merged = {name: getattr(workshop, name) for name in SCHEDULE_FIELDS}
    for name, value in changes.items():
        if name in _DATETIME_FIELDS:
            merged[name] = None if value is None or value == "" else to_utc(value, field=name)
        elif name in ("venue", "agenda"):
            if value is not None and not isinstance(value, str):
                raise InvalidInput("Text expected.", name)
            merged[name] = (value or "").strip()
        elif name == "capacity":
            if not _is_capacity(value):
                raise InvalidInput("Capacity is a whole number above zero, or empty.", "capacity")
            merged[name] = value
        elif name in ("requires_approval", "restricted_to_invitees"):
            if not isinstance(value, bool):
                raise InvalidInput("Yes or no expected.", name)
            merged[name] = value

    _validate_schedule(merged, confirmed_count)

    reschedule = any(merged[n] != getattr(workshop, n) for n in _RESCHEDULE_FIELDS)
    anything = any(merged[n] != getattr(workshop, n) for n in SCHEDULE_FIELDS)
    if workshop.status == PLANNED:
        event = "WorkshopScheduled"
    elif reschedule:
        event = "WorkshopRescheduled"
    else:
        event = None

    for name, value in merged.items():
        setattr(workshop, name, value)
    if workshop.status == PLANNED:
        workshop.status = SCHEDULED
        workshop.updated_at = now
    elif reschedule:
        workshop.revision += 1
        workshop.updated_at = now
    elif anything:
        workshop.updated_at = now
    return workshop, event


def _validate_schedule(v: Mapping[str, Any], confirmed_count: int) -> None:
    starts, ends = v["starts_at"], v["ends_at"]
    if starts is None:
        raise InvalidInput("A start time is required.", "starts_at")
    if ends is None:
        raise InvalidInput("An end time is required.", "ends_at")
    if ends <= starts:
        raise InvalidInput("The workshop must end after it starts.", "ends_at")
    opens, closes = v["registration_opens_at"], v["registration_closes_at"]
    if closes is not None:
        if opens is not None and closes <= opens:
            raise InvalidInput("Registration must close after it opens.", "registration_closes_at")
        if closes > ends:
            raise InvalidInput("Registration cannot close after the workshop has ended.",
                               "registration_closes_at")
    elif opens is not None and opens >= starts:
        raise InvalidInput("Registration must open before the workshop starts.",
                           "registration_opens_at")
    if v["capacity"] is not None and v["capacity"] < confirmed_count:
        raise InvalidInput(
            f"Capacity cannot be below the {confirmed_count} places already confirmed.",
            "capacity")


def cancel(workshop: Workshop, now: datetime | None = None) -> Workshop:
    """Call off a workshop. It stays in the feed as CANCELLED so that calendars drop it."""
    _ensure_changeable(workshop)
    workshop.status = CANCELLED
    workshop.revision += 1
    workshop.updated_at = now or datetime.now(UTC)
    return workshop


def registration_window(workshop: Workshop) -> tuple[datetime | None, datetime | None]:
    """When registration opens and closes. Without explicit times it is open from scheduling
    until the workshop starts."""
    return workshop.registration_opens_at, workshop.registration_closes_at or workshop.starts_at


def is_registration_open(workshop: Workshop, now: datetime) -> bool:
    if workshop.status != SCHEDULED:
        return False
    opens, closes = registration_window(workshop)
    return (opens is None or now >= opens) and (closes is None or now < closes)


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
    if principal_role == MUNICIPALITY_ROLE and not (isinstance(principal_ags, str) and _AGS_RE.match(principal_ags)):
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
    value = value.strip()
    if required and not value:
        raise InvalidInput("This field is required.", name)
    if len(value) > MAX_TEXT:
        raise InvalidInput(f"At most {MAX_TEXT} characters.", name)
    return value


REGISTRATION_FIELDS = ("name", "email", "organisation", "participant_type", "consent")


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


# --------------------------------------------------------------------------------------------
# Completion and results
# --------------------------------------------------------------------------------------------

def _get(item: Any, key: str) -> Any:
    return item.get(key) if isinstance(item, Mapping) else getattr(item, key, None)


def _is_http_url(url: Any) -> bool:
    if not isinstance(url, str):
        return False
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def complete(workshop: Workshop, summary: str,
             solution_approaches: Sequence[Mapping[str, Any] | SolutionApproach],
             documents: Sequence[Mapping[str, Any] | ResultDocument], now: datetime) -> Workshop:
    """Record the results of a workshop that has taken place.

    Results are published to all members, so they must say something: a summary and at least
    one solution approach with a title and a field of action. Documents are links (http/https
    only, nothing that would run in a reader's browser). After this, nobody can register.
    """
    if workshop.status == COMPLETED:
        raise Conflict("The workshop is already completed.")
    if workshop.status == CANCELLED:
        raise Conflict("A cancelled workshop cannot be completed.")
    if workshop.status != SCHEDULED or workshop.ends_at is None:
        raise Conflict("The workshop was never scheduled.")
    if workshop.ends_at > now:
        raise Conflict(f"The workshop has not ended yet (ends {_fmt_local(workshop.ends_at)}).")

    if not isinstance(summary, str) or not summary.strip():
        raise InvalidInput("A summary of the results is required.", "summary")
    if not solution_approaches:
        raise InvalidInput("At least one solution approach is required.", "solution_approaches")
    approaches = []
    for i, item in enumerate(solution_approaches):
        prefix = f"solution_approaches[{i}]"
        title = _get(item, "title")
        field_of_action = _get(item, "field_of_action")
        description = _get(item, "description") or ""
        if not isinstance(title, str) or not title.strip():
            raise InvalidInput("A title is required.", f"{prefix}.title")
        if not isinstance(field_of_action, str) or not field_of_action.strip():
            raise InvalidInput("A field of action is required.", f"{prefix}.field_of_action")
        if not isinstance(description, str):
            raise InvalidInput("Text expected.", f"{prefix}.description")
        approaches.append(SolutionApproach(title.strip(), field_of_action.strip(),
                                           description.strip()))
    docs = []
    for i, document in enumerate(documents or ()):
        prefix = f"documents[{i}]"
        title, url = _get(document, "title"), _get(document, "url")
        if not isinstance(title, str) or not title.strip():
            raise InvalidInput("A title is required.", f"{prefix}.title")
        if not _is_http_url(url):
            raise InvalidInput("Only http or https links are allowed.", f"{prefix}.url")
        docs.append(ResultDocument(title.strip(), url.strip()))

    workshop.results = WorkshopResults(summary.strip(), approaches, docs)
    workshop.status = COMPLETED
    workshop.completed_at = now
    workshop.updated_at = now
    return workshop


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def completed_event_payload(workshop: Workshop, regs: Iterable[Registration]) -> dict:
    """The body of the WorkshopCompleted event, JSON-serialisable.

    It goes to the publishing service and from there to every member, so it carries facts and
    counts only: no names, e-mail addresses, organisations or manage codes of participants.
    """
    if workshop.status != COMPLETED or workshop.results is None:
        raise Conflict("The workshop is not completed.")
    mine = _mine(workshop, regs)
    attendance = attendance_counts(mine)
    return {
        "workshop_id": workshop.id,
        "call_id": workshop.call_id,
        "application_id": workshop.application_id,
        "municipality": {"ags": workshop.municipality_ags, "name": workshop.municipality_name},
        "sequence": workshop.sequence,
        "topic": workshop.topic,
        "title": workshop.title,
        "starts_at": _iso(workshop.starts_at),
        "ends_at": _iso(workshop.ends_at),
        "completed_at": _iso(workshop.completed_at),
        "venue": workshop.venue,
        "summary": workshop.results.summary,
        "solution_approaches": [a.as_dict() for a in workshop.results.solution_approaches],
        "documents": [d.as_dict() for d in workshop.results.documents],
        "attendance": attendance,
        "attendance_total": sum(attendance.values()),
        "registered": registration_counts(mine),
    }


def participant_organisations(regs: Iterable[Registration]) -> list[str]:
    """Organisations of the people who attended, for the WorkshopCompleted event: the network
    learns which institutions took part (the newsletter reaches them), never who. Citizens take
    part as private persons, so whatever they typed as organisation stays inside."""
    names = {r.organisation.strip() for r in regs
             if r.checked_in_at is not None and r.status == CONFIRMED
             and r.participant_type != "citizen" and r.organisation.strip()}
    return sorted(names, key=str.casefold)


# --------------------------------------------------------------------------------------------
# Erasure (GDPR)
# --------------------------------------------------------------------------------------------

def erase_registrant(reg: Registration, regs: Iterable[Registration], workshop: Workshop, *,
                     erased_name: str, erased_email: str) -> Registration | None:
    """Forget who registered, keep what the programme needs to count.

    A place in a workshop that still lies ahead is given up first (the waitlist moves up; that
    promoted registration is returned): nobody can be let in under an erased name. Past
    attendance stays as it was, because the published counts must still add up. The
    placeholders come from the caller, so that every service erases the same way.
    """
    promoted = None
    if (workshop.status == SCHEDULED and reg.status in ACTIVE_REGISTRATION_STATUSES
            and reg.checked_in_at is None):
        promoted = cancel_registration(reg, regs, workshop)
    reg.name = erased_name
    reg.email = erased_email
    if reg.participant_type == "citizen":  # a private person's "organisation" may name them
        reg.organisation = ""
    reg.registrant_subject = None
    reg.manage_code = secrets.token_urlsafe(24)  # old links stop working
    return promoted


# --------------------------------------------------------------------------------------------
# Export for the office
# --------------------------------------------------------------------------------------------

CSV_HEADER = ("Name", "E-Mail", "Organisation", "Teilnehmergruppe", "Status",
              "Wartelistenplatz", "Angemeldet am", "Eingecheckt am")
_STATUS_ORDER = {s: i for i, s in enumerate((CONFIRMED, WAITLISTED, PENDING, REJECTED, CANCELLED))}


def _csv_safe(value: str) -> str:
    """Neutralise spreadsheet formulas: people type what they like into a name field."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def participants_csv(regs: Iterable[Registration]) -> str:
    """Participant list for the office (name badges, sign-in sheet), ';'-separated as German
    Excel expects, with a header row. The manage codes are secrets and are left out. Encode
    the result as UTF-8 (with a BOM if Excel must recognise the umlauts)."""
    rows = sorted(regs, key=lambda r: (_STATUS_ORDER.get(r.status, 99),
                                       r.waitlist_position or 0, r.created_at, r.name))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow([
            _csv_safe(r.name),
            _csv_safe(r.email),
            _csv_safe(r.organisation),
            PARTICIPANT_TYPE_LABELS_DE.get(r.participant_type, r.participant_type),
            REGISTRATION_STATUS_LABELS_DE.get(r.status, r.status),
            r.waitlist_position or "",
            f"{to_local(r.created_at):%d.%m.%Y %H:%M}",
            f"{to_local(r.checked_in_at):%d.%m.%Y %H:%M}" if r.checked_in_at else "",
        ])
    return out.getvalue()
