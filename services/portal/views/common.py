"""What every portal page uses: the signed-in person, their service clients, labels, API errors."""
from __future__ import annotations

from functools import wraps

from flask import Flask, abort, g, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from services.portal.clients import PersonServices
from services.portal.people import ROLES
from shared import labels
from shared.apiclient import ApiError
from shared.pages import EMAIL, format_number, format_time  # noqa: F401 (EMAIL re-exported)


STATUS_LABELS = {**labels.STATUS, "waitlisted": _l("on the waiting list")}
FOCUS_AREAS = labels.FIELDS_OF_ACTION

PARTICIPANT_TYPES = {
    "local_actor": _l("local actor (association, initiative)"),
    "school": _l("school"),
    "university": _l("university or research"),
    "business": _l("business"),
    "municipality": _l("municipality"),
    "citizen": _l("citizen"),
    "steering_partner": _l("steering group partner"),
}

SIZE_CLASSES = labels.SIZE_CLASS


def services() -> PersonServices:
    if "services" not in g:
        g.services = PersonServices(g.get("person"))
    return g.services


def person():
    return g.get("person")


def role_required(*roles: str):
    """The page needs a signed-in person of one of `roles`; anyone else is sent to sign in, or gets 403."""
    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            current = g.get("person")
            if current is None:
                return redirect(url_for("auth.signin", next=request.full_path.rstrip("?")))
            if current.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapper
    return decorator


# Any signed-in person: the API services decide what each may see and change.
signed_in = role_required(*ROLES)


def api_error_message(error: ApiError) -> Markup:
    # The services answer in English: marked as such for screen readers (WCAG 3.1.2).
    return Markup(_("The platform did not accept this: %(message)s",
                    message=Markup('<span lang="en">{}</span>').format(error.message)))


def place_api_errors(form, error: ApiError, mapping: dict) -> list[str]:
    """Put a service's field errors on the form's fields; the rest are returned for a notice."""
    rest = []
    for path, message in error.field_messages():
        name = mapping.get(path, path.replace(".", "_"))
        field = getattr(form, name, None) if name else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, message]
        else:
            rest.append(f"{path}: {message}" if path else message)
    if not error.field_messages():
        rest.append(error.message)
    return rest


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.filters["time"] = format_time
    app.jinja_env.filters["date"] = lambda value: format_time(value, with_time=False)
    app.jinja_env.filters["number"] = format_number
    app.jinja_env.filters["status"] = labels.words_for(STATUS_LABELS)
    app.jinja_env.filters["focus_area"] = labels.words_for(FOCUS_AREAS)
    app.jinja_env.filters["participant_type"] = labels.words_for(PARTICIPANT_TYPES)
    app.jinja_env.filters["size_class"] = labels.words_for(SIZE_CLASSES)

    @app.context_processor
    def _page_globals():
        return {"current_person": g.get("person"), "locale": str(get_locale() or "de"),
                "current_path": request.full_path.rstrip("?") if request else "/"}
