"""Workshops' vocabulary: statuses, participant types, roles and their German labels."""
from __future__ import annotations

import re
import uuid
from datetime import timezone
from zoneinfo import ZoneInfo

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
