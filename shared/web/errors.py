"""One error format for every HTTP error."""
from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from shared.errors import DomainError

log = logging.getLogger("shared.web")


# --- errors --------------------------------------------------------------------------------------
def error_body(status: int, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body = {"code": status, "status": HTTPStatus(status).phrase, "message": message}
    if errors:
        body["errors"] = errors
    return body


def _register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError) -> ResponseReturnValue:
        errors = {"json": error.as_errors()} if error.field else None
        return jsonify(error_body(error.status, error.message, errors)), error.status

    @app.errorhandler(MethodNotAllowed)
    def _method_not_allowed(error: MethodNotAllowed) -> ResponseReturnValue:
        response = jsonify(error_body(405, "This method is not allowed here; see the Allow header."))
        response.status_code = 405
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods or ()))
        return response

    @app.errorhandler(OperationalError)
    def _database_unavailable(error: OperationalError) -> ResponseReturnValue:
        log.warning("database unavailable", extra={"error": str(error)[:500]})
        response = jsonify(error_body(503, "The database is unavailable; try again shortly."))
        response.status_code = 503
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> ResponseReturnValue:
        if isinstance(error, HTTPException):  # smorest's handler covers these; keep its format
            return jsonify(error_body(error.code or 500, error.description or "")), error.code or 500
        log.error("unhandled error", exc_info=error)
        return jsonify(error_body(500, "Internal server error.")), 500
