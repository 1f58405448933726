"""The front ends' words (admin, portal) for the platform's vocabulary: statuses, size classes, fields of
action and participant types, translated lazily (German by default; the catalogues extract shared/ too)."""
from __future__ import annotations

from collections.abc import Callable, Mapping

from flask_babel import lazy_gettext as _l

STATUS = {
    # calls
    "draft": _l("draft"), "open": _l("open"), "closed": _l("closed"),
    # applications
    "submitted": _l("submitted"), "withdrawn": _l("withdrawn"),
    # workshops
    "planned": _l("planned"), "scheduled": _l("scheduled"), "cancelled": _l("cancelled"),
    "completed": _l("completed"),
    # registrations
    "confirmed": _l("confirmed"), "waitlisted": _l("waiting list"), "pending": _l("awaiting approval"),
    "rejected": _l("rejected"),
    # publications, newsletters, notices
    "published": _l("published"), "scheduled_send": _l("scheduled"), "sending": _l("sending"),
    "sent": _l("sent"), "approved": _l("approved"), "discarded": _l("discarded"), "failed": _l("failed"),
}

SIZE_CLASS = {
    "rural": _l("rural municipality"), "small": _l("small town"), "medium": _l("medium town"),
    "large": _l("big city"),
}
SIZE_CLASS_WITH_BOUNDS = {
    "rural": _l("rural municipality (under 5,000)"),
    "small": _l("small town (5,000 to 20,000)"),
    "medium": _l("medium town (20,000 to 100,000)"),
    "large": _l("big city (100,000 and more)"),
}

FIELDS_OF_ACTION = {
    "mobility": _l("mobility"), "e_government": _l("e-government"), "retail": _l("retail"),
    "participation": _l("participation"), "public_space": _l("public space"), "economy": _l("economy"),
    "education": _l("education"), "infrastructure": _l("infrastructure"),
}

PARTICIPANT_TYPES = {
    "steering_partner": _l("steering group partner"),
    "local_actor": _l("local actor"),
    "school": _l("school"),
    "university": _l("university"),
    "business": _l("business"),
    "municipality": _l("municipality"),
    "citizen": _l("citizen"),
}


def words_for(labels: Mapping[str, object]) -> Callable[[str | None], str]:
    """A template filter that writes a value in `labels`' words."""
    return lambda value: label(labels, value)


def label(labels: Mapping[str, object], value: str | None) -> str:
    """The word for `value`, the value itself where there is none, a dash for nothing."""
    return str(labels.get(value, value)) if value else "–"
