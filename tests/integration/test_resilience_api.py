"""What the API does when input is hostile or the database is away."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.applications.app import create_app
from support import bearer, settings

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "staff:erika")
WASSENBERG = bearer("municipality", "wassenberg", ags="05370040")


def test_database_outage_answers_503_with_retry_after_never_500():
    dead = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere?connect_timeout=1"
    client = create_app(settings("applications", dead, "127.0.0.1:1")).test_client()
    response = client.get("/v1/calls", headers=STAFF)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json["code"] == 503
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("field,value", [("status", "withdrawn"), ("size_class", "large"), ("id", "mine"),
                                         ("submitted_at", "2020-01-01T00:00:00Z"), ("call_id", "other")])
def test_server_owned_fields_in_a_request_are_rejected_and_change_nothing(pg_database, field, value):
    client = create_app(settings("applications", pg_database("applications"), "127.0.0.1:1")).test_client()
    now = datetime.now(timezone.utc)
    call = client.post("/v1/calls", headers=STAFF, json={
        "title": "T", "topic": "Smart City", "places": 3, "opens_at": (now - timedelta(days=1)).isoformat(),
        "closes_at": (now + timedelta(days=1)).isoformat()}).json
    client.post(f"/v1/calls/{call['id']}/open", headers=STAFF)
    body = {"municipality": {"ags": "05370040", "name": "Wassenberg", "population": 18500},
            "contact": {"name": "Jana Beispiel", "email": "jana@example.org"}, "statement": "Interesse"}
    created = client.post(f"/v1/calls/{call['id']}/applications", headers=WASSENBERG, json={**body, field: value})
    assert created.status_code == 422
    assert field in created.json["errors"]["json"]
    application = client.post(f"/v1/calls/{call['id']}/applications", headers=WASSENBERG, json=body).json
    patched = client.patch(f"/v1/applications/{application['id']}", headers=WASSENBERG, json={field: value})
    assert patched.status_code == 422
    after = client.get(f"/v1/applications/{application['id']}", headers=WASSENBERG).json
    assert after == application
    call_patch = client.post("/v1/calls", headers=STAFF, json={
        "title": "T", "topic": "Smart City", "places": 3, "status": "open",
        "opens_at": now.isoformat(), "closes_at": (now + timedelta(days=1)).isoformat()})
    assert call_patch.status_code == 422 and "status" in call_patch.json["errors"]["json"]


def test_page_size_is_capped(pg_database):
    client = create_app(settings("applications", pg_database("applications"), "127.0.0.1:1")).test_client()
    response = client.get("/v1/calls?page_size=101", headers=STAFF)
    assert response.status_code == 422
    assert "page_size" in response.json["errors"]["query"]
