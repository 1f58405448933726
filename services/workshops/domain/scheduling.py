"""Planning a series of workshops, scheduling, cancelling, the registration window."""
from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from services.workshops.domain.model import Workshop, to_utc
from services.workshops.domain.vocabulary import CANCELLED, COMPLETED, PLANNED, SCHEDULED, UTC, WORKSHOP_ID_NAMESPACE
from shared.errors import Conflict, InvalidInput
from shared.municipalities import AGS_RE

# --------------------------------------------------------------------------------------------
# Planning a series
# --------------------------------------------------------------------------------------------

def workshop_id_for(application_id: str, sequence: int) -> str:
    """The id of workshop ``sequence`` of a selected application, always the same one."""
    return str(uuid.uuid5(WORKSHOP_ID_NAMESPACE, f"{application_id}/{sequence}"))


def _check_ags(ags: Any, field_name: str) -> str:
    if not isinstance(ags, str) or not AGS_RE.match(ags.strip()):
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
