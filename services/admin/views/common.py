"""What every page module uses: the staff's service clients, time and number formatting, API errors."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask, flash, g, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from services.admin.clients import ApiError, Services
from services.admin.context import admin_context
from shared import labels
from shared.pages import (BERLIN, format_number, format_time, from_wall_time, parse_time,  # noqa: F401 (re-exported)
                          safe_next)

SERVICE_NAMES = {
    "applications": _l("Applications"),
    "selection": _l("Selection"),
    "workshops": _l("Workshops"),
    "publishing": _l("Publishing"),
    "webhooks": _l("Webhooks"),
    "identity": _l("Access"),
}

# The vocabulary's words are the front ends' shared ones (shared/labels.py).
SIZE_CLASS_LABELS = labels.SIZE_CLASS_WITH_BOUNDS
SIZE_CLASS_SHORT = labels.SIZE_CLASS
STATUS_LABELS = labels.STATUS
FIELDS_OF_ACTION = labels.FIELDS_OF_ACTION
PARTICIPANT_TYPES = labels.PARTICIPANT_TYPES


def store():
    return admin_context().store


def services() -> Services:
    return g.services


def staff_name() -> str:
    return g.staff.username


# --- time ----------------------------------------------------------------------------------------
def berlin_wall_time(value) -> datetime | None:
    """A service's time as a naive Berlin wall time, for <input type=datetime-local>."""
    parsed = parse_time(value)
    return parsed.astimezone(BERLIN).replace(tzinfo=None) if parsed else None


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def now_berlin(round_up: bool = False) -> datetime:
    """Now as Berlin wall time to the minute (the precision of <input type=datetime-local>)."""
    now = datetime.now(BERLIN).replace(tzinfo=None)
    minute = now.replace(second=0, microsecond=0)
    return minute + timedelta(minutes=1) if round_up and minute < now else minute


# --- API errors ----------------------------------------------------------------------------------
def unavailable_message(service: str) -> str:
    return _("The service “%(service)s” cannot be reached right now. Please try again shortly; nothing has "
             "been changed by this request unless the page says otherwise.",
             service=SERVICE_NAMES.get(service, service))


def api_error_message(error: ApiError) -> Markup:
    # The services answer in English: marked as such for screen readers (WCAG 3.1.2).
    message = Markup('<span lang="en">{}</span>').format(error.message)
    return Markup(_("The service “%(service)s” did not accept this: %(message)s",
                    service=escape(str(SERVICE_NAMES.get(error.service, error.service))), message=message))


def apply_api_errors(form, error: ApiError, mapping: dict | None = None) -> None:
    """Put a service's field errors on the form's fields; everything else becomes a flashed error."""
    mapping = mapping or {}
    placed = False
    for path, message in error.field_messages():
        name = mapping.get(path, path)
        field = getattr(form, name, None) if form is not None and name else None
        if field is not None and hasattr(field, "errors"):
            if isinstance(field.errors, tuple):
                field.errors = list(field.errors)
            field.errors.append(message)
            placed = True
        else:
            flash(Markup('<span lang="en">{}</span>').format(f"{path}: {message}" if path else message), "error")
    if not placed or error.status != 422:
        flash(api_error_message(error), "error")


def size_class_label(value, short: bool = True) -> str:
    return labels.label(SIZE_CLASS_SHORT if short else SIZE_CLASS_LABELS, value)


def status_label(value) -> str:
    return labels.label(STATUS_LABELS, value)


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["time"] = format_time
    app.jinja_env.filters["date"] = lambda value: format_time(value, with_time=False)
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["size_class"] = size_class_label
    app.jinja_env.filters["status"] = status_label
    app.jinja_env.filters["field_of_action"] = lambda value: str(FIELDS_OF_ACTION.get(value, value or "–"))
    app.jinja_env.filters["participant_type"] = lambda value: str(PARTICIPANT_TYPES.get(value, value or "–"))

    @app.context_processor
    def _page_globals():
        return {"current_staff": g.get("staff"), "locale": str(get_locale() or "de"),
                "current_path": request.full_path.rstrip("?") if request else "/",
                "service_names": SERVICE_NAMES}

    app.jinja_env.globals["Markup"] = Markup


class Tolerant:
    """Gathers what it can for a page that shows several services at once.

    A service that is down is asked only once per page (no second timeout) and named in a German notice;
    a 4xx answer (e.g. a call the selection does not know yet) gives the default.
    """

    def __init__(self):
        self.down: list[str] = []

    def __call__(self, service: str, fetch, default=None):
        from services.admin.clients import ServiceUnavailable

        if service in self.down:
            return default
        try:
            return fetch()
        except ServiceUnavailable:
            self.down.append(service)
            return default
        except ApiError:
            return default

    @property
    def notices(self) -> list[str]:
        return [unavailable_message(service) for service in self.down]


def publication_of(kind: str, source_id: str) -> dict | None:
    """The publication drafted from a selection (source: the call) or a workshop (source: the workshop)."""
    for publication in services().publishing.all("/v1/publications", kind=kind):
        if publication.get("source_id") == source_id:
            return publication
    return None
