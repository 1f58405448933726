"""Health, readiness, metrics and Swagger UI's own assets.

Every web process serves the same three operations endpoints, the API services (shared.web.app) and the
server-rendered front ends (shared.pages) alike: `/healthz` (the process answers), `/readyz` (its database
and Kafka answer; 503 otherwise) and `/metrics` (Prometheus)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask, Response, jsonify
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.engine import Engine

from shared.health import database_ok, kafka_reachable

OPERATIONS_ENDPOINTS = ("healthz", "readyz", "metrics")


def register_operations(app: Flask, name: str, engine: Engine, kafka_bootstrap: str) -> list[Callable[[], ResponseReturnValue]]:
    """`/healthz`, `/readyz` and `/metrics` of the service `name`; returns their views (a front end
    exempts them from its CSRF check)."""
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

    return [healthz, readyz, metrics]


SWAGGER_UI_ASSETS = "/docs/assets/"


def _register_swagger_ui_assets(app: Flask) -> None:
    """Swagger UI's JavaScript and CSS, from the packaged copy (no CDN)."""
    import flask
    import flask_swagger_ui

    dist = Path(flask_swagger_ui.__file__).parent / "dist"
    assets = flask.Blueprint("swagger_ui_assets", __name__, static_folder=str(dist),
                       static_url_path=SWAGGER_UI_ASSETS.rstrip("/"))
    app.register_blueprint(assets)

