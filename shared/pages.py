"""What the server-rendered front ends (admin, portal) do the same way: /healthz, /readyz and /metrics,
security headers and correlation ids on every page, times in Berlin, numbers, the local-only
redirect targets after a sign-in or a language switch, and the common page parts: the macros of
`shared/templates/_macros.html` (`{% from "_macros.html" import field %}`) and the stylesheet
`shared/static/pages.css` (`url_for('shared_pages.static', filename='pages.css')`). A front end's own
templates and static files come first; it keeps there only what is its own."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, overload
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import format_datetime as babel_datetime
from flask_babel import format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from wtforms.validators import Regexp

from shared.logs import correlation_id
from shared.web import LATENCY, REQUESTS, kafka_reachable

BERLIN = ZoneInfo("Europe/Berlin")
# An address as a form field checks it (the API services check again with their own rules).
EMAIL = Regexp(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", message=_l("Please enter a valid email address."))
HERE = Path(__file__).parent
SHARED_STATIC_PATH = "/static-shared"


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


def register_front_end(app: Flask, name: str, *, csrf: Any, engine: Engine, kafka_bootstrap: str,
                       referrer_policy: str = "same-origin") -> None:
    """Operations endpoints, the request hooks and the common page parts every server-rendered front end has."""
    app.register_blueprint(Blueprint("shared_pages", __name__, template_folder=str(HERE / "templates"),
                                     static_folder=str(HERE / "static"), static_url_path=SHARED_STATIC_PATH))
    _register_operations(app, name, csrf, engine, kafka_bootstrap)
    _register_request_hooks(app, name, referrer_policy)


def _register_operations(app: Flask, name: str, csrf: Any, engine: Engine, kafka_bootstrap: str) -> None:
    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        return jsonify(status="ok", service=name)

    @app.get("/readyz")
    def readyz() -> ResponseReturnValue:
        checks = {"database": database_ok(engine), "kafka": kafka_reachable(kafka_bootstrap)}
        ready = all(checks.values())
        return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503

    @app.get("/metrics")
    def metrics() -> ResponseReturnValue:
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    for endpoint in ("healthz", "readyz", "metrics"):
        csrf.exempt(app.view_functions[endpoint])


def database_ok(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001
        return False


CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _register_request_hooks(app: Flask, name: str, referrer_policy: str) -> None:
    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Correlation-ID", "")
        g.correlation_id = incoming if 0 < len(incoming) <= 100 else str(uuid.uuid4())
        g.correlation_token = correlation_id.set(g.correlation_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(name, request.method, endpoint, str(response.status_code)).inc()
        LATENCY.labels(name, request.method, endpoint).observe(time.perf_counter() - g.get("started", 0))
        response.headers["X-Correlation-ID"] = g.get("correlation_id", "")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = referrer_policy
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def _reset(_error: BaseException | None) -> None:
        services = g.pop("services", None)
        if services is not None:
            services.close()
        token = g.pop("correlation_token", None)
        if token is not None:
            correlation_id.reset(token)
