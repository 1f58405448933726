"""The web side every service shares: the app factory, one error format, health, metrics, idempotency.

Error format (every 4xx/5xx, from flask-smorest, webargs and domain errors alike):
    {"code": 422, "status": "Unprocessable Entity", "message": "...", "errors": {"json": {"field": ["..."]}}}
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import wraps
from http import HTTPStatus
from pathlib import Path

from flask import Flask, Response, current_app, g, jsonify, make_response, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api, Blueprint, abort
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy import Engine, MetaData, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from shared import auth, idempotency, openapi
from shared.db import AtLeast
from shared.openapi import MAX_PAGE
from shared.errors import Conflict, DomainError
from shared.uow import is_duplicate_key
from shared.logs import configure_logging, correlation_id

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
PAGINATION = {"page": 1, "page_size": 20, "max_page_size": 100}

REQUESTS = Counter("vorort_http_requests_total", "HTTP requests", ["service", "method", "endpoint", "status"])
LATENCY = Histogram("vorort_http_request_seconds", "HTTP request latency", ["service", "method", "endpoint"])


class ServiceBlueprint(Blueprint):
    """A flask-smorest Blueprint with the platform's pagination defaults (page, page_size <= 100)."""
    DEFAULT_PAGINATION_PARAMETERS = PAGINATION

    def _document_pagination_metadata(self, spec, resp_doc):
        # The header's value is a JSON text, so document it as a string (flask-smorest documents the
        # object it encodes, which header validators then compare with the raw string and reject).
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": "Pagination metadata as JSON: total, total_pages, first_page, last_page, page, "
                           "previous_page, next_page.",
            "schema": {"type": "string"},
        }

    @staticmethod
    def _make_pagination_metadata(page, page_size, item_count):
        # A count that stopped at its bound (shared.db.bounded_count) gives a lower bound for the total and
        # no last page; the next page exists, because the count went past the end of this one.
        if not isinstance(item_count, AtLeast):
            return Blueprint._make_pagination_metadata(page, page_size, item_count)
        metadata = {"total": int(item_count), "total_is_lower_bound": True, "first_page": 1, "page": page,
                    "next_page": page + 1}
        if page > 1:
            metadata["previous_page"] = page - 1
        return metadata


@dataclass
class ServiceContext:
    """What a service's views need, attached to the app as `app.extensions['vorort']`."""
    name: str
    engine: Engine
    metadata: MetaData
    uow_factory: Callable[[], Any]
    kafka_bootstrap_servers: str
    extras: dict = field(default_factory=dict)


def service_context(name: str, settings, *, metadata, uow_class, command_handlers: dict, clock) -> ServiceContext:
    """Engine, unit-of-work factory and message bus of a service, built the same way in every service."""
    from shared.bus import MessageBus
    from shared.db import make_engine, make_session_factory

    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)

    def uow_factory():
        return uow_class(session_factory)

    ctx = ServiceContext(name=name, engine=engine, metadata=metadata, uow_factory=uow_factory,
                         kafka_bootstrap_servers=settings.kafka_bootstrap_servers)
    ctx.extras["bus"] = MessageBus(uow_factory, command_handlers, clock)
    return ctx


def context() -> ServiceContext:
    return current_app.extensions["vorort"]


def dispatch(command, *, on_duplicate: DomainError | None = None):
    """Run a command through the service's message bus. A unique constraint that a concurrent request
    won becomes `on_duplicate` (a 409 by default), never a 500."""
    try:
        return context().extras["bus"].handle(command)
    except IntegrityError as error:
        if is_duplicate_key(error):
            raise on_duplicate or Conflict("This already exists (a concurrent request created it).") from None
        raise


def read(query):
    """Run a read-only `query(uow)` in a unit of work and return its result."""
    with context().uow_factory() as uow:
        return query(uow)


def public(view):
    """Marks a view as deliberately open to callers without a token (read by the authorization tests)."""
    view._vorort_public = True
    return view


