"""Issue 10, item 13: hostile bodies get a clear 4xx in the platform's error format, never a 500 and never
a body read as empty.

Every POST, PUT and PATCH operation of every API service, taken from the service's own OpenAPI document
(so a new service is covered as soon as it lands), receives
- a JSON body nested 10,000 levels deep (the parser's recursion limit): 400, or 415 where the operation
  takes no JSON;
- a valid JSON body sent as `text/plain`: 415, naming the content types the operation takes.
The web UIs (admin, portal: forms, no OpenAPI document) get both on every POST route: a 4xx.
"""
from __future__ import annotations

import importlib
import json
import re

import pytest

from shared.db import migrate
from support import api_app, api_services, bearer, ui_services

STAFF = bearer("staff", "hostile-bodies")
DEEP_JSON = "[" * 10_000 + "]" * 10_000
PLAIN_JSON = json.dumps({"title": "Netzwerk vor Ort", "email": "kim.beispiel@example.org"})


def _migrated_sqlite(service: str, tmp_path) -> str:
    url = f"sqlite:///{tmp_path / service}.db"
    migrate(url, importlib.import_module(f"services.{service}.app").MIGRATIONS)
    return url


def _body_operations(app) -> list[tuple[str, str]]:
    paths = app.test_client().get("/openapi.json").json["paths"]
    return [(method.upper(), re.sub(r"\{[^}]+\}", "x0000000", path))
            for path, item in paths.items() for method in item if method in ("post", "put", "patch")]


def _assert_error_format(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert body["code"] == status and body["status"] and body["message"], body
    return body


@pytest.mark.parametrize("service", api_services())
def test_every_body_operation_refuses_deep_json_and_json_sent_as_text(service, tmp_path):
    app = api_app(service, _migrated_sqlite(service, tmp_path))
    client = app.test_client()
    operations = _body_operations(app)
    assert operations, f"{service} has no POST, PUT or PATCH operation"
    for method, path in operations:
        deep = client.open(path, method=method, data=DEEP_JSON, headers={**STAFF, "Content-Type": "application/json"})
        assert deep.status_code in (400, 415), (method, path, deep.status_code, deep.get_data(as_text=True)[:300])
        body = _assert_error_format(deep, deep.status_code)
        if deep.status_code == 400:
            assert "nested too deeply" in body["message"], (method, path, body)

        plain = client.open(path, method=method, data=PLAIN_JSON, headers={**STAFF, "Content-Type": "text/plain"})
        body = _assert_error_format(plain, 415)
        assert "Content-Type" in body["errors"]["headers"], (method, path, body)
    print(f"\n{service}: {len(operations)} body operations refused both")


@pytest.mark.parametrize("service", ui_services())
def test_web_ui_refuses_deep_json_and_text_bodies_on_every_post_route(service, tmp_path):
    app = api_app(service, _migrated_sqlite(service, tmp_path))
    client = app.test_client()
    routes = [re.sub(r"<[^>]+>", "x0000000", rule.rule) for rule in app.url_map.iter_rules()
              if "POST" in rule.methods]
    assert routes
    for path in routes:
        for data, content_type in ((DEEP_JSON, "application/json"), (PLAIN_JSON, "text/plain")):
            response = client.post(path, data=data, headers={"Content-Type": content_type})
            assert 400 <= response.status_code < 500, (path, content_type, response.status_code)
