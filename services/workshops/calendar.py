"""iCalendar (.ics) export of workshops: one file per workshop and a feed to subscribe to.

Times are written as Berlin wall time with ``TZID=Europe/Berlin`` and a matching VTIMEZONE, not
as UTC: a workshop at 10:00 stays at 10:00 in every calendar on either side of a daylight-saving
change, and people who read the raw file see the time they were told. The output is byte-for-byte
the same for the same workshops (no random UIDs, no "now"), so it can be cached and ETagged.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache
from collections.abc import Iterable

from icalendar import Calendar, Event, Timezone

from services.workshops.domain import (
    BERLIN_TZ_NAME, CANCELLED, COMPLETED, SCHEDULED, Workshop, to_local,
)
from shared.errors import Conflict

PRODID = "-//Netzwerk Innenstadt NRW//Netzwerk vor Ort//DE"
FEED_NAME = "Netzwerk vor Ort – Strategiewerkstätten"
UID_DOMAIN = "netzwerk-vor-ort"
#: Only these states have real dates worth putting into somebody's calendar.
_CALENDAR_STATUSES = {SCHEDULED: "CONFIRMED", COMPLETED: "CONFIRMED", CANCELLED: "CANCELLED"}
# The VTIMEZONE lists every transition in its range; this range covers the programme's
# lifetime and is widened when a workshop falls outside it.
_TZ_FIRST_YEAR, _TZ_LAST_YEAR = 2018, 2038


def workshop_uid(workshop: Workshop) -> str:
    """Stable per workshop, so a re-imported or re-fetched event updates instead of duplicating."""
    return f"{workshop.id}@{UID_DOMAIN}"


def in_calendar(workshop: Workshop) -> bool:
    return (workshop.status in _CALENDAR_STATUSES
            and workshop.starts_at is not None and workshop.ends_at is not None)


def workshop_ics(workshop: Workshop) -> bytes:
    """A single-event calendar file, e.g. attached to a registration confirmation."""
    if not in_calendar(workshop):
        raise Conflict("The workshop has no date yet.")
    return _calendar([workshop], name=workshop.title).to_ical()


def feed_ics(workshops: Iterable[Workshop], *, name: str = FEED_NAME) -> bytes:
    """The subscription feed: every dated workshop, cancelled ones included so that
    subscribed calendars remove them."""
    dated = sorted((w for w in workshops if in_calendar(w)),
                   key=lambda w: (w.starts_at, w.municipality_name, w.sequence))
    return _calendar(dated, name=name).to_ical()


def _calendar(workshops: list[Workshop], *, name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", BERLIN_TZ_NAME)
    years = [day.year for w in workshops for day in (w.starts_at, w.ends_at) if day is not None]
    first = min([_TZ_FIRST_YEAR, *years])
    last = max([_TZ_LAST_YEAR, *(y + 1 for y in years)])
    cal.add_component(_berlin_vtimezone(first, last))
    for w in workshops:
        cal.add_component(_event(w))
    return cal


@lru_cache(maxsize=8)
def _berlin_vtimezone(first_year: int, last_year: int) -> Timezone:
    """Building a VTIMEZONE walks all transitions; the result never changes, so cache it."""
    return Timezone.from_tzid(BERLIN_TZ_NAME, first_date=date(first_year, 1, 1),
                              last_date=date(last_year, 1, 1))


def _event(w: Workshop) -> Event:
    assert w.starts_at is not None and w.ends_at is not None  # in_calendar() lets only dated workshops in
    event = Event()
    event.add("uid", workshop_uid(w))
    # DTSTAMP: when this information last changed, so identical input gives identical output.
    event.add("dtstamp", w.updated_at or w.completed_at or w.starts_at)
    event.add("dtstart", to_local(w.starts_at))
    event.add("dtend", to_local(w.ends_at))
    event.add("summary", w.title)
    if w.venue:
        event.add("location", w.venue)
    if w.agenda:
        event.add("description", w.agenda)
    event.add("status", _CALENDAR_STATUSES[w.status])
    event.add("sequence", w.revision)
    return event
