"""Issue 10, item 11: the idempotency store keeps personal data no longer than its lifetime.

A stored first answer (here: an application with its contact person) is replayed within the lifetime
(VORORT_IDEMPOTENCY_TTL_HOURS, default 24), never after it; the worker's periodic job purges expired
rows; a GDPR export lists stored answers that quote the person and the erasure deletes them.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select, update

from services.applications.app import create_app
from services.applications.consumers import erase_personal_data
from services.applications.db import metadata
from shared.privacy import erasure_handler, erasure_request
from support import bearer, eventually, service_process, settings, stop_process

pytestmark = pytest.mark.integration

STAFF = bearer("staff", "staff:erika")
WASSENBERG = bearer("municipality", "wassenberg", ags="05370040")
CONTACT = "jana.beispiel@example.org"
KEYS = metadata.tables["idempotency_keys"]


@pytest.fixture
def db_url(pg_database):
    return pg_database("applications")


@pytest.fixture
def app(db_url):
    return create_app(settings("applications", db_url, "127.0.0.1:1"))


@pytest.fixture
def submitted(app):
    """An application submitted with an Idempotency-Key: its stored answer quotes the contact."""
    client = app.test_client()
    now = datetime.now(timezone.utc)
    call = client.post("/v1/calls", headers=STAFF, json={
        "title": "Netzwerk vor Ort", "topic": "Smart City", "places": 3,
        "opens_at": (now - timedelta(days=1)).isoformat(), "closes_at": (now + timedelta(days=30)).isoformat()})
    assert client.post(f"/v1/calls/{call.json['id']}/open", headers=STAFF).status_code == 200
    path = f"/v1/calls/{call.json['id']}/applications"
    body = {"municipality": {"ags": "05370040", "name": "Wassenberg", "population": 18500},
            "contact": {"name": "Jana Beispiel", "email": CONTACT, "phone": "+49 2432 49000"},
            "statement": "Smart-City-Strategie mit Innenstadt"}
    headers = {**WASSENBERG, "Idempotency-Key": "submit-" + uuid.uuid4().hex}
    first = client.post(path, headers=headers, json=body)
    assert first.status_code == 201, first.json
    return client, path, headers, body


def stored_rows(db_url) -> list:
    engine = create_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(select(KEYS).where(KEYS.c.status_code.is_not(None))).all()
    engine.dispose()
    return rows


def age_stored_answers(db_url, by: timedelta) -> None:
    engine = create_engine(db_url)
    with engine.begin() as connection:
        for row in connection.execute(select(KEYS.c.scope, KEYS.c.key, KEYS.c.created_at)).all():
            connection.execute(update(KEYS).where((KEYS.c.scope == row.scope) & (KEYS.c.key == row.key))
                               .values(created_at=row.created_at - by))
    engine.dispose()


def test_a_stored_answer_is_replayed_within_its_lifetime_and_never_after(submitted, db_url):
    client, path, headers, body = submitted
    [row] = stored_rows(db_url)
    assert CONTACT in row.body, "the stored answer holds the contact: it must not live for ever"
    within = client.post(path, headers=headers, json=body)
    assert within.status_code == 201 and within.headers["Idempotent-Replayed"] == "true"

    age_stored_answers(db_url, timedelta(hours=24, minutes=1))
    after = client.post(path, headers=headers, json=body)
    # Not replayed: the work is done afresh, and the municipality has applied already.
    assert after.status_code == 409 and "Idempotent-Replayed" not in after.headers, after.json
    assert stored_rows(db_url) == [], "the expired answer is gone, and the refused retry stored nothing"


def test_the_lifetime_is_configurable(submitted, db_url, monkeypatch):
    client, path, headers, body = submitted
    monkeypatch.setenv("VORORT_IDEMPOTENCY_TTL_HOURS", "1")
    age_stored_answers(db_url, timedelta(minutes=59))
    assert client.post(path, headers=headers, json=body).headers.get("Idempotent-Replayed") == "true"
    age_stored_answers(db_url, timedelta(minutes=2))
    assert client.post(path, headers=headers, json=body).status_code == 409


def test_the_worker_purges_expired_answers(submitted, db_url, kafka_bootstrap, tmp_path):
    assert len(stored_rows(db_url)) == 1
    worker = service_process("applications", ["worker"], log_path=tmp_path / "worker.log", env={
        "APPLICATIONS_DATABASE_URL": db_url, "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "VORORT_CONSUMER_GROUP_SUFFIX": f"-{uuid.uuid4().hex[:8]}",
        "VORORT_IDEMPOTENCY_TTL_HOURS": str(2 / 3600)})  # two seconds: purged every half second
    try:
        eventually(lambda: stored_rows(db_url) == [], timeout=90, interval=0.5,
                   message="the worker purged the expired stored answer")
    finally:
        stop_process(worker)
    assert "purge-idempotency-keys" in (tmp_path / "worker.log").read_text(), "the job ran in the worker"


def test_export_lists_and_erasure_deletes_the_stored_answers_that_quote_the_person(submitted, app, db_url):
    client = submitted[0]
    exported = client.get("/v1/personal-data", headers=STAFF, query_string={"email": CONTACT.upper()}).json
    kinds = sorted(record["kind"] for record in exported["records"])
    assert kinds == ["application_contact", "stored_answer"], exported
    stored = next(r for r in exported["records"] if r["kind"] == "stored_answer")
    assert stored["request"].startswith("POST /v1/calls/")
    assert datetime.fromisoformat(stored["expires_at"]) - datetime.fromisoformat(stored["created_at"]) \
        == timedelta(hours=24)

    request = erasure_request(CONTACT, "staff:datenschutz")
    ctx = app.extensions["vorort"]
    with ctx.uow_factory() as uow:
        erasure_handler("applications", erase_personal_data)(request, request.data, uow)
        uow.commit()
    assert stored_rows(db_url) == []
    assert client.get("/v1/personal-data", headers=STAFF, query_string={"email": CONTACT}).json["records"] == []
    engine = create_engine(db_url)
    with engine.connect() as connection:
        audit = connection.execute(select(metadata.tables["privacy_erasures"])).one()
    engine.dispose()
    assert audit.records == 2, "the contact and the stored answer"
