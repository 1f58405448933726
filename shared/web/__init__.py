"""The web side every service shares: the app factory, one error format, health, metrics, idempotency.

Error format (every 4xx/5xx, from flask-smorest, webargs and domain errors alike):
    {"code": 422, "status": "Unprocessable Entity", "message": "...", "errors": {"json": {"field": ["..."]}}}
"""
# The package re-exports every name of its modules: callers import from the package, as before.
from __future__ import annotations

from shared.config import rate_limit_per_minute
from shared.web.app import (
    MAX_BODY_BYTES,
    PAGINATION,
    ServiceBlueprint,
    create_api_app,
    public,
)
from shared.web.context import (
    ServiceContext,
    context,
    dispatch,
    read,
    service_context,
)
from shared.web.errors import (
    _register_error_handlers,
    error_body,
)
from shared.web.idempotency import (
    idempotent,
    json_dumps,
)
from shared.web.operations import (
    OPERATIONS_ENDPOINTS,
    SWAGGER_UI_ASSETS,
    _register_swagger_ui_assets,
    register_operations,
)
from shared.web.ratelimit import (
    _caller,
    _register_rate_limit,
)
from shared.web.requests import (
    BODY_METHODS,
    JSON_MIMETYPE,
    LATENCY,
    MAX_JSON_DEPTH,
    REQUESTS,
    UNSTORABLE,
    _declared_body_types,
    _has_body,
    _json_problem,
    _register_request_hooks,
    _unstorable_paths,
    openapi_path,
    register_correlation_and_metrics,
    storable,
)

# The names callers import from the package (mypy checks that only these are re-exported).
__all__ = [
    "rate_limit_per_minute", "MAX_BODY_BYTES", "PAGINATION", "ServiceBlueprint", "ServiceContext", "context",
    "create_api_app", "dispatch", "public", "read", "service_context", "_register_error_handlers", "error_body",
    "idempotent", "json_dumps", "OPERATIONS_ENDPOINTS", "SWAGGER_UI_ASSETS", "register_operations",
    "_register_swagger_ui_assets", "_caller", "_register_rate_limit", "BODY_METHODS",
    "JSON_MIMETYPE", "LATENCY", "MAX_JSON_DEPTH", "REQUESTS", "UNSTORABLE", "_declared_body_types", "_has_body",
    "_json_problem", "_register_request_hooks", "_unstorable_paths", "openapi_path",
    "register_correlation_and_metrics", "storable",
]
