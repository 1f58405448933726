"""Health, readiness, metrics and Swagger UI's own assets."""
from __future__ import annotations

import socket
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, Response, jsonify
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

if TYPE_CHECKING:
    from shared.web.app import ServiceContext


def _register_operations(app: Flask, ctx: ServiceContext) -> None:
    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        return jsonify(status="ok", service=ctx.name)

    @app.get("/readyz")
    def readyz() -> ResponseReturnValue:
        checks = {"database": _database_ok(ctx), "kafka": kafka_reachable(ctx.kafka_bootstrap_servers)}
        ready = all(checks.values())
        return jsonify(status="ready" if ready else "unavailable", checks=checks), 200 if ready else 503

    @app.get("/metrics")
    def metrics() -> ResponseReturnValue:
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
