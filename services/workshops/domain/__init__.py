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
# The package re-exports every name of its modules: callers import from the package, as before.
from __future__ import annotations

from services.workshops.domain.model import (
    Registration,
    ResultDocument,
    SolutionApproach,
    Workshop,
    WorkshopResults,
    _fmt_local,
    to_local,
    to_utc,
)
from services.workshops.domain.registrations import (
    REGISTRATION_FIELDS,
    _clean_text,
    _has_room,
    _mine,
    _renumber_waitlist,
    approve,
    attendance_counts,
    cancel_registration,
    check_in,
    confirmed_count,
    fill_from_waitlist,
    find_by_manage_code,
    may_register,
    register,
    registration_counts,
    reject,
    waitlist,
)
from services.workshops.domain.results import (
    _STATUS_ORDER,
    CSV_HEADER,
    _csv_safe,
    _get,
    _is_http_url,
    _iso,
    complete,
    completed_event_payload,
    erase_registrant,
    participant_organisations,
    participants_csv,
)
from services.workshops.domain.scheduling import (
    _DATETIME_FIELDS,
    _RESCHEDULE_FIELDS,
    SCHEDULE_FIELDS,
    _check_ags,
    _ensure_changeable,
    _is_capacity,
    _validate_schedule,
    cancel,
    invite_municipalities,
    is_registration_open,
    plan_series,
    registration_window,
    schedule,
    workshop_id_for,
)
from services.workshops.domain.vocabulary import (
    _DATE,
    _EMAIL_RE,
    _LEAP_YEAR,
    ACTIVE_REGISTRATION_STATUSES,
    BERLIN,
    BERLIN_TZ_NAME,
    CANCELLED,
    COMPLETED,
    CONFIRMED,
    DATE_TIME_PATTERN,
    FINAL_WORKSHOP_STATUSES,
    MAX_TEXT,
    MAX_YEAR,
    MIN_YEAR,
    MUNICIPALITY_ROLE,
    PARTICIPANT_TYPE_LABELS_DE,
    PARTICIPANT_TYPES,
    PARTNER_ROLES,
    PENDING,
    PLANNED,
    REGISTRATION_STATUS_LABELS_DE,
    REGISTRATION_STATUSES,
    REJECTED,
    SCHEDULED,
    STAFF_ROLES,
    UTC,
    WAITLISTED,
    WORKSHOP_ID_NAMESPACE,
    WORKSHOP_STATUSES,
)
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
    "SCHEDULED", "COMPLETED", "CANCELLED", "FINAL_WORKSHOP_STATUSES",
    "PENDING", "CONFIRMED", "WAITLISTED", "ACTIVE_REGISTRATION_STATUSES",
    "BERLIN_TZ_NAME", "DATE_TIME_PATTERN", "MIN_YEAR", "MAX_YEAR", "MAX_TEXT",
    # re-exported so that callers of this module need one import only
    "Conflict", "Forbidden", "InvalidInput", "NotFound",
]
