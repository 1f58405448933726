"""Request hooks: correlation ids, metrics, body size, content types, JSON depth and storable text."""
from __future__ import annotations

import json
import re
import time
import uuid

from flask import Flask, Response, g, jsonify, request
from flask.typing import ResponseReturnValue
from flask_smorest import Api
from prometheus_client import Counter, Histogram

from shared.logs import correlation_id
from shared.openapi import MAX_PAGE
from shared.web.errors import error_body

REQUESTS = Counter("vorort_http_requests_total", "HTTP requests", ["service", "method", "endpoint", "status"])
LATENCY = Histogram("vorort_http_request_seconds", "HTTP request latency", ["service", "method", "endpoint"])


# --- request hooks -------------------------------------------------------------------------------
def register_correlation_and_metrics(app: Flask, service: str) -> None:
    """Every web process (API services and front ends): a correlation id per request (the caller's
    `X-Correlation-ID` if it is usable, else a new one) in the logs and the response, and the request
    counter and latency histogram that /metrics serves."""
    @app.before_request
    def _start() -> None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Correlation-ID", "")
        g.correlation_id = incoming if 0 < len(incoming) <= 100 else str(uuid.uuid4())
        g.correlation_token = correlation_id.set(g.correlation_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(service, request.method, endpoint, str(response.status_code)).inc()
        LATENCY.labels(service, request.method, endpoint).observe(time.perf_counter() - g.get("started", 0))
        response.headers["X-Correlation-ID"] = g.get("correlation_id", "")
        return response

    @app.teardown_request
    def _reset(_error: BaseException | None) -> None:
        token = g.pop("correlation_token", None)
        if token is not None:
            correlation_id.reset(token)


def _register_request_hooks(app: Flask, service: str, api: Api) -> None:
    """An API service's hooks: correlation and metrics, then the checks of what a request sends."""
    register_correlation_and_metrics(app, service)
    body_types = _declared_body_types(app, api)

    @app.before_request
    def _refuse_unreadable_body() -> ResponseReturnValue | None:
        """A body must be of a content type the operation declares (JSON where it declares none), and
        JSON must parse and nest at most MAX_JSON_DEPTH levels: 415 or 400, never a 500 or a body read
        as empty."""
        if request.routing_exception is not None or request.url_rule is None or request.method not in BODY_METHODS \
                or not _has_body():
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
    def _refuse_unusable_input() -> ResponseReturnValue | None:
        problems = _unusable_input()
        if problems:
            return jsonify(error_body(422, "Some input cannot be used; see errors.", problems)), 422
        return None


def _unusable_input() -> dict[str, dict[str, list[str]]]:
    """The request's input that no handler can use, by location and name: text that cannot be stored
    (in the query, the path or the JSON body) and a page number past MAX_PAGE."""
    problems: dict[str, dict[str, list[str]]] = {}
    given = [("query", key, value) for key, value in request.args.items(multi=True)]
    given += [("path", key, value) for key, value in (request.view_args or {}).items()]
    for location, key, value in given:
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
    return problems


BODY_METHODS = ("POST", "PUT", "PATCH")
JSON_MIMETYPE = "application/json"
MAX_JSON_DEPTH = 32


def _declared_body_types(app: Flask, api: Api) -> dict[tuple[str, str], tuple[str, ...]]:
    """(Flask rule, method) -> the request body content types the app's OpenAPI document declares."""
    spec = api.spec.to_dict()
    declared: dict[tuple[str, str], tuple[str, ...]] = {}
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


def _unstorable_paths(value: object, path: str) -> list[str]:
    if isinstance(value, str):
        return [] if storable(value) else [path]
    if isinstance(value, dict):
        found: list[str] = []
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if not storable(str(key)):
                found.append(path or "_schema")
            found += _unstorable_paths(item, key_path)
        return found
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _unstorable_paths(item, f"{path}[{i}]")]
    return []
