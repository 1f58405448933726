"""The workshop aggregate and its registrations, and local (Berlin) time."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.workshops.domain.vocabulary import BERLIN_TZ_NAME, MAX_YEAR, MIN_YEAR, PLANNED, UTC
from shared.errors import InvalidInput

# --------------------------------------------------------------------------------------------
# The aggregate
# --------------------------------------------------------------------------------------------

@dataclass
class SolutionApproach:
    """A "Lösungsansatz": the main result of a workshop, tagged with its field of action."""
    title: str
    field_of_action: str
    description: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"title": self.title, "description": self.description,
                "field_of_action": self.field_of_action}


@dataclass
class ResultDocument:
    """A link to a published document (minutes, slides, photo record)."""
    title: str
    url: str

    def as_dict(self) -> dict[str, Any]:
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
        given_by_a_person = True
    else:  # a datetime: as typed (wall time), or already converted to an instant by the API's schema
        given_by_a_person = getattr(value, "tzinfo", None) is None
    if not isinstance(value, datetime):
        raise InvalidInput("A date and time is required.", field)
    # The range is checked on the value as given: a converted one may lie a few hours outside it.
    if given_by_a_person and not MIN_YEAR <= value.year <= MAX_YEAR:
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
