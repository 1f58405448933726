"""Registrations race for places: the workshop row lock (SELECT ... FOR UPDATE on PostgreSQL) makes
them take turns, so the capacity holds and the waitlist stays in order under parallel load."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select

from services.workshops.app import create_app
from services.workshops.db import metadata
from support import bearer, settings
from workshops_support import WASSENBERG, Selection, deliver

pytestmark = pytest.mark.integration

UTC = timezone.utc
STAFF = bearer("staff", "staff:erika")
CAPACITY, ALREADY_CONFIRMED, RACERS = 40, 30, 50


def person(n: int, prefix: str) -> dict:
    return {"name": f"Max Mustermann {prefix}{n}", "email": f"max.mustermann.{prefix}{n}@example.org",
            "organisation": "Musterfirma GmbH", "participant_type": "business", "consent": True}


def in_parallel(app, jobs):
    """Run `job(client)` for every job at the same moment, each in its own thread and test client."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(index, job):
        with app.test_client() as client:
            barrier.wait()
            results[index] = job(client)

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def stored(db_url, workshop_id):
    registrations = metadata.tables["registrations"]
    engine = create_engine(db_url)
    with engine.connect() as connection:
        rows = connection.execute(select(registrations).where(registrations.c.workshop_id == workshop_id)).all()
    engine.dispose()
    return rows


@pytest.fixture
def db_url(pg_database):
    return pg_database("workshops")


@pytest.fixture
def app(db_url):
    return create_app(settings("workshops", db_url, "127.0.0.1:1"))  # the real clock


@pytest.fixture
def nearly_full(app):
    """A workshop with 40 places, 30 of them taken."""
    client = app.test_client()
    chosen = Selection.fresh((WASSENBERG,))
    deliver(app, chosen.selected(WASSENBERG))
    workshop_id = client.get(f"/v1/workshops?call_id={chosen.call_id}", headers=STAFF).json[0]["id"]
    starts = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    response = client.patch(f"/v1/workshops/{workshop_id}", headers=STAFF, json={
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=6)).isoformat(), "capacity": CAPACITY})
    assert response.status_code == 200, response.json
    for n in range(ALREADY_CONFIRMED):
        assert client.post(f"/v1/workshops/{workshop_id}/registrations", headers=STAFF,
                           json=person(n, "early")).json["status"] == "confirmed"
    return workshop_id


def test_fifty_parallel_registrations_for_the_last_ten_places_confirm_exactly_ten(app, db_url, nearly_full):
    url = f"/v1/workshops/{nearly_full}/registrations"
    answers = in_parallel(app, [
        (lambda client, n=n: client.post(url, headers=bearer("partner", f"partner-{n}"), json=person(n, "race")))
        for n in range(RACERS)])

    assert [a.status_code for a in answers] == [201] * RACERS
    assert Counter(a.json["status"] for a in answers) == {"confirmed": 10, "waitlisted": 40}
    assert sorted(a.json["waitlist_position"] for a in answers if a.json["status"] == "waitlisted") == \
        list(range(1, 41))
    rows = stored(db_url, nearly_full)
    assert Counter(r.status for r in rows) == {"confirmed": CAPACITY, "waitlisted": 40}
    places = app.test_client().get(f"/v1/workshops/{nearly_full}", headers=STAFF).json["places"]
    assert places == {"capacity": 40, "confirmed": 40, "waitlisted": 40, "pending": 0, "available": 0}

    # Cancelling one confirmed place promotes exactly one person: the first on the waitlist.
    first_waiting = next(a.json for a in answers if a.json["waitlist_position"] == 1)
    leaving = next(a.json for a in answers if a.json["status"] == "confirmed")
    client = app.test_client()
    cancelled = client.delete(f"{url}/{leaving['id']}", headers={
        **bearer("partner", "someone"), "X-Manage-Code": leaving["manage_code"]})
    assert cancelled.status_code == 200
    rows = {r.id: r for r in stored(db_url, nearly_full)}
    assert Counter(r.status for r in rows.values()) == {"confirmed": 40, "waitlisted": 39, "cancelled": 1}
    assert rows[first_waiting["id"]].status == "confirmed"
    assert sorted(r.waitlist_position for r in rows.values() if r.status == "waitlisted") == list(range(1, 40))


def test_parallel_cancellations_promote_one_waiting_person_each(app, db_url, nearly_full):
    url = f"/v1/workshops/{nearly_full}/registrations"
    client = app.test_client()
    for n in range(25):  # 10 fill the workshop, 15 wait
        client.post(url, headers=STAFF, json=person(n, "late"))
    leaving = [r for r in stored(db_url, nearly_full) if r.status == "confirmed"][:12]
    answers = in_parallel(app, [
        (lambda c, r=r: c.delete(f"{url}/{r.id}?code={r.manage_code}", headers=bearer("partner", "p")))
        for r in leaving])
    assert [a.status_code for a in answers] == [200] * 12
    assert Counter(r.status for r in stored(db_url, nearly_full)) == {"confirmed": 40, "waitlisted": 3,
                                                                      "cancelled": 12}


@pytest.fixture
def gunicorn_workshops(db_url, tmp_path):
    """The workshops web app under the real gunicorn with four worker processes (each with its own
    connection pool), as in production: the row lock must hold across processes, not only threads."""
    import os
    import subprocess
    import sys

    import requests

    from shared.config import REPO_ROOT
    from support import eventually, stop_process
    from vorort.broker import free_port

    port = free_port()
    env = dict(os.environ, WORKSHOPS_DATABASE_URL=db_url, KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",
               VORORT_RATE_LIMIT_PER_MINUTE="0")
    log = open(tmp_path / "gunicorn.log", "ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "4",
         "services.workshops.app:create_app()"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    base = f"http://127.0.0.1:{port}"

    def up():
        assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
        try:
            return requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        eventually(up, timeout=90, interval=0.5, message="gunicorn up")
        yield base
    finally:
        stop_process(process)


def test_fifty_registrations_across_gunicorn_worker_processes_confirm_exactly_ten(db_url, nearly_full,
                                                                                 gunicorn_workshops):
    import requests

    url = f"{gunicorn_workshops}/v1/workshops/{nearly_full}/registrations"
    barrier = threading.Barrier(RACERS)
    answers = [None] * RACERS

    def race(n):
        with requests.Session() as session:
            barrier.wait()
            answers[n] = session.post(url, headers=bearer("partner", f"partner-{n}"), json=person(n, "race"),
                                      timeout=120)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [a.status_code for a in answers] == [201] * RACERS, [a.text[:200] for a in answers if a.status_code != 201]
    assert Counter(a.json()["status"] for a in answers) == {"confirmed": 10, "waitlisted": 40}
    assert sorted(a.json()["waitlist_position"] for a in answers if a.json()["status"] == "waitlisted") == \
        list(range(1, 41))
    rows = stored(db_url, nearly_full)
    assert Counter(r.status for r in rows) == {"confirmed": CAPACITY, "waitlisted": 40}