def create_api_app(*, name: str, title: str, description: str, blueprints: list, ctx: ServiceContext,
                   version: str = "v1") -> Flask:
    configure_logging(name)
    auth.check_configuration()  # a broken trust configuration stops the service at once
    if ctx.metadata is None or "revoked_access" not in ctx.metadata.tables:
        # Fail closed: without its deny list a service would accept the tokens of revoked clients and people.
        raise RuntimeError(f"{name}: an API service needs the revoked_access table "
                           "(shared.db.revoked_access_table) in its metadata")
    app = Flask(f"services.{name}")  # the real package: a bare name may resolve to some other module
    app.config.update(
        API_TITLE=title,
        API_VERSION=version,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        # Swagger UI's files come from the installed flask-swagger-ui package, served by the service
        # itself: /docs works offline and hands nobody's address to a third party.
        OPENAPI_SWAGGER_UI_URL=SWAGGER_UI_ASSETS,
        OPENAPI_SWAGGER_UI_CONFIG={"validatorUrl": None},
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
    )
    assert isinstance(app.json, DefaultJSONProvider)  # Flask's own; the base class has no sort_keys
    app.json.sort_keys = False
    app.url_map.converters["id"] = openapi.IdConverter
    app.extensions["vorort"] = ctx
    api = Api(app, spec_kwargs={"info": {"description": f"{description}\n\n{openapi.INPUT_RULES}"}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"})
    api.spec.options["security"] = [{"bearerAuth": []}]
    openapi.describe(api)
    for blueprint in blueprints:
        api.register_blueprint(blueprint)
    openapi.add_links(api)
    _register_operations(app, ctx)
    _register_swagger_ui_assets(app)
    _register_error_handlers(app)
    _register_request_hooks(app, name, api)
    limit = rate_limit_per_minute()
    if limit:
        _register_rate_limit(app, ctx, limit)
    return app


# --- errors --------------------------------------------------------------------------------------
def error_body(status: int, message: str, errors: dict | None = None) -> dict:
    body = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = errors
    return body


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        errors = {"json": error.as_errors()} if error.field else None
        return jsonify(error_body(error.status, error.message, errors)), error.status

    @app.errorhandler(MethodNotAllowed)
    def _method_not_allowed(error: MethodNotAllowed):
        response = jsonify(error_body(405, "This method is not allowed here; see the Allow header."))
        response.status_code = 405
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods or ()))
        return response

    @app.errorhandler(OperationalError)
    def _database_unavailable(error: OperationalError):
        log.warning("database unavailable", extra={"error": str(error)[:500]})
        response = jsonify(error_body(503, "The database is unavailable; try again shortly."))
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        if isinstance(error, HTTPException):  # smorest's handler covers these; keep its format
            return jsonify(error_body(error.code or 500, error.description or "")), error.code
        log.exception("unhandled error")
        return jsonify(error_body(500, "Internal server error.")), 500


