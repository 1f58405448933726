"""The applications API over real PostgreSQL: rules, bad input, authorization, idempotency."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, func, select

from services.applications.app import create_app
from services.applications.db import metadata
from support import bearer, settings

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "staff:erika")
WASSENBERG = bearer("municipality", "wassenberg", ags="05370040")
ARNSBERG = bearer("municipality", "arnsberg", ags="05958004")
STEERING = bearer("steering", "member-1")


def application_body(**overrides):
    body = {
        "municipality": {"ags": "05370040", "name": "Wassenberg", "population": 18500},
        "contact": {"name": "Jana Beispiel", "email": "jana.beispiel@example.org", "phone": "+49 2432 49000"},
        "focus_areas": ["mobility", "participation"],
        "statement": "Smart-City-Strategie, die die Innenstadt einschließt.",
        "partners": ["Stadtwerke"],
    }
    body.update(overrides)
    return body


@pytest.fixture
def db_url(pg_database):
    return pg_database("applications")


@pytest.fixture
def client(db_url):
    app = create_app(settings("applications", db_url, "127.0.0.1:1"))
    return app.test_client()


@pytest.fixture
def open_call(client):
    now = datetime.now(timezone.utc)
    response = client.post("/v1/calls", headers=STAFF, json={
        "title": "Netzwerk vor Ort", "topic": "Smart City", "places": 3,
        "opens_at": (now - timedelta(days=1)).isoformat(), "closes_at": (now + timedelta(days=30)).isoformat()})
    assert response.status_code == 201, response.json
    call_id = response.json["id"]
    assert client.post(f"/v1/calls/{call_id}/open", headers=STAFF).status_code == 200
    return call_id


def counts(db_url):
    engine = create_engine(db_url)
    with engine.connect() as connection:
        result = {name: connection.execute(select(func.count()).select_from(metadata.tables[name])).scalar_one()
                  for name in ("applications", "outbox")}
    engine.dispose()
    return result


def test_municipality_submits_and_gets_size_class_and_event(client, open_call, db_url):
    response = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG, json=application_body())
    assert response.status_code == 201
    assert response.json["status"] == "submitted"
    assert response.json["size_class"] == "small"
    assert response.json["submitted_at"]
    engine = create_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(select(metadata.tables["outbox"])).all()
    engine.dispose()
    types = [row.event_type for row in rows]
    assert types == ["CallOpened", "ApplicationSubmitted"]
    envelope = json.loads(rows[1].payload)
    assert envelope["specversion"] == "1.0" and envelope["subject"] == response.json["id"]
    assert "jana" not in rows[1].payload.lower(), "contact persons stay out of events"


@pytest.mark.parametrize("population,expected", [(4999, "rural"), (5000, "small"), (19999, "small"),
                                                 (20000, "medium"), (99999, "medium"), (100000, "large")])
def test_size_class_follows_bbsr_bounds(client, open_call, population, expected):
    body = application_body(municipality={"ags": "05370040", "name": "Wassenberg", "population": population})
    response = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG, json=body)
    assert response.json["size_class"] == expected


BAD_BODIES = {
    "unknown field": (application_body(colour="blue"), "colour"),
    "wrong type": (application_body(municipality={"ags": "05370040", "name": "W", "population": "many"}),
                   "municipality"),
    "missing field": ({k: v for k, v in application_body().items() if k != "statement"}, "statement"),
    "bad ags": (application_body(municipality={"ags": "5370040", "name": "W", "population": 1}), "municipality"),
    "negative population": (application_body(municipality={"ags": "05370040", "name": "W", "population": -3}),
                            "municipality"),
    "bad email": (application_body(contact={"name": "J", "email": "not-an-address"}), "contact"),
    "too long statement": (application_body(statement="x" * 10_001), "statement"),
}


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_bad_input_is_rejected_with_the_field_named_and_nothing_written(client, open_call, db_url, case):
    before = counts(db_url)
    body, field = BAD_BODIES[case]
    response = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG, json=body)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]
    assert counts(db_url) == before


def test_malformed_json_is_a_400_and_nothing_written(client, open_call, db_url):
    before = counts(db_url)
    response = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG, data="{not json",
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json["code"] == 400
    assert counts(db_url) == before


def test_a_one_megabyte_body_is_refused_with_413(client, open_call, db_url):
    before = counts(db_url)
    big = json.dumps(application_body(statement="x" * 1_000_000))
    response = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG, data=big,
                           content_type="application/json")
    assert response.status_code == 413
    assert response.json["code"] == 413
    assert counts(db_url) == before


def test_closed_call_refuses_applications_with_409(client, open_call, db_url):
    assert client.post(f"/v1/calls/{open_call}/close", headers=STAFF).status_code == 200
    before = counts(db_url)
    response = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG, json=application_body())
    assert response.status_code == 409
    assert "open" in response.json["message"]
    assert counts(db_url) == before


def test_one_application_per_municipality_per_call(client, open_call, db_url):
    first = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG, json=application_body())
    assert first.status_code == 201
    before = counts(db_url)
    again = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG,
                        json=application_body(statement="Eine zweite Fassung"))
    assert again.status_code == 409
    assert "municipality.ags" in again.json["errors"]["json"]
    assert counts(db_url) == before
    assert client.get(f"/v1/applications/{first.json['id']}", headers=STAFF).json == first.json


def test_concurrent_duplicate_submissions_create_exactly_one(db_url, open_call):
    app = create_app(settings("applications", db_url, "127.0.0.1:1"))
    statuses = []

    def submit():
        with app.test_client() as c:
            statuses.append(c.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG,
                                   json=application_body()).status_code)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 7
    assert counts(db_url)["applications"] == 1


def test_a_withdrawn_application_lets_the_municipality_apply_again(client, open_call):
    first = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG, json=application_body())
    assert client.post(f"/v1/applications/{first.json['id']}/withdraw", headers=WASSENBERG).status_code == 200
    assert client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG,
                       json=application_body()).status_code == 201


def test_a_municipality_cannot_apply_for_another(client, open_call, db_url):
    before = counts(db_url)
    response = client.post(f"/v1/calls/{open_call}/applications", headers=ARNSBERG, json=application_body())
    assert response.status_code == 403
    assert counts(db_url) == before


def test_no_token_is_401_and_a_bad_token_is_401(client, open_call):
    assert client.post(f"/v1/calls/{open_call}/applications", json=application_body()).status_code == 401
    forged = {"Authorization": "Bearer " + "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"}
    assert client.get("/v1/calls", headers=forged).status_code == 401


def test_wrong_role_is_403(client, open_call):
    assert client.post("/v1/calls", headers=WASSENBERG, json={}).status_code == 403
    assert client.get(f"/v1/calls/{open_call}/applications", headers=WASSENBERG).status_code == 403


def test_other_municipalitys_application_is_not_visible(client, open_call):
    created = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG, json=application_body())
    application_id = created.json["id"]
    assert client.get(f"/v1/applications/{application_id}", headers=ARNSBERG).status_code == 404
    assert client.patch(f"/v1/applications/{application_id}", headers=ARNSBERG,
                        json={"statement": "gekapert"}).status_code == 404


def test_steering_and_partners_read_no_applications_here(client, open_call):
    """The applications service knows no panels: a steering member reads the candidates of its own panels'
    calls in the selection service; a partner has no business with applications at all."""
    created = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG, json=application_body())
    for headers in (STEERING, bearer("partner", "stadtwerke")):
        assert client.get(f"/v1/calls/{open_call}/applications", headers=headers).status_code == 403
        assert client.get(f"/v1/applications/{created.json['id']}", headers=headers).status_code == 403
    own = client.get(f"/v1/applications/{created.json['id']}", headers=WASSENBERG)
    assert own.json["contact"]["email"] == "jana.beispiel@example.org"


def test_patch_changes_fields_and_reclassifies_while_open(client, open_call, db_url):
    created = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG, json=application_body())
    response = client.patch(f"/v1/applications/{created.json['id']}", headers=WASSENBERG,
                            json={"municipality": {"population": 25000}, "statement": "Neu"})
    assert response.status_code == 200
    assert response.json["size_class"] == "medium" and response.json["statement"] == "Neu"
    assert client.patch(f"/v1/applications/{created.json['id']}", headers=WASSENBERG,
                        json={"status": "withdrawn"}).status_code == 422


def test_patch_after_close_is_409_and_changes_nothing(client, open_call, db_url):
    created = client.post(f"/v1/calls/{open_call}/applications", headers=WASSENBERG, json=application_body())
    client.post(f"/v1/calls/{open_call}/close", headers=STAFF)
    before, stored = counts(db_url), client.get(f"/v1/applications/{created.json['id']}", headers=STAFF).json
    response = client.patch(f"/v1/applications/{created.json['id']}", headers=WASSENBERG,
                            json={"statement": "Zu spät"})
    assert response.status_code == 409
    assert counts(db_url) == before
    assert client.get(f"/v1/applications/{created.json['id']}", headers=STAFF).json == stored


def test_idempotency_key_replays_the_first_answer_and_creates_nothing_twice(client, open_call, db_url):
    headers = {**WASSENBERG, "Idempotency-Key": "submit-1"}
    first = client.post(f"/v1/calls/{open_call}/applications", headers=headers, json=application_body())
    second = client.post(f"/v1/calls/{open_call}/applications", headers=headers, json=application_body())
    assert first.status_code == second.status_code == 201
    assert first.json["id"] == second.json["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert counts(db_url)["applications"] == 1
    other_body = client.post(f"/v1/calls/{open_call}/applications", headers=headers,
                             json=application_body(statement="anders"))
    assert other_body.status_code == 422


def test_listing_filters_and_paginates(client, open_call):
    towns = [("05370040", "Wassenberg", 18500), ("05958004", "Arnsberg", 74200), ("05970040", "Siegen", 102000)]
    for ags, name, population in towns:
        client.post(f"/v1/calls/{open_call}/applications", headers=STAFF,
                    json=application_body(municipality={"ags": ags, "name": name, "population": population}))
    page = client.get(f"/v1/calls/{open_call}/applications?page=1&page_size=2", headers=STAFF)
    assert len(page.json) == 2
    assert json.loads(page.headers["X-Pagination"])["total"] == 3
    large = client.get(f"/v1/calls/{open_call}/applications?size_class=large", headers=STAFF)
    assert [a["municipality"]["name"] for a in large.json] == ["Siegen"]
    assert client.get(f"/v1/calls/{open_call}/applications?page_size=1000", headers=STAFF).status_code == 422


def test_a_long_list_reads_by_position_in_the_same_order_as_by_page_without_a_total(client, open_call):
    for number in range(7):
        response = client.post(f"/v1/calls/{open_call}/applications", headers=STAFF, json=application_body(
            municipality={"ags": f"0537{number:04d}", "name": f"Gemeinde {number}", "population": 9000 + number}))
        assert response.status_code == 201, response.json
    by_page = [a["id"] for a in client.get(f"/v1/calls/{open_call}/applications?page_size=100", headers=STAFF).json]
    first = client.get(f"/v1/calls/{open_call}/applications?page_size=3", headers=STAFF)
    seen, cursor, pages = [a["id"] for a in first.json], first.headers.get("X-Next-After"), 1
    while cursor:
        page = client.get(f"/v1/calls/{open_call}/applications?page_size=3&after={cursor}", headers=STAFF)
        assert page.status_code == 200 and json.loads(page.headers["X-Pagination"]) == {"page_size": 3, "keyset": True}
        seen += [a["id"] for a in page.json]
        cursor, pages = page.headers.get("X-Next-After"), pages + 1
    assert seen == by_page and len(seen) == 7 and pages == 3
    # Any position is a position: one before every item gives the whole list, a made-up one past it nothing.
    everything = client.get(f"/v1/calls/{open_call}/applications?page_size=100&after=0.0", headers=STAFF)
    assert [a["id"] for a in everything.json] == by_page and "X-Next-After" not in everything.headers
    assert client.get(f"/v1/calls/{open_call}/applications?after=9999999999999999.z", headers=STAFF).json == []
    refused = client.get(f"/v1/calls/{open_call}/applications?after=gestern", headers=STAFF)
    assert refused.status_code == 422 and "after" in refused.json["errors"]["query"]


def test_call_with_close_before_open_is_rejected(client):
    response = client.post("/v1/calls", headers=STAFF, json={
        "title": "T", "topic": "Smart City", "places": 3,
        "opens_at": "2026-05-01T00:00:00+02:00", "closes_at": "2026-04-01T00:00:00+02:00"})
    assert response.status_code == 422
    assert "closes_at" in response.json["errors"]["json"]


def test_overdue_call_closes_by_itself(db_url):
    from services.applications import handlers

    clock = {"now": datetime.now(timezone.utc)}
    app = create_app(settings("applications", db_url, "127.0.0.1:1"), clock=lambda: clock["now"])
    client = app.test_client()
    created = client.post("/v1/calls", headers=STAFF, json={
        "title": "T", "topic": "Smart City", "places": 3,
        "opens_at": (clock["now"] - timedelta(days=1)).isoformat(),
        "closes_at": (clock["now"] + timedelta(hours=1)).isoformat()}).json
    client.post(f"/v1/calls/{created['id']}/open", headers=STAFF)
    clock["now"] += timedelta(hours=2)
    closed = app.extensions["vorort"].bus.handle(handlers.CloseOverdueCalls())
    assert closed == [created["id"]]
    assert client.get(f"/v1/calls/{created['id']}", headers=STAFF).json["status"] == "closed"


# --- correcting and extending a call's times -------------------------------------------------------
def outbox_types(db_url) -> list[str]:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        types = [row.event_type for row in connection.execute(
            select(metadata.tables["outbox"]).order_by(metadata.tables["outbox"].c.id))]
    engine.dispose()
    return types


def test_an_extended_call_keeps_taking_applications_after_its_old_closing_time(db_url):
    from services.applications import handlers

    clock = {"now": datetime.now(timezone.utc)}
    app = create_app(settings("applications", db_url, "127.0.0.1:1"), clock=lambda: clock["now"])
    client = app.test_client()
    old_close = clock["now"] + timedelta(hours=1)
    call = client.post("/v1/calls", headers=STAFF, json={
        "title": "T", "topic": "Smart City", "places": 3, "opens_at": (clock["now"] - timedelta(days=1)).isoformat(),
        "closes_at": old_close.isoformat()}).json
    client.post(f"/v1/calls/{call['id']}/open", headers=STAFF)

    new_close = old_close + timedelta(days=7)
    response = client.patch(f"/v1/calls/{call['id']}", headers=STAFF, json={"closes_at": new_close.isoformat()})
    assert response.status_code == 200, response.json
    assert datetime.fromisoformat(response.json["closes_at"]) == new_close
    assert outbox_types(db_url)[-1] == "CallDeadlinesChanged"

    clock["now"] = old_close + timedelta(hours=1)
    assert app.extensions["vorort"].bus.handle(handlers.CloseOverdueCalls()) == []
    late = client.post(f"/v1/calls/{call['id']}/applications", headers=WASSENBERG, json=application_body())
    assert late.status_code == 201, late.json


def test_the_changed_times_event_carries_old_and_new_times(client, open_call, db_url):
    before = client.get(f"/v1/calls/{open_call}", headers=STAFF).json
    new_close = datetime.fromisoformat(before["closes_at"]) + timedelta(days=3)
    assert client.patch(f"/v1/calls/{open_call}", headers=STAFF,
                        json={"closes_at": new_close.isoformat()}).status_code == 200
    engine = create_engine(db_url)
    with engine.connect() as connection:
        row = connection.execute(select(metadata.tables["outbox"]).where(
            metadata.tables["outbox"].c.event_type == "CallDeadlinesChanged")).one()
    engine.dispose()
    data = json.loads(row.payload)["data"]
    assert datetime.fromisoformat(data["previous_closes_at"]) == datetime.fromisoformat(before["closes_at"])
    assert datetime.fromisoformat(data["closes_at"]) == new_close
    assert data["changed_by"] == "staff:staff:erika" and data["status"] == "open"


@pytest.mark.parametrize("body, field, status", [
    # valid in themselves, but in conflict with the call's current times or status: 409
    ({"closes_at": "2020-01-01T00:00:00+00:00"}, "closes_at", 409),                  # before opening / past
    ({"opens_at": "2099-01-01T00:00:00+00:00"}, "closes_at", 409),                   # after the current close
    ({"opens_at": "2098-01-01T00:00:00+00:00", "closes_at": "2099-01-01T00:00:00+00:00"}, "opens_at", 409),
    # invalid in themselves (the OpenAPI document says so): 422
    ({"opens_at": "2099-01-01T00:00:00+00:00", "closes_at": "2098-01-01T00:00:00+00:00"}, "closes_at", 422),
    ({}, "_schema", 422),
    ({"closes_at": "2099-01-01T00:00:00"}, "closes_at", 422),                        # no offset
    ({"closes_at": "2099-01-01T00:00:00+00:00", "places": 5}, "places", 422),        # not changeable here
])
def test_bad_new_times_are_refused_naming_the_field_and_change_nothing(client, open_call, db_url, body, field,
                                                                       status):
    before, events = client.get(f"/v1/calls/{open_call}", headers=STAFF).json, outbox_types(db_url)
    response = client.patch(f"/v1/calls/{open_call}", headers=STAFF, json=body)
    assert response.status_code == status, response.json
    assert field in response.json["errors"]["json"]
    assert client.get(f"/v1/calls/{open_call}", headers=STAFF).json == before
    assert outbox_types(db_url) == events


def test_a_closed_calls_times_cannot_change(client, open_call, db_url):
    assert client.post(f"/v1/calls/{open_call}/close", headers=STAFF).status_code == 200
    before, events = client.get(f"/v1/calls/{open_call}", headers=STAFF).json, outbox_types(db_url)
    response = client.patch(f"/v1/calls/{open_call}", headers=STAFF,
                            json={"closes_at": "2099-01-01T00:00:00+00:00"})
    assert response.status_code == 409
    assert client.get(f"/v1/calls/{open_call}", headers=STAFF).json == before
    assert outbox_types(db_url) == events


@pytest.mark.parametrize("headers", [WASSENBERG, STEERING, bearer("partner", "stadtwerke")])
def test_only_the_office_changes_a_calls_times(client, open_call, db_url, headers):
    before = client.get(f"/v1/calls/{open_call}", headers=STAFF).json
    response = client.patch(f"/v1/calls/{open_call}", headers=headers, json={"closes_at": "2099-01-01T00:00:00+00:00"})
    assert response.status_code == 403
    assert client.get(f"/v1/calls/{open_call}", headers=STAFF).json == before


def test_a_draft_calls_opening_may_move_into_the_future(client):
    draft = client.post("/v1/calls", headers=STAFF, json={
        "title": "T", "topic": "Smart City", "places": 3, "opens_at": "2098-01-01T00:00:00+00:00",
        "closes_at": "2098-03-01T00:00:00+00:00"}).json
    response = client.patch(f"/v1/calls/{draft['id']}", headers=STAFF, json={
        "opens_at": "2098-02-01T00:00:00+00:00", "closes_at": "2098-04-01T00:00:00+00:00"})
    assert response.status_code == 200, response.json
    assert response.json["status"] == "draft"
