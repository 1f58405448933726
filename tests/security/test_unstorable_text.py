"""Issue 10, item 8: text PostgreSQL cannot store (NUL) or UTF-8 cannot encode (an unpaired surrogate) is
refused with 422 naming where it was, before any handler runs, in bodies, query strings and paths alike,
on every operation of every API service; nothing is written."""
from __future__ import annotations

import importlib
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, func, select, table

from shared.db import migrate
from shared.web import UNSTORABLE
from support import api_app, api_services, bearer

STAFF = bearer("staff", "unstorable-text")
WASSENBERG = bearer("municipality", "wassenberg", ags="05370040")
NUL_BODY = '{"statement": "Smart City\\u0000", "nested": {"list": ["ok", "a\\u0000b"]}}'
SURROGATE_BODY = '{"statement": "Smart City \\ud800"}'


def _migrated_sqlite(service: str, tmp_path) -> str:
    url = f"sqlite:///{tmp_path / service}.db"
    migrate(url, importlib.import_module(f"services.{service}.app").MIGRATIONS)
    return url


@pytest.mark.parametrize("service", api_services())
def test_every_body_operation_refuses_nul_and_unpaired_surrogates_naming_the_field(service, tmp_path):
    app = api_app(service, _migrated_sqlite(service, tmp_path))
    client = app.test_client()
    paths = client.get("/openapi.json").json["paths"]
    operations = [(method.upper(), re.sub(r"\{[^}]+\}", "x0000000", path))
                  for path, item in paths.items() for method in item if method in ("post", "put", "patch")]
    assert operations
    for method, path in operations:
        nul = client.open(path, method=method, data=NUL_BODY, headers={**STAFF, "Content-Type": "application/json"})
        if nul.status_code == 415:  # the operation takes no JSON at all (a form or no body)
            continue
        assert nul.status_code == 422, (method, path, nul.status_code, nul.get_data(as_text=True)[:300])
        assert nul.json["errors"]["json"] == {"statement": [UNSTORABLE], "nested.list[1]": [UNSTORABLE]}, (method, path)
        lone = client.open(path, method=method, data=SURROGATE_BODY,
                           headers={**STAFF, "Content-Type": "application/json"})
        assert lone.status_code == 422 and lone.json["errors"]["json"] == {"statement": [UNSTORABLE]}, (method, path)


@pytest.mark.parametrize("service", api_services())
def test_query_strings_and_paths_with_nul_are_refused(service, tmp_path):
    app = api_app(service, _migrated_sqlite(service, tmp_path))
    client = app.test_client()
    paths = client.get("/openapi.json").json["paths"]
    gets = [re.sub(r"\{[^}]+\}", "x0000000", p) for p, item in paths.items() if "get" in item]
    listing = next(p for p in gets if "x0000000" not in p)
    query = client.get(f"{listing}?page=1&q=a%00b", headers=STAFF)
    assert query.status_code == 422 and query.json["errors"]["query"] == {"q": [UNSTORABLE]}
    item = next((p for p in gets if "x0000000" in p), None)
    if item is not None:
        response = client.get(item.replace("x0000000", "a%00b", 1), headers=STAFF)
        assert response.status_code == 422 and list(response.json["errors"]["path"].values()) == [[UNSTORABLE]]


def test_a_refused_application_writes_nothing(tmp_path):
    url = _migrated_sqlite("applications", tmp_path)
    client = api_app("applications", url).test_client()
    now = datetime.now(timezone.utc)
    call = client.post("/v1/calls", headers=STAFF, json={
        "title": "T", "topic": "Smart City", "places": 3, "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat()}).json
    assert client.post(f"/v1/calls/{call['id']}/open", headers=STAFF).status_code == 200
    engine = create_engine(url)

    def rows():
        with engine.connect() as connection:
            return [connection.execute(select(func.count()).select_from(table(name))).scalar_one()
                    for name in ("applications", "outbox", "idempotency_keys")]

    before = rows()
    body = ('{"municipality": {"ags": "05370040", "name": "Wassen\\u0000berg", "population": 18500}, '
            '"contact": {"name": "Jana Beispiel", "email": "jana.beispiel@example.org"}, "statement": "x"}')
    response = client.post(f"/v1/calls/{call['id']}/applications", data=body,
                           headers={**WASSENBERG, "Content-Type": "application/json", "Idempotency-Key": "nul-1"})
    assert response.status_code == 422
    assert response.json["errors"]["json"] == {"municipality.name": [UNSTORABLE]}
    assert rows() == before
    engine.dispose()
