"""The baseline web app: a bare Flask hello-world, served under the same gunicorn settings."""
from flask import Flask, jsonify


def create_app():
    app = Flask("hello")

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.post("/hello")
    def hello():
        return jsonify(hello="world"), 201

    return app
