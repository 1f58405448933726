"""The app factory of an API service and its blueprints (the service context: shared.web.context)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api, Blueprint

from shared import auth, openapi
from shared.config import rate_limit_per_minute
from shared.db import AtLeast
from shared.keyset import Keyset
from shared.logs import configure_logging
from shared.web.context import ServiceContext
from shared.web.errors import _register_error_handlers
from shared.web.operations import SWAGGER_UI_ASSETS, _register_swagger_ui_assets, register_operations
from shared.web.ratelimit import _register_rate_limit
from shared.web.requests import _register_request_hooks

V = TypeVar("V", bound=Callable[..., Any])

MAX_BODY_BYTES = 256 * 1024
PAGINATION = {"page": 1, "page_size": 20, "max_page_size": 100}


class ServiceBlueprint(Blueprint):  # type: ignore[misc]  # flask-smorest ships no type information
    """A flask-smorest Blueprint with the platform's pagination defaults (page, page_size <= 100)."""
    DEFAULT_PAGINATION_PARAMETERS = PAGINATION

    def _document_pagination_metadata(self, spec: Any, resp_doc: dict[str, Any]) -> None:
        # The header's value is a JSON text, so document it as a string (flask-smorest documents the
        # object it encodes, which header validators then compare with the raw string and reject).
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = {
            "description": "Pagination metadata as JSON: total, total_pages, first_page, last_page, page, "
                           "previous_page, next_page; a page read by position (`after`) says only "
                           "page_size and keyset: true.",
            "schema": {"type": "string"},
        }

    @staticmethod
    def _make_pagination_metadata(page: int, page_size: int, item_count: int) -> dict[str, Any]:
        # A count that stopped at its bound (shared.db.bounded_count) gives a lower bound for the total and
        # no last page; the next page exists, because the count went past the end of this one.
        if isinstance(item_count, Keyset):  # read by position (shared.keyset): no total, no page number
            return {"page_size": page_size, "keyset": True}
        if not isinstance(item_count, AtLeast):
            exact: dict[str, Any] = Blueprint._make_pagination_metadata(page, page_size, item_count)
            return exact
        metadata = {"total": int(item_count), "total_is_lower_bound": True, "first_page": 1, "page": page,
                    "next_page": page + 1}
        if page > 1:
            metadata["previous_page"] = page - 1
        return metadata


def public(view: V) -> V:
    """Marks a view as deliberately open to callers without a token (read by the authorization tests)."""
    view.__dict__["_vorort_public"] = True  # a function attribute, like roles_required's
    return view


def create_api_app(*, name: str, title: str, description: str, blueprints: list[Blueprint], ctx: ServiceContext,
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
    openapi.optional_bodies(api)
    register_operations(app, name, ctx.engine, ctx.kafka_bootstrap_servers)
    _register_swagger_ui_assets(app)
    _register_error_handlers(app)
    _register_request_hooks(app, name, api)
    limit = rate_limit_per_minute()
    if limit:
        _register_rate_limit(app, ctx, limit)
    return app