# --- request hooks -------------------------------------------------------------------------------
def _register_request_hooks(app: Flask, service: str, api: Api) -> None:
    @app.before_request
    def _start():
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Correlation-ID", "")
        g.correlation_id = incoming if 0 < len(incoming) <= 100 else str(uuid.uuid4())
        g.correlation_token = correlation_id.set(g.correlation_id)

    body_types = _declared_body_types(app, api)

    @app.before_request
    def _refuse_unreadable_body():
        """A body must be of a content type the operation declares (JSON where it declares none), and
        JSON must parse and nest at most MAX_JSON_DEPTH levels: 415 or 400, never a 500 or a body read
        as empty."""
        if request.routing_exception is not None or request.method not in BODY_METHODS or not _has_body():
            return None  # no such operation (404, 405), or nothing to read
        accepted = body_types.get((request.url_rule.rule, request.method)) or (JSON_MIMETYPE,)
        if request.mimetype not in accepted and not (request.is_json and JSON_MIMETYPE in accepted):
            return jsonify(error_body(415, f"Send the body as {' or '.join(accepted)}.", {
                "headers": {"Content-Type": [f"Must be one of: {', '.join(accepted)}."]}})), 415
        if request.is_json:
            problem = _json_problem(request.get_data(cache=True))
            if problem:
                return jsonify(error_body(400, problem, {"json": {"_schema": [problem]}})), 400
        return None

    @app.before_request
    def _refuse_unusable_input():
        problems = {}
        for location, values in (("query", request.args), ("path", request.view_args or {})):
            for key, value in (values.items(multi=True) if hasattr(values, "items") and location == "query"
                               else values.items()):
                if isinstance(value, str) and not storable(value):
                    problems.setdefault(location, {})[key] = [UNSTORABLE]
        page = request.args.get("page", "")
        if page.isdigit() and int(page) > MAX_PAGE:
            # No list is that long; the offset would overflow the database's integers.
            problems.setdefault("query", {})["page"] = [f"Must be at most {MAX_PAGE}."]
        if request.routing_exception is None and request.is_json and request.method in BODY_METHODS and _has_body():
            body = request.get_json(silent=True)
            found = _unstorable_paths(body, "")
            if found:
                problems["json"] = {path or "_schema": [UNSTORABLE] for path in found}
        if problems:
            return jsonify(error_body(422, "Some input cannot be used; see errors.", problems)), 422
        return None

    @app.after_request
    def _finish(response: Response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(service, request.method, endpoint, str(response.status_code)).inc()
        LATENCY.labels(service, request.method, endpoint).observe(time.perf_counter() - g.get("started", 0))
        response.headers["X-Correlation-ID"] = g.get("correlation_id", "")
        return response

    @app.teardown_request
    def _reset(_error):
        token = g.pop("correlation_token", None)
        if token is not None:
            correlation_id.reset(token)


BODY_METHODS = ("POST", "PUT", "PATCH")
JSON_MIMETYPE = "application/json"
MAX_JSON_DEPTH = 32


def _declared_body_types(app: Flask, api: Api) -> dict:
    """(Flask rule, method) -> the request body content types the app's OpenAPI document declares."""
    spec = api.spec.to_dict()
    declared = {}
    for rule in app.url_map.iter_rules():
        operations = spec["paths"].get(openapi_path(rule.rule), {})
        for method in BODY_METHODS:
            content = operations.get(method.lower(), {}).get("requestBody", {}).get("content")
            if content:
                declared[(rule.rule, method)] = tuple(content)
    return declared


def openapi_path(rule: str) -> str:
    """A Flask rule (`/v1/calls/<call_id>`) as an OpenAPI path (`/v1/calls/{call_id}`)."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _json_problem(raw: bytes) -> str | None:
    """Why a JSON body cannot be used (not JSON, or nested too deeply), or None."""
    try:
        value = json.loads(raw)
    except RecursionError:
        return f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        return "The body is not valid JSON."
    level, depth = [value], 0
    while level:  # breadth first, without recursion
        depth += 1
        if depth > MAX_JSON_DEPTH:
            return f"The JSON body is nested too deeply (at most {MAX_JSON_DEPTH} levels)."
        level = [child for item in level if isinstance(item, (dict, list))
                 for child in (item.values() if isinstance(item, dict) else item)]
    return None


UNSTORABLE = "Text must not contain NUL characters or unpaired surrogates."


def storable(text: str) -> bool:
    """PostgreSQL cannot store NUL in text, and lone surrogates are not UTF-8: refuse both at the door."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unstorable_paths(value, path: str) -> list[str]:
    if isinstance(value, str):
        return [] if storable(value) else [path]
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if not storable(str(key)):
                found.append(path or "_schema")
            found += _unstorable_paths(item, key_path)
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _unstorable_paths(item, f"{path}[{i}]")]
    return []


def _register_operations(app: Flask, ctx: ServiceContext) -> None:
    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok", service=ctx.name)

    @app.get("/readyz")
    def readyz():
        checks = {"database": _database_ok(ctx), "kafka": kafka_reachable(ctx.kafka_bootstrap_servers)}
        ready = all(checks.values())
        return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503

    @app.get("/metrics")
    def metrics():
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


SWAGGER_UI_ASSETS = "/docs/assets/"


def _register_swagger_ui_assets(app: Flask) -> None:
    """Swagger UI's JavaScript and CSS, from the packaged copy (no CDN)."""
    import flask
    import flask_swagger_ui

    dist = Path(flask_swagger_ui.__file__).parent / "dist"
    assets = flask.Blueprint("swagger_ui_assets", __name__, static_folder=str(dist),
                       static_url_path=SWAGGER_UI_ASSETS.rstrip("/"))
    app.register_blueprint(assets)


