"""What the server-rendered front ends (admin, portal) do the same way: /healthz, /readyz, /metrics and
correlation ids (shared.web's, the same as every API service's), security headers on every page, times in Berlin, numbers, the local-only
redirect targets after a sign-in or a language switch, and the common page parts: the macros of
`shared/templates/_macros.html` (`{% from "_macros.html" import field %}`) and the stylesheet
`shared/static/pages.css` (`url_for('shared_pages.static', filename='pages.css')`). A front end's own
templates and static files come first; it keeps there only what is its own.

`create_front_end` builds a front end's Flask app the same way for both: signed session cookie, CSRF on
every form (Flask-WTF), German by default with English switchable by a cookie (Flask-Babel,
`switch_language`), the operations endpoints and the page hooks."""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, g, make_response, redirect, request
from flask_babel import Babel
from flask_babel import format_datetime as babel_datetime
from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.engine import Engine
from wtforms.validators import Regexp

from shared import auth
from shared.config import MissingSecret, ServiceSettings, local_secret, setting
from shared.logs import configure_logging
from shared.web.app import MAX_BODY_BYTES
from shared.web.operations import register_operations
from shared.web.requests import register_correlation_and_metrics

BERLIN = ZoneInfo("Europe/Berlin")
# An address as a form field checks it (the API services check again with their own rules).
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Please enter a valid email address."))
HERE = Path(__file__).parent
SHARED_STATIC_PATH = "/static-shared"
LANGUAGES = ("de", "en")
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


def parse_time(value: object) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@overload
def from_wall_time(value: datetime) -> datetime: ...


@overload
def from_wall_time(value: None) -> None: ...


def from_wall_time(value: datetime | None) -> datetime | None:
    """What a person typed into a form (Berlin wall time) as an aware datetime."""
    if value is None:
        return None
    return value.replace(tzinfo=BERLIN) if value.tzinfo is None else value


def format_time(value: object, with_time: bool = True) -> str:
    parsed = parse_time(value)
    if parsed is None:
        return "–"
    german = str(get_locale() or "de").startswith("de")
    if with_time:
        pattern = "dd.MM.yyyy, HH:mm 'Uhr'" if german else "d MMM yyyy, HH:mm"
    else:
        pattern = "dd.MM.yyyy" if german else "d MMM yyyy"
    formatted: str = babel_datetime(parsed, pattern)
    return formatted


def format_number(value: float | int | None, decimals: int = 0) -> str:
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    formatted: str = format_decimal(value, format=pattern)
    return formatted


def safe_next(target: str | None, fallback: str) -> str:
    """Only local paths: never redirect somewhere else after login or a language switch."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


def session_secret(name: str, environment: str) -> str:
    """`<NAME>_SECRET_KEY` (ADMIN_SECRET_KEY, PORTAL_SECRET_KEY); in development a key derived from the
    machine's local development secret; outside development a missing key stops the front end."""
    variable = f"{name.upper()}_SECRET_KEY"
    secret = setting(variable)
    if secret:
        return secret
    if environment != "development":
        raise MissingSecret(f"{variable} must be set outside development mode")
    return hmac.new(local_secret("session-dev", "VORORT_SESSION_SECRET").encode(), f"vorort-{name}-session".encode(),
                    hashlib.sha256).hexdigest()


def language_cookie(name: str) -> str:
    return f"vorort_{name}_lang"


def chosen_language(name: str) -> str:
    """The language the visitor chose (a cookie), German otherwise."""
    wanted = request.cookies.get(language_cookie(name))
    return wanted if wanted in LANGUAGES else "de"


def switch_language(name: str, code: str, fallback: str) -> Response:
    """The language switch's answer: back to `next` (a local path) with the choice in a cookie."""
    response = make_response(redirect(safe_next(request.args.get("next"), fallback)))
    if code in LANGUAGES:
        response.set_cookie(language_cookie(name), code, max_age=LANGUAGE_COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    return response


def create_front_end(name: str, folder: Path, settings: ServiceSettings, context: object, *, engine: Engine,
                     register_views: Callable[[Flask], None], session_lifetime: timedelta,
                     own_static: bool = False, referrer_policy: str = "same-origin") -> Flask:
    """A server-rendered front end's app: `folder`'s templates and translations (and static files if
    `own_static`), `context` as `app.extensions["vorort-<name>"]`, its views, then the shared page parts."""
    configure_logging(name)
    auth.check_configuration()
    static = str(folder / "static") if own_static else None
    app = Flask(name, template_folder=str(folder / "templates"), static_folder=static,
                static_url_path="/static" if own_static else None)
    app.config.update(
        SECRET_KEY=session_secret(name, settings.environment),
        SESSION_COOKIE_NAME=f"vorort_{name}_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.environment != "development",
        PERMANENT_SESSION_LIFETIME=session_lifetime,
        WTF_CSRF_TIME_LIMIT=int(session_lifetime.total_seconds()),
        BABEL_DEFAULT_LOCALE="de",
        BABEL_DEFAULT_TIMEZONE="Europe/Berlin",
        BABEL_TRANSLATION_DIRECTORIES=str(folder / "translations"),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    app.extensions[f"vorort-{name}"] = context
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    csrf = CSRFProtect(app)
    Babel(app, locale_selector=lambda: chosen_language(name))
    register_views(app)
    register_front_end(app, name, csrf=csrf, engine=engine, kafka_bootstrap=settings.kafka_bootstrap_servers,
                       referrer_policy=referrer_policy)
    return app


def register_front_end(app: Flask, name: str, *, csrf: Any, engine: Engine, kafka_bootstrap: str,
                       referrer_policy: str = "same-origin") -> None:
    """Operations endpoints, the request hooks and the common page parts every server-rendered front end has.
    /healthz, /readyz, /metrics, correlation ids and request metrics are the API services' own
    (shared.web); a front end adds its security headers and closes its API clients."""
    app.register_blueprint(Blueprint("shared_pages", __name__, template_folder=str(HERE / "templates"),
                                     static_folder=str(HERE / "static"), static_url_path=SHARED_STATIC_PATH))
    for view in register_operations(app, name, engine, kafka_bootstrap):
        csrf.exempt(view)
    register_correlation_and_metrics(app, name)
    _register_page_hooks(app, referrer_policy)


CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _register_page_hooks(app: Flask, referrer_policy: str) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = referrer_policy
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def _close_clients(_error: BaseException | None) -> None:
        services = g.pop("services", None)
        if services is not None:
            services.close()