def _database_ok(ctx: ServiceContext) -> bool:
    from shared.pages import database_ok

    return database_ok(ctx.engine)


def kafka_reachable(bootstrap_servers: str, timeout_s: float = 1.0) -> bool:
    for server in bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False


# --- rate limits ---------------------------------------------------------------------------------
def rate_limit_per_minute() -> int:
    """Requests per caller (token subject, or IP address without a token) and minute; 0 turns it off."""
    return int(os.environ.get("VORORT_RATE_LIMIT_PER_MINUTE", "1200"))


def _register_rate_limit(app: Flask, ctx: ServiceContext, limit: int) -> None:
    """A fixed one-minute window per caller, counted in the service's database so that every gunicorn
    worker and every host shares it (one upsert per request)."""
    table = ctx.metadata.tables["rate_limit_hits"]
    upsert: Callable[..., Any]  # both dialects' INSERT ... ON CONFLICT builders
    if ctx.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert

    @app.before_request
    def _limit():
        if request.path in ("/healthz", "/readyz", "/metrics"):
            return None
        caller = _caller()
        now = time.time()
        window = int(now // 60)
        statement = upsert(table).values(bucket=caller, window_start=window, hits=1)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.bucket, table.c.window_start], set_={"hits": table.c.hits + 1}
        ).returning(table.c.hits)
        with ctx.engine.begin() as connection:
            hits = connection.execute(statement).scalar_one()
            if hits == 1 and window % 5 == 0:  # now and then, forget old windows
                connection.execute(delete(table).where(table.c.window_start < window - 1))
        if hits > limit:
            response = jsonify(error_body(429, f"Too many requests: at most {limit} a minute. Try again later."))
            response.status_code = 429
            response.headers["Retry-After"] = str(max(1, int(60 - now % 60)))
            return response
        return None


def _caller() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token:
        try:
            principal = auth.verify_token(token.strip())
            return f"{principal.role}:{principal.subject}"[:300]
        except auth.InvalidToken:
            pass
    return f"ip:{request.remote_addr}"


# --- idempotency ---------------------------------------------------------------------------------
def idempotent(view):
    """Make a POST safe to retry: with an `Idempotency-Key` header, the first answer is stored and a
    retry with the same key and body gets it again without doing the work twice.

    The key is claimed in its own transaction before the work starts (a concurrent retry gets 409), and
    released again if the work fails, so that a retry after a 4xx or 5xx does the work afresh. A stored
    answer lives shared.config.idempotency_ttl() (24 hours); see shared.idempotency.
    """
    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return view(*args, **kwargs)
        if not 1 <= len(key) <= 200:
            abort(400, message="Idempotency-Key must be 1 to 200 characters.")
        principal = auth.current_principal()
        scope = f"{principal.role}:{principal.subject}:{request.method}:{request.path}"[:300]
        digest = hashlib.sha256(request.get_data()).hexdigest()
        table = context().metadata.tables["idempotency_keys"]
        engine = context().engine
        where = (table.c.scope == scope) & (table.c.key == key)
        with engine.begin() as connection:
            stored = connection.execute(select(table).where(where)).first()
            if stored is not None and idempotency.is_expired(stored.created_at):
                connection.execute(delete(table).where(where))  # outlived its lifetime: start afresh
                stored = None
        if stored is not None:
            if stored.request_hash != digest:
                abort(422, message="This Idempotency-Key was used with a different request body.")
            if stored.status_code is None:
                abort(409, message="A request with this Idempotency-Key is still in progress.")
            replay = Response(stored.body, status=stored.status_code, mimetype="application/json")
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            with engine.begin() as connection:
                connection.execute(insert(table).values(scope=scope, key=key, request_hash=digest,
                                                        created_at=datetime.now(timezone.utc)))
        except IntegrityError:
            abort(409, message="A request with this Idempotency-Key is still in progress.")
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            with engine.begin() as connection:
                connection.execute(delete(table).where(where))
            raise
        with engine.begin() as connection:
            if response.status_code >= 400:
                connection.execute(delete(table).where(where))
            else:
                connection.execute(update(table).where(where).values(
                    status_code=response.status_code, body=response.get_data(as_text=True)))
        return response

    return wrapper


def json_dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
